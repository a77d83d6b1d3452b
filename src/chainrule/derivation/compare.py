"""How a formula's value is compared with the engine's: the relative error and its bound."""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["TOLERANCE", "relative_error"]

#: Largest relative error of a verified formula (float64).
TOLERANCE = 1e-9


def relative_error(got: Any, want: Any) -> float:
    """``max|got - want| / max(max|got|, max|want|)``, 0 when both are zero, inf when the
    shapes differ."""
    a, b = np.asarray(got, dtype=float), np.asarray(want, dtype=float)
    if a.shape != b.shape:
        return float("inf")
    scale = max(float(np.max(np.abs(a), initial=0.0)), float(np.max(np.abs(b), initial=0.0)))
    diff = float(np.max(np.abs(a - b), initial=0.0))
    return 0.0 if diff == 0 else diff / scale
