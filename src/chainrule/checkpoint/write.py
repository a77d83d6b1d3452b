"""Writing a checkpoint atomically through :func:`chainrule.atomic.atomic_write`.

The archive goes to a temporary file beside the destination (with the permissions of the
run's other files), fsynced and renamed over it; the file it replaces is kept as
``<name>.prev``. Temporary files a killed writer of the same checkpoint left behind are
removed by the next save (see :func:`chainrule.atomic.remove_stale_temporaries`).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from chainrule.atomic import atomic_write
from chainrule.checkpoint.read import MANIFEST, MANIFEST_DIGEST, sha256
from chainrule.checkpoint.schema import FORMAT, FORMAT_VERSION, NAME_RE
from chainrule.errors import CheckpointError

__all__ = ["write_checkpoint"]

# Kinds np.savez/np.load round-trip without pickle: bool, integers, floats, complex.
_ALLOWED_KINDS = frozenset("biufc")


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
    try:
        with atomic_write(path, before_replace=lambda: _keep_previous(path)) as fh:
            _write_archive(fh, manifest_bytes, checked)
    except OSError as err:
        raise CheckpointError(f"cannot write checkpoint {path}: {err}") from None
    return path


def _write_archive(fh: Any, manifest_bytes: bytes, arrays: dict[str, np.ndarray]) -> None:
    with zipfile.ZipFile(fh, "w", compression=zipfile.ZIP_STORED) as zf:
        zf.writestr(MANIFEST, manifest_bytes)
        zf.writestr(MANIFEST_DIGEST, hashlib.sha256(manifest_bytes).hexdigest() + "\n")
        for name, array in arrays.items():
            with zf.open(f"{name}.npy", "w", force_zip64=True) as member:
                np.lib.format.write_array(member, array, allow_pickle=False)


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
    os.replace(staging, prev)  # the directory is fsynced after the checkpoint's own rename
