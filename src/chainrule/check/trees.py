"""The tree maps the hypotheses need beyond :mod:`chainrule.expr.maps`: replace one node.

:func:`chainrule.expr.maps.rebuild` rebuilds bottom-up and sees every node; a mutation
instead replaces one node of the original tree, found by identity (``id``), top-down, and
decides itself which of that node's sub-trees are rebuilt (a dropped mask keeps only the
other factor), so that two mutations compose. A sub-formula that appears twice can be
changed in one place only. A replacement that no longer fits (shapes) raises
:class:`~chainrule.errors.ExpressionError`; callers skip such a mutation.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from fractions import Fraction
from functools import cache

from chainrule.expr import tree as T

__all__ = ["flatten_terms", "rebuild"]


def rebuild(tree: T.Expr, change: Callable[[T.Expr], T.Expr | None]) -> T.Expr:
    """A copy of ``tree`` where each node for which ``change`` gives a node is replaced.

    ``change`` sees the original nodes, parents before children; a replaced node's
    children are not visited. Shapes are recomputed bottom-up.
    """
    new = change(tree)
    if new is not None:
        return new
    updates = {}
    changed = False
    for name in _field_names(type(tree)):
        value = getattr(tree, name)
        if isinstance(value, T.Expr):
            out = rebuild(value, change)
        elif isinstance(value, tuple) and any(_holds_expr(v) for v in value):
            out = _rebuild_item(value, change)
        else:
            continue
        if out is not value:
            changed = True
            updates[name] = out
    if not changed:
        return tree
    return dataclasses.replace(tree, **updates)  # type: ignore[type-var]


@cache
def _field_names(cls: type) -> tuple[str, ...]:
    return tuple(f.name for f in dataclasses.fields(cls))  # type: ignore[arg-type]


def _holds_expr(v: object) -> bool:
    return isinstance(v, T.Expr) or (isinstance(v, tuple) and any(_holds_expr(x) for x in v))


def _rebuild_item(v: object, change: Callable[[T.Expr], T.Expr | None]) -> object:
    if isinstance(v, T.Expr):
        return rebuild(v, change)
    if isinstance(v, tuple):
        items = tuple(_rebuild_item(x, change) for x in v)
        return v if all(a is b for a, b in zip(items, v, strict=True)) else items
    return v


def flatten_terms(tree: T.Expr) -> list[tuple[Fraction | str, T.Expr]]:
    """The terms of a sum as (coefficient, term) pairs: ``a - n b`` gives ``[(1, a), (-n, b)]``.

    A coefficient is a Fraction, or the name of a size (``"n"``) with a sign (``"-n"``)
    where the term is scaled by a size. Only the top-level sum is split.
    """
    out: list[tuple[Fraction | str, T.Expr]] = []

    def visit(node: T.Expr, sign: int) -> None:
        if isinstance(node, T.Add):
            visit(node.left, sign)
            visit(node.right, sign)
        elif isinstance(node, T.Sub):
            visit(node.left, sign)
            visit(node.right, -sign)
        elif isinstance(node, T.Neg):
            visit(node.operand, -sign)
        elif isinstance(node, T.Scale) and isinstance(node.factor, T.Constant):
            out.append((sign * node.factor.value, node.operand))
        elif (
            isinstance(node, T.Scale)
            and isinstance(node.factor, T.Scale)
            and isinstance(node.factor.factor, T.Constant)
        ):
            inner = T.Scale(node.factor.operand, node.operand)
            out.append((sign * node.factor.factor.value, inner))
        elif isinstance(node, T.Scale) and isinstance(node.factor, T.Size):
            out.append((("-" if sign < 0 else "") + node.factor.name, node.operand))
        else:
            out.append((Fraction(sign), node))

    visit(tree, 1)
    return out
