"""The ZIP archive and the ``.npy`` members of a checkpoint, read without trusting them.

Every size in the archive is compared with what the file really holds, and every array
header with the manifest, before anything is allocated for the array. ``zipfile`` and
NumPy's header reader are never handed bytes that could make them raise anything but the
errors caught here: the ``.npy`` header is parsed by a strict pattern of the one form NumPy
writes, not by ``ast.literal_eval``.
"""

from __future__ import annotations

import math
import os
import re
import struct
import zipfile
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

from chainrule.errors import CheckpointError

__all__ = [
    "MAX_HEADER_BYTES",
    "MAX_MEMBERS",
    "NpyHeader",
    "check_members",
    "open_zip",
    "read_array",
    "read_member",
]

#: An array header NumPy writes is 128 bytes for any shape a model has; 64 KiB is plenty.
MAX_HEADER_BYTES = 1 << 16
#: A model's arrays, its optimizer's and a few extra: far fewer than this.
MAX_MEMBERS = 100_000
_MAGIC = b"\x93NUMPY"
_HEADER_RE = re.compile(
    r"\{'descr': '(?P<descr>[<>|=][biufc][0-9]{1,2})', "
    r"'fortran_order': (?P<fortran>True|False), "
    r"'shape': \((?P<shape>(?:[0-9]{1,19}, )*(?:[0-9]{1,19},?)?)\), \} *\n"
)


class NpyHeader:
    """What an ``.npy`` header says: ``dtype``, ``shape``, ``fortran`` and its length."""

    __slots__ = ("dtype", "fortran", "length", "shape")

    def __init__(self, dtype: str, shape: tuple[int, ...], fortran: bool, length: int) -> None:
        self.dtype, self.shape, self.fortran, self.length = dtype, shape, fortran, length


def open_zip(fh: BinaryIO, path: Path, size: int) -> zipfile.ZipFile:
    """The archive in ``fh`` (``size`` bytes), its directory checked by :func:`check_members`."""
    try:
        zf = zipfile.ZipFile(fh, "r")
    except zipfile.BadZipFile as err:
        raise CheckpointError(
            f"checkpoint {path} ({size} bytes) is truncated or not a chainrule checkpoint: {err}"
        ) from None
    except Exception as err:  # a damaged central directory fails in many ways
        raise CheckpointError(
            f"checkpoint {path}: its ZIP directory is damaged ({type(err).__name__}: {err})"
        ) from None
    try:
        check_members(zf, path, size)
    except BaseException:
        zf.close()
        raise
    return zf


def check_members(zf: zipfile.ZipFile, path: Path, size: int) -> None:
    """Refuse repeated names, compression, encryption and sizes past the file's end."""
    infos = zf.infolist()
    if len(infos) > MAX_MEMBERS:
        raise CheckpointError(f"checkpoint {path}: {len(infos)} members, more than {MAX_MEMBERS}")
    seen: set[str] = set()
    for info in infos:
        name = info.filename
        if name in seen:
            raise CheckpointError(
                f"checkpoint {path}: the member {name!r} appears twice; the file was edited "
                "or is not a chainrule checkpoint"
            )
        seen.add(name)
        if info.flag_bits & 0x1:
            raise CheckpointError(f"checkpoint {path}: member {name!r} is marked as encrypted")
        if info.compress_type != zipfile.ZIP_STORED:
            raise CheckpointError(
                f"checkpoint {path}: member {name!r} is compressed (method "
                f"{info.compress_type}); chainrule checkpoints store members uncompressed"
            )
        if info.compress_size != info.file_size or info.header_offset + info.file_size > size:
            raise CheckpointError(
                f"checkpoint {path}: member {name!r} claims {info.file_size} bytes at offset "
                f"{info.header_offset}, past the end of the {size}-byte file: truncated or damaged"
            )


def _open_member(zf: zipfile.ZipFile, path: Path, name: str) -> Any:
    try:
        return zf.open(name)
    except zipfile.BadZipFile as err:
        raise CheckpointError(f"checkpoint {path}: member {name!r} is damaged: {err}") from None
    except Exception as err:
        raise CheckpointError(
            f"checkpoint {path}: member {name!r} cannot be opened ({type(err).__name__}: {err})"
        ) from None


def _read_exactly(member: Any, n: int, path: Path, name: str) -> bytes:
    """``n`` bytes of a member, then its end (where ``zipfile`` checks the CRC-32)."""
    try:
        data = member.read(n)
        rest = member.read(1)
    except zipfile.BadZipFile as err:
        # zipfile checks each member's CRC-32 as it reads: a flipped byte ends here
        raise CheckpointError(f"checkpoint {path}: member {name!r} is corrupted: {err}") from None
    except Exception as err:
        raise CheckpointError(
            f"checkpoint {path}: member {name!r} is truncated or damaged "
            f"({type(err).__name__}: {err})"
        ) from None
    if len(data) != n or rest:
        raise CheckpointError(
            f"checkpoint {path}: member {name!r} holds {'fewer' if len(data) < n else 'more'} "
            f"bytes than its header says: truncated or damaged"
        )
    return data


def read_member(zf: zipfile.ZipFile, path: Path, name: str, limit: int) -> bytes:
    """All bytes of member ``name``, refusing one larger than ``limit`` unread."""
    info = zf.getinfo(name)
    if info.file_size > limit:
        raise CheckpointError(
            f"checkpoint {path}: {name} is {info.file_size} bytes, more than the {limit} allowed"
        )
    with _open_member(zf, path, name) as member:
        return _read_exactly(member, info.file_size, path, name)


def _parse_header(member: Any, path: Path, name: str) -> NpyHeader:
    prefix = _read_exactly_prefix(member, 8, path, name)
    if prefix[:6] != _MAGIC or prefix[6] not in (1, 2, 3) or prefix[7] != 0:
        raise CheckpointError(f"checkpoint {path}: {name} does not start with an .npy header")
    size_bytes = 2 if prefix[6] == 1 else 4
    field = _read_exactly_prefix(member, size_bytes, path, name)
    (length,) = struct.unpack("<H" if size_bytes == 2 else "<I", field)
    if length > MAX_HEADER_BYTES:
        raise CheckpointError(f"checkpoint {path}: {name} declares a {length}-byte .npy header")
    raw = _read_exactly_prefix(member, length, path, name)
    match = _HEADER_RE.fullmatch(raw.decode("latin-1"))
    if match is None:
        raise CheckpointError(f"checkpoint {path}: the .npy header of {name} is damaged: {raw!r}")
    shape = tuple(int(s) for s in match["shape"].replace(",", " ").split())
    return NpyHeader(match["descr"], shape, match["fortran"] == "True", 8 + size_bytes + length)


def _read_exactly_prefix(member: Any, n: int, path: Path, name: str) -> bytes:
    try:
        data = member.read(n)
    except Exception as err:
        raise CheckpointError(
            f"checkpoint {path}: member {name!r} is damaged ({type(err).__name__}: {err})"
        ) from None
    if len(data) != n:
        raise CheckpointError(f"checkpoint {path}: member {name!r} is truncated")
    return data


def read_array(zf: zipfile.ZipFile, path: Path, name: str, entry: dict[str, Any]) -> np.ndarray:
    """Array ``name`` (member ``name.npy``), checked against its manifest ``entry`` first.

    ``entry`` has ``shape`` (list of int), ``dtype`` (``dtype.str``) and ``sha256``.
    The header must promise exactly that shape and dtype, and the member must hold exactly
    the bytes they need, before the data is read.
    """
    member_name = f"{name}.npy"
    info = zf.getinfo(member_name)
    with _open_member(zf, path, member_name) as member:
        header = _parse_header(member, path, member_name)
        shape, dtype = tuple(entry["shape"]), np.dtype(entry["dtype"])
        if header.shape != shape:
            raise CheckpointError(
                f"checkpoint {path}: array {name!r} has shape {header.shape}, manifest says {shape}"
            )
        if header.dtype != entry["dtype"]:
            raise CheckpointError(
                f"checkpoint {path}: array {name!r} has dtype {header.dtype}, "
                f"manifest says {dtype.str}"
            )
        nbytes = math.prod(shape) * dtype.itemsize
        if header.length + nbytes != info.file_size:
            raise CheckpointError(
                f"checkpoint {path}: array {name!r} of shape {shape} needs {nbytes} bytes, its "
                f"member holds {info.file_size - header.length}: truncated or damaged"
            )
        data = _read_exactly(member, nbytes, path, member_name)
    order = "F" if header.fortran else "C"
    array = np.frombuffer(data, dtype=dtype).reshape(shape, order=order)
    return np.ascontiguousarray(array) if header.fortran else array.copy()


def file_size(fh: BinaryIO) -> int:
    """Bytes in the open file ``fh``."""
    return os.fstat(fh.fileno()).st_size
