"""Probing one gradient with central differences: entry by entry or along directions, kinks
skipped and counted."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from chainrule.gradient_check.report import ParameterCheck

__all__ = ["Probing", "Target", "check_one"]


@dataclass(frozen=True)
class Probing:
    """How a gradient is probed: ``h`` the finite-difference step, the stencil, every entry
    (``"full"``) or ``n_directions`` directions drawn from ``rng``, the tolerance, and
    ``sides()`` the kink sides of the model after its last forward."""

    h: float
    stencil: int
    mode: str
    n_directions: int
    tol: float
    rng: np.random.Generator
    sides: Callable[[], list[np.ndarray]]


@dataclass(frozen=True)
class Target:
    """One gradient to check: ``array`` is probed in place, ``f()`` the function whose
    gradient ``grad`` is; ``watch_kinks`` skips probes that cross a kink."""

    name: str
    part: str
    array: np.ndarray
    grad: np.ndarray
    f: Callable[[], float]
    watch_kinks: bool = True


def _difference(target: Target, where, probing: Probing) -> tuple[float, bool]:
    """Central difference of ``target.f`` along ``where`` (an index or a direction array)
    of ``target.array``, changed in place and restored. Returns (value, crossed_a_kink)."""
    array, h = target.array, probing.h
    offsets = (1.0, -1.0) if probing.stencil == 2 else (2.0, 1.0, -1.0, -2.0)
    weights = (0.5, -0.5) if probing.stencil == 2 else (-1 / 12, 8 / 12, -8 / 12, 1 / 12)
    is_index = isinstance(where, tuple)
    saved = array[where] if is_index else array.copy()
    values, patterns = [], []
    for k in offsets:
        if is_index:
            array[where] = saved + k * h
        else:
            np.add(saved, (k * h) * where, out=array)
        values.append(target.f())
        if target.watch_kinks:
            patterns.append(probing.sides())
    if is_index:
        array[where] = saved
    else:
        array[...] = saved
    crossed = any(
        not np.array_equal(a, b)
        for pat in patterns[1:]
        for a, b in zip(patterns[0], pat, strict=True)
    )
    return sum(w * v for w, v in zip(weights, values, strict=True)) / h, crossed


def _directions(grad: np.ndarray, count: int, rng: np.random.Generator):
    """Unit directions to probe: the analytic gradient's own direction (its length must match
    the slope found there), then sparse random ones touching a few entries each. Dense random
    directions in many dimensions are nearly orthogonal to any gradient, so their directional
    derivatives would drown in rounding noise."""
    norm = np.linalg.norm(grad)
    if norm > 0:
        yield grad / norm
        count -= 1
    k = min(grad.size, 16)
    for _ in range(max(count, 0)):
        d = np.zeros(grad.shape)
        flat = d.reshape(-1)
        picks = rng.choice(grad.size, size=k, replace=False)
        flat[picks] = rng.standard_normal(k)
        flat /= np.linalg.norm(flat)
        yield d


def check_one(target: Target, probing: Probing) -> ParameterCheck:
    """Probe ``target`` entry by entry or along directions; its relative error."""
    a_list, n_list, idx_list, kinks = [], [], [], 0
    grad = target.grad
    if probing.mode == "full":
        probes = ((idx, lambda idx=idx: grad[idx]) for idx in np.ndindex(target.array.shape))
    else:
        probes = (
            (d, lambda d=d: float(np.sum(grad * d)))
            for d in _directions(grad, probing.n_directions, probing.rng)
        )
    for where, analytic in probes:
        numeric, crossed = _difference(target, where, probing)
        if crossed:
            kinks += 1
            continue
        a_list.append(analytic())
        n_list.append(numeric)
        idx_list.append(where if probing.mode == "full" else None)
    return _compare(target, a_list, n_list, idx_list, kinks, probing.tol)


def _compare(target: Target, a_list, n_list, idx_list, kinks: int, tol: float) -> ParameterCheck:
    """The relative error of the analytic values ``a_list`` against ``n_list``."""
    a = np.asarray(a_list, dtype=np.float64)
    n = np.asarray(n_list, dtype=np.float64)
    diff = np.abs(a - n)
    denom = np.linalg.norm(a) + np.linalg.norm(n)
    rel = float(np.linalg.norm(a - n) / denom) if denom > 0 else 0.0
    worst = int(np.argmax(diff)) if diff.size else None
    return ParameterCheck(
        name=target.name,
        part=target.part,
        shape=tuple(target.array.shape),
        rel_error=rel,
        max_abs_error=float(diff.max()) if diff.size else 0.0,
        worst_index=None
        if worst is None or idx_list[worst] is None
        else tuple(int(i) for i in idx_list[worst]),
        analytic_norm=float(np.linalg.norm(a)),
        numeric_norm=float(np.linalg.norm(n)),
        n_checked=int(a.size),
        n_kinks=kinks,
        ok=rel <= tol,
    )
