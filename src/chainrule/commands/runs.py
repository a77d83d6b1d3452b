"""Run folders of the commands that write one (``train``, ``rbm train``).

A run folder is ``--out`` when given, else a fresh ``runs/<prefix><date>-<time>`` that no
earlier run has. It is created when the run starts and removed again if the run fails
before writing anything into it, so that a mistyped option leaves no empty folder behind.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from chainrule.errors import ConfigError

__all__ = ["check_run_folder", "fresh_run_folder", "open_run_folder"]


def fresh_run_folder(prefix: str = "", root: str | os.PathLike[str] = "runs") -> Path:
    """``runs/<prefix>20261201-101500``, or with ``-2``, ``-3``, ... when that exists."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    path, k = Path(root) / f"{prefix}{stamp}", 2
    while path.exists():
        path, k = Path(root) / f"{prefix}{stamp}-{k}", k + 1
    return path


def check_run_folder(path: str | os.PathLike[str], flag: str = "--out") -> Path:
    """``path`` as a Path, refused at once (a ConfigError) when it is a file, lies below one,
    or lies below a folder that exists and cannot be written: a run finds out before it
    reads any data, not after it has trained."""
    path = Path(path)
    for parent in (path, *path.parents):
        if parent.exists() and not parent.is_dir():
            what = "is a file" if parent == path else f"lies below the file {parent}"
            raise ConfigError(f"{flag} {path}: {what}; give a folder")
        if parent.exists():
            _check_writable(parent, path, flag)
            break
    return path


def _check_writable(folder: Path, path: Path, flag: str) -> None:
    # os.access says yes to root everywhere, /proc included: a file made and removed at
    # once is the one sure test
    try:
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as err:
        where = "" if folder == path else f" (its folder {folder})"
        raise ConfigError(f"{flag} {path}: cannot write there{where}: {err.strerror}") from err


@contextlib.contextmanager
def open_run_folder(path: Path, flag: str = "--out") -> Iterator[Path]:
    """Create ``path`` (and its parents) for the run, refusing with a ConfigError a path
    that is a file, lies below one or cannot be written; if the run raises before anything
    was written into a folder created here, the folder is removed again."""
    path = check_run_folder(path, flag)
    created = [p for p in (path, *path.parents) if not p.exists()]
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise ConfigError(f"{flag} {path}: cannot create the folder ({err.strerror})") from err
    if not os.access(path, os.W_OK | os.X_OK):
        raise ConfigError(f"{flag} {path}: the folder is not writable")
    try:
        yield path
    except BaseException:
        for folder in created:  # deepest first: only the ones this call made, if still empty
            with contextlib.suppress(OSError):
                folder.rmdir()
        raise
