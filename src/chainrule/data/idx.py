"""MNIST and Fashion-MNIST from their IDX files, gzipped or not.

An IDX file is a 4-byte magic number ``0 0 T N`` (element type ``T``, ``N`` dimensions),
``N`` big-endian uint32 sizes, then the elements in C order, big-endian.
"""

from __future__ import annotations

import contextlib
import gzip
import math
import os
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import IO, NamedTuple

import numpy as np

from chainrule.data.dataset import Dataset
from chainrule.errors import DataError
from chainrule.readfile import not_a_directory, open_regular

__all__ = [
    "FASHION_CLASSES",
    "MNIST_FILES",
    "IdxHeader",
    "load_mnist",
    "read_idx",
    "read_idx_header",
]

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
# Decompressed data is read in pieces of this size, so that memory follows the data
# actually present, not the sizes a header claims.
_CHUNK = 1 << 22

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


class IdxHeader(NamedTuple):
    """What an IDX header says: element ``dtype`` (big-endian), ``shape``, header bytes."""

    dtype: np.dtype
    shape: tuple[int, ...]
    length: int

    @property
    def nbytes(self) -> int:
        """Bytes of data the header asks for (exact integers, no wrap-around)."""
        return math.prod(self.shape) * self.dtype.itemsize


@contextlib.contextmanager
def _open_idx(path: Path) -> Iterator[tuple[IO[bytes], int | None, str]]:
    """``(stream, size, where)``: the bytes after any gunzip; ``size`` None when gzipped."""
    with open_regular(path, "IDX file", DataError) as raw:
        gzipped = raw.read(2) == b"\x1f\x8b"
        raw.seek(0)
        try:
            if gzipped:
                with gzip.GzipFile(fileobj=raw, mode="rb") as f:
                    yield f, None, f"IDX file {path} (after gunzip)"
            else:
                yield raw, os.fstat(raw.fileno()).st_size, f"IDX file {path}"
        except (gzip.BadGzipFile, EOFError, zlib.error) as exc:
            raise DataError(
                f"IDX file {path}: the gzip data is corrupt or cut short ({exc}); "
                "download the file again"
            ) from None


def read_idx_header(f: IO[bytes], where: str, size: int | None = None) -> IdxHeader:
    """Read and check the magic number and sizes; ``size`` is the file's real length.

    Raises
    ------
    DataError
        An unknown magic number, a header cut short, sizes asking for more than
        :data:`MAX_PAYLOAD_BYTES`, or (``size`` given) a length other than the header's.
    """
    magic = f.read(4)
    if len(magic) < 4:
        raise DataError(f"{where}: only {len(magic)} bytes, too short for the 4-byte magic number")
    if magic[0] != 0 or magic[1] != 0 or magic[2] not in _TYPES or not 1 <= magic[3] <= _MAX_DIMS:
        raise DataError(
            f"{where}: byte offset 0: magic number 0x{magic.hex()} is not an IDX header "
            "(expected 0x0000080N, such as 0x00000803 for images and 0x00000801 for labels); "
            "is this the right file?"
        )
    ndim = magic[3]
    head = f.read(4 * ndim)
    if len(head) < 4 * ndim:
        raise DataError(f"{where}: the header ends after {4 + len(head)} bytes, inside the sizes")
    shape = tuple(int.from_bytes(head[i : i + 4], "big") for i in range(0, 4 * ndim, 4))
    header = IdxHeader(_TYPES[magic[2]], shape, 4 + 4 * ndim)
    if header.nbytes > MAX_PAYLOAD_BYTES:
        raise DataError(
            f"{where}: header sizes {shape} ask for {header.nbytes} bytes, more than the "
            f"{MAX_PAYLOAD_BYTES} of any IDX data set; the file is corrupt"
        )
    expected = header.length + header.nbytes
    if size is not None and size != expected:
        problem = "truncated" if size < expected else f"{size - expected} bytes too long"
        raise DataError(
            f"{where}: {size} bytes, but its header (sizes {shape}) needs exactly {expected}: "
            f"{problem}"
        )
    return header


def _read_payload(f: IO[bytes], header: IdxHeader, where: str) -> np.ndarray:
    """The elements, read piece by piece: a header that lies costs only the real bytes."""
    payload = bytearray()
    while len(payload) < header.nbytes:
        piece = f.read(min(_CHUNK, header.nbytes - len(payload)))
        if not piece:
            raise DataError(
                f"{where}: data ends at byte offset {header.length + len(payload)}, but its "
                f"header (sizes {header.shape}) needs {header.length + header.nbytes} bytes: "
                "truncated"
            )
        payload += piece
    if f.read(1):
        end = header.length + header.nbytes
        raise DataError(f"{where}: more data after byte offset {end}, where its header ends")
    # a view of the bytes read (no second copy of the payload); a copy only to swap bytes
    array = np.frombuffer(payload, dtype=header.dtype).reshape(header.shape)
    return array.astype(header.dtype.newbyteorder("="), copy=False)


def read_idx(path: str | os.PathLike[str]) -> np.ndarray:
    """Read one IDX file, gzipped (detected from its first bytes) or plain.

    The magic number, the dimensions and the exact length are checked: the data must
    end exactly where the header says (checked against the file's size before reading
    when the file is plain, and piece by piece after gunzip).

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
        Missing, not a regular file, truncated, over-long or corrupt file, or an unknown
        magic number.
    """
    path = Path(path)
    with _open_idx(path) as (f, size, where):
        return _read_payload(f, read_idx_header(f, where, size), where)


def _header_of(path: Path) -> IdxHeader:
    with _open_idx(path) as (f, size, where):
        return read_idx_header(f, where, size)


def _find(directory: Path, stem: str) -> Path | None:
    for name in (stem, stem + ".gz"):
        if (directory / name).is_file():
            return directory / name
    return None


def _mnist_paths(directory: Path, variant: str) -> dict[str, Path]:
    """The four files, by key of :data:`MNIST_FILES`; a clear error for what is missing."""
    expected = ", ".join(f"{s}[.gz]" for s in MNIST_FILES.values())
    if not directory.is_dir():
        raise DataError(not_a_directory(directory, variant, expected))
    paths = {key: _find(directory, stem) for key, stem in MNIST_FILES.items()}
    missing = [MNIST_FILES[k] + "[.gz]" for k, p in paths.items() if p is None]
    if missing:
        raise DataError(
            f"{variant}: {directory} lacks {', '.join(missing)}; expected the files {expected}"
            f" (chainrule.data.download({variant!r}, DIR) fetches them)"
        )
    return paths  # type: ignore[return-value]


def _check_part(ipath: Path, lpath: Path, variant: str) -> None:
    """Image and label headers agree (before any data is read)."""
    images, labels = _header_of(ipath), _header_of(lpath)
    if len(images.shape) != 3 or images.dtype != np.uint8:
        raise DataError(
            f"IDX file {ipath}: expected unsigned-byte images of 3 dimensions (n, rows, cols),"
            f" got {images.dtype.newbyteorder('=')} {images.shape}; is it a label file?"
        )
    if len(labels.shape) != 1 or labels.dtype != np.uint8:
        raise DataError(
            f"IDX file {lpath}: expected unsigned-byte labels of 1 dimension (n,),"
            f" got {labels.dtype.newbyteorder('=')} {labels.shape}; is it an image file?"
        )
    n, rows, cols = images.shape
    if n == 0 or rows == 0 or cols == 0:
        raise DataError(
            f"IDX file {ipath}: holds {n} images of {rows}x{cols} pixels; a data set needs "
            "at least one image of at least one pixel"
        )
    if n != labels.shape[0]:
        raise DataError(
            f"{variant}: {ipath.name} holds {n} images but {lpath.name} holds "
            f"{labels.shape[0]} labels"
        )


def _read_part(ipath: Path, lpath: Path) -> tuple[np.ndarray, np.ndarray, tuple[int, int]]:
    images, labels = read_idx(ipath), read_idx(lpath)
    bad = np.flatnonzero(labels > 9)
    if bad.size:
        raise DataError(
            f"IDX file {lpath}: byte offset {8 + int(bad[0])} (after any gunzip): label "
            f"{int(labels[bad[0]])} is outside the classes 0..9; the file is corrupt"
        )
    X = images.reshape(images.shape[0], -1).astype(np.float32)
    return X, labels.astype(np.int64), (int(images.shape[1]), int(images.shape[2]))


def load_mnist(directory: str | os.PathLike[str], *, variant: str = "mnist") -> Dataset:
    """Load MNIST or Fashion-MNIST from the four official IDX files in a directory.

    All four headers are read and checked against each other (3-D uint8 images of at
    least 1x1 pixels, 1-D uint8 labels, as many labels as images) before any data is.

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
    paths = _mnist_paths(directory, variant)
    for part in ("train", "test"):
        _check_part(paths[f"{part}_images"], paths[f"{part}_labels"], variant)
    X_train, y_train, shape = _read_part(paths["train_images"], paths["train_labels"])
    X_test, y_test, test_shape = _read_part(paths["test_images"], paths["test_labels"])
    if shape != test_shape:
        raise DataError(
            f"{variant}: training images are {shape[0]}x{shape[1]} pixels, test images "
            f"{test_shape[0]}x{test_shape[1]}"
        )
    return Dataset(
        X_train=X_train,
        y_train=y_train,
        X_test=X_test,
        y_test=y_test,
        n_classes=10,
        image_shape=shape,
        class_names=FASHION_CLASSES if variant == "fashion-mnist" else tuple("0123456789"),
        name=f"{variant}:{directory}",
    )
