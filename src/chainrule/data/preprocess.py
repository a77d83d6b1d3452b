"""Preprocessing: label checks, seeded stratified splits, one-hot codes, standardisation.

>>> import numpy as np
>>> one_hot(np.array([0, 2]), 3)
array([[1., 0., 0.],
       [0., 0., 1.]], dtype=float32)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np

from chainrule.data.standardize import Standardizer
from chainrule.errors import DataError, ShapeError

#: More classes than this in a file's labels is taken as a mistake (a feature column
#: read as labels), refused before any table of classes is built.
MAX_CLASSES = 100_000

__all__ = [
    "MAX_CLASSES",
    "Split",
    "Standardizer",
    "check_labels",
    "labels_from_values",
    "one_hot",
    "permute_rows",
    "split_indices",
    "train_val_test_split",
]


def check_labels(y: np.ndarray, n_classes: int, *, where: str = "labels") -> None:
    """Raise a :class:`DataError` unless every label lies in ``0 .. n_classes - 1``.

    Parameters
    ----------
    y : np.ndarray, shape (n,), integer
        Class labels.
    n_classes : int
        Number of classes.
    where : str
        Names the data in the message, such as a file.
    """
    if y.size == 0:
        return
    low, high = int(y.min()), int(y.max())
    if low >= 0 and high < n_classes:
        return
    bad = int(y[(y < 0) | (y >= n_classes)][0])
    msg = f"{where}: label {bad} is outside the classes 0..{n_classes - 1}"
    if low == 1 and high == n_classes:
        msg += (
            f"; the labels run from 1 to {n_classes}, but chainrule counts classes from 0:"
            " subtract 1 from every label"
        )
    raise DataError(msg)


def _whole_numbers(values: np.ndarray, where: str) -> None:
    """Refuse labels that are not finite whole numbers in ``0 .. MAX_CLASSES - 1``."""
    if not np.issubdtype(values.dtype, np.integer):
        if not np.issubdtype(values.dtype, np.floating) and values.dtype != np.bool_:
            raise DataError(f"{where}: labels must be numbers, got dtype {values.dtype}")
        finite = np.isfinite(values)
        if not finite.all():
            i = int(np.flatnonzero(~finite)[0])
            raise DataError(f"{where}: label of example {i} is {values[i]}, not a class number")
        frac = values != np.round(values)
        if frac.any():
            i = int(np.flatnonzero(frac)[0])
            raise DataError(
                f"{where}: label of example {i} is {values[i]}, not a whole number; a classifier"
                " needs class numbers 0, 1, 2, ..."
            )
    # before any cast to int64 (1e300 would wrap) and before counting classes
    too_big = np.flatnonzero(np.abs(values) >= MAX_CLASSES)
    if too_big.size:
        i = int(too_big[0])
        raise DataError(
            f"{where}: label of example {i} is {values[i]:.0f}, which would mean more than "
            f"{MAX_CLASSES} classes (chainrule.data.preprocess.MAX_CLASSES); labels are class "
            "numbers 0, 1, 2, ... (is this the label column?)"
        )


def labels_from_values(values: np.ndarray, *, where: str) -> tuple[np.ndarray, int]:
    """Turn numeric label values into int64 labels and count the classes.

    The labels must be whole numbers forming ``0 .. k-1`` with every class present and
    ``2 <= k <= MAX_CLASSES``, the encoding a softmax output expects.

    Parameters
    ----------
    values : np.ndarray, shape (n,)
        Label values as read from a file (float or integer).
    where : str
        Names the data in messages.

    Returns
    -------
    y : np.ndarray, shape (n,), int64
    n_classes : int
    """
    values = np.asarray(values)
    if values.ndim != 1:
        raise DataError(f"{where}: labels must be one number per example, got shape {values.shape}")
    if values.size == 0:
        raise DataError(f"{where}: there are no examples")
    _whole_numbers(values, where)
    y = values.astype(np.int64)
    present = np.unique(y)
    n_classes = int(present[-1]) + 1
    if present[0] < 0:
        raise DataError(f"{where}: label {int(present[0])} is negative; classes count from 0")
    if present.size == 1:
        raise DataError(
            f"{where}: every one of the {y.size} labels is {int(present[0])}; a classifier needs "
            "at least two classes (is this the label column?)"
        )
    if present.size != n_classes:
        missing = np.setdiff1d(np.arange(n_classes), present)
        shown = ", ".join(map(str, missing[:10].tolist())) + (" ..." if missing.size > 10 else "")
        msg = (
            f"{where}: labels must be the class numbers 0..k-1 with every class present; "
            f"the largest label is {n_classes - 1} but class {shown} never occurs"
        )
        if missing.tolist() == [0]:
            msg += (
                f"; the labels run from 1 to {n_classes - 1}, but chainrule counts classes"
                " from 0: subtract 1 from every label"
            )
        else:
            msg += "; renumber them, e.g. with np.unique(y, return_inverse=True)"
        raise DataError(msg)
    return y, n_classes


def split_indices(
    y: np.ndarray, fractions: Sequence[float], *, seed: int = 0, stratify: bool = True
) -> list[np.ndarray]:
    """Shuffle example indices and cut them into parts of the given sizes.

    Parameters
    ----------
    y : np.ndarray, shape (n,), integer
        Labels; with ``stratify`` each class is shared out in the same proportions.
    fractions : sequence of float
        Positive shares of the parts; they must sum to 1.
    seed : int
        Seed of the ``numpy.random.Generator``; the same seed gives the same parts.
    stratify : bool
        Keep the class proportions in every part.

    Returns
    -------
    list of np.ndarray
        One int64 index array per part, disjoint, together covering ``0 .. n-1``.
    """
    fr = np.asarray(fractions, dtype=np.float64)
    if fr.ndim != 1 or fr.size == 0 or (fr <= 0).any() or abs(fr.sum() - 1.0) > 1e-9:
        raise DataError(f"split fractions must be positive and sum to 1, got {list(fractions)}")
    rng = np.random.Generator(np.random.PCG64(seed))
    n = len(y)
    groups = [np.flatnonzero(y == c) for c in np.unique(y)] if stratify else [np.arange(n)]
    counts = _allocate(np.array([len(g) for g in groups], dtype=np.int64), fr)
    parts: list[list[np.ndarray]] = [[] for _ in fr]
    for group, row in zip(groups, counts, strict=True):
        group = rng.permutation(group)
        for part, piece in zip(parts, np.split(group, np.cumsum(row)[:-1]), strict=True):
            part.append(piece)
    return [rng.permutation(np.concatenate(p)).astype(np.int64) for p in parts]


def _allocate(sizes: np.ndarray, fractions: np.ndarray) -> np.ndarray:
    """Counts per (group, part): rows sum to the group sizes, columns to the part sizes.

    Rounding each group on its own can leave a part empty (four examples in two classes
    give each class 0.4 of a test example); so the part totals are rounded first and the
    units left after flooring go to the cells with the largest remainders.
    """
    totals = _largest_remainder(int(sizes.sum()), fractions)
    exact = sizes[:, None] * fractions[None, :]
    counts = np.floor(exact).astype(np.int64)
    row_left = sizes - counts.sum(axis=1)
    col_left = totals - counts.sum(axis=0)
    order = np.argsort(-(exact - counts), axis=None, kind="stable")
    for strict_pass in (True, False):
        for flat in order:
            i, j = divmod(int(flat), len(fractions))
            if (
                row_left[i] > 0
                and col_left[j] > 0
                and (exact[i, j] > counts[i, j] or not strict_pass)
            ):
                counts[i, j] += 1
                row_left[i] -= 1
                col_left[j] -= 1
    return counts


def _largest_remainder(n: int, fractions: np.ndarray) -> np.ndarray:
    # Counts that sum to n exactly, each within 1 of its share.
    exact = n * fractions
    counts = np.floor(exact).astype(np.int64)
    order = np.argsort(-(exact - counts), kind="stable")
    counts[order[: n - counts.sum()]] += 1
    return counts


def permute_rows(X: np.ndarray, order: np.ndarray) -> np.ndarray:
    """Put the rows of ``X`` in the given order, in place: afterwards row ``i`` holds what
    row ``order[i]`` held, as ``X[order]`` would, without a second copy of ``X``.

    The permutation is followed cycle by cycle with one row of scratch space, so splitting
    a training set into a training and a validation part (``order`` = the training
    indices, then the validation ones) leaves both parts as views of the one array.

    Parameters
    ----------
    X : np.ndarray, shape (n, ...)
        Writable; changed in place.
    order : np.ndarray, shape (n,), integer
        A permutation of ``0 .. n-1``.

    Returns
    -------
    np.ndarray
        ``X`` itself.
    """
    n = len(X)
    order = np.asarray(order)
    if (
        order.shape != (n,)
        or not np.issubdtype(order.dtype, np.integer)
        or (n and (order.min() < 0 or order.max() >= n))
        or (n and not (np.bincount(order, minlength=n) == 1).all())
    ):
        raise DataError(f"permute_rows: order must be a permutation of 0..{n - 1}")
    if not X.flags.writeable:
        raise DataError("permute_rows: X is read-only")
    targets = order.tolist()
    done = bytearray(n)
    row = np.empty_like(X[:1])
    for start in range(n):
        if done[start]:
            continue
        row[0] = X[start]
        i = start
        while True:
            done[i] = 1
            j = targets[i]
            if j == start:
                X[i] = row[0]
                break
            X[i] = X[j]
            i = j
    return X


class Split(NamedTuple):
    """Three parts of a data set, as returned by :func:`train_val_test_split`."""

    X_train: np.ndarray
    y_train: np.ndarray
    X_val: np.ndarray
    y_val: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray


def train_val_test_split(
    X: np.ndarray,
    y: np.ndarray,
    *,
    val_fraction: float = 0.1,
    test_fraction: float = 0.1,
    seed: int = 0,
    stratify: bool = True,
) -> Split:
    """Split examples into training, validation and test parts, seeded and stratified.

    Parameters
    ----------
    X : np.ndarray, shape (n, d)
    y : np.ndarray, shape (n,), integer
    val_fraction, test_fraction : float
        Shares of the validation and test parts; the rest is for training.
    seed : int
        Seed of the ``numpy.random.Generator``.
    stratify : bool
        Keep the class proportions in every part.

    Returns
    -------
    Split
        ``X_train, y_train, X_val, y_val, X_test, y_test``.
    """
    if len(X) != len(y):
        raise ShapeError(f"X has {len(X)} rows but y has {len(y)} labels")
    fr = (1.0 - val_fraction - test_fraction, val_fraction, test_fraction)
    tr, va, te = split_indices(y, fr, seed=seed, stratify=stratify)
    return Split(X[tr], y[tr], X[va], y[va], X[te], y[te])


def one_hot(y: np.ndarray, n_classes: int | None = None, dtype: Any = np.float32) -> np.ndarray:
    """One-hot codes of integer labels.

    Parameters
    ----------
    y : np.ndarray, shape (n,), integer
        Labels in ``0 .. n_classes - 1``.
    n_classes : int, optional
        Number of classes; ``y.max() + 1`` when not given.
    dtype : numpy dtype
        Element type of the result.

    Returns
    -------
    np.ndarray, shape (n, n_classes)
        Row ``i`` is 1 in column ``y[i]`` and 0 elsewhere.
    """
    y = np.asarray(y)
    if y.ndim != 1 or not np.issubdtype(y.dtype, np.integer):
        raise DataError(f"one_hot needs integer labels of shape (n,), got {y.dtype} {y.shape}")
    k = int(y.max()) + 1 if n_classes is None and y.size else int(n_classes or 0)
    check_labels(y, k)
    out = np.zeros((y.size, k), dtype=dtype)
    out[np.arange(y.size), y] = 1
    return out
