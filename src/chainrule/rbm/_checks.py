"""Input checks shared by the RBM code: every bad input becomes a ChainruleError that says
where it was met, what was seen and what was expected."""

from __future__ import annotations

import numpy as np

from chainrule import arguments
from chainrule.errors import ConfigError, DataError, ShapeError


def as_batch(
    values: object,
    width: int,
    *,
    where: str,
    name: str,
    units: str,
    binary: bool,
    dtype: np.dtype,
) -> np.ndarray:
    """Return ``values`` as a C-contiguous ``(n, width)`` array of ``dtype``.

    Parameters
    ----------
    values : array_like, shape (n, width)
        One example a row.
    width : int
        Expected number of columns (``n_visible`` or ``n_hidden``).
    where, name, units : str
        For messages: the calling method (``"RBM.log_likelihood"``), the argument name
        (``"V"``) and what a column is (``"visible"``).
    binary : bool
        Require every value in {0, 1}; otherwise values in [0, 1] (probabilities, as in a
        mean-field step) are accepted.
    dtype : numpy dtype
        The model's floating dtype.

    Raises
    ------
    ShapeError
        Not two-dimensional, or the wrong number of columns.
    DataError
        Not numeric, empty, NaN/Inf, or values outside {0, 1} (outside [0, 1]).
    """
    array = np.asarray(values)
    if array.dtype.kind not in "biuf":
        raise DataError(
            f"{where}: {name} has dtype {array.dtype}; expected numbers (0/1 {units} states)"
        )
    expected = f"(n, {width}) with one column per {units} unit"
    if array.ndim != 2:
        hint = f"; for a single vector use {name}.reshape(1, -1)" if array.ndim == 1 else ""
        raise ShapeError(f"{where}: {name} has shape {array.shape}; expected {expected}{hint}")
    if array.shape[1] != width:
        hint = (
            f"; it looks transposed, try {name}.T"
            if array.shape[0] == width and array.shape[1] != width
            else ""
        )
        raise ShapeError(f"{where}: {name} has shape {array.shape}; expected {expected}{hint}")
    if array.shape[0] == 0:
        raise DataError(f"{where}: {name} has no rows; expected at least one example")
    array = np.ascontiguousarray(array, dtype=dtype)
    finite = np.isfinite(array)
    if not finite.all():
        row, col = np.argwhere(~finite)[0]
        raise DataError(
            f"{where}: {name}[{row}, {col}] is {array[row, col]}; expected finite values"
        )
    bad = (array != 0) & (array != 1) if binary else (array < 0) | (array > 1)
    if bad.any():
        row, col = np.argwhere(bad)[0]
        allowed = "binary values 0 or 1" if binary else "values in [0, 1]"
        hint = (
            "; binarise first, e.g. (X > 8) for digits with pixel values 0..16"
            if binary and array.max() > 1
            else ""
        )
        raise DataError(
            f"{where}: {name}[{row}, {col}] is {array[row, col]:g} "
            f"({int(bad.sum())} such entries); expected {allowed}{hint}"
        )
    return array


def positive_int(value: object, name: str, where: str) -> int:
    """Return ``value`` as an int >= 1, or raise ConfigError naming ``name``."""
    return arguments.positive_int(value, f"{where}: {name} is {value!r}; expected an integer >= 1")


def non_negative(value: object, name: str, where: str, *, below_one: bool = False) -> float:
    """Return ``value`` as a float >= 0 (and < 1 if ``below_one``), else raise ConfigError."""
    ok = isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)
    number = float(value) if ok else float("nan")  # type: ignore[arg-type]
    if not (number >= 0 and np.isfinite(number) and (number < 1 or not below_one)):
        expected = "a number in [0, 1)" if below_one else "a finite number >= 0"
        raise ConfigError(f"{where}: {name} is {value!r}; expected {expected}")
    return number
