"""Atomic file writes: a file is either the old one or the whole new one, never half.

Every writer of the package (checkpoints, run files, pictures, downloads) goes through
here: the bytes go to a temporary file in the destination's directory, which is flushed,
fsynced and renamed over the destination with :func:`os.replace`; the directory is then
fsynced so that the rename itself survives a crash.

The temporary file is named ``.<name>.<pid>.<random>.tmp`` and gets the permissions an
ordinary new file would (``0666`` less the umask), not ``mkstemp``'s private ``0600``.
Temporary files of the same destination whose writer's process is gone (a writer killed
mid-save) are removed by the next write.

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
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

__all__ = ["atomic_write", "fsync_directory", "remove_stale_temporaries", "replace_durably"]

#: A temporary file without a process id in its name (older chainrule) is stale this old.
STALE_AFTER_S = 3600.0


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
    remove_stale_temporaries(path)
    fd, tmp_name = tempfile.mkstemp(
        prefix=f".{path.name}.{os.getpid()}.", suffix=".tmp", dir=directory
    )
    tmp = Path(tmp_name)
    try:
        if hasattr(os, "fchmod"):
            os.fchmod(fd, 0o666 & ~_umask())
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


def _umask() -> int:
    """The process's umask (read without changing it where the system allows)."""
    with contextlib.suppress(OSError, ValueError), open("/proc/self/status", "rb") as fh:
        for line in fh:
            if line.startswith(b"Umask:"):
                return int(line.split()[1], 8)
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _is_alive(pid: int) -> bool:
    if os.name == "nt":  # os.kill(pid, 0) would end the process there
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # it exists, owned by someone else
    return True


def _writer_pid(name: str, prefix: str) -> int | None:
    """The process id in ``.<name>.<pid>.<random>.tmp`` (or ``.<name>.prev.<pid>.tmp``)."""
    parts = name[len(prefix) : -len(".tmp")].split(".")
    if parts[0] == "prev" and len(parts) > 1:
        parts = parts[1:]
    return int(parts[0]) if parts[0].isdigit() else None


def remove_stale_temporaries(path: str | os.PathLike[str]) -> list[Path]:
    """Remove the temporary files of ``path`` whose writer is gone; return them.

    A file names its writer's process id; one without (written by an older chainrule) is
    stale once it is :data:`STALE_AFTER_S` seconds old. Other destinations' files, and
    this process's own, are left alone.
    """
    path = Path(path)
    prefix = f".{path.name}."
    pattern = "".join(f"[{c}]" if c in "*?[" else c for c in prefix) + "*.tmp"
    removed = []
    for candidate in path.parent.glob(pattern):
        pid = _writer_pid(candidate.name, prefix)
        try:
            if pid == os.getpid() or (pid is not None and _is_alive(pid)):
                continue
            if pid is None and time.time() - candidate.stat().st_mtime < STALE_AFTER_S:
                continue
            candidate.unlink()
            removed.append(candidate)
        except OSError:
            continue
    return removed
