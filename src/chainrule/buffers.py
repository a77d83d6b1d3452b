"""Arrays allocated once per shape and reused: the hot path of a training step allocates
nothing. Layers, losses and the L2 penalty keep their scratch space this way."""

from __future__ import annotations

from collections.abc import Callable, Hashable

import numpy as np


def reusable(
    store: dict[Hashable, np.ndarray],
    key: Hashable,
    shape: tuple[int, ...],
    dtype: np.dtype,
    init: Callable[[np.ndarray], None] | None = None,
) -> np.ndarray:
    """``store[key]`` if it has ``shape`` and ``dtype``, else a new array put there.

    Without ``init`` a new array is uninitialised and the contents are whatever the last
    user left: write before reading. ``init`` fills a new array once, for contents that
    depend on the key and shape alone (a vector of ones, the row offsets of a matrix) and
    that no user writes to."""
    buf = store.get(key)
    if buf is None or buf.shape != shape or buf.dtype != dtype:
        buf = np.empty(shape, dtype=dtype)
        if init is not None:
            init(buf)
        store[key] = buf
    return buf
