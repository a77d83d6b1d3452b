"""The comparisons a formula may test, ``[z > 0]``: every spelling and meaning in one table.

The tree stores a relation by its NumPy spelling (``">="``); LaTeX writes it ``\\geq``
(also read: ``\\ge``, ``>=``). The test is a function from :mod:`operator`, which compares
Python numbers, Fractions and NumPy arrays (element-wise) alike.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

__all__ = ["RELATIONS", "Relation", "relation_of"]


@dataclass(frozen=True)
class Relation:
    """One comparison.

    Attributes
    ----------
    symbol : str
        The spelling in the tree and in NumPy-style text, such as ``">="``.
    latex : str
        How :func:`chainrule.expr.to_latex` writes it, such as ``"\\\\geq"``.
    spellings : tuple of str
        Every LaTeX spelling the parser reads as this relation.
    test : callable
        ``test(a, b)``: the comparison itself, element-wise on arrays.
    """

    symbol: str
    latex: str
    spellings: tuple[str, ...]
    test: Callable[[Any, Any], Any]


_TABLE = (
    Relation(">", ">", (">",), operator.gt),
    Relation(">=", "\\geq", (">=", "\\geq", "\\ge"), operator.ge),
    Relation("<", "<", ("<",), operator.lt),
    Relation("<=", "\\leq", ("<=", "\\leq", "\\le"), operator.le),
    Relation("==", "=", ("==", "="), operator.eq),
    Relation("!=", "\\neq", ("!=", "\\neq", "\\ne"), operator.ne),
)

#: Each relation by its tree spelling, in the order above.
RELATIONS: dict[str, Relation] = {r.symbol: r for r in _TABLE}
_BY_SPELLING = {spelling: r for r in _TABLE for spelling in r.spellings}


def relation_of(text: str) -> Relation | None:
    """The relation a written comparison (``"\\\\geq"``, ``">="``, ``"="``) stands for."""
    return _BY_SPELLING.get(text.strip())
