"""Optimizers and learning-rate schedules.

Every optimizer updates each parameter in place from its ``.grad`` (shape and dtype of the
parameter) with preallocated buffers and ``out=`` arithmetic: :meth:`Optimizer.step` makes
no temporary arrays. Its state is explicit: the step count ``t``, the current ``lr`` and the
per-parameter buffers, keyed by parameter name, all in :meth:`Optimizer.state_dict`.

Notation: :math:`w` a parameter, :math:`g` its gradient, :math:`\\eta` the learning rate,
:math:`\\lambda` the weight decay, :math:`t` the step count, incremented *before* use so the
first step has :math:`t = 1`. Weight decay (except in :class:`AdamW`) is folded into the
gradient first, :math:`g \\leftarrow g + \\lambda w`, as in ``torch.optim``.

>>> import numpy as np
>>> class P:  # anything with .value and .grad works as a parameter
...     def __init__(self, v): self.value, self.grad = np.array(v), np.zeros(len(v))
>>> class M:
...     def __init__(self): self.w = P([1.0, -2.0])
...     def named_parameters(self): yield "w", self.w
>>> m = M(); opt = Adam(m, lr=0.1)
>>> m.w.grad[...] = [0.5, -0.5]; opt.step()
>>> m.w.value.round(6).tolist(), opt.t
([0.9, -1.9], 1)
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Mapping
from typing import Any, ClassVar

import numpy as np

from chainrule.errors import CheckpointError, ConfigError

__all__ = [
    "SGD",
    "Adam",
    "AdamW",
    "ConstantLR",
    "CosineLR",
    "ExponentialLR",
    "LinearWarmup",
    "Momentum",
    "Optimizer",
    "RMSProp",
    "Schedule",
    "StepLR",
    "make_optimizer",
    "make_schedule",
    "optimizer_from_state",
]


def _check(condition: bool, message: str) -> None:
    if not condition:
        raise ConfigError(message)


#: Largest block of one array an update works on at a time (bytes): with the four to six
#: arrays of an update it stays within a core's L2 cache between NumPy passes.
BLOCK_BYTES = 128 * 1024
#: Steps between two flushes of subnormal numbers from the optimizer state.
FLUSH_EVERY = 64


def _positive(name: str, value: float) -> float:
    value = float(value)
    _check(math.isfinite(value) and value > 0, f"{name} must be a positive number, got {value}")
    return value


def _nonneg(name: str, value: float) -> float:
    value = float(value)
    _check(math.isfinite(value) and value >= 0, f"{name} must be >= 0, got {value}")
    return value


def _unit(name: str, value: float) -> float:
    value = float(value)
    _check(0.0 <= value < 1.0, f"{name} must be in [0, 1), got {value}")
    return value


class Optimizer:
    """Base class: parameters, step count, learning rate, buffers, state.

    Parameters
    ----------
    model : object
        Anything with ``named_parameters()`` yielding ``(name, parameter)``; each parameter
        has ``.value`` and ``.grad`` arrays of the same shape and dtype.
    lr : float
        The base learning rate :math:`\\eta`; :attr:`lr` is the current one (a schedule may
        change it between steps).

    Attributes
    ----------
    t : int
        Steps taken so far.
    lr : float
        Learning rate used by the next step.
    base_lr : float
        The learning rate given to the constructor; schedules scale it.
    buffers : dict of str to dict of str to ndarray
        ``buffers[buffer][param_name]``: the state saved in checkpoints.
    """

    #: Buffer names, each an array shaped like every parameter.
    buffer_names: ClassVar[tuple[str, ...]] = ()
    #: Scratch arrays per parameter (not state, never saved).
    n_scratch: ClassVar[int] = 1

    def __init__(self, model: Any, lr: float) -> None:
        self.base_lr = _positive("lr", lr)
        self.lr = self.base_lr
        self.t = 0
        self._params = list(model.named_parameters())
        names = [name for name, _ in self._params]
        _check(len(names) == len(set(names)), f"parameter names repeat: {names}")
        _check(bool(names), "the model has no parameters to optimize")
        for name, p in self._params:
            _check(
                p.value.flags.c_contiguous and p.grad.flags.c_contiguous,
                f"parameter {name}: value and grad must be C-contiguous arrays",
            )
        self.buffers: dict[str, dict[str, np.ndarray]] = {
            b: {name: np.zeros_like(p.value) for name, p in self._params} for b in self.buffer_names
        }
        self._jobs: list[tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]] = []
        self._jobs_key: list[tuple[int, int]] = []
        self._scratch: list[np.ndarray] = []

    # -- public ----------------------------------------------------------------------
    @property
    def name(self) -> str:
        return type(self).__name__

    def hyper(self) -> dict[str, Any]:
        """Constructor arguments (``lr`` is the base rate), JSON-able."""
        return {"lr": self.base_lr}

    def step(self) -> None:
        """Update every parameter in place from its ``.grad``; ``t`` grows by one.

        The update is element-wise, so it runs on flat blocks of at most
        :data:`BLOCK_BYTES` per array: the four to six arrays an update touches then stay in
        the core's cache from one NumPy pass to the next (on N1's 307,200-entry ``W1`` this
        takes Adam from 1.0 to 0.6 ms). Blocks change nothing in the result, bit for bit."""
        self.t += 1
        for w, g, state in self._current_jobs():
            self._update(w, g, state, [s[: w.size] for s in self._scratch])
        if self.t % FLUSH_EVERY == 0:
            self._flush_subnormals()

    def _current_jobs(self):
        """The flat blocks to update: rebuilt only when a parameter's arrays were replaced."""
        key = [(id(p.value), id(p.grad)) for _, p in self._params]
        if key != self._jobs_key:
            jobs = []
            for name, p in self._params:
                _check(
                    p.value.flags.c_contiguous and p.grad.flags.c_contiguous,
                    f"parameter {name}: value and grad must be C-contiguous arrays",
                )
                w, g = p.value.reshape(-1), p.grad.reshape(-1)
                state = {b: self.buffers[b][name].reshape(-1) for b in self.buffer_names}
                block = max(1, BLOCK_BYTES // w.itemsize)
                for a in range(0, w.size, block):
                    sl = slice(a, a + block)
                    jobs.append((w[sl], g[sl], {b: v[sl] for b, v in state.items()}))
            biggest = max(w.size for w, _, _ in jobs)
            dtype = np.result_type(*(w.dtype for w, _, _ in jobs))
            self._scratch = [np.empty(biggest, dtype=dtype) for _ in range(self.n_scratch)]
            self._jobs, self._jobs_key = jobs, key
        return self._jobs

    def _flush_subnormals(self) -> None:
        """Set state entries below the smallest normal number to 0.

        A buffer of a parameter whose gradient stays 0 (a dead ReLU unit) decays
        geometrically into float32 subnormals, on which the processor computes many times
        slower; they are 1e30 times below any ``eps``, so zero is the same update."""
        for per in self.buffers.values():
            for buf in per.values():
                tiny = np.finfo(buf.dtype).tiny
                np.copyto(buf, 0, where=np.abs(buf) < tiny)

    def state_dict(self) -> dict[str, Any]:
        """``{"name", "hyper", "step", "lr", "buffers"}`` with copies of the buffers."""
        return {
            "name": self.name,
            "hyper": self.hyper(),
            "step": self.t,
            "lr": self.lr,
            "buffers": {b: {k: v.copy() for k, v in d.items()} for b, d in self.buffers.items()},
        }

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Restore what :meth:`state_dict` gave; names, shapes and hyper-parameters checked.

        Raises
        ------
        CheckpointError
            Another optimizer, other hyper-parameters, or buffers that do not fit the model.
        """
        if state.get("name") != self.name:
            raise CheckpointError(f"optimizer state is for {state.get('name')}, not {self.name}")
        if dict(state.get("hyper", {})) != _jsonable(self.hyper()):
            raise CheckpointError(
                f"{self.name} state has hyper-parameters {state.get('hyper')}, "
                f"this optimizer has {self.hyper()}"
            )
        buffers = state.get("buffers", {})
        if set(buffers) != set(self.buffer_names):
            raise CheckpointError(
                f"{self.name} state has buffers {sorted(buffers)}, "
                f"expected {sorted(self.buffer_names)}"
            )
        for b, per in buffers.items():
            own = self.buffers[b]
            if set(per) != set(own):
                raise CheckpointError(
                    f"{self.name} buffer {b!r} is for parameters {sorted(per)}, "
                    f"the model has {sorted(own)}"
                )
            for pname, value in per.items():
                if np.shape(value) != own[pname].shape:
                    raise CheckpointError(
                        f"{self.name} buffer {b!r} of {pname} has shape {np.shape(value)}, "
                        f"the parameter has {own[pname].shape}"
                    )
        for b, per in buffers.items():
            for pname, value in per.items():
                self.buffers[b][pname][...] = value
        self.t = int(state["step"])
        self.lr = float(state.get("lr", self.base_lr))

    # -- subclasses --------------------------------------------------------------------
    def _update(
        self, w: np.ndarray, g: np.ndarray, state: dict[str, np.ndarray], scratch: list[np.ndarray]
    ) -> None:
        """Update one flat block ``w`` in place from its gradient ``g``; ``state`` holds the
        same block of each buffer, ``scratch`` arrays of the same size to work in."""
        raise NotImplementedError

    def _decayed(self, w: np.ndarray, g: np.ndarray, out: np.ndarray, wd: float) -> np.ndarray:
        """:math:`g + \\lambda w` in ``out`` (or ``g`` itself when :math:`\\lambda = 0`)."""
        if wd == 0.0:
            return g
        np.multiply(w, wd, out=out)
        out += g
        return out

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.hyper().items())
        return f"{self.name}({args})"


def _jsonable(hyper: Mapping[str, Any]) -> dict[str, Any]:
    return {k: list(v) if isinstance(v, tuple) else v for k, v in hyper.items()}


class SGD(Optimizer):
    """Plain (mini-batch) gradient descent.

    .. math:: w \\leftarrow w - \\eta\\,(g + \\lambda w)

    Same as ``torch.optim.SGD(lr=lr, weight_decay=weight_decay)``.
    """

    def __init__(self, model: Any, lr: float = 0.01, weight_decay: float = 0.0) -> None:
        super().__init__(model, lr)
        self.weight_decay = _nonneg("weight_decay", weight_decay)

    def hyper(self) -> dict[str, Any]:
        return {"lr": self.base_lr, "weight_decay": self.weight_decay}

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
        self.momentum = _unit("momentum", momentum)
        _check(
            convention in ("classical", "ema"),
            f"momentum convention must be 'classical' or 'ema', got {convention!r}",
        )
        self.convention = convention
        self.dampening = _unit("dampening", dampening)
        self.nesterov = bool(nesterov)
        self.weight_decay = _nonneg("weight_decay", weight_decay)
        _check(
            not (self.nesterov and convention == "ema"),
            "nesterov=True needs convention='classical' (the look-ahead is defined for it)",
        )
        _check(
            not (self.nesterov and (self.momentum == 0 or self.dampening != 0)),
            "nesterov=True needs momentum > 0 and dampening 0 (as torch.optim.SGD)",
        )
        _check(
            not (convention == "ema" and self.dampening != 0),
            "dampening applies to the classical convention; the ema one has 1 - momentum",
        )

    def hyper(self) -> dict[str, Any]:
        return {
            "lr": self.base_lr,
            "momentum": self.momentum,
            "convention": self.convention,
            "dampening": self.dampening,
            "nesterov": self.nesterov,
            "weight_decay": self.weight_decay,
        }

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

    with ``eps_inside=True`` the seed 004 form :math:`g / \\sqrt{s + \\epsilon}`.
    ``centered=True`` subtracts the square of a running mean :math:`m` of the gradients,
    :math:`\\sqrt{s - m^2}`; ``momentum`` :math:`\\mu > 0` keeps a buffer
    :math:`b \\leftarrow \\mu b + g / (\\sqrt{s} + \\epsilon)` and steps
    :math:`w \\leftarrow w - \\eta b`. With ``eps_inside=False`` this is
    ``torch.optim.RMSprop`` with the same arguments.
    """

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
        self.alpha = _unit("alpha", alpha)
        self.eps = _positive("eps", eps)
        self.eps_inside = bool(eps_inside)
        self.centered = bool(centered)
        self.momentum = _unit("momentum", momentum)
        self.weight_decay = _nonneg("weight_decay", weight_decay)
        names = ["square_avg"]
        if self.centered:
            names.append("grad_avg")
        if self.momentum > 0:
            names.append("momentum_buffer")
        self.buffer_names = tuple(names)
        super().__init__(model, lr)

    def hyper(self) -> dict[str, Any]:
        return {
            "lr": self.base_lr,
            "alpha": self.alpha,
            "eps": self.eps,
            "eps_inside": self.eps_inside,
            "centered": self.centered,
            "momentum": self.momentum,
            "weight_decay": self.weight_decay,
        }

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
    are never corrected in place. ``weight_decay`` is added to the gradient (L2, as
    ``torch.optim.Adam``); :class:`AdamW` decouples it.
    """

    buffer_names = ("exp_avg", "exp_avg_sq")
    n_scratch = 2
    decoupled = False

    def __init__(
        self,
        model: Any,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
    ) -> None:
        super().__init__(model, lr)
        _check(len(tuple(betas)) == 2, f"betas must be a pair, got {betas!r}")
        self.betas = (_unit("betas[0]", betas[0]), _unit("betas[1]", betas[1]))
        self.eps = _positive("eps", eps)
        self.weight_decay = _nonneg("weight_decay", weight_decay)

    def hyper(self) -> dict[str, Any]:
        return {
            "lr": self.base_lr,
            "betas": list(self.betas),
            "eps": self.eps,
            "weight_decay": self.weight_decay,
        }

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


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov and Hutter).

    .. math:: w \\leftarrow w (1 - \\eta\\lambda), \\text{ then the Adam step on } g

    so the decay is not scaled by :math:`1/\\sqrt{\\hat v}`. Same as ``torch.optim.AdamW``.
    """

    decoupled = True

    def __init__(
        self,
        model: Any,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
    ) -> None:
        super().__init__(model, lr, betas, eps, weight_decay)


# --------------------------------------------------------------------------------------
# Construction by name (command line, configs, checkpoints).

OPTIMIZERS: dict[str, type[Optimizer]] = {
    "sgd": SGD,
    "momentum": Momentum,
    "rmsprop": RMSProp,
    "adam": Adam,
    "adamw": AdamW,
}


def _lookup(table: Mapping[str, Any], name: str, what: str) -> Any:
    key = str(name).lower()
    if key in table:
        return table[key]
    close = difflib.get_close_matches(key, list(table), n=1)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    raise ConfigError(f"unknown {what} {name!r} (choose from {', '.join(table)}){hint}")


def make_optimizer(name: str, model: Any, **hyper: Any) -> Optimizer:
    """Build an optimizer by name (``"sgd"``, ``"momentum"``, ``"rmsprop"``, ``"adam"``,
    ``"adamw"``, case-insensitive) with keyword hyper-parameters."""
    cls = _lookup(OPTIMIZERS, name, "optimizer")
    try:
        return cls(model, **hyper)
    except TypeError as err:
        raise ConfigError(f"optimizer {name!r}: {err}") from err


def optimizer_from_state(model: Any, state: Mapping[str, Any]) -> Optimizer:
    """Rebuild an optimizer for ``model`` from :meth:`Optimizer.state_dict` output."""
    hyper = dict(state["hyper"])
    if "betas" in hyper:
        hyper["betas"] = tuple(hyper["betas"])
    try:
        opt = make_optimizer(state["name"], model, **hyper)
    except ConfigError as err:
        raise CheckpointError(f"saved optimizer cannot be rebuilt: {err}") from err
    opt.load_state_dict(state)
    return opt


# --------------------------------------------------------------------------------------
# Learning-rate schedules: pure functions of the epoch, so a resumed run sees the same rates.


class Schedule:
    """A learning rate as a function of the number of finished epochs ``epoch`` (0, 1, ...).

    ``schedule(epoch, base_lr)`` returns the rate for the epoch that starts after ``epoch``
    finished epochs; ``spec()`` gives ``{"name": ..., **arguments}``.
    """

    name: ClassVar[str] = ""

    def __call__(self, epoch: int, base_lr: float) -> float:
        raise NotImplementedError

    def spec(self) -> dict[str, Any]:
        return {"name": self.name, **vars(self)}

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in vars(self).items())
        return f"{type(self).__name__}({args})"


class ConstantLR(Schedule):
    """:math:`\\eta_e = \\eta_0`."""

    name = "constant"

    def __call__(self, epoch: int, base_lr: float) -> float:
        return base_lr


class StepLR(Schedule):
    """:math:`\\eta_e = \\eta_0\\,\\gamma^{\\lfloor e / s \\rfloor}` (``torch`` ``StepLR``)."""

    name = "step"

    def __init__(self, step_size: int, gamma: float = 0.1) -> None:
        _check(int(step_size) >= 1, f"step_size must be >= 1, got {step_size}")
        self.step_size = int(step_size)
        self.gamma = _positive("gamma", gamma)

    def __call__(self, epoch: int, base_lr: float) -> float:
        return base_lr * self.gamma ** (epoch // self.step_size)


class ExponentialLR(Schedule):
    """:math:`\\eta_e = \\eta_0\\,\\gamma^{e}` (``torch`` ``ExponentialLR``)."""

    name = "exponential"

    def __init__(self, gamma: float) -> None:
        self.gamma = _positive("gamma", gamma)

    def __call__(self, epoch: int, base_lr: float) -> float:
        return base_lr * self.gamma**epoch


class CosineLR(Schedule):
    """:math:`\\eta_e = \\eta_{min} + \\tfrac12(\\eta_0 - \\eta_{min})(1 + \\cos(\\pi e / T))`
    for :math:`e \\le T`, then :math:`\\eta_{min}` (``torch`` ``CosineAnnealingLR``
    closed form)."""

    name = "cosine"

    def __init__(self, t_max: int, lr_min: float = 0.0) -> None:
        _check(int(t_max) >= 1, f"t_max must be >= 1, got {t_max}")
        self.t_max = int(t_max)
        self.lr_min = _nonneg("lr_min", lr_min)

    def __call__(self, epoch: int, base_lr: float) -> float:
        e = min(epoch, self.t_max)
        return self.lr_min + 0.5 * (base_lr - self.lr_min) * (
            1 + math.cos(math.pi * e / self.t_max)
        )


class LinearWarmup(Schedule):
    """Linear warm-up from :math:`f_0 \\eta_0` to :math:`\\eta_0` over ``warmup`` epochs,
    :math:`\\eta_e = \\eta_0 (f_0 + (1 - f_0) \\min(e, W) / W)` (``torch`` ``LinearLR``),
    then ``after`` (a schedule, counted from the end of the warm-up) or constant."""

    name = "warmup"

    def __init__(
        self, warmup: int, start_factor: float = 0.1, after: Schedule | None = None
    ) -> None:
        _check(int(warmup) >= 1, f"warmup must be >= 1, got {warmup}")
        self.warmup = int(warmup)
        self.start_factor = _positive("start_factor", start_factor)
        self.after = after

    def __call__(self, epoch: int, base_lr: float) -> float:
        if epoch < self.warmup or self.after is None:
            f = self.start_factor + (1 - self.start_factor) * min(epoch, self.warmup) / self.warmup
            return base_lr * f
        return self.after(epoch - self.warmup, base_lr)

    def spec(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "warmup": self.warmup,
            "start_factor": self.start_factor,
            "after": None if self.after is None else self.after.spec(),
        }


SCHEDULES: dict[str, type[Schedule]] = {
    cls.name: cls for cls in (ConstantLR, StepLR, ExponentialLR, CosineLR, LinearWarmup)
}


def make_schedule(spec: str | Mapping[str, Any] | Schedule) -> Schedule:
    """A schedule from a name (``"cosine"`` needs arguments, so give a dict), a spec dict
    ``{"name": "step", "step_size": 10, "gamma": 0.5}``, or a schedule itself."""
    if isinstance(spec, Schedule):
        return spec
    args: dict[str, Any] = {"name": spec} if isinstance(spec, str) else dict(spec)
    cls = _lookup(SCHEDULES, args.pop("name", ""), "learning-rate schedule")
    if cls is LinearWarmup and isinstance(args.get("after"), (str, Mapping)):
        args["after"] = make_schedule(args["after"])
    try:
        return cls(**args)
    except TypeError as err:
        raise ConfigError(f"schedule {cls.name!r}: {err}") from err
