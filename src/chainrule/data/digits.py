"""scikit-learn's bundled 8x8 handwritten digits (1,797 images, no download)."""

from __future__ import annotations

import gzip
import importlib.util
from pathlib import Path

import numpy as np

from chainrule.data.dataset import Dataset
from chainrule.data.preprocess import split_indices
from chainrule.errors import DataError

__all__ = ["TEST_FRACTION", "digits_file", "load_digits", "read_digits"]

TEST_FRACTION = 0.2

#: Images, pixels per image (8 x 8) and the largest pixel value of the set.
N_IMAGES, N_PIXELS, MAX_PIXEL = 1797, 64, 16


def digits_file() -> Path | None:
    """Where scikit-learn keeps the digits (``sklearn/datasets/data/digits.csv.gz``), found
    without importing scikit-learn (that takes about a second); None where it is not there."""
    spec = importlib.util.find_spec("sklearn")
    for folder in (spec.submodule_search_locations or []) if spec else []:
        path = Path(folder) / "datasets" / "data" / "digits.csv.gz"
        if path.is_file():
            return path
    return None


def read_digits(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """Read the digits file: 1,797 lines of 64 pixel values 0..16 and the class 0..9,
    comma-separated, gzip-compressed (what ``sklearn.datasets.load_digits`` reads).

    Returns
    -------
    X : ndarray of float32, shape (1797, 64)
    y : ndarray of int64, shape (1797,)
    """
    # the file is scikit-learn's, but it is checked like any data file before use
    if path.stat().st_size > 1 << 20:
        raise DataError(f"{path}: {path.stat().st_size} bytes, expected the 57 kB digits file")
    try:
        with gzip.open(path, "rb") as fh:
            table = np.loadtxt(fh, delimiter=",", dtype=np.float64, ndmin=2)
    except (OSError, EOFError, ValueError) as err:
        raise DataError(f"{path}: not the digits table ({err})") from None
    if table.shape != (N_IMAGES, N_PIXELS + 1):
        raise DataError(
            f"{path}: a table of shape {table.shape}, expected ({N_IMAGES}, {N_PIXELS + 1})"
        )
    X, y = table[:, :-1], table[:, -1]
    bad = ~np.isin(X, np.arange(MAX_PIXEL + 1)).all(axis=1) | ~np.isin(y, np.arange(10))
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise DataError(
            f"{path}, line {row + 1}: expected whole pixel values 0..{MAX_PIXEL} and a "
            f"class 0..9, got {table[row].tolist()}"
        )
    return X.astype(np.float32), y.astype(np.int64)


def load_digits(*, seed: int = 0) -> Dataset:
    """Load the digits with a stratified, seeded test split of about 20 %.

    The set has no official test split; the split comes from ``seed``, so the default
    seed always gives the same 1,438 training and 359 test images (20 % of each class,
    rounded per class). The images are read from scikit-learn's own copy of the file
    (:func:`digits_file`) without importing scikit-learn; where that file is not found,
    through ``sklearn.datasets.load_digits``. Both give the same arrays.

    Parameters
    ----------
    seed : int
        Seed of the ``numpy.random.Generator`` that draws the test split.

    Returns
    -------
    Dataset
        ``X_*`` float32 of shape (n, 64) with pixel values 0..16, ``image_shape (8, 8)``,
        10 classes named ``"0" .. "9"``.
    """
    path = digits_file()
    if path is not None:
        X, y = read_digits(path)
    else:  # pragma: no cover - scikit-learn keeps the file in every release we support
        from sklearn.datasets import load_digits as sklearn_digits

        bunch = sklearn_digits()
        X = np.asarray(bunch.data, dtype=np.float32)
        y = np.asarray(bunch.target, dtype=np.int64)
    train, test = split_indices(y, (1.0 - TEST_FRACTION, TEST_FRACTION), seed=seed)
    return Dataset(
        X_train=X[train],
        y_train=y[train],
        X_test=X[test],
        y_test=y[test],
        n_classes=10,
        image_shape=(8, 8),
        class_names=tuple(str(d) for d in range(10)),
        name="digits",
    )
