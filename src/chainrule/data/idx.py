"""MNIST and Fashion-MNIST from their IDX files, gzipped or not.

An IDX file is a 4-byte magic number ``0 0 T N`` (element type ``T``, ``N`` dimensions),
``N`` big-endian uint32 sizes, then the elements in C order, big-endian.
"""

from __future__ import annotations

import gzip
import os
import zlib
from pathlib import Path
from typing import IO

import numpy as np

from chainrule.data.dataset import Dataset
from chainrule.errors import DataError

__all__ = ["FASHION_CLASSES", "MNIST_FILES", "load_mnist", "read_idx"]

# Element type codes of the IDX format (LeCun's MNIST page).
_TYPES = {
    0x08: np.dtype(">u1"),
    0x09: np.dtype(">i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
_MAX_DIMS = 4
# A corrupt header could ask for terabytes; no real IDX data set comes near this.
MAX_PAYLOAD_BYTES = 1 << 30

MNIST_FILES = {
    "train_images": "train-images-idx3-ubyte",
    "train_labels": "train-labels-idx1-ubyte",
    "test_images": "t10k-images-idx3-ubyte",
    "test_labels": "t10k-labels-idx1-ubyte",
}
FASHION_CLASSES = (
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
)


def read_idx(path: str | os.PathLike[str]) -> np.ndarray:
    """Read one IDX file, gzipped (detected from its first bytes) or plain.

    The magic number, the dimensions and the exact length are checked: the data must
    end exactly where the header says.

    Parameters
    ----------
    path : path-like
        An IDX file such as ``train-images-idx3-ubyte`` or ``...-ubyte.gz``.

    Returns
    -------
    np.ndarray
        Shape from the header, such as (60000, 28, 28) uint8 for MNIST training images;
        native byte order.

    Raises
    ------
    DataError
        Missing, truncated, over-long or corrupt file, or an unknown magic number.
    """
    path = Path(path)
    try:
        with open(path, "rb") as raw:
            gzipped = raw.read(2) == b"\x1f\x8b"
    except OSError as exc:
        raise DataError(f"cannot read IDX file {path}: {exc.strerror or exc}") from exc
    try:
        if gzipped:
            with gzip.open(path, "rb") as f:
                return _read_stream(f, path, size=None)
        with open(path, "rb") as f:
            return _read_stream(f, path, size=path.stat().st_size)
    except (gzip.BadGzipFile, EOFError, zlib.error) as exc:
        raise DataError(
            f"IDX file {path}: the gzip data is corrupt or cut short ({exc}); "
            "download the file again"
        ) from exc


def _read_stream(f: IO[bytes], path: Path, size: int | None) -> np.ndarray:
    where = f"IDX file {path}" + (" (after gunzip)" if size is None else "")
    magic = f.read(4)
    if len(magic) < 4:
        raise DataError(f"{where}: only {len(magic)} bytes, too short for the 4-byte magic number")
    if magic[0] != 0 or magic[1] != 0 or magic[2] not in _TYPES or not 1 <= magic[3] <= _MAX_DIMS:
        raise DataError(
            f"{where}: byte offset 0: magic number 0x{magic.hex()} is not an IDX header "
            "(expected 0x0000080N, such as 0x00000803 for images and 0x00000801 for labels); "
            "is this the right file?"
        )
    dtype, ndim = _TYPES[magic[2]], magic[3]
    head = f.read(4 * ndim)
    if len(head) < 4 * ndim:
        raise DataError(f"{where}: the header ends after {4 + len(head)} bytes, inside the sizes")
    shape = tuple(int(v) for v in np.frombuffer(head, dtype=">u4"))
    count = int(np.prod(shape, dtype=np.int64))
    header_len = 4 + 4 * ndim
    nbytes = count * dtype.itemsize
    if nbytes > MAX_PAYLOAD_BYTES:
        raise DataError(
            f"{where}: header sizes {shape} ask for {nbytes} bytes; the file is corrupt"
        )
    expected = header_len + nbytes
    if size is not None and size != expected:
        problem = "truncated" if size < expected else f"{size - expected} bytes too long"
        raise DataError(
            f"{where}: {size} bytes, but its header (sizes {shape}) needs exactly {expected}: "
            f"{problem}"
        )
    payload = f.read(nbytes)
    if len(payload) < nbytes:
        raise DataError(
            f"{where}: data ends at byte offset {header_len + len(payload)}, but its header "
            f"(sizes {shape}) needs {expected} bytes: truncated"
        )
    if f.read(1):
        raise DataError(f"{where}: more data after byte offset {expected}, where its header ends")
    return np.frombuffer(payload, dtype=dtype).reshape(shape).astype(dtype.newbyteorder("="))


def _find(directory: Path, stem: str) -> Path | None:
    for name in (stem, stem + ".gz"):
        if (directory / name).is_file():
            return directory / name
    return None


def load_mnist(directory: str | os.PathLike[str], *, variant: str = "mnist") -> Dataset:
    """Load MNIST or Fashion-MNIST from the four official IDX files in a directory.

    Parameters
    ----------
    directory : path-like
        Holds ``train-images-idx3-ubyte``, ``train-labels-idx1-ubyte``,
        ``t10k-images-idx3-ubyte`` and ``t10k-labels-idx1-ubyte``, each optionally ``.gz``.
    variant : {"mnist", "fashion-mnist"}
        Sets the name and the class names.

    Returns
    -------
    Dataset
        ``X_*`` float32 of shape (n, rows * cols) with pixel values 0..255,
        ``image_shape (rows, cols)`` (28, 28 for the real files), 10 classes.
    """
    if variant not in {"mnist", "fashion-mnist"}:
        raise ValueError(f"variant must be 'mnist' or 'fashion-mnist', got {variant!r}")
    directory = Path(directory)
    expected = ", ".join(f"{s}[.gz]" for s in MNIST_FILES.values())
    if not directory.is_dir():
        raise DataError(
            f"{variant}: directory {directory} does not exist; it should hold {expected}"
        )
    paths = {key: _find(directory, stem) for key, stem in MNIST_FILES.items()}
    missing = [MNIST_FILES[k] + "[.gz]" for k, p in paths.items() if p is None]
    if missing:
        raise DataError(
            f"{variant}: {directory} lacks {', '.join(missing)}; expected the files {expected}"
            f" (chainrule.data.download({variant!r}, DIR) fetches them)"
        )
    parts = {}
    for part in ("train", "test"):
        ipath, lpath = paths[f"{part}_images"], paths[f"{part}_labels"]
        assert ipath is not None and lpath is not None
        images, labels = read_idx(ipath), read_idx(lpath)
        if images.ndim != 3 or images.dtype != np.uint8:
            raise DataError(
                f"IDX file {ipath}: expected unsigned-byte images of 3 dimensions (n, rows, cols),"
                f" got {images.dtype} {images.shape}; is it a label file?"
            )
        if labels.ndim != 1 or labels.dtype != np.uint8:
            raise DataError(
                f"IDX file {lpath}: expected unsigned-byte labels of 1 dimension (n,),"
                f" got {labels.dtype} {labels.shape}; is it an image file?"
            )
        if images.shape[0] != labels.shape[0]:
            raise DataError(
                f"{variant}: {ipath.name} holds {images.shape[0]} images but {lpath.name} holds "
                f"{labels.shape[0]} labels"
            )
        bad = np.flatnonzero(labels > 9)
        if bad.size:
            raise DataError(
                f"IDX file {lpath}: byte offset {8 + int(bad[0])} (after any gunzip): label "
                f"{int(labels[bad[0]])} is outside the classes 0..9; the file is corrupt"
            )
        y = labels.astype(np.int64)
        parts[part] = (images.reshape(images.shape[0], -1).astype(np.float32), y)
        shape = images.shape[1:]
    if parts["train"][0].shape[1] != parts["test"][0].shape[1]:
        raise DataError(f"{variant}: training and test images differ in size")
    return Dataset(
        X_train=parts["train"][0],
        y_train=parts["train"][1],
        X_test=parts["test"][0],
        y_test=parts["test"][1],
        n_classes=10,
        image_shape=(int(shape[0]), int(shape[1])),
        class_names=FASHION_CLASSES if variant == "fashion-mnist" else tuple("0123456789"),
        name=f"{variant}:{directory}",
    )
