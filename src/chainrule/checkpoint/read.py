"""Reading a checkpoint: file, archive, manifest and its digest, then the arrays.

The order is the point: the file must be a regular file, the archive's directory sane,
the manifest JSON within :data:`MAX_MANIFEST_BYTES` and equal to its SHA-256, the schema
satisfied (including the caller's, such as the model's shapes), and each array header equal
to the manifest's promise, before any array's data is read.
"""

from __future__ import annotations

import hashlib
import json
import os
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from chainrule.checkpoint.archive import file_size, open_zip, read_array, read_member
from chainrule.checkpoint.schema import check_arrays_table
from chainrule.errors import CheckpointError
from chainrule.readfile import open_regular

__all__ = ["MANIFEST", "MANIFEST_DIGEST", "MAX_MANIFEST_BYTES", "read_checkpoint", "sha256"]

MANIFEST = "manifest.json"
MANIFEST_DIGEST = "manifest.sha256"
#: A manifest holds the spec, settings and history: megabytes at most for very long runs.
MAX_MANIFEST_BYTES = 64 << 20


def sha256(array: np.ndarray) -> str:
    """Hex SHA-256 of an array's C-order bytes."""
    return hashlib.sha256(np.ascontiguousarray(array).tobytes()).hexdigest()


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _parse_manifest(path: Path, data: bytes) -> Any:
    try:
        return json.loads(data.decode("utf-8"), parse_constant=_refuse_constant)
    except (UnicodeDecodeError, ValueError) as err:
        raise CheckpointError(f"checkpoint {path}: {MANIFEST} is not valid JSON: {err}") from None
    except RecursionError:
        raise CheckpointError(f"checkpoint {path}: {MANIFEST} is nested too deeply") from None


def _check_digest(path: Path, zf: zipfile.ZipFile, data: bytes, version: Any) -> None:
    names = set(zf.namelist())
    if MANIFEST_DIGEST not in names:
        if version == 1:
            return  # written before manifests had a digest
        raise CheckpointError(
            f"checkpoint {path}: {MANIFEST_DIGEST} is missing, so the manifest cannot be trusted"
        )
    stored = read_member(zf, path, MANIFEST_DIGEST, 128).strip()
    if stored != hashlib.sha256(data).hexdigest().encode():
        raise CheckpointError(
            f"checkpoint {path}: {MANIFEST} does not match its SHA-256 in {MANIFEST_DIGEST}: "
            "the manifest was edited or is corrupted"
        )


def _read_manifest(path: Path, zf: zipfile.ZipFile) -> dict[str, Any]:
    names = zf.namelist()
    if MANIFEST not in names:
        raise CheckpointError(
            f"checkpoint {path} has no {MANIFEST}: not a chainrule checkpoint (members {names[:5]})"
        )
    data = read_member(zf, path, MANIFEST, MAX_MANIFEST_BYTES)
    manifest = _parse_manifest(path, data)
    version = manifest.get("format_version") if isinstance(manifest, dict) else None
    _check_digest(path, zf, data, version)
    return check_arrays_table(path, manifest)


def _check_member_names(path: Path, zf: zipfile.ZipFile, expected: dict[str, Any]) -> None:
    names = zf.namelist()
    found = sorted(n[: -len(".npy")] for n in names if n.endswith(".npy"))
    others = sorted(n for n in names if n not in (MANIFEST, MANIFEST_DIGEST) and n[-4:] != ".npy")
    if found != sorted(expected) or others:
        missing = sorted(set(expected) - set(found))
        extra = sorted(set(found) - set(expected)) + others
        raise CheckpointError(
            f"checkpoint {path}: arrays do not match the manifest "
            f"(missing {missing or 'none'}, unexpected {extra or 'none'})"
        )


def read_checkpoint(
    path: str | os.PathLike[str],
    check: Callable[[Path, dict[str, Any]], Any] | None = None,
) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """Read and fully validate a checkpoint written by :func:`write_checkpoint`.

    Parameters
    ----------
    path : str or PathLike
        The checkpoint file.
    check : callable, optional
        ``check(path, manifest)`` runs after the manifest passed the common schema and
        before any array is read; it raises :class:`CheckpointError` to refuse the file
        (:func:`load` checks the architecture's shapes here).

    Returns
    -------
    arrays : dict of str to ndarray
        Every array, with the shape, dtype and SHA-256 the manifest promises.
    manifest : dict
        The JSON manifest, including ``format_version`` and ``arrays``.

    Raises
    ------
    CheckpointError
        Missing file, not a regular file, not a checkpoint, truncated or damaged archive,
        an edited or unknown-version manifest, a missing or unexpected array, or a shape,
        dtype or hash mismatch.
    """
    path = Path(path)
    with _open(path) as fh, open_zip(fh, path, file_size(fh)) as zf:
        manifest = _read_manifest(path, zf)
        expected = manifest["arrays"]
        _check_member_names(path, zf, expected)
        if check is not None:
            check(path, manifest)
        arrays = {name: read_array(zf, path, name, expected[name]) for name in expected}
    for name, array in arrays.items():
        if sha256(array) != expected[name]["sha256"]:
            raise CheckpointError(
                f"checkpoint {path}: array {name!r} is corrupted (SHA-256 mismatch)"
            )
    return arrays, manifest


def _open(path: Path) -> Any:
    if not os.path.lexists(path):
        prev = path.with_name(path.name + ".prev")
        hint = f" (a previous checkpoint exists: {prev})" if prev.is_file() else ""
        raise CheckpointError(f"checkpoint {path} does not exist{hint}")
    try:
        return open_regular(path, "checkpoint", CheckpointError)
    except CheckpointError as err:
        if "is a directory" in str(err):
            raise CheckpointError(
                f"checkpoint {path} is a directory, expected a .chainrule file"
            ) from None
        raise
