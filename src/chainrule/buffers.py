"""Arrays allocated once per shape and reused: the hot path of a training step allocates
nothing. Layers, losses and the L2 penalty keep their scratch space this way."""

from __future__ import annotations

from collections.abc import Hashable

import numpy as np


def reusable(
    store: dict[Hashable, np.ndarray], key: Hashable, shape: tuple[int, ...], dtype: np.dtype
) -> np.ndarray:
    """``store[key]`` if it has ``shape`` and ``dtype``, else a new uninitialised array put
    there. Its contents are whatever the last user left: write before reading."""
    buf = store.get(key)
    if buf is None or buf.shape != shape or buf.dtype != dtype:
        buf = np.empty(shape, dtype=dtype)
        store[key] = buf
    return buf
