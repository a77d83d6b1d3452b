"""Evaluation agrees with NumPy written by hand, for every node kind; rationals stay exact."""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction

import numpy as np
import pytest

import chainrule as cr

TABLE = {
    "x": (), "y": (), "X": ("n", "d"), "W": ("h", "d"), "b": ("h",), "Z": ("n", "h"),
    "A": ("n", "h"), "v": ("d",), "c": ("d", 1), "M": (3, 3), "\\delta": ("n", "h"),
}  # fmt: skip
RNG = np.random.default_rng(0)
VALUES = {
    "x": 0.7, "y": -1.3, "X": RNG.normal(size=(5, 4)), "W": RNG.normal(size=(3, 4)),
    "b": RNG.normal(size=3), "Z": RNG.normal(size=(5, 3)), "A": RNG.uniform(0.1, 1, (5, 3)),
    "v": RNG.normal(size=4), "c": RNG.normal(size=(4, 1)), "M": RNG.normal(size=(3, 3)),
    "\\delta": RNG.normal(size=(5, 3)),
}  # fmt: skip
V = VALUES


def sig(a: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-a))


CASES: list[tuple[str, Callable[[], object]]] = [
    ("X W^T + b", lambda: V["X"] @ V["W"].T + V["b"]),  # MatMul, Transpose, Add
    ("x - y", lambda: V["x"] - V["y"]),  # Sub
    ("-X", lambda: -V["X"]),  # Neg
    ("x X", lambda: V["x"] * V["X"]),  # Scale
    ("Z \\odot A", lambda: V["Z"] * V["A"]),  # ElementwiseProduct
    ("\\frac{X}{n}", lambda: V["X"] / 5),  # Div, Size
    ("A^2", lambda: V["A"] ** 2),  # Power
    ("x^{-1}", lambda: 1 / V["x"]),
    ("\\text{relu}(Z)", lambda: np.maximum(V["Z"], 0)),  # Apply
    ("\\text{relu}'(Z)", lambda: (V["Z"] > 0).astype(float)),
    ("\\sigma(Z)", lambda: sig(V["Z"])),
    ("\\sigma'(Z)", lambda: sig(V["Z"]) * (1 - sig(V["Z"]))),
    ("\\tanh'(Z)", lambda: 1 - np.tanh(V["Z"]) ** 2),
    ("\\exp(x) + \\log(A)", lambda: np.exp(V["x"]) + np.log(V["A"])),
    ("\\sqrt{A}", lambda: np.sqrt(V["A"])),
    ("\\max(Z, 0)", lambda: np.maximum(V["Z"], 0)),
    (
        "\\operatorname{softmax}(Z)",
        lambda: np.exp(V["Z"]) / np.exp(V["Z"]).sum(axis=1, keepdims=True),
    ),
    ("[Z > 0]", lambda: (V["Z"] > 0).astype(float)),  # Indicator
    ("(Z \\leq x)", lambda: (V["Z"] <= V["x"]).astype(float)),
    ("sum(Z, axis=0)", lambda: V["Z"].sum(axis=0)),  # Sum
    ("np.sum(Z)", lambda: V["Z"].sum()),
    ("\\|X\\|^2", lambda: (V["X"] ** 2).sum()),  # Norm
    ("X_{2,3}", lambda: V["X"][1, 2]),  # Index
    ("X_{:,1}", lambda: V["X"][:, 0]),
    ("c_{2}", lambda: V["c"][1, 0]),
    ("\\begin{bmatrix} x & 1 \\\\ 0 & y \\end{bmatrix}", lambda: [[V["x"], 1], [0, V["y"]]]),
    ("\\sum_{i=1}^{n} \\|X_i\\|^2", lambda: (V["X"] ** 2).sum()),  # IndexSum
    ("\\sum_{k=1}^{3} k x", lambda: 6 * V["x"]),  # IndexVar
    ("M - I", lambda: V["M"] - np.eye(3)),  # Identity
    ("Z + \\mathbf{1}", lambda: V["Z"] + 1),  # Ones
    ("v^T v", lambda: V["v"] @ V["v"]),
    ("X.T @ delta / n", lambda: V["X"].T @ V["\\delta"] / 5),
]


@pytest.mark.parametrize(("text", "by_hand"), CASES, ids=[c[0] for c in CASES])
def test_evaluation_matches_numpy(text: str, by_hand: Callable[[], object]) -> None:
    tree = cr.expr.parse(text, TABLE)
    value = tree.evaluate(VALUES)
    expected = np.asarray(by_hand(), dtype=float)
    assert isinstance(value, np.ndarray)
    assert value.dtype == np.float64
    assert value.shape == expected.shape
    np.testing.assert_allclose(value, expected, rtol=1e-12, atol=1e-12)


def test_equation_evaluates_to_agreement() -> None:
    table = {"x": (), "y": ()}
    assert cr.expr.parse("(x + y)^2 = x^2 + 2 x y + y^2", table).evaluate({"x": 3, "y": 4})
    assert not cr.expr.parse("(x + y)^2 = x^2 + y^2", table).evaluate({"x": 3, "y": 4})


def test_seed_003_worked_example_is_exact() -> None:
    # -(t - y) sigma(h) (1 - sigma(h)) x_2 with t = 1, h = 0, x_2 = 0.5: the notes get -1/16
    table = {"t": (), "h": (), "x": (2, 1)}
    tree = cr.expr.parse("-(t - \\sigma(h)) \\sigma(h) (1 - \\sigma(h)) x_2", table)
    value = tree.evaluate({"t": 1, "h": 0, "x": [[1], [Fraction(1, 2)]]})
    assert value.dtype == object
    assert value.item() == Fraction(-1, 16)


def test_exact_matrix_arithmetic() -> None:
    text = (
        "\\begin{bmatrix} 0.75 & 0.5 \\\\ -1 & 1 \\end{bmatrix} "
        "\\begin{bmatrix} 1 \\\\ 0.5 \\end{bmatrix} + \\begin{bmatrix} 0 \\\\ 0 \\end{bmatrix}"
    )
    value = cr.expr.parse(text, {}).evaluate({})
    assert value.tolist() == [[Fraction(1)], [Fraction(-1, 2)]]
    assert cr.expr.parse("\\frac{1}{16} - 0.0625", {}).evaluate({}).item() == 0


def test_exact_turns_float_when_a_value_is_irrational() -> None:
    value = cr.expr.parse("\\exp(x)", {"x": ()}).evaluate({"x": 1})
    assert value.dtype == np.float64
    assert value == pytest.approx(np.e)


def test_dimension_names_bind_from_values() -> None:
    tree = cr.expr.parse("X W^T", TABLE)
    with pytest.raises(cr.expr.ExpressionError, match=r"\(6, 4\).*d=4|d=4"):
        tree.evaluate({"X": np.zeros((5, 4)), "W": np.zeros((3, 6))})
    with pytest.raises(cr.expr.ExpressionError, match="no value for W"):
        tree.evaluate({"X": np.zeros((5, 4))})


def test_exact_division_by_zero_is_an_expression_error() -> None:
    with pytest.raises(cr.expr.ExpressionError, match="division by zero"):
        cr.expr.parse("\\frac{1}{x}", {"x": ()}).evaluate({"x": 0})


def test_abstract_function_cannot_be_evaluated() -> None:
    tree = cr.expr.parse("g(x)", {"x": ()}, functions={"g": None})
    with pytest.raises(cr.expr.ExpressionError, match="abstract"):
        tree.evaluate({"x": 1.0})
