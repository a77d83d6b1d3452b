"""Generic maps over trees: rebuild bottom-up, substitute symbols, move transposes.

These are what turns one formula into another without writing it twice: a layer writes its
formulas once, in the engine's row-major layout, and the other layouts are rewrites of those
trees (:func:`substitute` a symbol by its transpose, then :func:`transpose` the result, then
:func:`simplify`). Every walk here is iterative, so a deep tree cannot exhaust the stack.

>>> from chainrule.expr import tree as T
>>> X, W = T.Symbol("X", ("n", 3)), T.Symbol("W", (2, 3))
>>> str(transpose(T.MatMul(X, T.Transpose(W))))
'W @ X.T'
>>> str(simplify(T.Transpose(T.Transpose(X))))
'X'
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from fractions import Fraction
from typing import Any

from chainrule.errors import ExpressionError
from chainrule.expr import tree as T
from chainrule.expr.shapes import format_shape

__all__ = [
    "as_column",
    "constant",
    "fold",
    "rebuild",
    "simplify",
    "substitute",
    "symbols_of",
    "transpose",
]


def fold(expr: T.Expr, combine: Callable[[T.Expr, list[Any]], Any]) -> Any:
    """Combine results bottom-up: ``combine(node, [result of each child])``, children in
    :meth:`~chainrule.expr.tree.Expr.children` order. Shared sub-trees are folded once."""
    done: dict[int, Any] = {}
    stack: list[tuple[T.Expr, bool]] = [(expr, False)]
    while stack:
        node, ready = stack.pop()
        if id(node) in done:
            continue
        kids = node.children()
        if ready:
            done[id(node)] = combine(node, [done[id(k)] for k in kids])
        else:
            stack.append((node, True))
            stack.extend((k, False) for k in reversed(kids) if id(k) not in done)
    return done[id(expr)]


def _with_children(node: T.Expr, new: list[T.Expr]) -> T.Expr:
    """``node`` with its children replaced (in ``children()`` order); the same object when
    nothing changed. The node's own checks (shapes) run again on the new children."""
    old = node.children()
    if all(a is b for a, b in zip(old, new, strict=True)):
        return node
    it = iter(new)

    def swap(value: Any) -> Any:
        if isinstance(value, T.Expr):
            return next(it)
        if isinstance(value, tuple):
            return tuple(swap(v) for v in value)
        return value

    changes = {f.name: swap(getattr(node, f.name)) for f in dataclasses.fields(node)}  # type: ignore[arg-type]
    return dataclasses.replace(node, **changes)  # type: ignore[type-var]


def rebuild(expr: T.Expr, visit: Callable[[T.Expr], T.Expr | None]) -> T.Expr:
    """Rebuild a tree bottom-up: each node gets its rebuilt children, then ``visit(node)``
    may return a replacement (or None to keep it)."""

    def combine(node: T.Expr, kids: list[T.Expr]) -> T.Expr:
        node = _with_children(node, kids)
        out = visit(node)
        return node if out is None else out

    return fold(expr, combine)


def substitute(expr: T.Expr, mapping: Mapping[str, T.Expr]) -> T.Expr:
    """Replace each :class:`~chainrule.expr.tree.Symbol` named in ``mapping`` by its tree.

    The replacement need not have the symbol's shape (a bias ``b`` of shape (d,) may become
    ``b'^T`` of shape (1, d)); the parents check that the new shapes still fit."""
    return rebuild(expr, lambda e: mapping.get(e.name) if isinstance(e, T.Symbol) else None)


def symbols_of(expr: T.Expr) -> dict[str, T.Symbol]:
    """The symbols a tree mentions, by name."""
    return {n.name: n for n in expr.walk() if isinstance(n, T.Symbol)}


def _is_one(e: T.Expr) -> bool:
    return isinstance(e, T.Constant) and e.value == 1


def _simplify_node(e: T.Expr) -> T.Expr | None:
    if isinstance(e, T.Transpose):
        inner = e.operand
        if not inner.shape:
            return inner  # a scalar is its own transpose
        if isinstance(inner, T.Transpose):
            return inner.operand
    if isinstance(e, T.Norm) or (isinstance(e, T.Sum) and e.axis is None):
        # a norm or a full sum does not see a transpose: ||y^T - t^T|| is ||y - t||
        inner = _untransposed(e.operand)
        if inner is not None:
            return type(e)(inner)
    if isinstance(e, T.MatMul) and isinstance(e.right, T.Ones) and e.right.dims == (1, 1):
        return e.left  # a sum over a batch of one example
    if isinstance(e, T.Neg) and isinstance(e.operand, T.Neg):
        return e.operand.operand
    if isinstance(e, T.Scale) and _is_one(e.factor):
        return e.operand
    if isinstance(e, T.Div) and _is_one(e.denominator):
        return e.numerator
    return None


def _untransposed(e: T.Expr) -> T.Expr | None:
    """``x`` when ``e`` is ``x^T`` or an element-wise combination of transposes (and of
    scalars), else None."""
    if not e.shape:
        return e
    if isinstance(e, T.Transpose):
        return e.operand
    parts: list[T.Expr | None]
    if isinstance(e, _ELEMENTWISE):
        parts = [_untransposed(e.left), _untransposed(e.right)]
        return None if None in parts else type(e)(*parts)
    if isinstance(e, T.Neg | T.Scale):
        inner = _untransposed(e.operand)
        if inner is None:
            return None
        return T.Neg(inner) if isinstance(e, T.Neg) else T.Scale(e.factor, inner)
    if isinstance(e, T.Apply) and e.function != "softmax":
        parts = [_untransposed(a) for a in e.args]
        return None if None in parts else T.Apply(e.function, tuple(parts), e.order)
    return None


def simplify(expr: T.Expr) -> T.Expr:
    """Drop what changes nothing: ``(A^T)^T -> A``, the transpose of a scalar,
    ``--a -> a``, ``1 a -> a``, ``a / 1 -> a``, ``A 1_{1x1} -> A``, and the transposes
    under a norm or a full sum (``||y^T - t^T|| -> ||y - t||``). Never changes a value."""
    return rebuild(expr, _simplify_node)


_ELEMENTWISE = (T.Add, T.Sub, T.ElementwiseProduct, T.Div)


def transpose(expr: T.Expr) -> T.Expr:
    """A tree for ``expr^T`` with the transposes moved down to the leaves.

    ``(A B)^T = B^T A^T``; sums, element-wise products and element-wise functions transpose
    term by term (a term of shape (1, d) broadcast against (n, d) becomes (d, 1)); a scalar
    factor stays. Where no rule applies (a row-wise softmax, an index), the node is wrapped
    in a :class:`~chainrule.expr.tree.Transpose`. The result is simplified.

    Raises
    ------
    ExpressionError
        For a value with more than two axes.
    """
    if len(expr.shape) > 2:
        raise ExpressionError(f"cannot transpose a value of shape {format_shape(expr.shape)}")

    def combine(node: T.Expr, kids: list[tuple[T.Expr, T.Expr]]) -> tuple[T.Expr, T.Expr]:
        plain = _with_children(node, [p for p, _ in kids])
        try:
            return plain, _transposed(plain, [t for _, t in kids])
        except ExpressionError:
            # the transposed children do not fit together (a broadcast that only works one
            # way round): keep this node whole under one transpose
            return plain, T.Transpose(plain) if len(plain.shape) == 2 else plain

    return simplify(fold(expr, combine)[1])


def _transposed(e: T.Expr, kids: list[T.Expr]) -> T.Expr:
    """``e^T`` given the transposes of ``e``'s children (each already pushed down)."""
    if len(e.shape) < 2 and not isinstance(e, T.MatMul):
        return e
    if isinstance(e, T.Transpose):
        return e.operand
    if isinstance(e, T.Symbol | T.Ones):
        return T.Transpose(e)
    if isinstance(e, T.MatMul):
        left, right = kids
        if len(e.shape) < 2:
            return e
        return T.MatMul(right, left)
    if isinstance(e, _ELEMENTWISE):
        return type(e)(*kids)
    if isinstance(e, T.Scale):
        return T.Scale(e.factor, kids[1])
    if isinstance(e, T.Neg):
        return T.Neg(kids[0])
    if isinstance(e, T.Power):
        return T.Power(kids[0], e.exponent)
    if isinstance(e, T.Indicator):
        return T.Indicator(kids[0], e.relation, kids[1])
    if isinstance(e, T.Apply) and e.function != "softmax":
        return T.Apply(e.function, tuple(kids), e.order)
    if isinstance(e, T.MatrixLiteral):
        return T.MatrixLiteral(tuple(zip(*e.rows, strict=True)))
    return T.Transpose(e)


def as_column(expr: T.Expr, ones_row: T.Expr | None = None) -> T.Expr:
    """A tree of shape (d, 1) for a vector ``expr`` of shape (d,), built from transposes.

    Handles what a bias gradient is made of: ``1_n^T G`` (shape (d,)) becomes ``G^T 1``
    with the column of ones written ``ones_row^T`` when ``ones_row`` (shape (1, n), as
    seed 004's ``u``) is given; sums, differences, scalings and negations of such terms.

    Raises
    ------
    ExpressionError
        For a vector made another way (the message names the node).
    """
    if len(expr.shape) != 1:
        raise ExpressionError(f"as_column needs a vector, got shape {format_shape(expr.shape)}")
    e = expr
    if isinstance(e, T.MatMul) and len(e.left.shape) == 1 and len(e.right.shape) == 2:
        return simplify(T.MatMul(transpose(e.right), _ones_column(e.left, ones_row)))
    if isinstance(e, T.Add | T.Sub):
        return type(e)(as_column(e.left, ones_row), as_column(e.right, ones_row))
    if isinstance(e, T.Scale):
        return T.Scale(e.factor, as_column(e.operand, ones_row))
    if isinstance(e, T.Neg):
        return T.Neg(as_column(e.operand, ones_row))
    if isinstance(e, T.Transpose):
        return as_column(e.operand, ones_row)
    raise ExpressionError(f"cannot write {e} (a {type(e).__name__}) as a column")


def _ones_column(vector: T.Expr, ones_row: T.Expr | None) -> T.Expr:
    inner = vector.operand if isinstance(vector, T.Transpose) else vector
    if not isinstance(inner, T.Ones):
        raise ExpressionError(f"cannot write {vector} as a column of ones")
    (n,) = inner.dims
    if ones_row is not None and ones_row.shape == (1, n):
        return T.Transpose(ones_row)
    return T.Ones((n, 1))


def constant(value: int | Fraction) -> T.Expr:
    """A rational number as a tree: ``Constant`` or ``Neg(Constant)`` for a negative one."""
    q = Fraction(value)
    return T.Neg(T.Constant(-q)) if q < 0 else T.Constant(q)
