"""The arithmetic of the expression tree: sums, products, quotients, powers, transposes.

Element-wise kinds broadcast as NumPy does (:class:`~chainrule.expr.nodes.base.BroadcastNode`);
:class:`MatMul` follows NumPy's ``@`` for vectors and matrices.
"""

from __future__ import annotations

from dataclasses import dataclass

from chainrule.expr.nodes.base import BroadcastNode, Expr, broadcast_shape, fail, require_scalar
from chainrule.expr.shapes import Shape, format_shape, same_dim

__all__ = [
    "Add",
    "Div",
    "ElementwiseProduct",
    "MatMul",
    "Neg",
    "Power",
    "Scale",
    "Sub",
    "Transpose",
]


@dataclass(frozen=True)
class Add(BroadcastNode, kind="a sum"):
    """``left + right``, element-wise with NumPy broadcasting."""


@dataclass(frozen=True)
class Sub(BroadcastNode, kind="a difference"):
    """``left - right``, element-wise with NumPy broadcasting."""


@dataclass(frozen=True)
class Neg(Expr):
    """``-operand``."""

    operand: Expr

    def __post_init__(self) -> None:
        self._set_shape(self.operand.shape)


@dataclass(frozen=True)
class Scale(Expr):
    """A scalar times anything: ``factor * operand``, where ``factor.shape == ()``.

    A product of two scalars is a Scale too (``(x + y) z``); the written order is kept
    when the left side is the scalar, otherwise the scalar becomes the factor.
    """

    factor: Expr
    operand: Expr

    def __post_init__(self) -> None:
        require_scalar(self.factor, "the factor of a scaling")
        self._set_shape(self.operand.shape)


@dataclass(frozen=True)
class MatMul(Expr):
    """The matrix product ``left @ right``: ``(a, b) @ (b, c) -> (a, c)``.

    A 1-D operand acts as NumPy treats it: ``(b,) @ (b, c) -> (c,)``,
    ``(a, b) @ (b,) -> (a,)`` and ``(b,) @ (b,) -> ()``.
    """

    left: Expr
    right: Expr

    def __post_init__(self) -> None:
        a, b = self.left.shape, self.right.shape
        if len(a) not in (1, 2) or len(b) not in (1, 2):
            fail(
                "a matrix product needs vectors or matrices: left has shape "
                f"{format_shape(a)}, right has shape {format_shape(b)}"
            )
        inner_left = a[-1]
        inner_right = b[0] if len(b) == 1 else b[-2]
        if not same_dim(inner_left, inner_right):
            needed = (inner_left, *b[1:]) if len(b) == 2 else (inner_left,)
            fail(
                f"a matrix product needs the inner sizes to agree: left has shape "
                f"{format_shape(a)}, right has shape {format_shape(b)} where "
                f"{format_shape(needed)} is needed{_transposed_hint(a, b)}"
            )
        self._set_shape(a[:-1] + b[1:])


def _transposed_hint(a: Shape, b: Shape) -> str:
    """Which factor of two matrices that do not fit looks transposed or swapped, if any."""
    if len(a) == 2 and len(b) == 2:
        if same_dim(a[0], b[0]):
            return "; the left factor looks transposed"
        if same_dim(a[1], b[1]):
            return "; the right factor looks transposed"
        if same_dim(a[0], b[1]):
            return "; the factors look swapped"
    return ""


@dataclass(frozen=True)
class ElementwiseProduct(BroadcastNode, kind="an element-wise product"):
    """The element-wise (Hadamard) product ``left ⊙ right``, with broadcasting."""


@dataclass(frozen=True)
class Div(Expr):
    """``numerator / denominator``: division by a scalar, or element-wise with broadcasting."""

    numerator: Expr
    denominator: Expr

    def __post_init__(self) -> None:
        self._set_shape(broadcast_shape("a division", self.numerator, self.denominator))


@dataclass(frozen=True)
class Transpose(Expr):
    """``operand^T``: reverses the axes of a matrix; a vector or scalar keeps its shape."""

    operand: Expr

    def __post_init__(self) -> None:
        if len(self.operand.shape) > 2:
            fail(f"a transpose needs at most 2 axes, got {format_shape(self.operand.shape)}")
        self._set_shape(tuple(reversed(self.operand.shape)))


@dataclass(frozen=True)
class Power(Expr):
    """``base ** exponent``, element-wise; the exponent is a scalar."""

    base: Expr
    exponent: Expr

    def __post_init__(self) -> None:
        require_scalar(self.exponent, "an exponent")
        self._set_shape(self.base.shape)
