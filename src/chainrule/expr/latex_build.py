"""From a Lark parse tree of LaTeX to an :class:`~chainrule.expr.tree.Expr`.

The grammar leaves meaning open where LaTeX does: ``W_2 X`` is a matrix product or a
scaling depending on shapes, ``W^3`` is a name, a power or a layer depending on the
symbol table, ``\\sigma(z)`` is a function applied or a product. The reader decides,
and every error it raises points at the sub-formula it was building.

The reader is one walker (this module: dispatch by grammar rule, the leaves) with its
rules in parts, one idea each: :mod:`~chainrule.expr.latex_operators` (operators and
calls), :mod:`~chainrule.expr.latex_structures` (matrices, indexed sums, written
derivatives), :mod:`~chainrule.expr.latex_scripts` (sub- and superscripts) and
:mod:`~chainrule.expr.latex_names` (names through the symbol table); what they share is in
:mod:`~chainrule.expr.latex_pieces`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from lark import Token

from chainrule.expr import tree as T
from chainrule.expr.build_common import Builder, Unsized
from chainrule.expr.grammar import parse_tree
from chainrule.expr.latex_names import NameReader
from chainrule.expr.latex_operators import OperatorReader
from chainrule.expr.latex_pieces import FUNCTION_WORDS, Func, is_token
from chainrule.expr.latex_scripts import ScriptReader
from chainrule.expr.latex_structures import StructureReader

__all__ = ["LatexReader", "build_latex"]


def build_latex(text: str, builder: Builder) -> T.Expr:
    """Parse LaTeX ``text`` and build its tree with ``builder``'s symbol table."""
    return LatexReader(builder).value(parse_tree(text, "latex"))


class LatexReader(OperatorReader, StructureReader, ScriptReader, NameReader):
    """The walker over a LaTeX parse tree: ``build`` calls the rule named after each node
    (``_add`` for an ``add`` node), ``value`` insists that the result is a value."""

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
            return Func(FUNCTION_WORDS[str(tok)[1:]], 0)
        if kind == "ONE":
            return Unsized("ones", None)
        raise self.b.error(f"unexpected {str(tok)!r}", t)

    def _number(self, t: Any) -> Any:
        return self.leaf(t.children[0], t)

    _word = _greek = _command = _func = _ones = _number

    def _equation(self, t: Any) -> T.Expr:
        sides = [self.value(c) for c in t.children if not is_token(c, "EQ")]
        return self.b.make(T.Equation, t, tuple(sides))

    def _font(self, t: Any) -> Any:
        return self.name(self.b.slice(t), [], t)

    def _text(self, t: Any) -> Any:
        return self.text_command(t, [], t)

    def _paren(self, t: Any) -> Any:
        return self.build(t.children[1])

    def _pos(self, t: Any) -> Any:
        return self.build(t.children[1])
