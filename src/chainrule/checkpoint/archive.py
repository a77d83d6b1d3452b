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
        check_end_record(fh, path, size, zf.infolist())
        for info in zf.infolist():
            check_local_header(fh, path, info)
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
        _check_central_fields(info, path)
        if info.compress_size != info.file_size or info.header_offset + info.file_size > size:
            raise CheckpointError(
                f"checkpoint {path}: member {name!r} claims {info.file_size} bytes at offset "
                f"{info.header_offset}, past the end of the {size}-byte file: truncated or damaged"
            )


# What Python's zipfile writes for a checkpoint's members; anything else is damage.
_VERSIONS = (20, 45)
_SYSTEMS = (0, 3)  # MS-DOS (Windows), Unix
_FILE_ATTRIBUTES = 0o600 << 16
_ZIP64_LIMIT = 0xFFFFFFFF
_LOCAL = struct.Struct("<4sHHHHHIIIHH")
_END = struct.Struct("<4sHHHHIIH")
_CENTRAL_SIZE = 46


def _damaged(path: Path, name: str, what: str) -> CheckpointError:
    return CheckpointError(
        f"checkpoint {path}: the ZIP header of member {name!r} is damaged ({what})"
    )


def _check_central_fields(info: zipfile.ZipInfo, path: Path) -> None:
    fields = {
        "version made by": info.create_version in _VERSIONS and info.create_system in _SYSTEMS,
        "version needed": info.extract_version in _VERSIONS,
        "flags": info.flag_bits == 0 and info.reserved == 0,
        "disk number": info.volume == 0,
        "attributes": info.internal_attr == 0 and info.external_attr == _FILE_ATTRIBUTES,
        "comment": info.comment == b"",
        "extra field": info.extra == b"" or max(info.file_size, info.header_offset) >= _ZIP64_LIMIT,
    }
    for what, ok in fields.items():
        if not ok:
            raise _damaged(path, info.filename, f"central directory: {what}")


def check_end_record(fh: BinaryIO, path: Path, size: int, infos: list[zipfile.ZipInfo]) -> None:
    """The end-of-directory record: last in the file, counting and spanning ``infos``."""
    count = len(infos)
    fh.seek(size - _END.size)
    sig, disk, cd_disk, n_disk, n_total, cd_size, cd_offset, comment = _END.unpack(
        fh.read(_END.size)
    )
    if n_total == 0xFFFF or cd_offset == _ZIP64_LIMIT:
        return  # a ZIP64 archive (over 65,535 members or 4 GiB): zipfile checked its record
    if (
        sig != b"PK\x05\x06"
        or disk
        or cd_disk
        or comment
        or n_disk != count
        or n_total != count
        or cd_offset + cd_size != size - _END.size
    ):
        raise CheckpointError(
            f"checkpoint {path}: the ZIP end-of-directory record is damaged or not at the end"
        )
    _walk_central_directory(fh, path, infos, cd_offset, cd_offset + cd_size)


def _walk_central_directory(
    fh: BinaryIO, path: Path, infos: list[zipfile.ZipInfo], start: int, end: int
) -> None:
    # zipfile reads a name cut short by the directory's end without complaint
    fh.seek(start)
    raw = fh.read(end - start)
    at = 0
    for info in infos:
        if raw[at : at + 4] != b"PK\x01\x02" or len(raw) < at + _CENTRAL_SIZE:
            raise _damaged(path, info.filename, "central directory entry")
        n, m, k = struct.unpack_from("<HHH", raw, at + 28)
        if raw[at + _CENTRAL_SIZE : at + _CENTRAL_SIZE + n] != info.filename.encode("utf-8"):
            raise _damaged(path, info.filename, "central directory: name")
        at += _CENTRAL_SIZE + n + m + k
    if at != len(raw):
        raise CheckpointError(f"checkpoint {path}: the ZIP central directory is damaged")


def _dos_time(info: zipfile.ZipInfo) -> tuple[int, int]:
    y, mo, d, h, mi, s = info.date_time
    return (h << 11) | (mi << 5) | (s // 2), ((y - 1980) << 9) | (mo << 5) | d


def check_local_header(fh: BinaryIO, path: Path, info: zipfile.ZipInfo) -> None:
    """A member's local header must repeat what the central directory says of it."""
    fh.seek(info.header_offset)
    raw = fh.read(_LOCAL.size)
    if len(raw) != _LOCAL.size:
        raise _damaged(path, info.filename, "local header cut short")
    sig, version, flags, method, mtime, mdate, crc, csize, usize, nlen, elen = _LOCAL.unpack(raw)
    tail = fh.read(nlen + elen)
    name, extra = tail[:nlen], tail[nlen:]
    zip64 = struct.pack("<HHQQ", 1, 16, info.file_size, info.compress_size)
    sizes_ok = (csize, usize, extra) in (
        (info.compress_size, info.file_size, b""),
        (_ZIP64_LIMIT, _ZIP64_LIMIT, zip64),
    )
    fields = {
        "signature": sig == b"PK\x03\x04",
        "version needed": version == info.extract_version,
        "flags": flags == info.flag_bits,
        "method": method == info.compress_type,
        "time": (mtime, mdate) == _dos_time(info),
        "CRC-32": crc == info.CRC,
        "sizes": sizes_ok,
        "name": name == info.filename.encode("utf-8"),
    }
    for what, ok in fields.items():
        if not ok:
            raise _damaged(path, info.filename, f"local header: {what} differs")


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
