"""Shared pieces of the engine tests."""

from __future__ import annotations

import numpy as np

import chainrule as cr


def four_three_two_one(seed: int = 0) -> cr.Sequential:
    """The README's and DESIGN.md's first network, built directly (not through the zoo):
    4-3-2-1 without biases, ReLU after the first two layers, float64."""
    layers = [cr.Linear(4, 3, bias=False), cr.ReLU(), cr.Linear(3, 2, bias=False), cr.ReLU()]
    return cr.Sequential([*layers, cr.Linear(2, 1, bias=False)], dtype=np.float64, seed=seed)
