r"""Names and layouts for the formulas that layers and losses give of themselves.

A layer or a loss writes its forward and backward formulas once, as :mod:`chainrule.expr`
trees in the engine's own row-major layout (``Z = X W^T + b``, one example a row), next to
the NumPy code that computes the same thing. The names in those trees, and the layout they
are printed in, come from a :class:`Names`: for each *role* of the formula (``"in"``,
``"out"``, ``"grad"``, ``"W"``, ``"d_W"``, ...) a :class:`Quantity` that says how the
notation writes it and how its array relates to the engine's.

A layout is a way of storing each array: ``"same"`` as the engine does, or
``"transposed"`` (``X`` stored as ``d x n`` in the column layout, a weight stored as
``d_in x d_out`` in ``X W + b``, a bias stored as the column ``d x 1``). The formulas in a
layout are rewrites of the row-major ones: every symbol is replaced by its engine value
written in the layout's symbols (``X -> X'^T``), and the result is transposed when the
quantity it defines is stored transposed (:func:`chainrule.expr.maps.transpose`). No second
set of formulas exists.

>>> import chainrule as cr
>>> from chainrule.formulas import Names, Quantity
>>> names = Names({
...     "in": Quantity("X", ("n", 3), "transposed"), "out": Quantity("Z", ("n", 2), "transposed"),
...     "grad": Quantity("\\delta", ("n", 2), "transposed"), "W": Quantity("W", (2, 3)),
...     "d_in": Quantity("dX", ("n", 3), "transposed"), "d_W": Quantity("dW", (2, 3)),
... }, batch="n")
>>> f = cr.Linear(3, 2, bias=False).formulas(names)
>>> cr.expr.to_latex(f.forward), cr.expr.to_latex(f.backward["W"])
('W X', '\\delta X^T')
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from chainrule.errors import ConfigError
from chainrule.expr import tree as T
from chainrule.expr.maps import as_column, rebuild, simplify, transpose
from chainrule.expr.shapes import Dim, Shape

__all__ = ["LAYOUTS", "STORED", "Formulas", "Names", "Quantity"]

#: The layouts: ``row`` (``X W^T + b``, the engine's), ``xw`` (``X W + b``) and
#: ``column`` (``W X + b u``, one example a column).
LAYOUTS = ("row", "xw", "column")
STORED = ("same", "transposed")

#: How each layout stores the three kinds of array, relative to the engine: batches
#: (``X``, ``Z``, ``H`` and their gradients, one example a row in the engine), weights
#: (``W``, engine shape (d_out, d_in)) and biases (engine shape (d_out,)).
LAYOUT_STORAGE: dict[str, dict[str, str]] = {
    "row": {"batch": "same", "weight": "same", "bias": "same"},
    "xw": {"batch": "same", "weight": "transposed", "bias": "same"},
    "column": {"batch": "transposed", "weight": "same", "bias": "transposed"},
}


@dataclass(frozen=True)
class Quantity:
    """One quantity of a formula: its written name and how its array relates to the engine's.

    Parameters
    ----------
    name : str
        The symbol as the notation writes it (``"W^{[2]}"``, ``"\\delta^{[1]}"``).
    shape : tuple
        Its shape in the engine (row-major: ``("n", 3)`` for a batch, ``(3,)`` for a bias).
    stored : {"same", "transposed"}
        ``"transposed"``: the notation's array is the engine's transposed (for a vector of
        shape (d,), the column (d, 1)).
    """

    name: str
    shape: Shape
    stored: str = "same"

    def __post_init__(self) -> None:
        if self.stored not in STORED:
            raise ConfigError(f"{self.name}: stored must be one of {STORED}, got {self.stored!r}")

    @property
    def layout_shape(self) -> Shape:
        """The shape of the notation's array."""
        if self.stored == "same" or not self.shape:
            return self.shape
        if len(self.shape) == 1:
            return (self.shape[0], 1)
        return tuple(reversed(self.shape))

    @property
    def symbol(self) -> T.Symbol:
        """The symbol a formula in the notation uses."""
        return T.Symbol(self.name, self.layout_shape)

    def row_form(self) -> T.Expr:
        """The engine's value written in the notation's symbol (``X'^T`` for a transposed X;
        a bias column ``b`` becomes ``b^T`` of shape (1, d), which broadcasts as (d,) does)."""
        s = self.symbol
        return s if self.stored == "same" or not self.shape else T.Transpose(s)

    def in_layout(self, row_tree: T.Expr, ones_row: T.Expr | None = None) -> T.Expr:
        """The notation's value of this quantity from a tree for its engine value."""
        if self.stored == "same" or not self.shape:
            return simplify(row_tree)
        if len(self.shape) == 1:
            return as_column(simplify(row_tree), ones_row)
        return transpose(row_tree)

    def from_engine(self, array: np.ndarray) -> np.ndarray:
        """The notation's array from the engine's."""
        a = np.asarray(array)
        if self.stored == "same" or a.ndim == 0:
            return a
        return a.reshape(-1, 1) if a.ndim == 1 else a.T

    def to_engine(self, array: np.ndarray) -> np.ndarray:
        """The engine's array from the notation's."""
        a = np.asarray(array)
        if self.stored == "same" or a.ndim == 0:
            return a
        return a.reshape(-1) if len(self.shape) == 1 else a.T


@dataclass(frozen=True)
class Formulas:
    """What a layer or loss says of itself, in one notation and layout.

    ``forward`` defines the output (role ``"out"``, or ``"loss"`` for a loss);
    ``backward`` maps each role with a gradient (``"in"``, ``"W"``, ``"b"``, or ``"out"``
    for a loss) to the tree of that gradient (role ``"d_" + role``)."""

    forward: T.Expr
    backward: dict[str, T.Expr] = field(default_factory=dict)


@dataclass(frozen=True)
class Names:
    """The quantities of one layer's (or loss's) formulas, by role.

    Parameters
    ----------
    quantities : mapping of role to Quantity
        Layers: ``in``, ``out``, ``grad`` (dL/d out), ``d_in``, and per parameter ``W``,
        ``b``, ``d_W``, ``d_b``. Losses: ``out``, ``target``, ``loss``, ``d_out``.
    batch : int or str
        The number of examples: a dimension name such as ``"n"`` or ``1``.
    ones : str, optional
        The name of a row of ones ``u`` (1, n): a bias is then added as ``b u``, as in
        seed 004's ``W X + b u``, and its gradient written ``\\delta u^T``.
    """

    quantities: Mapping[str, Quantity]
    batch: Dim = "n"
    ones: str | None = None

    def __getitem__(self, role: str) -> Quantity:
        try:
            return self.quantities[role]
        except KeyError:
            raise ConfigError(
                f"the formulas need a name for {role!r}; given: {', '.join(self.quantities)}"
            ) from None

    def __contains__(self, role: str) -> bool:
        return role in self.quantities

    def row(self, role: str) -> T.Expr:
        """The engine's (row-major) value of ``role`` written in the notation's symbols."""
        return self[role].row_form()

    @property
    def ones_row(self) -> T.Expr | None:
        if self.ones is None:
            return None
        return T.Symbol(self.ones, (1, self.batch))

    def formulas(
        self, forward: T.Expr, backward: Mapping[str, T.Expr], out: str = "out"
    ) -> Formulas:
        """Row-major trees to the notation's layout: ``forward`` defines ``out``; each key of
        ``backward`` is a role whose gradient ``"d_" + role`` the tree gives."""
        fwd = self._explicit_ones(self[out].in_layout(forward, self.ones_row))
        back = {
            role: self[f"d_{role}"].in_layout(tree, self.ones_row)
            for role, tree in backward.items()
        }
        return Formulas(fwd, back)

    def _explicit_ones(self, tree: T.Expr) -> T.Expr:
        """``W X + b`` with ``b`` (d, 1) broadcast over n columns, written ``W X + b u``."""
        u = self.ones_row
        if u is None:
            return tree

        def visit(e: T.Expr) -> T.Expr | None:
            if isinstance(e, T.Add) and isinstance(e.right, T.Symbol):
                column, other = e.right.shape, e.left.shape
                if len(column) == 2 and column[1] == 1 and len(other) == 2 and other[1] != 1:
                    return T.Add(e.left, T.MatMul(e.right, u))
            return None

        return rebuild(tree, visit)
