"""The LaTeX reader's names: what a written name with its scripts stands for.

``W_2^T`` may be the symbol ``W_2`` transposed, ``W`` indexed at 2 and transposed, or the
symbol ``W_2^T`` itself; the symbol table decides, trying the readings in a fixed order.
A name that is no symbol may be a function (``\\sigma``, a declared ``g^{[l]}``), a
dimension used as a number, an index variable, ``I`` or ``\\mathbf{1}``, or ``e^{x}``.
"""

from __future__ import annotations

import re
from typing import Any

from chainrule.expr import tree as T
from chainrule.expr.build_common import Unsized
from chainrule.expr.latex_pieces import (
    BARE_FUNCTIONS,
    FUNCTION_WORDS,
    TRANSPOSE,
    Func,
    ReaderPart,
    Script,
)
from chainrule.expr.symbols import _GREEK, canonical, compose

__all__ = ["NameReader"]


class NameReader(ReaderPart):
    """The resolution of written names through the symbol table, mixed into the reader."""

    def word(self, word: str, scripts: list[Any], t: Any) -> Any:
        if word in BARE_FUNCTIONS and word not in self.table.words:
            # exp(x), sqrt(x), relu(x): function names typed without a backslash.
            sub, sup, primes = scripts or [None, None, 0]
            if sub is not None or sup is not None:
                raise self.b.error(f"{word} takes no sub- or superscript here", t)
            return Func(FUNCTION_WORDS[word], primes)
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
        if content in FUNCTION_WORDS or canonical(content) in self.table.extra_functions:
            if sub or sup:
                raise self.b.error(f"{content} takes no sub- or superscript here", t)
            extra = self.table.extra_functions.get(canonical(content))
            return Func(FUNCTION_WORDS.get(content) or extra or canonical(content), primes)
        if content == "sum" and not sup and not primes:
            return Func("sum", 0, self.axis(sub, t))
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
            m = TRANSPOSE.match(sup_text)
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

    def function_name(self, base: str, sup: str | None, primes: int) -> Func | None:
        extra = self.table.extra_functions
        for key in (compose(base, None, sup), compose(base, None, None)):
            if key in extra and (key != compose(base, None, None) or sup is None):
                return Func(extra[key] or key, primes)
        if base == "\\sigma" and self.table.lookup("\\sigma") is None and sup is None:
            return Func("sigmoid", primes)
        return None

    def unknown(self, base: str, sub: Script | None, sup: Script | None, t: Any) -> Any:
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
