"""Wrong coefficient, missing term: regress the answer on the reference's terms.

When the reference is a sum ``c_1 t_1 + ... + c_k t_k`` (``k >= 2``), an answer that is
``a_1 t_1 + ... + a_k t_k`` on every instance, with some ``a_i != c_i``, has a term with the
wrong coefficient (``a_i != 0``) or a missing term (``a_i = 0``). The coefficients are found
by least squares over all entries of all instances, and kept only when the fit is exact.
"""

from __future__ import annotations

from fractions import Fraction
from typing import TYPE_CHECKING

import numpy as np

from chainrule.check.match import name_factor
from chainrule.check.trees import flatten_terms
from chainrule.check.values import values_on
from chainrule.check.verdict import Verdict
from chainrule.errors import ExpressionError
from chainrule.expr.glyphs import plain_text
from chainrule.expr.render import to_latex

if TYPE_CHECKING:
    from chainrule.check.reference import Reference

__all__ = ["regress"]


def _coefficient_value(c: Fraction | str, sizes: dict[str, int]) -> float | None:
    if isinstance(c, Fraction):
        return float(c)
    sign = -1.0 if c.startswith("-") else 1.0
    size = sizes.get(c.lstrip("-"))
    return None if size is None else sign * size


def regress(
    ref: Reference, answer: list[np.ndarray], ref_values: list[np.ndarray]
) -> Verdict | None:
    """A wrong_coefficient or missing_term verdict, or None when the answer is no such sum."""
    terms = flatten_terms(ref.base)
    if len(terms) < 2:
        return None
    expected = [_coefficient_value(c, ref.sizes) for c, _ in terms]
    if any(e is None for e in expected):
        return None
    try:
        columns = [_flat(values_on(ref.wrap(t), ref.instances, ref.free)) for _, t in terms]
    except (ExpressionError, ValueError):
        return None
    try:
        target = _flat(answer)
    except ValueError:
        return None
    design = np.stack(columns, axis=1)
    if target.shape[0] != design.shape[0] or not np.all(np.isfinite(target)):
        return None
    if np.linalg.matrix_rank(design) < design.shape[1]:
        return None
    coef, *_ = np.linalg.lstsq(design, target, rcond=None)
    scale = max(float(np.max(np.abs(target))), float(np.max(np.abs(design))), 1e-300)
    if np.max(np.abs(design @ coef - target)) > 1e-8 * scale:
        return None
    return _verdict(terms, coef, expected, ref)


def _flat(values: list[np.ndarray]) -> np.ndarray:
    """Every entry of every instance in one float vector."""
    return np.concatenate([np.ravel(np.asarray(v, dtype=float)) for v in values])


def _verdict(terms, coef, expected, ref: Reference) -> Verdict | None:
    wrong = [
        i for i, (a, e) in enumerate(zip(coef, expected, strict=True))
        if abs(a - e) > 1e-7 * max(1.0, abs(e))
    ]  # fmt: skip
    if not wrong:
        return None
    i = wrong[0]
    details = {
        "term": to_latex(terms[i][1]),
        "term_text": plain_text(terms[i][1]),  # as the message shows it
        "term_number": i + 1,
        "expected": name_factor(Fraction(expected[i]).limit_denominator(10**6), ref.sizes)
        if expected[i] != 0
        else "0",
        "found": _number(coef[i], ref.sizes),
        "coefficients": [float(c) for c in coef],
    }
    missing = all(abs(coef[j]) <= 1e-9 for j in wrong)
    return Verdict(["missing_term" if missing else "wrong_coefficient"], details)


def _number(value: float, sizes: dict[str, int]) -> str:
    if abs(value) <= 1e-9:
        return "0"
    frac = Fraction(value).limit_denominator(1000)
    if abs(float(frac) - value) <= 1e-9 * max(1.0, abs(value)):
        return name_factor(frac, sizes)
    return f"{value:.6g}"
