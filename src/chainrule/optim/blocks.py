"""The flat, cache-sized blocks an optimizer's element-wise update runs on.

An update touches four to six arrays shaped like the parameter, one NumPy pass each. Cut
into flat blocks of at most :data:`BLOCK_BYTES`, those arrays stay in the core's cache from
one pass to the next (on N1's 307,200-entry ``W1`` this takes Adam from 1.0 to 0.6 ms);
being element-wise, the update gives the same result bit for bit.

Small parameters go the other way: a NumPy pass costs about a microsecond whatever its
size, so twelve passes for each of a small network's parameters are most of its step.
Neighbouring parameters of at most :data:`PACK_ENTRIES` entries are updated as one flat
array (a :class:`Pack`): their values and gradients gathered by one copy each, their buffers
already neighbours in one flat array per buffer (:func:`buffer_arenas`), the values put
back after the update. Element-wise again, so again the same result bit for bit.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from chainrule.arguments import check

__all__ = [
    "BLOCK_BYTES",
    "FLUSH_EVERY",
    "PACK_ENTRIES",
    "Job",
    "Pack",
    "buffer_arenas",
    "flat_blocks",
    "flush_subnormals",
]

#: Largest block of one array an update works on at a time (bytes): with the four to six
#: arrays of an update it stays within a core's L2 cache between NumPy passes.
BLOCK_BYTES = 128 * 1024
#: Largest parameter (entries) that is updated packed with its small neighbours.
PACK_ENTRIES = 4096
#: Steps between two flushes of subnormal numbers from the optimizer state.
FLUSH_EVERY = 64


class Pack:
    """Neighbouring small parameters updated as one flat array.

    ``w`` and ``g`` are flat copies of their values and gradients, made by :meth:`gather`;
    :meth:`scatter` puts ``w`` back into the values after the update. ``state`` holds the
    slice of each buffer's arena that covers them (the buffers themselves, not copies).
    """

    def __init__(self, values: list[np.ndarray], grads: list[np.ndarray], dtype: Any) -> None:
        self._values = values
        self._grads = grads
        total = sum(v.size for v in values)
        self.w = np.empty(total, dtype=dtype)
        self.g = np.empty(total, dtype=dtype)
        ends = np.cumsum([v.size for v in values])
        self._parts = [self.w[e - v.size : e] for v, e in zip(values, ends, strict=True)]

    def gather(self) -> None:
        np.concatenate(self._values, out=self.w)
        np.concatenate(self._grads, out=self.g)

    def scatter(self) -> None:
        for value, part in zip(self._values, self._parts, strict=True):
            np.copyto(value, part)


#: One block: the parameter's name, its values, its gradient, the same block of each
#: buffer, and the :class:`Pack` it stands for (None for a block of one parameter).
Job = tuple[str, np.ndarray, np.ndarray, dict[str, np.ndarray], Pack | None]


def buffer_arenas(
    params: Sequence[tuple[str, Any]], buffer_names: Sequence[str]
) -> dict[str, dict[str, np.ndarray]]:
    """Zeroed buffers ``[buffer][param]`` shaped like each parameter; with one dtype for all
    parameters each buffer is one flat array cut in parameter order, so that neighbouring
    parameters have neighbouring buffers (what a :class:`Pack` needs)."""
    dtypes = {p.value.dtype for _, p in params}
    if len(dtypes) != 1:
        return {b: {name: np.zeros_like(p.value) for name, p in params} for b in buffer_names}
    total, dtype = sum(p.value.size for _, p in params), dtypes.pop()
    out: dict[str, dict[str, np.ndarray]] = {}
    for b in buffer_names:
        arena = np.zeros(total, dtype=dtype)
        start, out[b] = 0, {}
        for name, p in params:
            out[b][name] = arena[start : start + p.value.size].reshape(p.value.shape)
            start += p.value.size
    return out


def require_contiguous(params: Sequence[tuple[str, Any]]) -> None:
    """A flat view of a non-contiguous array would be a copy the update never writes back."""
    for name, p in params:
        check(
            p.value.flags.c_contiguous and p.grad.flags.c_contiguous,
            f"parameter {name}: value and grad must be C-contiguous arrays",
        )


def flat_blocks(
    params: Sequence[tuple[str, Any]],
    buffers: Mapping[str, Mapping[str, np.ndarray]],
    factors: Mapping[str, float] | None = None,
) -> list[Job]:
    """Every parameter's value, gradient and buffers (``buffers[buffer][name]``) as jobs:
    flat views of at most :data:`BLOCK_BYTES` bytes each, or one :class:`Pack` for each run
    of two or more neighbouring small parameters with one dtype, one penalty factor
    (``factors[name]``, 0 where absent) and neighbouring buffers."""
    require_contiguous(params)
    factors = factors or {}
    jobs: list[Job] = []
    for run in _runs(params, buffers, factors):
        if len(run) > 1:
            jobs.append(_pack_job(run, buffers))
            continue
        name, p = run[0]
        w, g = p.value.reshape(-1), p.grad.reshape(-1)
        state = {b: per[name].reshape(-1) for b, per in buffers.items()}
        block = max(1, BLOCK_BYTES // w.itemsize)
        for a in range(0, w.size, block):
            sl = slice(a, a + block)
            jobs.append((name, w[sl], g[sl], {b: v[sl] for b, v in state.items()}, None))
    return jobs


def _runs(
    params: Sequence[tuple[str, Any]],
    buffers: Mapping[str, Mapping[str, np.ndarray]],
    factors: Mapping[str, float],
) -> list[list[tuple[str, Any]]]:
    """The parameters in order, cut into runs that can be packed (a large one alone)."""
    runs: list[list[tuple[str, Any]]] = []
    for name, p in params:
        last = runs[-1][-1] if runs else None
        if (
            last is not None
            and p.value.size <= PACK_ENTRIES
            and last[1].value.size <= PACK_ENTRIES
            and p.value.dtype == last[1].value.dtype
            and factors.get(name, 0.0) == factors.get(last[0], 0.0)
            and all(_follows(per[last[0]], per[name]) for per in buffers.values())
        ):
            runs[-1].append((name, p))
        else:
            runs.append([(name, p)])
    return runs


def _follows(before: np.ndarray, after: np.ndarray) -> bool:
    """Whether ``before`` and ``after`` are neighbouring pieces of one flat array (the same
    array underneath, ``after`` starting where ``before`` ends)."""
    root = _root(before)
    return (
        root is _root(after)
        and root.ndim == 1
        and root.flags.c_contiguous
        and before.flags.c_contiguous
        and after.flags.c_contiguous
        and before.ctypes.data + before.nbytes == after.ctypes.data
    )


def _pack_job(run: list[tuple[str, Any]], buffers: Mapping[str, Mapping[str, np.ndarray]]) -> Job:
    values = [p.value.reshape(-1) for _, p in run]
    pack = Pack(values, [p.grad.reshape(-1) for _, p in run], values[0].dtype)
    first = run[0][0]
    state = {}
    for b, per in buffers.items():
        # the run's buffers follow each other in one flat array: its slice over the run
        root = _root(per[first])
        start = (per[first].ctypes.data - root.ctypes.data) // root.itemsize
        state[b] = root[start : start + pack.w.size]
    return (first, pack.w, pack.g, state, pack)


def _root(a: np.ndarray) -> np.ndarray:
    """The array that owns ``a``'s memory."""
    while isinstance(a.base, np.ndarray):
        a = a.base
    return a


def flush_subnormals(buffers: Mapping[str, Mapping[str, np.ndarray]]) -> None:
    """Set state entries below the smallest normal number to 0.

    A buffer of a parameter whose gradient stays 0 (a dead ReLU unit) decays geometrically
    into float32 subnormals, on which the processor computes many times slower; they are
    1e30 times below any Adam epsilon, so zero is the same update."""
    for per in buffers.values():
        for buf in per.values():
            tiny = np.finfo(buf.dtype).tiny
            np.copyto(buf, 0, where=np.abs(buf) < tiny)
