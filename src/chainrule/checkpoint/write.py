"""Writing a checkpoint atomically, with the permissions of the run's other files.

The archive is written to a temporary file ``.<name>.<pid>.<random>.tmp`` beside the
destination, flushed, fsynced and renamed over it; the directory is then fsynced. The file
it replaces is kept as ``<name>.prev``. Temporary files that a killed writer of the same
checkpoint left behind (their process is gone) are removed by the next save.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
import time
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from chainrule.checkpoint.read import MANIFEST, MANIFEST_DIGEST, sha256
from chainrule.checkpoint.schema import FORMAT, FORMAT_VERSION, NAME_RE
from chainrule.errors import CheckpointError

__all__ = ["write_checkpoint"]

# Kinds np.savez/np.load round-trip without pickle: bool, integers, floats, complex.
_ALLOWED_KINDS = frozenset("biufc")
#: A temporary file without a process id (older chainrule) counts as stale after this.
STALE_AFTER_S = 3600.0


def _check_arrays_to_write(arrays: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    out: dict[str, np.ndarray] = {}
    for name, value in arrays.items():
        if not isinstance(name, str) or not NAME_RE.match(name):
            raise CheckpointError(
                f"cannot write array named {name!r}: names use letters, digits, '_', '.', '-'"
            )
        array = np.ascontiguousarray(value)
        if array.dtype.kind not in _ALLOWED_KINDS or array.dtype.fields is not None:
            raise CheckpointError(
                f"cannot write array {name!r} of dtype {array.dtype}: only bool, integer, "
                "float and complex arrays are stored (no pickled objects)"
            )
        out[name] = array
    return out


def _manifest_bytes(path: Path, arrays: dict[str, np.ndarray], manifest: Mapping) -> bytes:
    full = {"kind": "arrays", **dict(manifest)}
    full["format"] = FORMAT
    full["format_version"] = FORMAT_VERSION
    full["arrays"] = {
        name: {"shape": list(a.shape), "dtype": a.dtype.str, "sha256": sha256(a)}
        for name, a in arrays.items()
    }
    try:
        return json.dumps(full, indent=1, sort_keys=True, allow_nan=False).encode()
    except (TypeError, ValueError) as err:
        raise CheckpointError(
            f"cannot write checkpoint {path}: manifest is not JSON: {err}"
        ) from None


def write_checkpoint(
    path: str | os.PathLike[str],
    arrays: Mapping[str, np.ndarray],
    manifest: Mapping[str, Any],
) -> Path:
    """Write ``arrays`` and a JSON ``manifest`` atomically to one checkpoint file.

    Parameters
    ----------
    path : str or PathLike
        Destination. An existing file there is kept as ``<path>.prev``.
    arrays : mapping of str to ndarray
        Any shapes; dtypes bool, integer, float or complex. Names use letters, digits,
        ``_``, ``.`` and ``-`` (e.g. ``"model.W1"``).
    manifest : mapping
        JSON-serialisable metadata. The keys ``format``, ``format_version`` and ``arrays``
        are set by this function (``kind`` defaults to ``"arrays"``).

    Returns
    -------
    pathlib.Path
        The path written.

    Raises
    ------
    CheckpointError
        A name or dtype that cannot be stored, a manifest that is not JSON, or an
        operating-system error while writing (the previous checkpoint is then untouched).
    """
    path = Path(path)
    checked = _check_arrays_to_write(arrays)
    manifest_bytes = _manifest_bytes(path, checked, manifest)
    directory = path.parent if str(path.parent) else Path(".")
    try:
        directory.mkdir(parents=True, exist_ok=True)
        remove_stale_temporaries(path)
        fd, tmp_name = tempfile.mkstemp(
            prefix=f".{path.name}.{os.getpid()}.", suffix=".tmp", dir=directory
        )
    except OSError as err:
        raise CheckpointError(f"cannot write checkpoint {path}: {err}") from None
    tmp = Path(tmp_name)
    try:
        if hasattr(os, "fchmod"):  # mkstemp makes 0600; a checkpoint is like the run's files
            os.fchmod(fd, 0o666 & ~_umask())
        with os.fdopen(fd, "wb") as fh:
            _write_archive(fh, manifest_bytes, checked)
            fh.flush()
            os.fsync(fh.fileno())
        _keep_previous(path)
        os.replace(tmp, path)
        _fsync_directory(directory)
    except BaseException as err:
        with contextlib.suppress(OSError):
            tmp.unlink()
        if isinstance(err, OSError):
            raise CheckpointError(f"cannot write checkpoint {path}: {err}") from None
        raise
    return path


def _write_archive(fh: Any, manifest_bytes: bytes, arrays: dict[str, np.ndarray]) -> None:
    with zipfile.ZipFile(fh, "w", compression=zipfile.ZIP_STORED) as zf:
        zf.writestr(MANIFEST, manifest_bytes)
        zf.writestr(MANIFEST_DIGEST, hashlib.sha256(manifest_bytes).hexdigest() + "\n")
        for name, array in arrays.items():
            with zf.open(f"{name}.npy", "w", force_zip64=True) as member:
                np.lib.format.write_array(member, array, allow_pickle=False)


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


def remove_stale_temporaries(path: Path) -> list[Path]:
    """Remove ``.<name>.*.tmp`` files of ``path`` whose writer is gone; return them.

    A file names its writer's process id; one without (written by an older chainrule) is
    stale once it is :data:`STALE_AFTER_S` seconds old.
    """
    removed = []
    prefix = f".{path.name}."
    for candidate in path.parent.glob(f"{glob_escape(prefix)}*.tmp"):
        middle = candidate.name[len(prefix) : -len(".tmp")].split(".")
        pid = int(middle[0]) if middle[0].isdigit() else None
        if middle[0] == "prev" and len(middle) > 1 and middle[1].isdigit():
            pid = int(middle[1])
        try:
            if pid == os.getpid():
                continue
            if pid is not None and _is_alive(pid):
                continue
            if pid is None and time.time() - candidate.stat().st_mtime < STALE_AFTER_S:
                continue
            candidate.unlink()
            removed.append(candidate)
        except OSError:
            continue
    return removed


def glob_escape(text: str) -> str:
    """``text`` with the glob characters ``*?[`` taken literally."""
    return "".join(f"[{c}]" if c in "*?[" else c for c in text)


def _keep_previous(path: Path) -> None:
    """Make ``<path>.prev`` a copy of the current checkpoint while ``path`` stays in place."""
    if not path.is_file():
        return
    prev = path.with_name(path.name + ".prev")
    staging = path.with_name(f".{path.name}.prev.{os.getpid()}.tmp")
    with contextlib.suppress(OSError):
        staging.unlink()
    try:
        os.link(path, staging)
    except OSError:
        # File systems without hard links: a copy, fsynced, does the same job.
        with open(path, "rb") as src, open(staging, "wb") as dst:
            while chunk := src.read(1 << 20):
                dst.write(chunk)
            dst.flush()
            os.fsync(dst.fileno())
    os.replace(staging, prev)


def _fsync_directory(directory: Path) -> None:
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
