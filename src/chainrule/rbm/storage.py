"""Saving and loading an RBM: its arrays through :mod:`chainrule.checkpoint` (npz without
pickle plus a JSON manifest of ``kind`` ``"rbm"``), every array checked before use."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from chainrule.checkpoint import read_checkpoint, write_checkpoint
from chainrule.errors import CheckpointError

__all__ = ["CHECKPOINT_KIND", "PARAMETER_NAMES", "load", "save"]

PARAMETER_NAMES = ("W", "b", "c")
CHECKPOINT_KIND = "rbm"


def save(rbm: Any, path: str | os.PathLike[str], metadata: dict[str, Any]) -> Path:
    """Write ``rbm``'s ``W``, ``b``, ``c`` and generator state to ``path`` atomically;
    ``metadata`` goes into the manifest under ``"metadata"``. Returns the file written."""
    manifest = {
        "kind": CHECKPOINT_KIND,
        "rbm": {
            "n_visible": rbm.n_visible,
            "n_hidden": rbm.n_hidden,
            "dtype": rbm.dtype.name,
            "rng": rbm.rng.bit_generator.state,
        },
        "metadata": metadata,
    }
    return write_checkpoint(path, rbm.parameters(), manifest)


def load(cls: type, path: str | os.PathLike[str]) -> Any:
    """An instance of the RBM class ``cls`` from a file written by :func:`save`.

    Raises
    ------
    CheckpointError
        The file is missing or corrupt (see :func:`chainrule.checkpoint.read_checkpoint`),
        holds something other than an RBM, or its arrays do not fit together.
    """
    arrays, manifest = read_checkpoint(path)
    if manifest.get("kind") != CHECKPOINT_KIND or not isinstance(manifest.get("rbm"), dict):
        raise CheckpointError(
            f"checkpoint {path} holds {manifest.get('kind')!r} data; expected an RBM "
            f"(kind {CHECKPOINT_KIND!r})"
        )
    if set(arrays) != set(PARAMETER_NAMES):
        raise CheckpointError(
            f"checkpoint {path}: has arrays {sorted(arrays)}; expected {list(PARAMETER_NAMES)}"
        )
    W, b, c = (arrays[name] for name in PARAMETER_NAMES)
    if W.ndim != 2 or b.shape != (W.shape[0],) or c.shape != (W.shape[-1],):
        raise CheckpointError(
            f"checkpoint {path}: W {W.shape}, b {b.shape}, c {c.shape} do not fit together; "
            "expected (n_visible, n_hidden), (n_visible,), (n_hidden,)"
        )
    if not all(a.dtype == W.dtype for a in (b, c)) or W.dtype not in (np.float32, np.float64):
        raise CheckpointError(
            f"checkpoint {path}: dtypes {W.dtype}, {b.dtype}, {c.dtype}; expected one of "
            "float64 or float32 for all three"
        )
    rbm = cls(W.shape[0], W.shape[1], dtype=W.dtype)
    rbm.W[...], rbm.b[...], rbm.c[...] = W, b, c
    try:
        rbm.rng.bit_generator.state = manifest["rbm"]["rng"]
    except (KeyError, TypeError, ValueError) as err:
        raise CheckpointError(f"checkpoint {path}: its generator state is invalid") from err
    return rbm
