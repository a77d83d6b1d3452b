"""Adam in one pass over a whole parameter, compiled by numba where it is installed.

NumPy's Adam (:meth:`chainrule.optim.rules.Adam._update`) makes twelve passes over each
block, each a separate ufunc call. :func:`adam_pass` reads ``w, g, m, v`` once and writes
``w, m, v`` once, with per entry the same floating-point operations in the same order,
each rounded to the parameter's dtype as NumPy rounds it (no fused multiply-add, no
reassociation): its results are those of the NumPy path bit for bit
(``tests/training/test_optim_fused.py``). Measured here (float32, 20th percentile of
repeats): N1's ``W1`` (100 x 3072) 1.15 ms -> 0.25 ms, a 1024 x 1024 weight 4.5 ms ->
0.84 ms.

It runs by default: numba is a dependency of chainrule, and ``CHAINRULE_NUMBA=0`` switches
the pass off (so does a missing numba), with the same values from NumPy. numba is loaded
the first time a model of at least :data:`MIN_ENTRIES` parameters is stepped, never by
``import chainrule`` (loading it takes about 0.8 s with the cached kernel, and raises the
resident memory by about 120 MB: the LLVM library alone is 43 MB of it); a smaller model,
such as the default digits network, uses the pass only where numba is loaded already. The
compiled code is cached on disk by numba (``cache=True``), so the compilation (about 1 s
per dtype) is paid once per machine.
"""

from __future__ import annotations

import math
import os
import sys
from typing import Any

import numpy as np

__all__ = ["MIN_ENTRIES", "adam_pass", "kernel"]

#: Parameter entries of an optimizer from which the compiled pass is used.
MIN_ENTRIES = 1 << 15

_KERNEL: Any = None  # the compiled adam_pass; False where numba is absent or switched off


def adam_pass(w, g, m, v, l2k, use_l2, wd, coupled, keep, decoupled, one_b1, b2, one_b2, eps_c, step):  # fmt: skip
    """One Adam step on flat arrays of one dtype, in place (the scalars of that dtype).

    Per entry, with :math:`d` the gradient:

    .. math::
        d \\leftarrow k_{L2} w + d \\;(\\text{use\\_l2}), \\quad
        w \\leftarrow \\kappa w \\;(\\text{decoupled}), \\quad
        d \\leftarrow \\lambda w + d \\;(\\text{coupled}),

        v \\leftarrow \\beta_2 v + (1 - \\beta_2) d^2, \\quad
        m \\leftarrow m + (1 - \\beta_1)(d - m), \\quad
        w \\leftarrow w - s\\,\\frac{m}{\\sqrt v + \\epsilon_c}

    with :math:`s = \\eta c_2 / c_1`, :math:`\\epsilon_c = \\epsilon c_2` (the bias
    corrections as scalars, :math:`c_1 = 1 - \\beta_1^t`, :math:`c_2 = \\sqrt{1-\\beta_2^t}`)
    and :math:`\\kappa = 1 - \\eta\\lambda` (AdamW's decay).
    """
    for i in range(w.size):
        wi = w[i]
        d = g[i]
        if use_l2:
            d = wi * l2k + d
        if decoupled:
            wi = wi * keep
        if coupled:
            d = wi * wd + d
        vi = v[i] * b2 + (d * d) * one_b2
        mi = m[i] + (d - m[i]) * one_b1
        v[i] = vi
        m[i] = mi
        w[i] = wi - (mi / (math.sqrt(vi) + eps_c)) * step


def kernel() -> Any:
    """The compiled :func:`adam_pass`, or None (switched off by ``CHAINRULE_NUMBA=0``, or
    no numba)."""
    global _KERNEL
    if _KERNEL is None:
        _KERNEL = False
        if os.environ.get("CHAINRULE_NUMBA", "1") != "0":
            try:
                import numba
            except (ImportError, OSError):  # absent, for another NumPy, or LLVM unloadable
                pass
            else:
                _KERNEL = _jit(numba)
    return _KERNEL or None


def _jit(numba: Any) -> Any:
    options = dict(nogil=True, error_model="numpy")
    try:
        return numba.njit(cache=True, **options)(adam_pass)
    except RuntimeError:  # no writable place for the cache: compile in each process
        return numba.njit(**options)(adam_pass)


def usable(params: list[tuple[str, Any]]) -> bool:
    """Whether the compiled pass is to run for these parameters: numba is there, they are
    of one float dtype, they hold at least :data:`MIN_ENTRIES` entries or numba is loaded
    already, and the pass compiles for that dtype (tried on one entry; where compiling
    fails the NumPy path runs, with the same values)."""
    dtypes = {p.value.dtype for _, p in params} | {p.grad.dtype for _, p in params}
    if len(dtypes) != 1 or not all(d in (np.float32, np.float64) for d in dtypes):
        return False
    # numba's import is the only reason to keep a small model on NumPy: once loaded (by a
    # larger model in the same process), the pass is faster at every size (3 x 4: 19 -> 6 us)
    small = sum(p.value.size for _, p in params) < MIN_ENTRIES
    if (small and "numba" not in sys.modules) or kernel() is None:
        return False
    f = next(iter(dtypes)).type
    try:
        one = [np.zeros(1, dtype=f) for _ in range(4)]
        kernel()(*one, f(0), False, f(0), False, f(1), False, f(0.1), f(0.999), f(0.001),
                 f(1e-8), f(1e-3))  # fmt: skip
    except Exception:  # numba's compile errors have no common base
        return False
    return True
