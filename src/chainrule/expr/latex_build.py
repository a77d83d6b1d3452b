"""From a Lark parse tree of LaTeX to an :class:`~chainrule.expr.tree.Expr`.

The grammar leaves meaning open where LaTeX does: ``W_2 X`` is a matrix product or a
scaling depending on shapes, ``W^3`` is a name, a power or a layer depending on the
symbol table, ``\\sigma(z)`` is a function applied or a product. This module decides,
and every error it raises points at the sub-formula it was building.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from lark import Token, Tree

from chainrule.errors import ExpressionError
from chainrule.expr import tree as T
from chainrule.expr.build_common import Builder, Pending, Unsized
from chainrule.expr.grammar import MAX_MATRIX_ENTRIES, parse_tree
from chainrule.expr.relations import relation_of
from chainrule.expr.symbols import _GREEK, canonical, compose

__all__ = ["build_latex"]

_FUNCTION_WORDS = {
    "relu": "relu", "ReLU": "relu", "sigmoid": "sigmoid", "softmax": "softmax",
    "tanh": "tanh", "exp": "exp", "log": "log", "ln": "log", "sqrt": "sqrt",
    "identity": "identity", "id": "identity", "max": "max", "maximum": "max",
    "min": "min", "minimum": "min",
}  # fmt: skip
# Names read as functions when typed without a backslash (exp(x), relu(z)); short words
# that are also products of letters (ln, id) need their backslash or \operatorname.
_BARE_FUNCTIONS = ("relu", "ReLU", "sigmoid", "softmax", "tanh", "exp", "log", "sqrt", "max",
                   "min", "maximum", "minimum")  # fmt: skip
_TRANSPOSE = re.compile(r"(.*?)\s*(T|\\top|\\intercal|\\mathsf\s*\{\s*T\s*\})\s*\Z", re.S)
_SUM_FROM = re.compile(r"\s*([A-Za-z])\s*(?:=(.*))?\Z", re.S)
_MATRIX_ENVS = {"bmatrix", "pmatrix", "matrix", "Bmatrix"}


@dataclass
class _Func(Pending):
    """A function name still waiting for its argument."""

    function: str
    order: int
    axis: int | None = None


@dataclass
class _Curried(Pending):
    """``a \\sigma`` before ``(z)``: a product whose right factor is a function call."""

    left: Any
    func: _Func
    tree: Any


@dataclass
class _Tuple(Pending):
    """``(a, b)``: only allowed as the arguments of a function."""

    items: list[T.Expr]


@dataclass
class _Script:
    text: str
    pos: int  # offset of ``text`` in the whole formula


def build_latex(text: str, builder: Builder) -> T.Expr:
    """Parse LaTeX ``text`` and build its tree with ``builder``'s symbol table."""
    return _Latex(builder).value(parse_tree(text, "latex"))


class _Latex:
    def __init__(self, b: Builder) -> None:
        self.b = b
        self.text = b.text
        self.table = b.table

    # ------------------------------------------------------------ dispatch

    def value(self, t: Any) -> T.Expr:
        return self.b.value(self.build(t), t)

    def build(self, t: Any) -> Any:
        if isinstance(t, Token):
            return self.leaf(t, t)
        handler: Callable[[Any], Any] = getattr(self, "_" + t.data)
        return handler(t)

    def leaf(self, tok: Token, t: Any) -> Any:
        kind = tok.type
        if kind == "NUMBER":
            return self.b.number(str(tok), t)
        if kind == "WORD":
            return self.word(str(tok), [], t)
        if kind in ("GREEK", "CMD"):
            return self.name(str(tok), [], t)
        if kind == "FUNC":
            return _Func(_FUNCTION_WORDS[str(tok)[1:]], 0)
        if kind == "ONE":
            return Unsized("ones", None)
        raise self.b.error(f"unexpected {str(tok)!r}", t)

    def _number(self, t: Any) -> Any:
        return self.leaf(t.children[0], t)

    _word = _greek = _command = _func = _ones = _number

    def _equation(self, t: Any) -> T.Expr:
        sides = [self.value(c) for c in t.children if not _is(c, "EQ")]
        return self.b.make(T.Equation, t, tuple(sides))

    def _add(self, t: Any) -> T.Expr:
        return self.b.combine(T.Add, self.build(t.children[0]), self.build(t.children[2]), t)

    def _sub(self, t: Any) -> T.Expr:
        return self.b.combine(T.Sub, self.build(t.children[0]), self.build(t.children[2]), t)

    def _hadamard(self, t: Any) -> T.Expr:
        left, right = self.build(t.children[0]), self.build(t.children[2])
        return self.b.combine(T.ElementwiseProduct, left, right, t)

    def _div(self, t: Any) -> T.Expr:
        num, den = self.value(t.children[0]), self.value(t.children[2])
        return self.b.make(T.Div, t, num, den)

    def _star(self, t: Any) -> T.Expr:
        """``a * b`` as NumPy reads it: a scaling when one side is a scalar, else ``⊙``."""
        left, right = self.build(t.children[0]), self.build(t.children[2])
        if isinstance(left, T.Expr) and isinstance(right, T.Expr):
            if left.shape == ():
                return self.b.make(T.Scale, t, left, right)
            if right.shape == ():
                return self.b.make(T.Scale, t, right, left)
        return self.b.combine(T.ElementwiseProduct, left, right, t)

    def _starpow(self, t: Any) -> T.Expr:
        base, exponent = self.value(t.children[0]), self.value(t.children[2])
        self.b.check_exponent(exponent, t)
        return self.b.make(T.Power, t, base, exponent)

    def _neg(self, t: Any) -> T.Expr:
        return self.b.make(T.Neg, t, self.value(t.children[1]))

    def _dot(self, t: Any) -> Any:
        return self.b.product(self.value(t.children[0]), self.value(t.children[2]), t)

    def _juxt(self, t: Any) -> Any:
        left = self.build(t.children[0])
        if isinstance(left, _Func) and self.powered_call(t.children[1]):
            # f(x)^2 and f(x)**2 are (f(x))^2, as people write them.
            return self.call_then_power(left, t.children[1], t)
        right = self.build(t.children[1])
        if isinstance(left, _Func):
            return self.apply(left, right, t)
        if isinstance(left, _Curried):
            call = self.apply(left.func, right, t)
            return self.b.product(left.left, call, t)
        if isinstance(right, _Func):
            return _Curried(self.b.value(left, t.children[0]), right, t)
        return self.b.product(left, right, t)

    @staticmethod
    def powered_call(node: Any) -> bool:
        """Whether ``node`` is ``(args)^{k}`` or ``(args)**k``: a call's arguments, powered."""
        if not isinstance(node, Tree) or not node.children:
            return False
        first = node.children[0]
        if not (isinstance(first, Tree) and first.data in ("paren", "tuple")):
            return False
        if node.data == "starpow":
            return True
        return node.data == "scripted" and all(s.data == "sup_script" for s in node.children[1:])

    def call_then_power(self, func: _Func, node: Any, t: Any) -> T.Expr:
        call = self.apply(func, self.build(node.children[0]), t)
        if node.data == "starpow":
            exponent = self.value(node.children[2])
            self.b.check_exponent(exponent, t)
            return self.b.make(T.Power, t, call, exponent)
        if len(node.children) > 2:
            raise self.b.error("a double superscript", node)
        return self.decorate(call, None, self.script(node.children[1]), t)

    def apply(self, func: _Func, arg: Any, t: Any) -> T.Expr:
        args = arg.items if isinstance(arg, _Tuple) else [self.b.value(arg, t)]
        if func.function == "sum":
            if len(args) != 1:
                raise self.b.error(f"sum takes 1 argument, got {len(args)}", t)
            return self.b.make(T.Sum, t, args[0], func.axis)
        return self.b.make(T.Apply, t, func.function, tuple(args), func.order)

    def _font(self, t: Any) -> Any:
        return self.name(self.b.slice(t), [], t)

    def _text(self, t: Any) -> Any:
        return self.text_command(t, [], t)

    def _paren(self, t: Any) -> Any:
        return self.build(t.children[1])

    def _pos(self, t: Any) -> Any:
        return self.build(t.children[1])

    def _tuple(self, t: Any) -> _Tuple:
        return _Tuple([self.value(c) for c in t.children[1:-1:2]])

    def _indicator(self, t: Any) -> T.Expr:
        kids = [c for c in t.children if not _is(c, "ONE", "LPAR", "RPAR", "LBRACK", "RBRACK")]
        left, rel, right = kids
        relation = _relation(str(rel))
        return self.b.combine(
            lambda a, b: T.Indicator(a, relation, b), self.build(left), self.build(right), t
        )

    def _norm(self, t: Any) -> T.Expr:
        return self.b.make(T.Norm, t, self.value(t.children[1]))

    def _sqrt(self, t: Any) -> T.Expr:
        return self.b.make(T.Apply, t, "sqrt", (self.value(t.children[2]),), 0)

    def _frac(self, t: Any) -> T.Expr:
        num, den = self.value(t.children[2]), self.value(t.children[5])
        return self.b.make(T.Div, t, num, den)

    def _partial_frac(self, t: Any) -> T.Expr:
        name = canonical(self.b.slice(t))
        found = self.table.lookup(name)
        if found is not None:
            return self.b.symbol(found)
        kids = t.children
        num_end = next(i for i, c in enumerate(kids) if _is(c, "RBRACE"))
        of = canonical(self.text[self.b.end(kids[2]) : self.b.start(kids[num_end])])
        wrt_start, wrt_end = self.b.end(kids[num_end + 2]), self.b.start(kids[-1])
        of_entry = self.table.lookup(of)
        if of_entry is None:
            num_start = self.b.end(kids[2])
            raw = self.text[num_start : self.b.start(kids[num_end])]
            try:
                of_entry = (of, self.b.sub_parse(raw, num_start, "start", self).shape)
            except ExpressionError:
                of_entry = None
        if of_entry is None or of_entry[1] != ():
            why = "is not in the symbol table" if of_entry is None else "is not a scalar"
            raise self.b.error(
                f"the derivative {name} is not in the symbol table, and its shape cannot be "
                f"inferred because {of} {why}; known names: {self.table.known()}",
                t,
            )
        wrt = self.b.sub_parse(self.text[wrt_start:wrt_end], wrt_start, "start", self)
        return T.Symbol(name, wrt.shape)

    def _matrix(self, t: Any) -> T.Expr:
        begin, rows, end = t.children
        env = re.sub(r"\\begin\s*\{\s*|\s*\}", "", str(begin))
        if env not in _MATRIX_ENVS:
            what = "a case analysis" if env == "cases" else f"the environment {env}"
            raise self.b.error(f"{what} (\\begin{{{env}}}) is not a formula this reads", t)
        if env != re.sub(r"\\end\s*\{\s*|\s*\}", "", str(end)):
            raise self.b.error(f"\\begin{{{env}}} is closed by {end}", t)
        cells = [[c for c in row.children if not _is(c, "AMP")] for row in rows.children[::2]]
        count = sum(map(len, cells))
        if count > MAX_MATRIX_ENTRIES:
            raise self.b.error(
                f"the matrix has {count} entries; at most {MAX_MATRIX_ENTRIES} are allowed", t
            )
        values = tuple(tuple(self.value(c) for c in row) for row in cells)
        return self.b.make(T.MatrixLiteral, t, values)

    def _bigsum(self, t: Any) -> T.Expr:
        scripts = [c for c in t.children[1:-1]]
        sub = sup = None
        for s in scripts:
            if s.data == "sub_script" and sub is None:
                sub = self.script(s)
            elif s.data == "sup_script" and sup is None:
                sup = self.script(s)
            else:
                raise self.b.error("\\sum takes one lower and one upper limit", t)
        m = _SUM_FROM.match(sub.text) if sub else None
        if sub is None or sup is None or m is None:
            raise self.b.error(
                "a sum needs an index and its range, written \\sum_{i=1}^{n} or \\sum_i^n", t
            )
        index = m.group(1)
        if m.group(2) is None:
            lower: T.Expr = T.Constant(1)
        else:
            lower = self.b.sub_parse(m.group(2), sub.pos + m.start(2), "start", self)
        upper = self.b.sub_parse(sup.text, sup.pos, "start", self)
        with self.b.bound(index):
            body = self.value(t.children[-1])
        return self.b.make(T.IndexSum, t, index, lower, upper, body)

    # ------------------------------------------------------------ names and scripts

    def _scripted(self, t: Any) -> Any:
        atom, scripts = t.children[0], t.children[1:]
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
            return _Func(_FUNCTION_WORDS[str(head)[1:]], primes)
        if primes:
            raise self.b.error("a prime (') marks the derivative of a function", t)
        if kind == "ones" and sub is not None:
            return self.decorate(self.b.sized("1", sub.text, sub.pos, self, t), None, sup, t)
        base = self.build(atom)
        if isinstance(base, Pending):
            base = self.b.value(base, atom)
        return self.decorate(base, sub, sup, t)

    def script(self, s: Any) -> _Script:
        arg = s.children[1]
        if isinstance(arg, Token):
            return _Script(str(arg), self.b.start(arg))
        tokens = arg.children
        start, end = self.b.end(tokens[0]), self.b.start(tokens[-1])
        return _Script(self.text[start:end], start)

    def decorate(self, base: T.Expr, sub: _Script | None, sup: _Script | None, t: Any) -> T.Expr:
        """Apply a subscript (indices) and a superscript (transpose or power) to a value."""
        if sub is not None:
            base = self.index(base, sub, t)
        if sup is not None:
            m = _TRANSPOSE.match(sup.text)
            if m and not m.group(1):
                return self.b.make(T.Transpose, t, base)
            exponent = self.b.sub_parse(sup.text, sup.pos, "start", self)
            self.b.check_exponent(exponent, t)
            return self.b.make(T.Power, t, base, exponent)
        return base

    def index(self, base: T.Expr, sub: _Script, t: Any) -> T.Expr:
        tree = parse_tree(sub.text, "latex", "index_list", self.text, sub.pos)
        with self.b.index_context():
            items = []
            for item in tree.children:
                if _is(item, "COMMA"):
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

    def axis(self, sub: _Script | None, t: Any) -> int | None:
        if sub is None:
            return None
        m = re.fullmatch(r"\s*(-?)\s*(\d{1,2})\s*", sub.text)
        if m is None:
            raise self.b.error(f"the axis of a sum must be a whole number, got {sub.text!r}", t)
        return -int(m.group(2)) if m.group(1) else int(m.group(2))

    def word(self, word: str, scripts: list[Any], t: Any) -> Any:
        if word in _BARE_FUNCTIONS and word not in self.table.words:
            # exp(x), sqrt(x), relu(x): function names typed without a backslash.
            sub, sup, primes = scripts or [None, None, 0]
            if sub is not None or sup is not None:
                raise self.b.error(f"{word} takes no sub- or superscript here", t)
            return _Func(_FUNCTION_WORDS[word], primes)
        pieces = self.table.split_word(word)
        values = [self.name(p, [], t) for p in pieces[:-1]]
        last = self.name(pieces[-1], scripts, t)
        result: Any = None
        for v in [*values, last]:
            result = v if result is None else self.b.product(result, v, t)
        return result

    def text_command(self, atom: Any, scripts: list[Any], t: Any) -> Any:
        content = self.text[self.b.end(atom.children[1]) : self.b.start(atom.children[-1])]
        content = content.strip()
        sub, sup, primes = scripts or [None, None, 0]
        if content in _FUNCTION_WORDS or canonical(content) in self.table.extra_functions:
            if sub or sup:
                raise self.b.error(f"{content} takes no sub- or superscript here", t)
            extra = self.table.extra_functions.get(canonical(content))
            return _Func(_FUNCTION_WORDS.get(content) or extra or canonical(content), primes)
        if content == "sum" and not sup and not primes:
            return _Func("sum", 0, self.axis(sub, t))
        if self.table.lookup(canonical(content)) is not None:
            return self.name(content, scripts, t)
        raise self.b.error(
            f"{self.b.slice(atom)} is text, not a formula (nor a known function or symbol)", atom
        )

    def name(self, base: str, scripts: list[Any], t: Any) -> Any:
        """Resolve a written name with its scripts through the symbol table."""
        sub, sup, primes = scripts or [None, None, 0]
        sub_text = sub.text if sub else None
        sup_text = sup.text if sup else None
        func = self.function_name(base, sup_text, primes)
        if func is not None:
            if sub is not None:
                raise self.b.error(f"the function {base} takes no subscript", t)
            return func
        if primes:
            raise self.b.error(
                f"{base}' marks a derivative, but {base} is not a known function; "
                "declare it with functions={...}",
                t,
            )
        lookup = self.table.lookup
        stripped = None
        if sup_text is not None:
            m = _TRANSPOSE.match(sup_text)
            stripped = m.group(1) if m else None
        attempts: list[tuple[str | None, str | None, bool, bool]] = [
            # (sub in name, sup in name, sub is an index, transpose)
            (sub_text, sup_text, False, False),
            (sub_text, stripped, False, True),
            (None, sup_text, True, False),
            (None, stripped, True, True),
            (sub_text, None, False, False),
            (None, None, True, False),
        ]
        for s_name, p_name, sub_index, transpose in attempts:
            if (p_name is None and sup_text is not None and transpose) or (
                s_name is None and sub_text is not None and not sub_index
            ):
                continue
            if transpose and stripped is None:
                continue
            found = lookup(compose(base, s_name, p_name or None))
            if found is None:
                continue
            value: T.Expr = self.b.symbol(found)
            if sub_index and sub is not None:
                if value.shape == ():
                    continue
                value = self.index(value, sub, t)
            if transpose:
                return self.b.make(T.Transpose, t, value)
            if p_name is None and sup is not None:
                if sup_text and sup_text.lstrip()[:1] in "([":
                    continue
                return self.decorate(value, None, sup, t)
            return value
        return self.unknown(base, sub, sup, t)

    def function_name(self, base: str, sup: str | None, primes: int) -> _Func | None:
        extra = self.table.extra_functions
        for key in (compose(base, None, sup), compose(base, None, None)):
            if key in extra and (key != compose(base, None, None) or sup is None):
                return _Func(extra[key] or key, primes)
        if base == "\\sigma" and self.table.lookup("\\sigma") is None and sup is None:
            return _Func("sigmoid", primes)
        return None

    def unknown(self, base: str, sub: _Script | None, sup: _Script | None, t: Any) -> Any:
        written = compose(base, sub.text if sub else None, sup.text if sup else None)
        if written in self.table.dims:
            return T.Size(written)
        if sub is None and sup is None:
            if base in self.table.dims:
                return T.Size(base)
            if len(base) == 1 and self.b.is_index(base):
                return T.IndexVar(base)
            if base in ("I", "u"):
                return Unsized("identity" if base == "I" else "ones", None)
        if base in ("I", "u") and sub is not None:
            return self.decorate(self.b.sized(base, sub.text, sub.pos, self, t), None, sup, t)
        if base == "e" and sup is not None and sub is None:
            exponent = self.b.sub_parse(sup.text, sup.pos, "start", self)
            return self.b.make(T.Apply, t, "exp", (exponent,), 0)
        if base == "\\partial":
            raise self.b.error(
                "\\partial is read only in a derivative \\frac{\\partial y}{\\partial x}", t
            )
        if re.fullmatch(r"\\[A-Za-z]+", base) and base[1:] not in _GREEK and not sub and not sup:
            raise self.b.error(f"unexpected command {base}", t)
        raise self.b.error(f"unknown symbol {written}; known names: {self.table.known()}", t)


def _is(node: Any, *types: str) -> bool:
    return isinstance(node, Token) and node.type in types


def _relation(text: str) -> str:
    found = relation_of(text)
    return found.symbol if found is not None else text.strip()
