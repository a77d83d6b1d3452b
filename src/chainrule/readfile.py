"""Opening a file the user named, refusing at once what is not a regular file.

A FIFO in a file's place blocks the first ``read`` forever, a symlink to ``/dev/zero``
reads without end, and a symlink loop is not "missing". :func:`open_regular` opens with
``O_NONBLOCK`` (so that opening a FIFO cannot block), then asks the open descriptor what it
is, so that no swap between a check and the open can slip another kind of file in.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path
from typing import BinaryIO

from chainrule.errors import ChainruleError

__all__ = ["describe_kind", "not_a_directory", "open_regular", "read_regular"]

_KINDS = (
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


def describe_kind(mode: int) -> str:
    """``"a directory"``, ``"a FIFO (named pipe)"``, ... for an ``st_mode``; ``""`` if regular."""
    for test, name in _KINDS:
        if test(mode):
            return name
    return "" if stat.S_ISREG(mode) else "not a regular file"


def _problem(path: Path, err: OSError) -> str:
    if err.errno == errno.ELOOP:
        return "is a symbolic link that loops (too many levels of symbolic links)"
    if err.errno == errno.ENOENT:
        if path.is_symlink():
            return f"is a symbolic link to {os.readlink(path)!r}, which does not exist"
        return "does not exist"
    if err.errno == errno.ENOTDIR:
        return "does not exist (a part of the path is a file, not a directory)"
    return f"cannot be opened: {err.strerror or err}"


def open_regular(
    path: str | os.PathLike[str],
    what: str,
    error: type[ChainruleError],
    *,
    max_bytes: int | None = None,
) -> BinaryIO:
    """Open ``path`` for binary reading if it is a regular file of at most ``max_bytes``.

    Parameters
    ----------
    path : path-like
    what : str
        How messages name the file, such as ``"CSV file"`` or ``"checkpoint"``.
    error : ChainruleError subclass
        Raised for every problem (``DataError``, ``CheckpointError``).
    max_bytes : int, optional
        Refuse a larger file before reading any of it.

    Returns
    -------
    BinaryIO
        An open, blocking file object; the caller closes it.

    Raises
    ------
    error
        Missing, a symlink loop, a directory, FIFO, device or socket, unreadable, too big.
    """
    path = Path(path)
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    except OSError as err:
        if err.errno == errno.EISDIR:
            raise error(f"{what} {path} is a directory, not a file") from None
        raise error(f"{what} {path} {_problem(path, err)}") from None
    try:
        info = os.fstat(fd)
        kind = describe_kind(info.st_mode)
        if kind:
            raise error(f"{what} {path} is {kind}, not a regular file")
        if max_bytes is not None and info.st_size > max_bytes:
            raise error(
                f"{what} {path}: {info.st_size} bytes, more than the {max_bytes} allowed; "
                "is this the right file?"
            )
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def read_regular(
    path: str | os.PathLike[str],
    what: str,
    error: type[ChainruleError],
    *,
    max_bytes: int | None = None,
) -> bytes:
    """All bytes of a regular file (see :func:`open_regular`), at most ``max_bytes``."""
    with open_regular(path, what, error, max_bytes=max_bytes) as fh:
        try:
            data = fh.read() if max_bytes is None else fh.read(max_bytes + 1)
        except OSError as err:
            raise error(f"cannot read {what} {path}: {err.strerror or err}") from None
    if max_bytes is not None and len(data) > max_bytes:
        raise error(f"{what} {path}: more than the {max_bytes} bytes allowed")
    return data


def not_a_directory(path: Path, scheme: str, expected: str) -> str:
    """The message for a data source ``scheme:DIR`` whose ``path`` is not a directory."""
    if not os.path.lexists(path):
        return f"{scheme}: directory {path} does not exist; it should hold {expected}"
    try:
        kind = describe_kind(os.stat(path).st_mode) or "a file"
    except OSError as err:
        kind = f"unusable ({_problem(path, err)})"
    return (
        f"{scheme}: {path} is {kind}, not a directory; give {scheme}:DIR the directory "
        f"that holds {expected}"
    )
