"""CIFAR-10 from the official binary batches or the python (pickled) batches.

A binary batch is a run of 3,073-byte records: one label byte, then 1,024 red, 1,024
green and 1,024 blue pixel bytes, each plane row by row. A python batch is a pickled dict
with ``data`` (uint8, shape (n, 3072), same layout) and ``labels`` (n ints); it is read
through :class:`~chainrule.data.cifar_pickle.RestrictedUnpickler`, which builds nothing but
a uint8 array from bytes (see :mod:`chainrule.data.cifar_pickle`).
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from chainrule.data.cifar_pickle import RestrictedUnpickler, unpickle_batch
from chainrule.data.dataset import Dataset
from chainrule.errors import DataError
from chainrule.readfile import not_a_directory, open_regular

__all__ = [
    "CIFAR10_CLASSES",
    "RestrictedUnpickler",
    "load_cifar10",
    "read_cifar_binary",
    "read_cifar_python",
]

CIFAR10_CLASSES = (
    "airplane",
    "automobile",
    "bird",
    "cat",
    "deer",
    "dog",
    "frog",
    "horse",
    "ship",
    "truck",
)
RECORD_BYTES = 1 + 32 * 32 * 3
# An official batch holds 10,000 images (about 30 MB); refuse files far beyond that
# before reading them into memory.
MAX_BATCH_BYTES = 256 * 1024 * 1024
BINARY_FILES = (*(f"data_batch_{i}.bin" for i in range(1, 6)), "test_batch.bin")
PYTHON_FILES = (*(f"data_batch_{i}" for i in range(1, 6)), "test_batch")
SUBDIRS = ("", "cifar-10-batches-bin", "cifar-10-batches-py")


def _read_bounded(path: Path) -> bytes:
    with open_regular(path, "CIFAR-10 file", DataError) as fh:
        size = os.fstat(fh.fileno()).st_size
        if size > MAX_BATCH_BYTES:
            raise DataError(
                f"CIFAR-10 file {path}: {size} bytes, more than the {MAX_BATCH_BYTES} a batch "
                "can have; is this the right file?"
            )
        try:
            return fh.read(MAX_BATCH_BYTES + 1)
        except OSError as exc:
            raise DataError(f"cannot read CIFAR-10 file {path}: {exc.strerror or exc}") from exc


def _check_labels(labels: np.ndarray, path: Path, record_bytes: int | None) -> np.ndarray:
    bad = np.flatnonzero(labels > 9)
    if bad.size:
        i = int(bad[0])
        place = f"byte offset {i * record_bytes}" if record_bytes else f"example {i}"
        raise DataError(
            f"CIFAR-10 file {path}: {place}: label {int(labels[i])} is outside the classes "
            "0..9; the file is corrupt or not a CIFAR-10 batch (CIFAR-100 has 2 label bytes)"
        )
    return labels.astype(np.int64)


def _to_hwc(planes: np.ndarray) -> np.ndarray:
    # Stored as 3 colour planes; X rows are laid out as (32, 32, 3) images instead, so
    # that X[i].reshape(32, 32, 3) is the picture.
    return planes.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1).reshape(-1, 3072)


def read_cifar_binary(path: str | os.PathLike[str]) -> tuple[np.ndarray, np.ndarray]:
    """Read one binary batch such as ``data_batch_1.bin``.

    Parameters
    ----------
    path : path-like

    Returns
    -------
    X : np.ndarray, shape (n, 3072), uint8
        Pixels of each image in (32, 32, 3) order (row, column, RGB), flattened.
    y : np.ndarray, shape (n,), int64
        Labels 0..9.

    Raises
    ------
    DataError
        The size is not a whole number of 3,073-byte records, or a label byte is over 9.
    """
    path = Path(path)
    raw = _read_bounded(path)
    if not raw:
        raise DataError(f"CIFAR-10 file {path} is empty; download it again")
    if len(raw) % RECORD_BYTES:
        whole, rest = divmod(len(raw), RECORD_BYTES)
        raise DataError(
            f"CIFAR-10 file {path}: {len(raw)} bytes is not a whole number of {RECORD_BYTES}-byte "
            f"records ({whole} records and {rest} bytes left over): truncated or not a "
            "CIFAR-10 binary batch (an official batch is 30,730,000 bytes)"
        )
    records = np.frombuffer(raw, dtype=np.uint8).reshape(-1, RECORD_BYTES)
    y = _check_labels(records[:, 0], path, RECORD_BYTES)
    return _to_hwc(records[:, 1:]), y


def read_cifar_python(path: str | os.PathLike[str]) -> tuple[np.ndarray, np.ndarray]:
    """Read one python batch such as ``data_batch_1`` through :class:`RestrictedUnpickler`.

    Parameters
    ----------
    path : path-like

    Returns
    -------
    X : np.ndarray, shape (n, 3072), uint8
        Pixels in (32, 32, 3) order, flattened, as :func:`read_cifar_binary` gives.
    y : np.ndarray, shape (n,), int64
    """
    path = Path(path)
    batch = unpickle_batch(_read_bounded(path), f"CIFAR-10 file {path}")
    return _to_hwc(batch["data"]), np.asarray(batch["labels"], dtype=np.int64)


def _locate(directory: Path) -> tuple[list[Path], str] | None:
    for sub in SUBDIRS:
        base = directory / sub if sub else directory
        for names, kind in ((BINARY_FILES, "binary"), (PYTHON_FILES, "python")):
            if all((base / n).is_file() for n in names):
                return [base / n for n in names], kind
    return None


def load_cifar10(directory: str | os.PathLike[str]) -> Dataset:
    """Load CIFAR-10: 5 training batches and 1 test batch, binary or python.

    Parameters
    ----------
    directory : path-like
        Holds ``data_batch_1.bin .. data_batch_5.bin, test_batch.bin`` (binary) or
        ``data_batch_1 .. data_batch_5, test_batch`` (python), directly or in the
        archive's own ``cifar-10-batches-bin`` / ``cifar-10-batches-py`` folder. The
        binary batches are used when both are there.

    Returns
    -------
    Dataset
        ``X_*`` float32 of shape (n, 3072) with pixel values 0..255 in (32, 32, 3)
        order, ``image_shape (32, 32, 3)``, the 10 CIFAR-10 class names.
    """
    directory = Path(directory)
    expected = f"{', '.join(BINARY_FILES)} or {', '.join(PYTHON_FILES)}"
    if not directory.is_dir():
        raise DataError(not_a_directory(directory, "cifar10", expected))
    found = _locate(directory)
    if found is None:
        raise DataError(
            f"cifar10: {directory} (and its cifar-10-batches-bin/-py folders) lacks a complete "
            f"set of batches; expected {expected} "
            "(chainrule.data.download('cifar10', DIR) fetches them)"
        )
    paths, kind = found
    read = read_cifar_binary if kind == "binary" else read_cifar_python
    batches = [read(p) for p in paths]
    X_train = np.concatenate([b[0] for b in batches[:5]]).astype(np.float32)
    y_train = np.concatenate([b[1] for b in batches[:5]])
    return Dataset(
        X_train=X_train,
        y_train=y_train,
        X_test=batches[5][0].astype(np.float32),
        y_test=batches[5][1],
        n_classes=10,
        image_shape=(32, 32, 3),
        class_names=CIFAR10_CLASSES,
        name=f"cifar10:{directory}",
    )
