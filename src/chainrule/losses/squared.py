"""Squared-error losses: half (seed 004 and backprop texts) and mean (PyTorch-like)."""

from __future__ import annotations

from chainrule.errors import ConfigError
from chainrule.expr import tree as T
from chainrule.losses.base import Loss

__all__ = ["HalfSquaredError", "MeanSquaredError"]


class HalfSquaredError(Loss):
    r""":math:`L = \frac{1}{n}\sum_k \frac12 \|f_k - y_k\|^2`, :math:`dL/df = (f - y)/n`.

    The loss of seeds 000, 001 and 003. ``y`` has the output's shape (n, d)."""

    kind = "HalfSquaredError"

    def trees(self, f, y, n):
        diff = T.Sub(f, y)
        value = self._scaled(self._per(n, 2), T.Power(T.Norm(diff), T.Constant(2)))
        return value, self._scaled(self._per(n), diff)

    def _compute(self, out, y):
        return self._squared_error(out, y, 0.5 * self._scale(out.shape[0]))


class MeanSquaredError(Loss):
    r""":math:`L = \frac{1}{n}\sum_k \|f_k - y_k\|^2`, :math:`dL/df = 2 (f - y)/n`.

    The seed 004 and autoencoder form. ``per="element"`` divides by ``n d`` instead of ``n``,
    as PyTorch's ``MSELoss`` does."""

    kind = "MeanSquaredError"

    def __init__(self, reduction: str = "mean", per: str = "example") -> None:
        super().__init__(reduction)
        if per not in ("example", "element"):
            raise ConfigError(f"MeanSquaredError: per must be 'example' or 'element', got {per!r}")
        self.per = per

    def spec(self):
        return {**super().spec(), "per": self.per}

    def trees(self, f, y, n):
        diff = T.Sub(f, y)
        d = f.shape[-1] if self.per == "element" and self.reduction == "mean" else 1
        value = self._scaled(self._per(n, d), T.Power(T.Norm(diff), T.Constant(2)))
        return value, self._scaled(self._per(n, d, numerator=2), diff)

    def _compute(self, out, y):
        scale = self._scale(out.shape[0])
        if self.per == "element" and self.reduction == "mean":
            scale /= out.shape[1]
        return self._squared_error(out, y, scale)
