"""Why a gradient check can prove nothing: a gradient that is exactly zero on the batch.

If every unit of a ReLU layer is inactive (``z <= 0``) on every example, no gradient flows
back through it: every parameter before it, and the input, get a gradient of exactly 0, the
finite differences are exactly 0 as well, and the two "agree" whatever the backward code
computes. Such a check is *inconclusive*, and this module says why.

>>> import numpy as np, chainrule as cr
>>> m = cr.Sequential([cr.Linear(2, 2), cr.ReLU(), cr.Linear(2, 1)], dtype=np.float64, seed=0)
>>> m.layers[0].b.value[...] = -100.0          # every unit of ReLU 1 is off on any input
>>> _ = m.forward(np.ones((3, 2)))
>>> inactive_layers(m)
[('ReLU 1', 1, 3)]
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["inactive_layers", "inconclusive_reasons"]


def inactive_layers(model: Any) -> list[tuple[str, int, int]]:
    """``(label, number of the linear layer before it, examples)`` for each layer of the last
    forward that passes no gradient at all: a zero-slope kinked activation (ReLU, leaky ReLU
    of slope 0) whose every unit is on its flat side for every example."""
    dead, k = [], 0
    for layer in model.layers:
        if hasattr(layer, "d_out"):
            k += 1
        sides = layer.kink_sides()
        if sides is None or getattr(layer, "slope", 0.0) != 0.0:
            continue
        if not np.any(sides):
            dead.append((layer.label, k, int(sides.shape[0])))
    return dead


def inconclusive_reasons(
    dead: list[tuple[str, int, int]], checks: list[Any]
) -> dict[tuple[str, str], str]:
    """For each check that tested nothing, ``(name, part) -> why``: no probe was compared,
    or analytic and numeric gradients are both exactly zero; naming the inactive layer that
    blocks the gradient where there is one (``dead``: :func:`inactive_layers` of the batch)."""
    reasons = {}
    for c in checks:
        if c.n_checked and (c.analytic_norm > 0 or c.numeric_norm > 0):
            continue
        if not c.n_checked:
            why = f"no probe was compared (all {c.n_kinks} crossed a ReLU kink)"
        else:
            why = "its analytic and numeric gradients are both exactly 0 on this batch"
        blocking = _blocking(c, dead)
        if blocking is not None:
            label, n = blocking
            why += f": every unit of {label} is inactive (z <= 0) on all {n} examples"
        elif c.part == "l2":
            why += f": {c.name} is all zero, so is its penalty's gradient"
        reasons[(c.name, c.part)] = f"{c.name} ({c.part}) is inconclusive: {why}"
    return reasons


def _blocking(check: Any, dead: list[tuple[str, int, int]]) -> tuple[str, int] | None:
    """The first inactive layer after the check's parameter (any, for the input)."""
    if check.part == "l2":
        return None
    index = 0 if check.part == "input" else int(check.name[1:])
    for label, k, n in dead:
        if k >= index:
            return label, n
    return None
