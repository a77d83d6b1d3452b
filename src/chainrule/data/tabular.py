"""The user's own data: CSV files and NPZ archives (read without pickle)."""

from __future__ import annotations

import csv
import os
import re
import warnings
from pathlib import Path

import numpy as np

from chainrule.data.dataset import Dataset
from chainrule.data.digits import TEST_FRACTION
from chainrule.data.npz import read_npz_arrays
from chainrule.data.preprocess import labels_from_values, split_indices
from chainrule.errors import DataError
from chainrule.readfile import read_regular

__all__ = ["LABEL_NAMES", "load_csv", "load_npz", "read_csv"]

LABEL_NAMES = ("label", "target", "class", "y")
_MISSING = {"", "na", "n/a", "nan", "null", "none", "?", "-"}
_DELIMITERS = (",", ";", "\t")
# What a CSV number looks like: ASCII digits, an optional exponent, or inf/nan. Python's
# float() also takes "1_000" and non-ASCII digits, which no spreadsheet writes.
_NUMBER = re.compile(
    r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?|[+-]?(?:inf|infinity|nan)",
    re.IGNORECASE,
)


def _is_number(cell: str) -> bool:
    return _NUMBER.fullmatch(cell.strip()) is not None


def read_csv(
    path: str | os.PathLike[str], *, delimiter: str | None = None
) -> tuple[np.ndarray, list[str] | None]:
    """Read a numeric CSV file into a float64 matrix.

    The first line is a header when any of its cells is not a number.

    Parameters
    ----------
    path : path-like
    delimiter : str, optional
        Cell separator; by default the most frequent of ``,`` ``;`` and tab in the
        first line.

    Returns
    -------
    values : np.ndarray, shape (n_rows, n_columns), float64
    header : list of str or None
        Column names when the file has a header line.

    Raises
    ------
    DataError
        A missing value, a cell that is not a number, or a row of the wrong length,
        naming the line and the column.
    """
    path = Path(path)
    lines = _read_lines(path)
    first = next((i for i, line in enumerate(lines) if line.strip()), None)
    if first is None:
        raise DataError(f"CSV file {path} is empty")
    if delimiter is None:
        delimiter = max(_DELIMITERS, key=lines[first].count)
    head_cells = next(csv.reader([lines[first]], delimiter=delimiter))
    has_header = not all(_is_number(c) for c in head_cells)
    header = [c.strip() for c in head_cells] if has_header else None
    start = first + 1 if has_header else first
    values = _fast_parse(lines[start:], delimiter, len(head_cells))
    if values is None:
        values = _careful_parse(path, lines, start, delimiter, header, len(head_cells))
    return values, header


def _read_lines(path: Path) -> list[str]:
    raw = read_regular(path, "CSV file", DataError)
    try:
        return raw.decode("utf-8-sig").splitlines()
    except UnicodeDecodeError as exc:
        raise DataError(f"CSV file {path}: not UTF-8 text ({exc}); is it a CSV file?") from None


def _fast_parse(lines: list[str], delimiter: str, width: int) -> np.ndarray | None:
    """NumPy's parser for clean files; None sends the file to the careful parse, which
    locates the problem (and refuses what NumPy would take silently)."""
    if not any(line.strip() for line in lines) or any("_" in line for line in lines):
        return None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            values = np.loadtxt(
                lines, delimiter=delimiter, dtype=np.float64, comments=None, ndmin=2
            )
    except ValueError:
        return None
    if values.shape[1] != width or not np.isfinite(values).all() or not values.size:
        return None
    return values


def _careful_parse(
    path: Path,
    lines: list[str],
    start: int,
    delimiter: str,
    header: list[str] | None,
    width: int,
) -> np.ndarray:
    def column(j: int) -> str:
        return f"column {j + 1}" + (f" ({header[j]!r})" if header and j < len(header) else "")

    rows = []
    for offset, cells in enumerate(csv.reader(lines[start:], delimiter=delimiter)):
        line_no = start + offset + 1
        if not cells or all(not c.strip() for c in cells):
            continue
        if len(cells) != width:
            raise DataError(
                f"CSV file {path}, line {line_no}: {len(cells)} cells, but the "
                f"{'header' if header else 'first line'} has {width}"
            )
        rows.append([_cell(path, line_no, column(j), c.strip()) for j, c in enumerate(cells)])
    if not rows:
        raise DataError(f"CSV file {path} has a header but no data rows")
    return np.asarray(rows, dtype=np.float64)


def _cell(path: Path, line_no: int, column: str, cell: str) -> float:
    place = f"CSV file {path}, line {line_no}, {column}"
    if cell.lower() in _MISSING:
        raise DataError(f"{place}: missing value ({cell!r}); fill it in or drop the row")
    if not _is_number(cell):
        hint = " (digits are not grouped with '_')" if "_" in cell else ""
        raise DataError(
            f"{place}: {cell!r} is not a number{hint}; every cell must be numeric "
            "(encode categories as numbers)"
        )
    value = float(cell)
    if np.isnan(value):
        raise DataError(f"{place}: {cell!r} is NaN, a missing value; fill it in or drop the row")
    if not np.isfinite(value):
        raise DataError(f"{place}: {cell!r} is infinite")
    return value


def _label_index(label: str | int | None, header: list[str] | None, width: int, path: Path) -> int:
    if label is None:
        if header:
            lowered = [h.lower() for h in header]
            for name in LABEL_NAMES:
                if name in lowered:
                    return lowered.index(name)
        return width - 1
    if isinstance(label, str) and not label.lstrip("-").isdigit():
        if header is None:
            raise DataError(
                f"CSV file {path} has no header line, so there is no column named {label!r}; "
                "give the label column by number (0 is the first)"
            )
        if label not in header:
            raise DataError(
                f"CSV file {path}: no column named {label!r}; the columns are {', '.join(header)}"
            )
        return header.index(label)
    index = int(label)
    if not -width <= index < width:
        raise DataError(f"CSV file {path}: label column {index} does not exist; there are {width}")
    return index % width


def _split(X: np.ndarray, y: np.ndarray, seed: int, where: str):
    if len(y) < 2:
        raise DataError(f"{where}: {len(y)} example(s) cannot be split into training and test")
    train, test = split_indices(y, (1.0 - TEST_FRACTION, TEST_FRACTION), seed=seed)
    if train.size == 0 or test.size == 0:
        raise DataError(
            f"{where}: {len(y)} examples are too few to hold out a test split of "
            f"{TEST_FRACTION:.0%} ({train.size} would be left for training, {test.size} for test)"
        )
    return X[train], y[train], X[test], y[test]


def load_csv(
    path: str | os.PathLike[str],
    *,
    label: str | int | None = None,
    seed: int = 0,
    delimiter: str | None = None,
) -> Dataset:
    """Load a classification data set from a CSV file, one example a line.

    Parameters
    ----------
    path : path-like
    label : str or int, optional
        The label column, by header name or 0-based index. Default: the column named
        label, target, class or y (any case) if there is one, else the last column.
    seed : int
        Seed of the stratified 80/20 split into training and test examples.
    delimiter : str, optional
        Cell separator; detected from the first line by default.

    Returns
    -------
    Dataset
        ``X_*`` float32 of shape (n, n_columns - 1), ``image_shape None``.
    """
    path = Path(path)
    values, header = read_csv(path, delimiter=delimiter)
    width = values.shape[1]
    if width < 2:
        raise DataError(f"CSV file {path}: only one column; it needs features and a label column")
    j = _label_index(label, header, width, path)
    name = header[j] if header else str(j)
    y, n_classes = labels_from_values(values[:, j], where=f"CSV file {path}, label column {name!r}")
    X = np.delete(values, j, axis=1).astype(np.float32)
    X_train, y_train, X_test, y_test = _split(X, y, seed, f"CSV file {path}")
    return Dataset(X_train, y_train, X_test, y_test, n_classes, None, None, f"csv:{path}")


_NPZ_LAYOUTS = (("x", "y"), ("x_train", "y_train", "x_test", "y_test"))


def load_npz(path: str | os.PathLike[str], *, seed: int = 0) -> Dataset:
    """Load a data set from an ``.npz`` archive, without pickle.

    Parameters
    ----------
    path : path-like
        Holds ``X`` and ``y`` (split 80/20 here, stratified and seeded) or ``x_train``,
        ``y_train``, ``x_test``, ``y_test`` (the Keras layout); key case is ignored, so an
        archive holding both ``X`` and ``x`` is refused. ``X`` of shape (n, d), or
        (n, h, w) / (n, h, w, c) images that are flattened.
    seed : int
        Seed of the split when only ``X`` and ``y`` are given.

    Returns
    -------
    Dataset
        ``image_shape`` is ``X.shape[1:]`` for image arrays, else None.
    """
    path = Path(path)
    where = f"NPZ file {path}"
    layout, arrays = read_npz_arrays(path, _NPZ_LAYOUTS, where)
    split = _split_xy if layout == ("x", "y") else _keras_parts
    parts = split(arrays, where, seed)
    return Dataset(*parts, None, f"npz:{path}")


def _split_xy(arrays: dict[str, np.ndarray], where: str, seed: int) -> tuple:
    """``X`` and ``y`` split 80/20: ``(X_train, y_train, X_test, y_test, k, image_shape)``."""
    X, image_shape = _features(arrays["x"], f"{where}, array X")
    y, n_classes = labels_from_values(_labels(arrays["y"], len(X), where, "y"), where=f"{where}, y")
    return (*_split(X, y, seed, where), n_classes, image_shape)


def _keras_parts(arrays: dict[str, np.ndarray], where: str, seed: int) -> tuple:
    """The Keras layout's four arrays, checked to agree, labels numbered together
    (``seed`` is unused: the split is the file's own)."""
    X_train, image_shape = _features(arrays["x_train"], f"{where}, array x_train")
    X_test, test_shape = _features(arrays["x_test"], f"{where}, array x_test")
    if X_test.shape[1] != X_train.shape[1] or test_shape != image_shape:
        raise DataError(
            f"{where}: x_train examples have shape {image_shape or X_train.shape[1:]} "
            f"but x_test examples {test_shape or X_test.shape[1:]}"
        )
    n_train = len(X_train)
    both = np.concatenate(
        [
            _labels(arrays["y_train"], n_train, where, "y_train"),
            _labels(arrays["y_test"], len(X_test), where, "y_test"),
        ]
    )
    y, n_classes = labels_from_values(both, where=f"{where}, y_train and y_test")
    return X_train, y[:n_train], X_test, y[n_train:], n_classes, image_shape


def _features(X: np.ndarray, where: str) -> tuple[np.ndarray, tuple[int, ...] | None]:
    if not (np.issubdtype(X.dtype, np.number) or X.dtype == np.bool_) or np.issubdtype(
        X.dtype, np.complexfloating
    ):
        raise DataError(f"{where}: dtype {X.dtype} is not real numbers")
    if X.ndim < 2 or X.ndim > 4 or X.shape[0] == 0:
        raise DataError(
            f"{where}: shape {X.shape}; expected (n, d) features or (n, h, w[, c]) images"
        )
    image_shape = tuple(int(s) for s in X.shape[1:]) if X.ndim > 2 else None
    flat = X.reshape(X.shape[0], -1).astype(np.float32)
    bad = ~np.isfinite(flat)
    if bad.any():
        i, j = (int(v) for v in np.argwhere(bad)[0])
        raise DataError(f"{where}: example {i}, feature {j} is {flat[i, j]} (NaN or infinite)")
    return flat, image_shape


def _labels(y: np.ndarray, n: int, where: str, key: str) -> np.ndarray:
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if y.ndim == 2 and y.shape[1] > 1:
        raise DataError(
            f"{where}: {key} has shape {y.shape}, which looks one-hot; store class numbers "
            "(y.argmax(axis=1)) instead"
        )
    if y.ndim != 1:
        raise DataError(
            f"{where}: {key} has shape {y.shape}; expected one label per example ({n},)"
        )
    if len(y) != n:
        raise DataError(f"{where}: {n} examples but {len(y)} labels in {key}")
    return y
