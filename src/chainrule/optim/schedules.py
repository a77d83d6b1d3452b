"""Learning-rate schedules: pure functions of the number of finished epochs, so a resumed
run sees the same rates. Each matches the closed form of its ``torch`` counterpart."""

from __future__ import annotations

import math
from typing import Any, ClassVar

from chainrule.arguments import nonneg, positive, positive_int

__all__ = [
    "SCHEDULES",
    "ConstantLR",
    "CosineLR",
    "ExponentialLR",
    "LinearWarmup",
    "Schedule",
    "StepLR",
]


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
        self.step_size = positive_int(
            step_size, f"step_size must be a whole number >= 1, got {step_size!r}"
        )
        self.gamma = positive("gamma", gamma)

    def __call__(self, epoch: int, base_lr: float) -> float:
        return base_lr * self.gamma ** (epoch // self.step_size)


class ExponentialLR(Schedule):
    """:math:`\\eta_e = \\eta_0\\,\\gamma^{e}` (``torch`` ``ExponentialLR``)."""

    name = "exponential"

    def __init__(self, gamma: float) -> None:
        self.gamma = positive("gamma", gamma)

    def __call__(self, epoch: int, base_lr: float) -> float:
        return base_lr * self.gamma**epoch


class CosineLR(Schedule):
    """:math:`\\eta_e = \\eta_{min} + \\tfrac12(\\eta_0 - \\eta_{min})(1 + \\cos(\\pi e / T))`
    for :math:`e \\le T`, then :math:`\\eta_{min}` (``torch`` ``CosineAnnealingLR``
    closed form)."""

    name = "cosine"

    def __init__(self, t_max: int, lr_min: float = 0.0) -> None:
        self.t_max = positive_int(t_max, f"t_max must be a whole number >= 1, got {t_max!r}")
        self.lr_min = nonneg("lr_min", lr_min)

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
        self.warmup = positive_int(warmup, f"warmup must be a whole number >= 1, got {warmup!r}")
        self.start_factor = positive("start_factor", start_factor)
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
