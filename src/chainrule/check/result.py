"""The verdict on one answer: a diagnosis code, words for the student, a score.

The codes are fixed strings (outside graders match on them):

=========================  ==========================================================
code                       meaning
=========================  ==========================================================
``correct``                equal to the reference on every instance
``parse_error``            the text does not read as a formula (or breaks a limit)
``unknown_symbol``         a name the problem does not define
``shape_mismatch``         parts that do not fit, or a result of the wrong shape
``transposed``             the transpose of the right answer
``scaled``                 the right answer times a constant (``details["factor"]``)
``sign``                   the right answer with the opposite sign
``missing_mask``           an activation's derivative left out (``details["layer"]``)
``wrong_derivative``       the function for its derivative, or the wrong argument
``swapped_order``          a product with its factors in the wrong order
``missing_batch_sum``      a bias gradient not summed over the batch
``missing_regularization`` the L2 term left out
``regularization_factor``  the L2 term with lambda for 2 lambda (or the reverse)
``wrong_coefficient``      a term of a sum with the wrong coefficient
``missing_term``           a term of a sum left out
``wrong_layer``            a quantity of another layer (``details["used"]``, ``["expected"]``)
``zero``                   identically zero where the gradient is not
``wrong``                  none of the above; ``counterexample`` shows where
=========================  ==========================================================
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

__all__ = ["CODES", "MUTATION_CODES", "Result"]

#: The codes of the mistakes a mutation of the reference stands for, in the order they are
#: tried (first match wins; see :mod:`chainrule.check.mutations`).
MUTATION_CODES: tuple[str, ...] = (
    "missing_mask",
    "wrong_derivative",
    "swapped_order",
    "missing_batch_sum",
    "missing_regularization",
    "regularization_factor",
)

CODES: tuple[str, ...] = (
    "correct",
    "parse_error",
    "unknown_symbol",
    "shape_mismatch",
    "transposed",
    "scaled",
    "sign",
    *MUTATION_CODES,
    "wrong_coefficient",
    "missing_term",
    "wrong_layer",
    "zero",
    "wrong",
)


@dataclass
class Result:
    """The verdict on one answer.

    Attributes
    ----------
    correct : bool
        Whether the answer equals the reference on every instance.
    code : str
        The main diagnosis, one of :data:`CODES`.
    codes : list of str
        Every diagnosis that applies, the main one first.
    message : str
        One or two sentences for the student.
    hint : str
        What to look at next ("" when correct).
    score : float
        0 to 1: 1 when correct, else the problem's partial credit for ``code``.
    details : dict
        Facts behind the diagnosis: ``factor``, ``layer``, ``subformula``, ``term``, ...
    counterexample : dict or None
        For ``wrong``: the instance (symbol values) where the answer differs, with the
        expected and the given value there.
    """

    correct: bool
    code: str
    codes: list[str]
    message: str
    hint: str = ""
    score: float = 0.0
    details: dict[str, Any] = field(default_factory=dict)
    counterexample: dict[str, Any] | None = None

    def __post_init__(self) -> None:
        if self.code not in CODES:
            raise ValueError(f"unknown diagnosis code {self.code!r}")
        if not self.codes or self.codes[0] != self.code:
            self.codes = [self.code, *(c for c in self.codes if c != self.code)]

    def to_dict(self) -> dict[str, Any]:
        """Plain data (JSON types only)."""
        return {
            "correct": self.correct,
            "code": self.code,
            "codes": list(self.codes),
            "message": self.message,
            "hint": self.hint,
            "score": self.score,
            "details": _plain(self.details),
            "counterexample": _plain(self.counterexample),
        }

    def to_json(self) -> str:
        """The verdict as one JSON object."""
        return json.dumps(self.to_dict(), sort_keys=True)

    def __str__(self) -> str:
        head = "correct" if self.correct else self.code
        text = f"{head}: {self.message}"
        return f"{text}\nhint: {self.hint}" if self.hint else text


def _plain(value: Any) -> Any:
    """Numbers, arrays and Fractions as JSON types (Fractions as "p/q" strings)."""
    from fractions import Fraction

    import numpy as np

    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, np.ndarray):
        return _plain(value.tolist())
    if isinstance(value, Fraction):
        return str(value) if value.denominator != 1 else int(value)
    if isinstance(value, np.generic):
        return _plain(value.item())
    if isinstance(value, float) and not np.isfinite(value):
        return str(value)
    return value
