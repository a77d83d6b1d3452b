"""What grading needs to know about a problem's right answer, whatever computed it.

A :class:`Reference` holds the reference tree (from :func:`chainrule.derive`, expanded down
to the names a student may use), the symbol table answers are read in, the random
instances both are evaluated on, and the facts about the network the hypotheses are built
from (which activation sits in which layer, the batch size, the L2 strength).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from chainrule.expr import tree as T
from chainrule.expr.shapes import Shape

__all__ = ["Activation", "Reference"]


@dataclass(frozen=True)
class Activation:
    """One activation of the network: ``output = function(pre)`` in ``layer``.

    ``pre`` and ``output`` are names of the symbol table (``"z^2"``, ``"h^2"``).
    """

    layer: int
    function: str
    pre: str
    output: str


def _identity(tree: T.Expr) -> T.Expr:
    return tree


@dataclass
class Reference:
    """The right answer of a problem, ready to be compared with answers.

    Attributes
    ----------
    base : Expr
        The reference tree; the hypotheses mutate this tree.
    symbols : dict
        Name -> shape: every name an answer may use (the values bind them all).
    instances : list of dict
        Values of every symbol on each instance (float64 arrays, or Fractions when
        ``exact``); dimension names are bound by these shapes.
    quantity : str
        How the quantity is written (``\\frac{\\partial l}{\\partial W^2}``), for messages.
    wrap : callable
        From ``base`` (or a mutation of it) to the tree of the quantity asked: an entry
        (``W^2_{i,j}``), or the tree with the upstream gradient replaced by a unit matrix.
    free : tuple of (str, int)
        Free indices of the quantity and their ranges ``1..size``; answers are evaluated
        for every assignment and compared as one stacked array.
    activations : list of Activation
        The network's activations, for the mask and derivative hypotheses.
    sizes : dict
        Named sizes with their values (``{"n": 5}``), for the scaled hypothesis.
    l2 : str or None
        The symbol of the L2 strength (``"\\lambda"``), when the loss has an L2 term.
    exact : bool
        Whether instances are exact (a numeric problem at given values).
    functions : dict or None
        Extra function names for the parser.
    ones : tuple of str
        Symbols that stand for a row or column of ones (seed 004's ``u``).
    """

    base: T.Expr
    symbols: dict[str, Shape]
    instances: list[dict[str, Any]]
    quantity: str = "the quantity"
    wrap: Callable[[T.Expr], T.Expr] = _identity
    free: tuple[tuple[str, int], ...] = ()
    activations: list[Activation] = field(default_factory=list)
    sizes: dict[str, int] = field(default_factory=dict)
    l2: str | None = None
    exact: bool = False
    functions: dict[str, str | None] | None = None
    ones: tuple[str, ...] = ()

    def tree(self) -> T.Expr:
        """The tree of the quantity asked."""
        return self.wrap(self.base)
