"""One step of a derivation: the quantity it defines and the formula that gives it."""

from __future__ import annotations

from dataclasses import dataclass

from chainrule.expr import tree as T
from chainrule.expr.render import to_latex, to_text
from chainrule.expr.shapes import Shape

__all__ = ["Step"]

#: The kinds of step, in the order a derivation shows them.
KINDS = ("forward", "loss", "output", "activation", "weight", "bias", "input")


@dataclass(frozen=True)
class Step:
    """One equation ``quantity = expr`` of a derivation.

    Attributes
    ----------
    name : str
        The engine's key of the quantity: ``"z1"``, ``"h1"``, ``"L"``, ``"dz2"``,
        ``"dW2"``, ``"db2"``, ``"dh1"``, ``"dX"``.
    kind : str
        One of ``forward``, ``loss``, ``output`` (dL/d output), ``activation`` (dL/dz
        through an activation), ``weight``, ``bias``, ``input`` (dL/d a layer's input).
    layer : str or None
        The layer that gives the formula (``"Linear 2"``, ``"ReLU 1"``, ``"loss"``).
    param : str or None
        The engine parameter whose gradient this is (``"W2"``), else None.
    quantity : Symbol
        The left-hand side, in the notation (``\\frac{\\partial l}{\\partial W^{2}}``).
    expr : Expr
        The right-hand side in terms of the step before (the deltas, the activations).
    expanded : Expr
        The right-hand side with every earlier gradient replaced by its own formula, so
        that it mentions only the forward quantities, the weights and the targets.
    note : str
        A word on this step where students go wrong (empty where there is none).
    simplified : Expr or None
        An equal, shorter right-hand side where one exists (seed 004's
        ``(y/y_hat - (1-y)/(1-y_hat)) y_hat (1 - y_hat)`` is ``y_hat - y``), else None.
    """

    name: str
    kind: str
    layer: str | None
    param: str | None
    quantity: T.Symbol
    expr: T.Expr
    expanded: T.Expr
    note: str = ""
    simplified: T.Expr | None = None

    @property
    def shape(self) -> Shape:
        """The shape of the quantity in the notation's layout."""
        return self.quantity.shape

    @property
    def lhs(self) -> str:
        """The LaTeX of the quantity."""
        return to_latex(self.quantity)

    @property
    def rhs(self) -> str:
        """The LaTeX of the formula (``expr``)."""
        return to_latex(self.expr)

    @property
    def latex(self) -> str:
        """``quantity = expr`` in LaTeX; :func:`chainrule.expr.parse` reads it back to
        ``Equation((quantity, expr))`` with the derivation's symbols."""
        return f"{self.lhs} = {self.rhs}"

    @property
    def full_latex(self) -> str:
        """``quantity = expr = simplified`` where a simplified form exists, else :attr:`latex`."""
        if self.simplified is None:
            return self.latex
        return f"{self.latex} = {to_latex(self.simplified)}"

    @property
    def equation(self) -> T.Equation:
        return T.Equation((self.quantity, self.expr))

    @property
    def text(self) -> str:
        """Plain text for a terminal: ``dL/dW_2 = delta_2.T @ h_1``."""
        return f"{to_text(self.quantity)} = {to_text(self.expr)}"
