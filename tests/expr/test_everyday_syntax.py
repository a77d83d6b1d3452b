"""The formula language as people type it: ``*``, ``^``, ``**``, ``exp(...)`` and ``\\exp``
mixed in one formula, each string against the number it means."""

from __future__ import annotations

import math

import numpy as np
import pytest

import chainrule as cr

TABLE = {"x": (), "y": (), "z": (), "v": (3,), "W": (3, 3)}
VALUES = {"x": 2.0, "y": 3.0, "z": 0.5, "v": [1.0, 2.0, 3.0], "W": np.eye(3)}
x, y, z = 2.0, 3.0, 0.5

EVERYDAY = [
    ("x*y^2", x * y**2),
    ("x^2 + exp(y)", x**2 + math.exp(y)),
    ("x**2 + y**2", x**2 + y**2),
    ("exp(x)*y", math.exp(x) * y),
    ("\\exp(x) * y^2", math.exp(x) * y**2),
    ("sqrt(x^2 + y^2)", math.hypot(x, y)),
    ("2*x + 3*y", 2 * x + 3 * y),
    ("x*y/z", x * y / z),
    ("sigmoid(x*y)", 1 / (1 + math.exp(-x * y))),
    ("relu(x - y) + tanh(y)", math.tanh(y)),
    ("-x^2", -(x**2)),
    ("-x**2", -(x**2)),
    ("x**-1", 1 / x),
    ("2**3**2", 2**9),
    ("tanh(x)**2", math.tanh(x) ** 2),
    ("exp(x)^2", math.exp(x) ** 2),
    ("\\exp(x)^{2} + log(y)", math.exp(2 * x) + math.log(y)),
    ("(x+y)^2 * z", (x + y) ** 2 * z),
    ("e^x * y", math.exp(x) * y),
    ("max(x, y)**2 - min(x, y)", 9 - 2),
    ("x^2*y + y^3", x**2 * y + y**3),
    ("v^T W v * x", 14 * x),
    ("2 exp(x) \\cdot y", 2 * math.exp(x) * y),
    ("x * \\frac{1}{2} + y**0.5", x / 2 + math.sqrt(y)),
]


@pytest.mark.parametrize(("text", "value"), EVERYDAY)
def test_mixed_everyday_syntax_parses_to_what_it_means(text: str, value: float) -> None:
    tree = cr.expr.parse(text, TABLE)
    assert float(tree.evaluate(VALUES)) == pytest.approx(value, rel=1e-12)
    assert cr.expr.parse(cr.expr.to_latex(tree), TABLE) == tree


def test_star_is_element_wise_between_arrays_and_a_scaling_with_a_scalar() -> None:
    assert cr.expr.parse("v*v^T", TABLE) == cr.expr.parse("v \\odot v^T", TABLE)
    assert cr.expr.parse("x*v^T", TABLE) == cr.expr.parse("x v^T", TABLE)


def test_a_function_word_that_is_a_symbol_stays_a_symbol() -> None:
    table = {"exp": (), "x": ()}
    assert cr.expr.parse("exp(x)", table) == cr.expr.parse("exp \\cdot x", table)
    assert isinstance(cr.expr.parse("exp(x)", table), cr.expr.Scale)
