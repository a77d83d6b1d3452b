"""The LaTeX reader's operators and calls: ``+``, ``-``, ``\\odot``, ``*``, ``/``, ``**``,
juxtaposition and ``\\cdot``, function calls (``\\sigma(z)``, ``f(x)^2``), ``[a > b]``,
``\\|x\\|``, ``\\sqrt{}`` and ``\\frac{}{}``.

Juxtaposition decides by what stands on each side: a function name takes the value after
it as its argument, two values make a product (scaling or matrix product by shape).
"""

from __future__ import annotations

from typing import Any

from lark import Tree

from chainrule.expr import tree as T
from chainrule.expr.latex_pieces import (
    Arguments,
    Curried,
    Func,
    ReaderPart,
    is_token,
    relation_symbol,
)

__all__ = ["OperatorReader"]


class OperatorReader(ReaderPart):
    """The rules of the LaTeX grammar's operators, mixed into the reader."""

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
            return self.b.scale_or(T.ElementwiseProduct, left, right, t)
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
        if isinstance(left, Func) and self.powered_call(t.children[1]):
            # f(x)^2 and f(x)**2 are (f(x))^2, as people write them.
            return self.call_then_power(left, t.children[1], t)
        right = self.build(t.children[1])
        if isinstance(left, Func):
            return self.apply(left, right, t)
        if isinstance(left, Curried):
            call = self.apply(left.func, right, t)
            return self.b.product(left.left, call, t)
        if isinstance(right, Func):
            return Curried(self.b.value(left, t.children[0]), right, t)
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

    def call_then_power(self, func: Func, node: Any, t: Any) -> T.Expr:
        call = self.apply(func, self.build(node.children[0]), t)
        if node.data == "starpow":
            exponent = self.value(node.children[2])
            self.b.check_exponent(exponent, t)
            return self.b.make(T.Power, t, call, exponent)
        if len(node.children) > 2:
            raise self.b.error("a double superscript", node)
        return self.decorate(call, None, self.script(node.children[1]), t)

    def apply(self, func: Func, arg: Any, t: Any) -> T.Expr:
        args = arg.items if isinstance(arg, Arguments) else [self.b.value(arg, t)]
        if func.function == "sum":
            if len(args) != 1:
                raise self.b.error(f"sum takes 1 argument, got {len(args)}", t)
            return self.b.make(T.Sum, t, args[0], func.axis)
        return self.b.make(T.Apply, t, func.function, tuple(args), func.order)

    def _tuple(self, t: Any) -> Arguments:
        return Arguments([self.value(c) for c in t.children[1:-1:2]])

    def _indicator(self, t: Any) -> T.Expr:
        kids = [c for c in t.children if not is_token(c, "ONE", "LPAR", "RPAR", "LBRACK", "RBRACK")]
        left, rel, right = kids
        relation = relation_symbol(str(rel))
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
