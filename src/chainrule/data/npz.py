"""Reading the user's ``.npz`` archive member by member, without pickle and without trust.

``np.load`` would allocate whatever an array header claims and, for a file that is not a
ZIP archive, advise ``allow_pickle``. Here the file's first bytes say what it is, each
member's ``.npy`` header is read and checked (dtype plain numbers, size equal to the bytes
the member holds, at most :data:`MAX_ARRAY_BYTES`) before its data is read.
"""

from __future__ import annotations

import math
import os
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from chainrule.errors import DataError
from chainrule.readfile import open_regular

__all__ = ["MAX_ARRAY_BYTES", "read_npz_arrays"]

#: The largest array read from an NPZ file (a data set beyond this is refused unread).
MAX_ARRAY_BYTES = 4 << 30
# Deflate cannot expand data more than about 1032 times: a member claiming more is a lie.
_MAX_INFLATION = 1100
_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
_NPY_MAGIC = b"\x93NUMPY"


def _what_it_is(head: bytes, where: str) -> None:
    if head.startswith(_NPY_MAGIC):
        raise DataError(f"{where}: holds a single array (.npy), not named arrays X and y")
    if not head.startswith(_ZIP_MAGIC):
        raise DataError(
            f"{where}: not a readable .npz archive: it starts with {head[:8]!r}, not a ZIP "
            "header; write one with numpy.savez(path, X=X, y=y)"
        )


def _keys(zf: zipfile.ZipFile, where: str) -> dict[str, zipfile.ZipInfo]:
    """Lower-cased array name -> its member; a name twice, in any case, is refused."""
    keys: dict[str, zipfile.ZipInfo] = {}
    for info in zf.infolist():
        if not info.filename.endswith(".npy"):
            continue
        name = info.filename[: -len(".npy")]
        if name.lower() in keys:
            other = keys[name.lower()].filename[: -len(".npy")]
            raise DataError(
                f"{where}: holds both {other!r} and {name!r}; array names are read without "
                "case, so keep one of them"
            )
        keys[name.lower()] = info
    return keys


def _check_member(info: zipfile.ZipInfo, name: str, where: str) -> None:
    if info.flag_bits & 0x1:
        raise DataError(f"{where}: array {name!r} is encrypted")
    if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        raise DataError(
            f"{where}: array {name!r} is compressed with ZIP method {info.compress_type}; "
            "save it with numpy.savez or numpy.savez_compressed"
        )
    bound = MAX_ARRAY_BYTES + (1 << 16)
    if info.compress_type == zipfile.ZIP_DEFLATED:
        bound = min(bound, _MAX_INFLATION * info.compress_size + 1024)
    if info.file_size > bound:
        raise DataError(
            f"{where}: array {name!r} claims {info.file_size} bytes, more than it can hold "
            f"(at most {bound}); the file is damaged or too large"
        )


def _header(member: Any, name: str, where: str) -> tuple[tuple[int, ...], bool, np.dtype]:
    try:
        version = np.lib.format.read_magic(member)
        if version == (1, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_1_0(member)
        else:
            shape, fortran, dtype = np.lib.format.read_array_header_2_0(member)
    except Exception as exc:  # a damaged header fails in many ways (ValueError, SyntaxError...)
        raise DataError(
            f"{where}: array {name!r} has a damaged .npy header ({type(exc).__name__}: {exc})"
        ) from None
    if dtype.hasobject:
        raise DataError(
            f"{where}: array {name!r} holds Python objects, which would need pickle to load "
            "and could run code; save plain numeric arrays"
        )
    if dtype.fields is not None or dtype.kind not in "biuf":
        raise DataError(f"{where}: array {name!r} has dtype {dtype}, not plain real numbers")
    return shape, fortran, dtype


def _read_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo, name: str, where: str) -> np.ndarray:
    _check_member(info, name, where)
    with zf.open(info) as member:
        shape, fortran, dtype = _header(member, name, where)
        nbytes = math.prod(shape) * dtype.itemsize
        if nbytes != info.file_size - member.tell():
            raise DataError(
                f"{where}: array {name!r} of shape {shape} needs {nbytes} bytes, but its member "
                f"holds {info.file_size - member.tell()}: the file is damaged"
            )
        data = member.read(nbytes)
        if len(data) != nbytes or member.read(1):  # the read to the end checks the CRC-32
            raise DataError(f"{where}: array {name!r} is truncated")
    return np.frombuffer(data, dtype=dtype).reshape(shape, order="F" if fortran else "C")


def read_npz_arrays(
    path: Path, layouts: tuple[tuple[str, ...], ...], where: str
) -> tuple[tuple[str, ...], dict[str, np.ndarray]]:
    """The first of ``layouts`` (lower-case array names) the archive holds, and its arrays.

    Raises
    ------
    DataError
        Not a regular file, not an NPZ archive, a damaged archive or header, an object or
        structured array, a size that does not fit, or no layout present.
    """
    if not os.path.lexists(path):
        raise DataError(
            f"NPZ file {path} does not exist; it should hold arrays X and y, or x_train, "
            "y_train, x_test and y_test"
        )
    with open_regular(path, "NPZ file", DataError) as fh:
        _what_it_is(fh.read(8), where)
        fh.seek(0)
        try:
            with zipfile.ZipFile(fh) as zf:
                keys = _keys(zf, where)
                layout = next((lay for lay in layouts if all(k in keys for k in lay)), None)
                if layout is None:
                    found = sorted(info.filename[: -len(".npy")] for info in keys.values())
                    raise DataError(
                        f"{where}: found arrays {found}; expected X and y, or "
                        "x_train, y_train, x_test and y_test"
                    )
                arrays = {
                    k: _read_member(zf, keys[k], keys[k].filename[:-4], where) for k in layout
                }
        except DataError:
            raise
        except Exception as exc:  # zipfile reports damage in many ways
            raise DataError(
                f"{where}: not a readable .npz archive ({type(exc).__name__}: {exc})"
            ) from None
    return layout, arrays
