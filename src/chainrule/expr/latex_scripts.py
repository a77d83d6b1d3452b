"""The LaTeX reader's sub- and superscripts: ``x_{i,j}``, ``W^{[2]}``, ``A^T``, ``f''``.

A scripted atom is read in two steps: its scripts are collected (at most one of each,
primes counted), then the atom decides what they mean. A name resolves them through the
symbol table (:mod:`chainrule.expr.latex_names`); any other value takes a subscript as
indices (from 1) and a superscript as a transpose or a power (:meth:`ScriptReader.decorate`).
"""

from __future__ import annotations

import re
from typing import Any

from lark import Token, Tree

from chainrule.expr import tree as T
from chainrule.expr.build_common import Pending
from chainrule.expr.grammar import parse_tree
from chainrule.expr.latex_pieces import (
    FUNCTION_WORDS,
    TRANSPOSE,
    Func,
    ReaderPart,
    Script,
    is_token,
)

__all__ = ["ScriptReader"]


class ScriptReader(ReaderPart):
    """The rules of scripted atoms, mixed into the reader."""

    def _scripted(self, t: Any) -> Any:
        atom, scripts = t.children[0], t.children[1:]
        sub, sup, primes = self.collect_scripts(scripts)
        head = atom.children[0] if isinstance(atom, Tree) and atom.children else atom
        kind = atom.data if isinstance(atom, Tree) else "token"
        if kind == "word":
            return self.word(str(head), [sub, sup, primes], t)
        if kind in ("greek", "command"):
            return self.name(str(head), [sub, sup, primes], t)
        if kind == "font":
            return self.name(self.b.slice(atom), [sub, sup, primes], t)
        if kind == "text":
            return self.text_command(atom, [sub, sup, primes], t)
        if kind == "func":
            if sub or sup:
                raise self.b.error(f"{head} takes no sub- or superscript here", t)
            return Func(FUNCTION_WORDS[str(head)[1:]], primes)
        if primes:
            raise self.b.error("a prime (') marks the derivative of a function", t)
        if kind == "ones" and sub is not None:
            return self.decorate(self.b.sized("1", sub.text, sub.pos, self, t), None, sup, t)
        base = self.build(atom)
        if isinstance(base, Pending):
            base = self.b.value(base, atom)
        return self.decorate(base, sub, sup, t)

    def collect_scripts(self, scripts: list[Any]) -> tuple[Script | None, Script | None, int]:
        """The subscript, the superscript and the number of primes of a scripted atom."""
        sub = sup = None
        primes = 0
        for s in scripts:
            if s.data == "prime":
                primes += len(str(s.children[0]))
            elif s.data == "sub_script":
                if sub is not None:
                    raise self.b.error("a double subscript", s)
                sub = self.script(s)
            else:
                if sup is not None:
                    raise self.b.error("a double superscript", s)
                sup = self.script(s)
        return sub, sup, primes

    def script(self, s: Any) -> Script:
        arg = s.children[1]
        if isinstance(arg, Token):
            return Script(str(arg), self.b.start(arg))
        tokens = arg.children
        start, end = self.b.end(tokens[0]), self.b.start(tokens[-1])
        return Script(self.text[start:end], start)

    def decorate(self, base: T.Expr, sub: Script | None, sup: Script | None, t: Any) -> T.Expr:
        """Apply a subscript (indices) and a superscript (transpose or power) to a value."""
        if sub is not None:
            base = self.index(base, sub, t)
        if sup is not None:
            m = TRANSPOSE.match(sup.text)
            if m and not m.group(1):
                return self.b.make(T.Transpose, t, base)
            exponent = self.b.sub_parse(sup.text, sup.pos, "start", self)
            self.b.check_exponent(exponent, t)
            return self.b.make(T.Power, t, base, exponent)
        return base

    def index(self, base: T.Expr, sub: Script, t: Any) -> T.Expr:
        tree = parse_tree(sub.text, "latex", "index_list", self.text, sub.pos)
        with self.b.index_context():
            items = []
            for item in tree.children:
                if is_token(item, "COMMA"):
                    continue
                if isinstance(item, Tree) and item.data == "whole_axis":
                    items.append(T.Slice())
                else:
                    items.append(self.b.shifted(sub.pos, lambda i=item: self.value(i)))
        shape = base.shape
        if len(items) == 1 and len(shape) == 2 and shape.count(1) == 1:
            # x_i of a column (n, 1) or row (1, n) vector is its i-th element.
            items = [items[0], T.Constant(1)] if shape[1] == 1 else [T.Constant(1), items[0]]
        return self.b.make(T.Index, t, base, tuple(items))

    def axis(self, sub: Script | None, t: Any) -> int | None:
        if sub is None:
            return None
        m = re.fullmatch(r"\s*(-?)\s*(\d{1,2})\s*", sub.text)
        if m is None:
            raise self.b.error(f"the axis of a sum must be a whole number, got {sub.text!r}", t)
        return -int(m.group(2)) if m.group(1) else int(m.group(2))
