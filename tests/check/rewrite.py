"""Equivalent rewritings of a reference tree, as a student might write the same gradient.

Each rewriting changes the form, never the value: commuted Hadamard factors and sums,
transposes distributed or factored out, ``[z >= 0]`` or ``relu'(z)`` for ``[z > 0]``,
``a + (-b)`` for ``a - b``, a scalar moved into a product, ``\\top`` for ``T``, ...
"""

from __future__ import annotations

import re
from collections.abc import Callable
from fractions import Fraction

from chainrule.check.trees import rebuild
from chainrule.errors import ExpressionError
from chainrule.expr import tree as T
from chainrule.expr.render import to_latex

Rule = Callable[[T.Expr], "T.Expr | None"]


def _everywhere(rule: Rule) -> Callable[[T.Expr], T.Expr]:
    def visit(node: T.Expr) -> T.Expr | None:
        out = rule(node)
        return None if out is None else rebuild_children(out)

    def rebuild_children(node: T.Expr) -> T.Expr:
        kids = {id(k): rebuild(k, visit) for k in node.children()}
        return rebuild(node, lambda n: kids.get(id(n)) if n is not node else None)

    return lambda tree: rebuild(tree, visit)


def _swap_hadamard(n):
    return T.ElementwiseProduct(n.right, n.left) if isinstance(n, T.ElementwiseProduct) else None


def _swap_add(n):
    return T.Add(n.right, n.left) if isinstance(n, T.Add) else None


def _distribute(n):
    if isinstance(n, T.Transpose) and isinstance(n.operand, T.MatMul):
        m = n.operand
        return T.MatMul(T.Transpose(m.right), T.Transpose(m.left))
    return None


def _geq(n):
    if isinstance(n, T.Indicator) and n.relation == ">":
        return T.Indicator(n.left, ">=", n.right)
    return None


def _relu_prime(n):
    if isinstance(n, T.Indicator) and n.relation == ">" and n.right == T.Constant(0):
        return T.Apply("relu", (n.left,), 1)
    return None


def _sub_as_add(n):
    return T.Add(n.left, T.Neg(n.right)) if isinstance(n, T.Sub) else None


def _scale_inside(n):
    if isinstance(n, T.Scale) and isinstance(n.operand, T.MatMul):
        m = n.operand
        return T.MatMul(T.Scale(n.factor, m.left), m.right)
    return None


TREE_RULES: list[Callable[[T.Expr], T.Expr]] = [
    _everywhere(r)
    for r in (_swap_hadamard, _swap_add, _distribute, _geq, _relu_prime, _sub_as_add, _scale_inside)
]
ROOT_RULES: list[Callable[[T.Expr], T.Expr]] = [
    lambda t: T.Scale(T.Constant(1), t),
    lambda t: T.Sub(T.Scale(T.Constant(2), t), t),
    lambda t: T.Neg(T.Neg(t)),
    lambda t: T.Scale(T.Constant(Fraction(1, 2)), T.Add(t, t)),
    lambda t: T.Transpose(T.Transpose(t)),
    lambda t: T.Add(t, T.Scale(T.Constant(0), t)),
    lambda t: T.Div(t, T.Constant(1)),
    lambda t: T.Div(T.Scale(T.Constant(3), t), T.Constant(3)),
    lambda t: T.Sub(T.Scale(T.Constant(Fraction(3, 2)), t), T.Scale(T.Constant(Fraction(1, 2)), t)),
]
TEXT_RULES: list[Callable[[str], str]] = [
    lambda s: re.sub(r"\^\{?T\}?", r"^\\top", s),
    lambda s: s.replace("(", "\\left(").replace(")", "\\right)"),
    lambda s: re.sub(r"\[([^\[\]]*>[^\[\]]*)\]", r"\\mathbb{1}[\1]", s),
    lambda s: s.replace(" ", " \\, "),
    lambda s: f"\\left({s}\\right)",
]


def rewritings(tree: T.Expr) -> list[str]:
    """Distinct LaTeX texts for trees equal in value to ``tree`` (the reference's own
    text excluded)."""
    own = to_latex(tree)
    texts: list[str] = []
    trees = []
    for rule in TREE_RULES + ROOT_RULES:
        try:
            trees.append(rule(tree))
        except ExpressionError:
            continue
    texts += [to_latex(t) for t in trees]
    texts += [rule(own) for rule in TEXT_RULES]
    texts += [TEXT_RULES[0](to_latex(t)) for t in trees[:3]]
    return [t for t in dict.fromkeys(texts) if t != own]
