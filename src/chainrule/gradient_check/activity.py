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

__all__ = ["inactive_layers", "inconclusive_reasons", "partly_inactive_notes"]


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


def partly_inactive_notes(model: Any) -> list[str]:
    """A note for each zero-slope kinked layer of the last forward with some (not all) units
    inactive on every example: the weights into those units get gradient 0, and their
    entries of the check compare 0 with 0."""
    notes = []
    for layer in model.layers:
        sides = layer.kink_sides()
        if sides is None or getattr(layer, "slope", 0.0) != 0.0 or sides.ndim != 2:
            continue
        dead = int(np.count_nonzero(~sides.any(axis=0)))
        if 0 < dead < sides.shape[1]:
            notes.append(
                f"{layer.label}: {dead} of {sides.shape[1]} units inactive on every example "
                "(the gradients into them are 0, so those entries test nothing)."
            )
    return notes


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
