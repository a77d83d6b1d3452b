"""The plain-text form of trees (``chainrule.expr.render.to_text``), as terminals show it."""

from __future__ import annotations

import pytest

from chainrule.expr import tree as T
from chainrule.expr.render import to_text


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("W_2", "W_2"),
        ("W_{2}", "W_2"),
        ("W_{l+1}", "W_(l+1)"),  # not W_l+1, which reads as W_l + 1
        ("h_{t-1}", "h_(t-1)"),
        ("a_{ij}", "a_ij"),
        ("x_{\\alpha}", "x_alpha"),
        ("z^{(2)}", "z^(2)"),
        ("W^{[l+1]}", "W^[l+1]"),
        ("\\hat{y}", "y_hat"),
        ("\\frac{\\partial L}{\\partial W_{l+1}}", "dL/dW_(l+1)"),
        ("\\frac{\\partial h^2_{1,1}}{\\partial W^2_{1,j}}", "dh^2_(1,1)/dW^2_(1,j)"),
        ("\\delta = \\frac{\\partial l}{\\partial h^3}", "delta = dl/dh^3"),
        ("\\frac{d\\sigma(x)}{dx}", "dsigma(x)/dx"),
        ("\\frac{\\partial \\log p(v_1, \\dots, v_n)}{\\partial c}", "d(log p(v_1, ..., v_n))/dc"),
        ("\\frac{a+b}{c}", "(a+b)/c"),
        ("\\frac{a", "fraca"),  # unmatched braces: no fraction, nothing lost
    ],
)
def test_a_name_keeps_the_grouping_of_its_scripts(name: str, text: str) -> None:
    assert to_text(T.Symbol(name, (2, 2))) == text


def test_a_vector_of_ones_reads_as_numpy_writes_it() -> None:
    G = T.Symbol("G", ("n", 3))
    db = T.MatMul(T.Transpose(T.Ones(("n",))), G)
    assert to_text(db) == "ones(n).T @ G"
    assert to_text(T.Ones((4, 1))) == "ones(4, 1)"


def test_a_function_name_is_cleaned_like_a_symbol() -> None:
    z = T.Symbol("z_{l}", ("n", 3))
    assert to_text(T.Apply("g^{[l]}", (z,), 1)) == "g^[l]'(z_l)"


def test_a_derivative_name_is_grouped_where_a_division_would_be():
    dz = T.Symbol("\\frac{\\partial l}{\\partial z^2}", (1, 2))
    W = T.Symbol("W", (2, 3))
    h = T.Symbol("h", (1, 3))
    assert to_text(T.MatMul(T.Transpose(dz), h)) == "(dl/dz^2).T @ h"
    assert to_text(T.MatMul(T.Symbol("A", (3, 1)), dz)) == "A @ (dl/dz^2)"
    assert to_text(T.MatMul(dz, W)) == "dl/dz^2 @ W"  # left to right, as it reads
