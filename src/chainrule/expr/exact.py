"""Numbers of an evaluation: exact Fractions where possible, float64 where not.

Every intermediate value of :func:`chainrule.expr.evaluate` is a NumPy array of one of two
kinds: dtype object holding only :class:`fractions.Fraction` (exact), or float64. A value
that leaves the rationals (``\\sqrt{2}``, ``\\exp(1)``) makes its array float64, and what
is computed from it is float64 too. :func:`settle` restores this after every step.
"""

from __future__ import annotations

import math
from fractions import Fraction
from numbers import Integral, Rational
from typing import Any

import numpy as np

from chainrule.errors import ExpressionError
from chainrule.expr.budget import MAX_EXACT_BITS

__all__ = ["is_exact", "is_rational", "settle", "to_float", "to_fractions"]


def is_rational(value: Any) -> bool:
    """Whether a value given by the caller is rational: ints, Fractions, bools, int arrays."""
    if isinstance(value, bool | Integral | Rational) and not isinstance(value, float):
        return True
    if isinstance(value, np.ndarray):
        if value.dtype.kind in "biu":
            return True
        return value.dtype == object and all(is_rational(v) for v in value.flat)
    if isinstance(value, list | tuple):
        return all(is_rational(v) for v in value)
    return False


def is_exact(array: np.ndarray) -> bool:
    """Whether an intermediate value is an exact (object) array."""
    return array.dtype == object


def to_float(value: Any) -> float:
    """A number as a float; beyond float64's range it is an infinity of the right sign."""
    try:
        return float(value)
    except OverflowError:
        return math.inf if value > 0 else -math.inf


def _fraction(value: Any) -> Fraction:
    if isinstance(value, Fraction):
        return value
    if isinstance(value, bool | np.bool_):
        return Fraction(int(value))
    if isinstance(value, Integral | Rational):
        return Fraction(int(value)) if isinstance(value, Integral) else Fraction(value)
    raise TypeError(f"{value!r} is not a rational number")


_FRACTIONS = np.frompyfunc(_fraction, 1, 1)
_FLOATS = np.frompyfunc(to_float, 1, 1)


def to_fractions(array: Any) -> np.ndarray:
    """An object array of Fractions with the shape of ``array`` (ints, bools, Fractions)."""
    array = np.asarray(array, dtype=object)
    return np.asarray(_FRACTIONS(array), dtype=object).reshape(array.shape)


def settle(value: Any) -> np.ndarray:
    """The value as an exact array of Fractions, or as float64 if any entry is not rational.

    Raises ExpressionError for a float64 entry that is not finite (an overflow, a division
    by zero, the log of 0) and for an exact number beyond :data:`MAX_EXACT_BITS` bits.
    """
    array = np.asarray(value)
    if array.dtype == object:
        flat = array.ravel()
        if all(type(v) is Fraction for v in flat):
            _check_bits(flat)
            return array
        if all(isinstance(v, Fraction | Integral) for v in flat):
            return settle(to_fractions(array))
        array = np.asarray(_FLOATS(array), dtype=float).reshape(array.shape)
    elif array.dtype.kind != "f":
        array = array.astype(float)
    finite = math.isfinite(array.item()) if array.size == 1 else np.isfinite(array).all()
    if not finite:
        raise ExpressionError(
            "the value is not a finite number (an overflow of float64, a division by zero, "
            "the log of 0 or the square root of a negative number)"
        )
    return array


def _check_bits(flat: np.ndarray) -> None:
    for v in flat:
        bits = max(v.numerator.bit_length(), v.denominator.bit_length())
        if bits > MAX_EXACT_BITS:
            raise ExpressionError(
                f"an exact number has {bits:,} bits; at most {MAX_EXACT_BITS:,} are kept "
                "(give float inputs to compute it in float64)"
            )
