"""The leaves of the expression tree: names, sizes, index variables, numbers, ``I``, ``1``.

A leaf has no sub-expression; its ``depth`` is 1.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from chainrule.expr.nodes.base import Expr, ScalarNode, fail
from chainrule.expr.shapes import Dim, Shape

__all__ = ["Constant", "IdentityMatrix", "IndexVar", "Ones", "Size", "Slice", "Symbol"]


@dataclass(frozen=True)
class Symbol(Expr):
    """A named quantity from the symbol table, such as ``W^{(3)}`` or ``\\delta``.

    ``name`` is the key of the symbol table as the caller wrote it; ``shape`` its shape.
    A partial derivative written as a fraction (``\\frac{\\partial L}{\\partial f}``) is
    also a Symbol, named by that fraction.
    """

    name: str
    shape: Shape


@dataclass(frozen=True)
class Size(ScalarNode):
    """A dimension name used as a number, such as ``n`` in ``\\frac{1}{n}``; a scalar."""

    name: str


@dataclass(frozen=True)
class IndexVar(ScalarNode):
    """An index variable such as ``i`` in ``x_i``, bound by :class:`IndexSum` or by the values.

    A scalar: shape ``()``.
    """

    name: str


@dataclass(frozen=True)
class Constant(Expr):
    """A non-negative rational number; ``-2`` is ``Neg(Constant(2))``."""

    value: Fraction

    def __post_init__(self) -> None:
        value = self.value
        if isinstance(value, bool) or not isinstance(value, int | Fraction):
            fail(f"a constant must be an int or Fraction, got {value!r}")
        if value < 0:
            fail(f"a constant must not be negative (write Neg), got {value}")
        object.__setattr__(self, "value", Fraction(value))
        self._set_shape(())


@dataclass(frozen=True)
class IdentityMatrix(Expr):
    """The identity matrix ``I`` of shape ``(size, size)`` (not the layer ``cr.Identity``)."""

    size: Dim

    def __post_init__(self) -> None:
        self._set_shape((self.size, self.size))


@dataclass(frozen=True)
class Ones(Expr):
    """An array of ones (``\\mathbf{1}``) of shape ``dims``."""

    dims: Shape

    def __post_init__(self) -> None:
        if not self.dims:
            fail("an array of ones needs at least one axis (the scalar one is Constant(1))")
        self._set_shape(tuple(self.dims))


@dataclass(frozen=True)
class Slice(ScalarNode):
    """A whole axis inside :class:`Index` (written ``:``, ``\\cdot`` or left empty)."""
