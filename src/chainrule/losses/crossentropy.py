"""Cross-entropy losses: binary (from probabilities or logits) and softmax on logits."""

from __future__ import annotations

from typing import Any

import numpy as np

from chainrule.buffers import reusable
from chainrule.errors import ConfigError, DataError, ShapeError
from chainrule.expr import tree as T
from chainrule.layers import stable_sigmoid
from chainrule.losses.base import Loss

__all__ = ["BinaryCrossEntropy", "SoftmaxCrossEntropy"]


class BinaryCrossEntropy(Loss):
    r"""Binary cross-entropy, summed over outputs, averaged over the batch.

    From probabilities ``p`` in (0, 1): :math:`L = -\frac1n\sum [y\ln p + (1-y)\ln(1-p)]`,
    with ``p`` clipped to :math:`[\epsilon, 1-\epsilon]` (``eps``, the clip bound) so that no
    log is infinite; gradient
    :math:`(p - y) / (p (1 - p) n)`. With ``from_logits=True`` the output is the logit
    :math:`z` and :math:`L = \frac1n\sum [\max(z,0) - z y + \ln(1 + e^{-|z|})]`, stable for
    any z, gradient :math:`(\sigma(z) - y)/n`. Labels ``y`` lie in [0, 1] (usually {0, 1}).

    Seed 004 writes :math:`\mathcal{L} = y\ln\hat y + (1-y)\ln(1-\hat y)` without the minus
    sign: that is the log-likelihood, which gradient descent would maximise the wrong way.
    """

    kind = "BinaryCrossEntropy"

    def __init__(
        self, from_logits: bool = False, reduction: str = "mean", eps: float = 1e-12
    ) -> None:
        super().__init__(reduction)
        if not (0 < eps < 0.5):
            raise ConfigError(
                f"BinaryCrossEntropy: eps (the clip bound of p) must be in (0, 0.5), got {eps!r}"
            )
        self.from_logits = bool(from_logits)
        self.eps = float(eps)

    def spec(self):
        return {**super().spec(), "from_logits": self.from_logits, "eps": self.eps}

    def trees(self, f, y, n):
        one, per = T.Constant(1), self._per(n)
        if self.from_logits:
            # ln(1 + e^z) - z y: the same value as the stable form the NumPy code uses
            softplus = T.Apply("log", (T.Add(one, T.Apply("exp", (f,))),))
            value = T.Sum(T.Sub(softplus, T.ElementwiseProduct(y, f)))
            return self._scaled(per, value), self._scaled(per, T.Sub(T.Apply("sigmoid", (f,)), y))
        log_p = T.ElementwiseProduct(y, T.Apply("log", (f,)))
        log_q = T.ElementwiseProduct(T.Sub(one, y), T.Apply("log", (T.Sub(one, f),)))
        value = T.Neg(self._scaled(per, T.Sum(T.Add(log_p, log_q))))
        grad = T.Div(T.Sub(f, y), T.ElementwiseProduct(f, T.Sub(one, f)))
        return value, self._scaled(per, grad)

    def _compute(self, out, y):
        y = self._check_targets_like(out, y)
        if not np.isfinite(y).all():
            raise DataError(f"{self.kind}: targets contain NaN or Inf")
        if y.size and (y.min() < 0 or y.max() > 1):
            raise DataError(
                f"BinaryCrossEntropy: labels must lie in [0, 1], got values from {y.min()} "
                f"to {y.max()}"
            )
        scale = self._scale(out.shape[0])
        if self.from_logits:
            z = out
            value = np.maximum(z, 0) - z * y + np.log1p(np.exp(-np.abs(z)))
            grad = stable_sigmoid(z)
            grad -= y
        else:
            if out.size and (out.min() < 0 or out.max() > 1):
                raise DataError(
                    "BinaryCrossEntropy: outputs must be probabilities in [0, 1] (got values "
                    f"from {out.min():.4g} to {out.max():.4g}); end the network with Sigmoid "
                    "or use BinaryCrossEntropy(from_logits=True)"
                )
            p = np.clip(out, self.eps, 1 - self.eps)
            value = -(y * np.log(p) + (1 - y) * np.log1p(-p))
            grad = (p - y) / (p * (1 - p))
        grad *= scale
        return scale * float(value.sum()), grad


class SoftmaxCrossEntropy(Loss):
    r"""Softmax and cross-entropy fused, from logits ``z`` (n, c) and integer labels (n,).

    :math:`L = \frac1n \sum_k [\log\sum_j e^{z_{kj}} - z_{k y_k}]`, computed as a stable
    log-sum-exp (logits of 1e4 are fine); :math:`dL/dz = (\mathrm{softmax}(z) - 1_{y})/n`
    (seed 002: :math:`p_j - [j = y_i]`). The network ends in its last ``Linear`` layer:
    a ``Softmax`` layer before this loss applies softmax twice (``fit`` warns,
    :func:`~chainrule.losses.pairing.squashed_twice`)."""

    kind = "SoftmaxCrossEntropy"

    def trees(self, f, y, n):
        """``y`` here is the one-hot matrix ``Y`` of the labels, shape (n, c)."""
        p, per = T.Apply("softmax", (f,)), self._per(n)
        value = T.Neg(self._scaled(per, T.Sum(T.ElementwiseProduct(y, T.Apply("log", (p,))))))
        return value, self._scaled(per, T.Sub(p, y))

    def _compute(self, out, y):
        n, c = out.shape
        y = _check_labels(y, n, c, self.kind)
        scale = self._scale(n)
        # One pass over the logits in place: shift by the row maximum, read the true
        # class's shifted logit, exponentiate, normalise with the scale folded in.
        P = self._buffer("grad", out.shape, out.dtype)
        row_max = self._buffer("rows", (n, 1), out.dtype)
        np.max(out, axis=1, keepdims=True, out=row_max)
        np.subtract(out, row_max, out=P)
        flat_index = self._flat_index(n, c, y)
        picked = float(np.sum(P.ravel()[flat_index]))
        np.exp(P, out=P)
        sums = row_max  # reuse: the row sums of exp(shifted)
        np.sum(P, axis=1, keepdims=True, out=sums)
        value = scale * (float(np.sum(np.log(sums))) - picked)
        np.divide(scale, sums, out=sums)
        P *= sums
        P.ravel()[flat_index] -= scale
        return value, P

    def _flat_index(self, n: int, c: int, y: np.ndarray) -> np.ndarray:
        """Positions ``k c + y_k`` of the true classes in the flattened (n, c) array."""

        def row_starts(steps: np.ndarray) -> None:
            steps[...] = np.arange(0, n * c, c, dtype=np.intp)

        steps = reusable(self._buffers, ("steps", c), (n,), np.dtype(np.intp), row_starts)
        index = self._buffer("index", (n,), np.dtype(np.intp))
        np.add(steps, y, out=index)
        return index


def _check_labels(y: Any, n: int, c: int, where: str) -> np.ndarray:
    """Integer class labels of shape (n,) in [0, c)."""
    y = np.asarray(y)
    if y.ndim == 2 and y.shape == (n, 1):
        raise ShapeError(
            f"{where}: labels have shape {y.shape}; expected ({n},), one integer per example. "
            "Use y.ravel()."
        )
    if y.ndim == 2 and y.shape == (n, c):
        raise ShapeError(
            f"{where}: labels have shape {y.shape}, which looks one-hot; expected ({n},) "
            "integer class indices. Use y.argmax(axis=1)."
        )
    if y.shape != (n,):
        raise ShapeError(f"{where}: labels have shape {y.shape}; expected ({n},) for {n} outputs")
    if y.dtype.kind not in "iu":
        hint = ""
        if y.dtype.kind == "f" and np.all(np.isfinite(y)) and np.all(y == np.round(y)):
            hint = " They are whole numbers: use y.astype(int)."
        raise DataError(f"{where}: labels must be integers, got dtype {y.dtype}.{hint}")
    if y.size:
        lo, hi = int(y.min()), int(y.max())
        if lo < 0 or hi >= c:
            hint = ""
            if lo >= 1 and hi == c:
                hint = " The labels seem to start at 1: subtract 1 so that they start at 0."
            raise DataError(
                f"{where}: labels must lie in 0..{c - 1} for {c} classes, got values from "
                f"{lo} to {hi}.{hint}"
            )
    return y.astype(np.intp, copy=False)
