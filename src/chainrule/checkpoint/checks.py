"""Small checks the manifest schema is written in: each failure names the manifest key."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from chainrule.errors import CheckpointError

__all__ = ["Where", "is_int", "is_number", "is_scalar", "is_width", "list_of", "need", "need_dict"]

#: The widest layer a manifest may describe (a layer wider than this is a lie, not a model).
MAX_WIDTH = 1 << 31


class Where:
    """Builds messages ``checkpoint P: manifest key 'a.b': ...``."""

    def __init__(self, path: Any) -> None:
        self.path = path

    def fail(self, key: str, message: str) -> CheckpointError:
        return CheckpointError(f"checkpoint {self.path}: manifest key {key!r} {message}")


def is_int(value: Any) -> bool:
    return type(value) is int


def is_number(value: Any) -> bool:
    return type(value) in (int, float) and math.isfinite(value)


def need(w: Where, key: str, value: Any, test: Callable[[Any], bool], expected: str) -> Any:
    if not test(value):
        shown = repr(value)
        shown = shown if len(shown) <= 80 else shown[:77] + "..."
        raise w.fail(key, f"is {shown}, expected {expected}")
    return value


def need_dict(w: Where, key: str, value: Any, allowed: frozenset[str] | None = None) -> dict:
    need(w, key, value, lambda v: isinstance(v, dict), "an object")
    if allowed is not None:
        unknown = sorted(set(value) - allowed)
        if unknown:
            raise w.fail(key, f"has unknown keys {unknown}; allowed: {sorted(allowed)}")
    return value


def is_scalar(value: Any) -> bool:
    return value is None or type(value) in (str, bool, int) or is_number(value)


def is_width(value: Any) -> bool:
    return is_int(value) and 1 <= value <= MAX_WIDTH


def list_of(w: Where, key: str, value: Any, test: Callable[[Any], bool], expected: str) -> list:
    """``value`` if it is a list whose every item passes ``test``."""
    return need(w, key, value, lambda v: isinstance(v, list) and all(map(test, v)), expected)
