"""The cores this process may use and the whole cores other programs take from them."""

from __future__ import annotations

import math
import os

from chainrule.threads.settings import TAKEN_AT

__all__ = ["NoLoad", "taken", "usable"]


def taken(cores: float) -> int:
    """Whole cores taken by other programs that use ``cores`` of them (:data:`TAKEN_AT`)."""
    # rounded first: 1.3 - 0.3 is 0.9999999999999999 in binary floating point
    return max(0, math.floor(round(cores - TAKEN_AT, 9)) + 1)


def usable() -> int:
    """The cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


class NoLoad:
    """No reading of other programs' load."""

    @staticmethod
    def read() -> None:
        return None
