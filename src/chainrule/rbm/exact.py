r"""Exact partition function and model expectations of a small binary RBM.

With energy :math:`E(v, h) = -b^T v - c^T h - v^T W h` the sum over one layer has a closed
form, so only the smaller layer is enumerated. Summing out :math:`h` gives the free energy

.. math:: F(v) = -b^T v - \sum_j \operatorname{softplus}(c_j + (W^T v)_j),

and summing out :math:`v` gives

.. math:: G(h) = -c^T h - \sum_i \operatorname{softplus}(b_i + (W h)_i),

with :math:`\log Z = \log \sum_v e^{-F(v)} = \log \sum_h e^{-G(h)}`. Enumerating
:math:`K = \min(n_\text{visible}, n_\text{hidden})` units costs :math:`2^K` states; they are
visited in chunks of bounded memory with a running log-sum-exp, so only
:math:`K \le` :data:`MAX_EXACT_UNITS` is accepted.

Everything here is computed in float64 whatever the model's dtype: a sum over millions of
states loses too much in float32.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from chainrule.errors import ConfigError
from chainrule.rbm._math import sigmoid, softplus

__all__ = ["MAX_EXACT_UNITS", "ModelMoments", "binary_states", "log_partition", "model_moments"]

#: Largest number of units in the smaller layer that exact enumeration accepts (2^22 states).
MAX_EXACT_UNITS = 22

# Elements per (states x units) block: 2^20 float64 values is 8 MiB a block.
_BLOCK_ELEMENTS = 1 << 20


@dataclass(frozen=True)
class ModelMoments:
    """Expectations under the model distribution :math:`p(v, h) = e^{-E(v, h)} / Z`.

    Attributes
    ----------
    log_partition : float
        :math:`\\log Z`.
    visible : ndarray, shape (n_visible,)
        :math:`E_\\text{model}[v]`.
    hidden : ndarray, shape (n_hidden,)
        :math:`E_\\text{model}[h] = E_\\text{model}[\\sigma(c + W^T v)]`.
    outer : ndarray, shape (n_visible, n_hidden)
        :math:`E_\\text{model}[v h^T]`.
    """

    log_partition: float
    visible: np.ndarray
    hidden: np.ndarray
    outer: np.ndarray


def check_exact_size(n_visible: int, n_hidden: int, where: str) -> None:
    """Raise ConfigError when neither layer is small enough to enumerate."""
    smaller = min(n_visible, n_hidden)
    if smaller > MAX_EXACT_UNITS:
        raise ConfigError(
            f"{where}: exact enumeration of an RBM with n_visible={n_visible} and "
            f"n_hidden={n_hidden} needs 2^{smaller} states; the limit is 2^{MAX_EXACT_UNITS} "
            f"(a layer of at most {MAX_EXACT_UNITS} units); use CD or PCD estimates instead"
        )


def binary_states(start: int, stop: int, n_units: int) -> np.ndarray:
    """Binary states number ``start`` to ``stop - 1``, unit ``k`` being bit ``k``.

    Returns
    -------
    ndarray of float64, shape (stop - start, n_units)
    """
    index = np.arange(start, stop, dtype=np.int64)
    return ((index[:, None] >> np.arange(n_units, dtype=np.int64)) & 1).astype(np.float64)


def log_partition(
    W: np.ndarray, b: np.ndarray, c: np.ndarray, *, chunk_states: int | None = None
) -> float:
    """:math:`\\log Z` of the RBM with weights ``W`` (n_visible, n_hidden), biases ``b``, ``c``.

    ``chunk_states`` sets how many states are visited at once (default: a block of about
    8 MiB); results do not depend on it.
    """
    return _enumerate(W, b, c, moments=False, chunk_states=chunk_states).log_partition


def model_moments(
    W: np.ndarray, b: np.ndarray, c: np.ndarray, *, chunk_states: int | None = None
) -> ModelMoments:
    """:math:`\\log Z`, :math:`E[v]`, :math:`E[h]` and :math:`E[v h^T]` under the model."""
    return _enumerate(W, b, c, moments=True, chunk_states=chunk_states)


def _enumerate(
    W: np.ndarray, b: np.ndarray, c: np.ndarray, *, moments: bool, chunk_states: int | None
) -> ModelMoments:
    W, b, c = (np.asarray(a, dtype=np.float64) for a in (W, b, c))
    n_visible, n_hidden = W.shape
    check_exact_size(n_visible, n_hidden, "exact enumeration")
    if n_hidden <= n_visible:
        log_z, e_h, e_v, e_hv = _sum_over_states(W.T, c, b, moments, chunk_states)
        return ModelMoments(log_z, e_v, e_h, e_hv.T)
    log_z, e_v, e_h, e_vh = _sum_over_states(W, b, c, moments, chunk_states)
    return ModelMoments(log_z, e_v, e_h, e_vh)


def _sum_over_states(
    A: np.ndarray, a: np.ndarray, d: np.ndarray, moments: bool, chunk_states: int | None
) -> tuple[float, np.ndarray, np.ndarray, np.ndarray]:
    r"""Enumerate layer ``x`` (K units, bias ``a``) with the other layer ``y`` (M units, bias
    ``d``) summed out; ``A`` (K, M) couples them. The unnormalised log-weight of ``x`` is
    :math:`a^T x + \sum_m \operatorname{softplus}(d_m + (A^T x)_m)` and
    :math:`E[y \mid x] = \sigma(d + A^T x)`.

    Returns :math:`\log Z`, :math:`E[x]`, :math:`E[y]`, :math:`E[x y^T]` (zeros unless
    ``moments``).
    """
    n_x, n_y = A.shape
    total = 1 << n_x
    chunk = chunk_states or max(1, _BLOCK_ELEMENTS // max(n_x, n_y, 1))
    # Running log-sum-exp: every sum is kept relative to the largest log-weight seen so far
    # and rescaled when a larger one appears, so no weight overflows and memory stays flat.
    top = -math.inf
    weight_sum = 0.0
    sum_x, sum_y, sum_xy = np.zeros(n_x), np.zeros(n_y), np.zeros((n_x, n_y))
    for start in range(0, total, chunk):
        X = binary_states(start, min(start + chunk, total), n_x)
        pre = X @ A
        pre += d
        log_weight = X @ a + softplus(pre).sum(axis=1)
        new_top = max(top, float(log_weight.max()))
        rescale = math.exp(top - new_top)
        weight = np.exp(log_weight - new_top)
        weight_sum = weight_sum * rescale + float(weight.sum())
        if moments:
            Y = sigmoid(pre)
            sum_x = sum_x * rescale + weight @ X
            sum_y = sum_y * rescale + weight @ Y
            sum_xy = sum_xy * rescale + (X * weight[:, None]).T @ Y
        top = new_top
    return (
        top + math.log(weight_sum),
        sum_x / weight_sum,
        sum_y / weight_sum,
        sum_xy / weight_sum,
    )
