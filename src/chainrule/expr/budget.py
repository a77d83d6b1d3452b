"""Limits on the work and memory of one evaluation or one scalar-graph build.

A formula can ask for more than any machine has: ``I_{30000}`` is a 30,000 x 30,000 matrix,
``\\sum_{i=1}^{10^9}`` a billion terms. Every array is sized from its shape before it is
made, and every step is charged to one budget, so an evaluation stops with a clear
:class:`~chainrule.errors.ExpressionError` within about a second, before it allocates what
it cannot have. The unit of work is about a nanosecond of one core.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable

from chainrule.errors import ExpressionError

__all__ = [
    "COST_EXACT",
    "COST_FLOAT",
    "COST_NODE",
    "MAX_ENTRIES",
    "MAX_EXACT_BITS",
    "MAX_WORK",
    "Budget",
    "entries",
]

MAX_ENTRIES = 10_000_000  # entries of one array made while evaluating (80 MB of float64)
MAX_WORK = 1_000_000_000  # units of work of one evaluation (about a second)
MAX_EXACT_BITS = 20_000  # bits of one exact numerator or denominator
COST_FLOAT = 1  # one float64 entry computed (vectorised by NumPy)
COST_EXACT = 1_000  # one exact Fraction entry computed (Python objects)
COST_NODE = 20_000  # one visit of a tree node (Python-level dispatch and checks)

What = str | Callable[[], str]


class Budget:
    """The work left to one job, charged step by step and checked before each step.

    Parameters
    ----------
    job : str
        What is being done, for the message: ``"evaluating the formula"``.
    limit : int
        Units of work allowed in total (default :data:`MAX_WORK`).
    """

    def __init__(self, job: str, limit: int = MAX_WORK) -> None:
        self.job = job
        self.limit = limit
        self.used = 0

    def require(self, units: int, what: What) -> None:
        """Refuse, before starting it, a step that would take more than what is left.

        ``what`` names the step for the message: a str, or a function that makes one (so
        that the name costs nothing unless the step is refused).
        """
        if self.used + units > self.limit:
            raise ExpressionError(
                f"{self.job} would take more than the {self.limit:,} units of work allowed "
                f"(about a second; chainrule.expr.budget.MAX_WORK): {_name(what)} needs "
                f"{units:,} and {max(0, self.limit - self.used):,} are left"
            )

    def charge(self, units: int, what: What) -> None:
        """Count ``units`` of work done for ``what``, refusing it beyond the limit."""
        self.require(units, what)
        self.used += units


def entries(shape: Iterable[int], what: What) -> int:
    """The number of entries of an array of ``shape``, refused beyond :data:`MAX_ENTRIES`."""
    count = math.prod(shape)
    if count > MAX_ENTRIES:
        raise ExpressionError(
            f"{_name(what)} would have {count:,} entries; at most {MAX_ENTRIES:,} are allowed"
        )
    return count


def _name(what: What) -> str:
    return what if isinstance(what, str) else what()
