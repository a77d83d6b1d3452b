"""Access to entries in the expression tree: indices, written-out matrices, indexed sums.

Indices count from 1, as formulas do.
"""

from __future__ import annotations

from dataclasses import dataclass

from chainrule.expr.nodes.base import Expr, fail, require_scalar
from chainrule.expr.nodes.leaves import Constant, Slice
from chainrule.expr.shapes import Dim, format_shape

__all__ = ["Index", "IndexSum", "MatrixLiteral"]


@dataclass(frozen=True)
class Index(Expr):
    """Element access ``operand_{i,j}``, indices counted from 1.

    Each index is a scalar expression or :class:`Slice` for a whole axis; fewer indices
    than axes select along the leading axes (``x_i`` is row ``i`` of a matrix ``x``), so
    trailing whole axes are dropped: ``x_{i,:}`` is the same node as ``x_i``.
    """

    operand: Expr
    indices: tuple[Expr, ...]

    def __post_init__(self) -> None:
        indices = tuple(self.indices)
        while len(indices) > 1 and isinstance(indices[-1], Slice):
            indices = indices[:-1]
        object.__setattr__(self, "indices", indices)
        shape = self.operand.shape
        if not self.indices or len(self.indices) > len(shape):
            fail(f"{len(self.indices)} index(es) do not fit a value of shape {format_shape(shape)}")
        kept: list[Dim] = []
        for index, size in zip(self.indices, shape[: len(self.indices)], strict=True):
            if isinstance(index, Slice):
                kept.append(size)
            else:
                require_scalar(index, "an index")
                if isinstance(index, Constant) and (
                    index.value.denominator != 1
                    or index.value < 1
                    or (isinstance(size, int) and index.value > size)
                ):
                    fail(f"index {index.value} is outside 1..{size}")
        self._set_shape((*kept, *shape[len(self.indices) :]))


@dataclass(frozen=True)
class MatrixLiteral(Expr):
    """A matrix written out entry by entry (``bmatrix``/``pmatrix``): shape ``(rows, cols)``."""

    rows: tuple[tuple[Expr, ...], ...]

    def __post_init__(self) -> None:
        rows = tuple(tuple(r) for r in self.rows)
        object.__setattr__(self, "rows", rows)
        if not rows or not rows[0]:
            fail("a matrix needs at least one entry")
        width = len(rows[0])
        for number, row in enumerate(rows, start=1):
            if len(row) != width:
                fail(f"matrix row {number} has {len(row)} entries, row 1 has {width}")
            for entry in row:
                require_scalar(entry, f"an entry of matrix row {number}")
        self._set_shape((len(rows), width))


@dataclass(frozen=True)
class IndexSum(Expr):
    """``\\sum_{index=lower}^{upper} body``: the body summed as ``index`` runs over a range."""

    index: str
    lower: Expr
    upper: Expr
    body: Expr

    def __post_init__(self) -> None:
        require_scalar(self.lower, "the lower limit of a sum")
        require_scalar(self.upper, "the upper limit of a sum")
        self._set_shape(self.body.shape)
