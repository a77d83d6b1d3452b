"""Atomic file writes: a file is either the old one or the whole new one, never half.

Every writer of the package (checkpoints, run files, pictures, downloads) goes through
here: the bytes go to a temporary file in the destination's directory, which is flushed,
fsynced and renamed over the destination with :func:`os.replace`; the directory is then
fsynced so that the rename itself survives a crash.

>>> import tempfile, pathlib
>>> target = pathlib.Path(tempfile.mkdtemp()) / "note.txt"
>>> with atomic_write(target, text=True) as fh:
...     _ = fh.write("whole or nothing")
>>> target.read_text()
'whole or nothing'
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

__all__ = ["atomic_write", "fsync_directory", "replace_durably"]


@contextlib.contextmanager
def atomic_write(
    path: str | os.PathLike[str],
    *,
    text: bool = False,
    before_replace: Callable[[], None] | None = None,
) -> Iterator[IO[Any]]:
    """Open a temporary file to write ``path`` through (binary, or UTF-8 text with
    ``text=True``); on a clean exit it replaces ``path``, on an error it is removed and
    ``path`` is untouched.

    ``before_replace`` runs after the new bytes are on disk and before the rename (a
    checkpoint keeps its predecessor there). Raises ``OSError`` as the system does.
    """
    path = Path(path)
    directory = path.parent if str(path.parent) else Path(".")
    directory.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)
    tmp = Path(tmp_name)
    try:
        mode, encoding = ("w", "utf-8") if text else ("wb", None)
        with os.fdopen(fd, mode, encoding=encoding) as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        if before_replace is not None:
            before_replace()
        replace_durably(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


def replace_durably(source: str | os.PathLike[str], target: str | os.PathLike[str]) -> None:
    """:func:`os.replace` ``source`` (already fsynced) over ``target``, then fsync the
    directory that holds the new name."""
    os.replace(source, target)
    parent = Path(target).parent
    fsync_directory(parent if str(parent) else Path("."))


def fsync_directory(directory: str | os.PathLike[str]) -> None:
    """Flush a directory's entries to disk (a no-op where directories cannot be opened)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:  # pragma: no cover - platforms without directory handles (Windows)
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover
        pass
    finally:
        os.close(fd)
