"""Checks of the optimizers' and schedules' hyper-parameters: a :class:`ConfigError` that
names the argument, the value seen and the range expected."""

from __future__ import annotations

import math

from chainrule.errors import ConfigError


def check(condition: bool, message: str) -> None:
    if not condition:
        raise ConfigError(message)


def positive(name: str, value: float) -> float:
    value = float(value)
    check(math.isfinite(value) and value > 0, f"{name} must be a positive number, got {value}")
    return value


def nonneg(name: str, value: float) -> float:
    value = float(value)
    check(math.isfinite(value) and value >= 0, f"{name} must be >= 0, got {value}")
    return value


def unit(name: str, value: float) -> float:
    value = float(value)
    check(0.0 <= value < 1.0, f"{name} must be in [0, 1), got {value}")
    return value
