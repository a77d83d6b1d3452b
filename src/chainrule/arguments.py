"""Checks of numeric arguments (hyper-parameters, counts): a :class:`ConfigError` that names
the argument, the value seen and the range expected.

>>> positive_int(3, "epochs must be a whole number >= 1")
3
>>> whole_number(True), whole_number(2.0), whole_number(2)
(False, False, True)
"""

from __future__ import annotations

import math

import numpy as np

from chainrule.errors import ConfigError

__all__ = ["check", "nonneg", "positive", "positive_int", "unit", "whole_number"]


def check(condition: bool, message: str) -> None:
    """Raise ``ConfigError(message)`` unless ``condition``."""
    if not condition:
        raise ConfigError(message)


def positive(name: str, value: float) -> float:
    """``value`` as a float, finite and > 0."""
    value = float(value)
    check(math.isfinite(value) and value > 0, f"{name} must be a positive number, got {value}")
    return value


def nonneg(name: str, value: float) -> float:
    """``value`` as a float, finite and >= 0."""
    value = float(value)
    check(math.isfinite(value) and value >= 0, f"{name} must be >= 0, got {value}")
    return value


def unit(name: str, value: float) -> float:
    """``value`` as a float in [0, 1) (a decay rate such as a momentum or a beta)."""
    value = float(value)
    check(0.0 <= value < 1.0, f"{name} must be in [0, 1), got {value}")
    return value


def whole_number(value: object) -> bool:
    """Whether ``value`` is an integer (Python or NumPy), a bool not counting as one."""
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


def positive_int(value: object, message: str) -> int:
    """``value`` as an int if it is a whole number >= 1, else ``ConfigError(message)``:
    the caller words the message (it names the place)."""
    if not (whole_number(value) and value >= 1):  # type: ignore[operator]
        raise ConfigError(message)
    return int(value)  # type: ignore[arg-type]
