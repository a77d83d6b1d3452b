"""Comparing an answer's values with a candidate's, instance by instance.

Values are the stacked arrays of :func:`chainrule.check.values.stacked` (one per instance).
Two values agree when their squeezed shapes agree and their entries do: exactly for
Fractions, else to a relative 1e-8 of the candidate's largest entry. An answer may also be
the candidate transposed, or the candidate times one constant on every instance.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np

__all__ = ["Match", "close", "compare", "name_factor"]

RTOL = 1e-8


@dataclass(frozen=True)
class Match:
    """How an answer relates to a candidate: ``transposed`` and/or scaled by ``factor``."""

    transposed: bool = False
    factor: Any = 1

    @property
    def exact(self) -> bool:
        return not self.transposed and self.factor == 1


def close(a: np.ndarray, b: np.ndarray, scale: float) -> bool:
    """Whether two arrays of one shape agree (exactly when both hold Fractions)."""
    if a.shape != b.shape:
        return False
    if a.dtype == object and b.dtype == object:
        return bool(np.all(a == b))
    fa, fb = a.astype(float), b.astype(float)
    if not (np.all(np.isfinite(fa)) and np.all(np.isfinite(fb))):
        return False
    return bool(np.all(np.abs(fa - fb) <= RTOL * max(scale, 1e-300) + 1e-300))


def _scale(values: list[np.ndarray]) -> float:
    top = 0.0
    for v in values:
        if v.size:
            with np.errstate(all="ignore"):
                top = max(top, float(np.max(np.abs(v.astype(float)))))
    return top if np.isfinite(top) else 0.0


def _oriented(answer: list[np.ndarray], cand: list[np.ndarray]) -> list[tuple[bool, list]]:
    """The answer as given, and transposed, where the shapes fit the candidate's.

    A row where a column is asked is a transpose; otherwise axes of size 1 do not count
    (a 1 x 1 matrix is a number, a row of a stacked free index is a vector).
    """
    a, c = answer[0], cand[0]
    out: list[tuple[bool, list]] = []
    if a.shape == c.shape:
        out.append((False, answer))
        if a.ndim == 2 and a.shape[0] == a.shape[1] > 1:
            out.append((True, [x.T for x in answer]))
    elif a.ndim == c.ndim == 2 and a.shape[::-1] == c.shape:
        out.append((True, [x.T for x in answer]))
    elif np.squeeze(a).shape == np.squeeze(c).shape:
        shape = c.shape
        out.append((False, [x.reshape(shape) for x in answer]))
    return out


def _factor(answer: list[np.ndarray], cand: list[np.ndarray], scale: float) -> Any | None:
    """The one constant c with answer == c * candidate on every instance, or None.

    An instance where both are zero says nothing about c and is skipped.
    """
    factors = []
    for a, c in zip(answer, cand, strict=True):
        f = _ratio(a, c, scale)
        if f is None:
            if not (_all_zero(c, scale) and _all_zero(a, scale)):
                return None
            continue
        factors.append(f)
    exact = answer[0].dtype == object and cand[0].dtype == object
    if not factors or factors[0] == 0 or (len(factors) < 2 and not exact and len(answer) > 1):
        return None
    first = factors[0]
    for f in factors:
        if abs(f - first) > 1e-7 * abs(first):
            return None
    for a, c in zip(answer, cand, strict=True):
        if not close(a, _times(c, first), scale * abs(first)):
            return None
    return first


def _ratio(a: np.ndarray, c: np.ndarray, scale: float) -> Any | None:
    if a.dtype == object and c.dtype == object:
        nz = [(x, y) for x, y in zip(a.flat, c.flat, strict=True) if y != 0]
        return Fraction(nz[0][0]) / Fraction(nz[0][1]) if nz else None
    fa, fc = a.astype(float).ravel(), c.astype(float).ravel()
    denom = float(fc @ fc)
    if denom <= (1e-12 * scale) ** 2 or not np.all(np.isfinite(fa)):
        return None
    return float(fa @ fc) / denom


def _all_zero(a: np.ndarray, scale: float) -> bool:
    if a.dtype == object:
        return all(v == 0 for v in a.flat)
    return bool(np.all(np.abs(a.astype(float)) <= 1e-12 * max(scale, 1e-300)))


def _times(c: np.ndarray, f: Any) -> np.ndarray:
    if c.dtype == object and isinstance(f, Fraction):
        return np.asarray(c * f, dtype=object)
    return c.astype(float) * float(f)


def compare(
    answer: list[np.ndarray], cand: list[np.ndarray], *, scaled: bool = True
) -> Match | None:
    """How ``answer`` matches ``cand`` (equal, transposed, scaled), or None.

    Equality is tried before the transpose, and both before a scaling.
    """
    answer = [np.asarray(a) for a in answer]
    cand = [np.asarray(c) for c in cand]
    scale = _scale(cand)
    orientations = _oriented(answer, cand)
    for transposed, oriented in orientations:
        if all(close(a, c, scale) for a, c in zip(oriented, cand, strict=True)):
            return Match(transposed=transposed)
    if not scaled:
        return None
    for transposed, oriented in orientations:
        f = _factor(oriented, cand, scale)
        if f is not None:
            return Match(transposed=transposed, factor=f)
    return None


def name_factor(factor: Any, sizes: dict[str, int], *, named_only: bool = False) -> str | None:
    """A readable name for a factor: ``2``, ``1/2``, ``n``, ``1/n``, ``-1``, ``2/n``...

    Sizes win over plain numbers of the same value (a missing 1/m reads as ``m``). With
    ``named_only``, a factor that is none of these gives None.
    """
    sign = "-" if factor < 0 else ""
    value = abs(factor)
    named: list[tuple[str, float]] = []
    for name, size in sizes.items():
        named += [(name, size), (f"1/{name}", 1 / size), (f"2{name}", 2 * size)]
        named += [(f"1/(2{name})", 1 / (2 * size)), (f"2/{name}", 2 / size)]
        named += [(f"{name}/2", size / 2)]
    named += [("1", 1), ("2", 2), ("1/2", 0.5), ("4", 4), ("1/4", 0.25)]
    for name, v in named:
        if abs(float(value) - v) <= 1e-9 * v:
            return sign + name
    if named_only:
        return None
    if isinstance(value, Fraction):
        return sign + str(value)
    return sign + f"{float(value):.6g}"
