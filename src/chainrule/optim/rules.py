"""The update rules: SGD, Momentum, RMSProp, Adam and AdamW, each the update of one flat
block of a parameter, written with ``out=`` arithmetic into preallocated scratch arrays.

Notation: :math:`w` a parameter, :math:`g` its gradient, :math:`\\eta` the learning rate,
:math:`\\lambda` the weight decay, :math:`t` the step count (1 on the first step).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from chainrule.arguments import check, nonneg, positive, unit
from chainrule.optim import blocks, fused
from chainrule.optim.base import Optimizer

__all__ = ["SGD", "Adam", "AdamW", "Momentum", "RMSProp"]


class SGD(Optimizer):
    """Plain (mini-batch) gradient descent.

    .. math:: w \\leftarrow w - \\eta\\,(g + \\lambda w)

    Same as ``torch.optim.SGD(lr=lr, weight_decay=weight_decay)``.
    """

    hyper_parameters = ("weight_decay",)

    def __init__(self, model: Any, lr: float = 0.01, weight_decay: float = 0.0) -> None:
        super().__init__(model, lr)
        self.weight_decay = nonneg("weight_decay", weight_decay)

    def _update(self, w, g, state, scratch):
        d = self._decayed(w, g, scratch[0], self.weight_decay)
        np.multiply(d, self.lr, out=scratch[0])
        w -= scratch[0]


class Momentum(Optimizer):
    """Gradient descent with momentum, in either of the two conventions of the seed notes.

    ``convention="classical"`` (default; ``torch.optim.SGD(momentum=mu, dampening=...,
    nesterov=...)``): a velocity :math:`v` in gradient units, :math:`v_1 = g_1`, then

    .. math:: v \\leftarrow \\mu v + (1 - \\tau) g, \\qquad w \\leftarrow w - \\eta v

    (:math:`\\tau` the dampening, 0 by default). With constant :math:`\\eta` and
    :math:`\\tau = 0` this is the textbook :math:`u \\leftarrow \\mu u - \\eta g,\\;
    w \\leftarrow w + u` with :math:`u = -\\eta v`. Nesterov steps along
    :math:`g + \\mu v` instead of :math:`v`.

    ``convention="ema"`` (seed 004): an exponential average of the gradients from
    :math:`v_0 = 0`,

    .. math:: v \\leftarrow \\beta v + (1 - \\beta) g, \\qquad w \\leftarrow w - \\eta v

    where :math:`\\beta` is ``momentum``. It equals the classical rule with
    :math:`\\tau = \\beta` except on the first step (:math:`v_1 = (1-\\beta) g`, not
    :math:`g`), and needs a learning rate :math:`1/(1-\\beta)` times larger for the same
    effective step.
    """

    buffer_names = ("velocity",)
    hyper_parameters = ("momentum", "convention", "dampening", "nesterov", "weight_decay")
    n_scratch = 2

    def __init__(
        self,
        model: Any,
        lr: float = 0.01,
        momentum: float = 0.9,
        *,
        convention: str = "classical",
        dampening: float = 0.0,
        nesterov: bool = False,
        weight_decay: float = 0.0,
    ) -> None:
        super().__init__(model, lr)
        self.momentum = unit("momentum", momentum)
        check(
            convention in ("classical", "ema"),
            f"momentum convention must be 'classical' or 'ema', got {convention!r}",
        )
        self.convention = convention
        self.dampening = unit("dampening", dampening)
        self.nesterov = bool(nesterov)
        self.weight_decay = nonneg("weight_decay", weight_decay)
        check(
            not (self.nesterov and convention == "ema"),
            "nesterov=True needs convention='classical' (the look-ahead is defined for it)",
        )
        check(
            not (self.nesterov and (self.momentum == 0 or self.dampening != 0)),
            "nesterov=True needs momentum > 0 and dampening 0 (as torch.optim.SGD)",
        )
        check(
            not (convention == "ema" and self.dampening != 0),
            "dampening applies to the classical convention; the ema one has 1 - momentum",
        )

    def _update(self, w, g, state, scratch):
        v = state["velocity"]
        tmp, step = scratch
        d = self._decayed(w, g, tmp, self.weight_decay)
        if self.convention == "ema":
            v *= self.momentum
            np.multiply(d, 1.0 - self.momentum, out=tmp)
            v += tmp
        elif self.t == 1:
            v[...] = d
        else:
            v *= self.momentum
            if self.dampening:
                np.multiply(d, 1.0 - self.dampening, out=tmp)
                v += tmp
            else:
                v += d
        if self.nesterov:
            np.multiply(v, self.momentum, out=step)
            step += d
            step *= self.lr
        else:
            np.multiply(v, self.lr, out=step)
        w -= step


class RMSProp(Optimizer):
    """Divide the gradient by a running root mean square of its recent magnitudes.

    .. math::
        s \\leftarrow \\alpha s + (1 - \\alpha) g^2, \\qquad
        w \\leftarrow w - \\eta \\frac{g}{\\sqrt{s} + \\epsilon}

    where ``eps`` is :math:`\\epsilon`, which keeps the denominator away from 0; with
    ``eps_inside=True`` the seed 004 form :math:`g / \\sqrt{s + \\epsilon}`.
    ``centered=True`` subtracts the square of a running mean :math:`m` of the gradients,
    :math:`\\sqrt{s - m^2}`; ``momentum`` :math:`\\mu > 0` keeps a buffer
    :math:`b \\leftarrow \\mu b + g / (\\sqrt{s} + \\epsilon)` and steps
    :math:`w \\leftarrow w - \\eta b`. With ``eps_inside=False`` this is
    ``torch.optim.RMSprop`` with the same arguments.
    """

    hyper_parameters = (
        "alpha",
        "eps",
        "eps_inside",
        "centered",
        "momentum",
        "weight_decay",
    )
    n_scratch = 2

    def __init__(
        self,
        model: Any,
        lr: float = 0.01,
        alpha: float = 0.99,
        eps: float = 1e-8,
        *,
        eps_inside: bool = False,
        centered: bool = False,
        momentum: float = 0.0,
        weight_decay: float = 0.0,
    ) -> None:
        self.alpha = unit("alpha", alpha)
        self.eps = positive("eps (the denominator's epsilon)", eps)
        self.eps_inside = bool(eps_inside)
        self.centered = bool(centered)
        self.momentum = unit("momentum", momentum)
        self.weight_decay = nonneg("weight_decay", weight_decay)
        names = ["square_avg"]
        if self.centered:
            names.append("grad_avg")
        if self.momentum > 0:
            names.append("momentum_buffer")
        self.buffer_names = tuple(names)
        super().__init__(model, lr)

    def _update(self, w, g, state, scratch):
        tmp, denom = scratch
        s = state["square_avg"]
        d = self._decayed(w, g, tmp, self.weight_decay)
        np.multiply(d, d, out=denom)
        denom *= 1.0 - self.alpha
        s *= self.alpha
        s += denom
        if self.centered:
            m = state["grad_avg"]
            np.subtract(d, m, out=denom)
            denom *= 1.0 - self.alpha
            m += denom
            np.multiply(m, m, out=denom)
            np.subtract(s, denom, out=denom)
        else:
            denom[...] = s
        if self.eps_inside:
            denom += self.eps
            np.sqrt(denom, out=denom)
        else:
            np.sqrt(denom, out=denom)
            denom += self.eps
        np.divide(d, denom, out=denom)
        if self.momentum > 0:
            b = state["momentum_buffer"]
            b *= self.momentum
            b += denom
            np.multiply(b, self.lr, out=denom)
        else:
            denom *= self.lr
        w -= denom


class Adam(Optimizer):
    """Adam: momentum and RMSProp with bias correction.

    .. math::
        m \\leftarrow \\beta_1 m + (1 - \\beta_1) g, \\qquad
        v \\leftarrow \\beta_2 v + (1 - \\beta_2) g^2,

        \\hat m = \\frac{m}{1 - \\beta_1^t}, \\qquad \\hat v = \\frac{v}{1 - \\beta_2^t},
        \\qquad w \\leftarrow w - \\eta \\frac{\\hat m}{\\sqrt{\\hat v} + \\epsilon}

    with :math:`t = 1` on the first step. The corrections divide by
    :math:`1 - \\beta^t` (which tends to 1), **not** by :math:`(1 - \\beta)^t` as seed 004
    writes: that would blow :math:`\\hat m` up by :math:`(1-\\beta_1)^{-t}` (already
    :math:`10^{10}` at :math:`t = 10` for :math:`\\beta_1 = 0.9`). The stored :math:`m, v`
    are never corrected in place. ``eps`` is Adam's :math:`\\epsilon`, added to the
    denominator so that it never vanishes. ``weight_decay`` is added to the gradient (L2, as
    ``torch.optim.Adam``); :class:`AdamW` decouples it.
    """

    buffer_names = ("exp_avg", "exp_avg_sq")
    hyper_parameters = ("betas", "eps", "weight_decay")
    n_scratch = 2
    #: AdamW: the decay multiplies the weights apart from the gradient.
    decoupled = False
    #: The weight decay when none is given (AdamW's is torch's 1e-2).
    default_weight_decay = 0.0

    def __init__(
        self,
        model: Any,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float | None = None,
    ) -> None:
        if weight_decay is None:
            weight_decay = self.default_weight_decay
        super().__init__(model, lr)
        check(len(tuple(betas)) == 2, f"betas must be a pair, got {betas!r}")
        self.betas = (unit("betas[0]", betas[0]), unit("betas[1]", betas[1]))
        self.eps = positive("eps (Adam's epsilon)", eps)
        self.weight_decay = nonneg("weight_decay", weight_decay)
        self._fused: bool | None = None  # whether the compiled pass runs (decided once)
        self._flat: list[tuple[Any, ...]] = []  # (name, w, g, m, v) flat views for the pass
        self._flat_key: list[tuple[int, int]] = []

    def _update(self, w, g, state, scratch):
        b1, b2 = self.betas
        tmp, denom = scratch
        m = state["exp_avg"]
        v = state["exp_avg_sq"]
        if self.decoupled:
            if self.weight_decay:
                w *= 1.0 - self.lr * self.weight_decay
            d = g
        else:
            d = self._decayed(w, g, tmp, self.weight_decay)
        np.multiply(d, d, out=denom)
        denom *= 1.0 - b2
        v *= b2
        v += denom
        # m + (1 - b1)(g - m): torch's lerp, and one scratch array instead of two
        np.subtract(d, m, out=denom)
        denom *= 1.0 - b1
        m += denom
        # lr m_hat / (sqrt(v_hat) + eps) = (lr c2 / c1) m / (sqrt(v) + eps c2), with
        # c1 = 1 - b1^t and c2 = sqrt(1 - b2^t): the corrections as two scalars, no pass
        correction1 = 1.0 - b1**self.t
        correction2_sqrt = math.sqrt(1.0 - b2**self.t)
        np.sqrt(v, out=denom)
        denom += self.eps * correction2_sqrt
        np.divide(m, denom, out=denom)
        denom *= self.lr * correction2_sqrt / correction1
        w -= denom

    def _step_whole(self, factors):
        """Every parameter in one compiled pass (:mod:`chainrule.optim.fused`), the same
        values as the twelve NumPy passes of :meth:`_update`; False where unavailable."""
        if self._fused is None:
            self._fused = fused.usable(self._params)
        if not self._fused:
            return False
        run = fused.kernel()
        key = [(id(p.value), id(p.grad)) for _, p in self._params]
        if key != self._flat_key:  # a parameter's arrays were replaced: check them again
            blocks.require_contiguous(self._params)
            self._flat = [
                (name, p.value.reshape(-1), p.grad.reshape(-1),
                 self.buffers["exp_avg"][name].reshape(-1),
                 self.buffers["exp_avg_sq"][name].reshape(-1))
                for name, p in self._params
            ]  # fmt: skip
            self._flat_key = key
        b1, b2 = self.betas
        c2 = math.sqrt(1.0 - b2**self.t)
        c1 = 1.0 - b1**self.t
        wd = self.weight_decay
        coupled, decoupled = bool(wd) and not self.decoupled, bool(wd) and self.decoupled
        f = self._flat[0][1].dtype.type  # one dtype for all (fused.usable)
        rule = (f(wd), coupled, f(1.0 - self.lr * wd), decoupled, f(1.0 - b1), f(b2),
                f(1.0 - b2), f(self.eps * c2), f(self.lr * c2 / c1))  # fmt: skip
        for name, w, g, m, v in self._flat:
            k = factors.get(name, 0.0)
            run(w, g, m, v, f(k), bool(k), *rule)
        return True


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov and Hutter).

    .. math:: w \\leftarrow w (1 - \\eta\\lambda), \\text{ then the Adam step on } g

    so the decay is not scaled by :math:`1/\\sqrt{\\hat v}`. Same as ``torch.optim.AdamW``.
    """

    decoupled = True
    default_weight_decay = 1e-2
