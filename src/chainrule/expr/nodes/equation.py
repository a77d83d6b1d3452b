"""The equation node: ``a = b = c``, sides of one shape."""

from __future__ import annotations

from dataclasses import dataclass

from chainrule.expr.nodes.base import Expr, fail
from chainrule.expr.shapes import Shape, format_shape, same_dim

__all__ = ["Equation"]


@dataclass(frozen=True)
class Equation(Expr):
    """``sides[0] = sides[1] = ...``: every side must have the same shape.

    A 1 x 1 matrix may equal a scalar, as notes write ``J = \\frac{1}{2} (t - y)^2``
    with ``y`` of shape (1, 1).

    Evaluating an equation gives ``True`` when all sides agree (exactly for rationals,
    to a relative 1e-9 for floats).
    """

    sides: tuple[Expr, ...]

    def __post_init__(self) -> None:
        sides = tuple(self.sides)
        object.__setattr__(self, "sides", sides)
        if len(sides) < 2:
            fail("an equation needs at least two sides")
        first = sides[0].shape
        for number, side in enumerate(sides[1:], start=2):
            if not _same_shape(side.shape, first):
                fail(
                    f"the sides of an equation must have the same shape: side 1 has shape "
                    f"{format_shape(first)}, side {number} has shape {format_shape(side.shape)}"
                )
        self._set_shape(first)


def _same_shape(a: Shape, b: Shape) -> bool:
    if len(a) == len(b) and all(map(same_dim, a, b)):
        return True
    return all(d == 1 for d in (*a, *b))
