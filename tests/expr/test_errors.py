"""Every failure is an ExpressionError that names what was seen and what was expected."""

from __future__ import annotations

import subprocess
import sys

import pytest

import chainrule as cr
from chainrule.errors import ChainruleError, ExpressionError

TABLE = {"X": ("n", "D"), "W_2": ("H", "D"), "x": (), "y": ()}


def test_expression_error_is_the_chainrule_class() -> None:
    assert cr.expr.ExpressionError is ExpressionError
    assert issubclass(cr.expr.ExpressionError, ChainruleError)


def test_shape_error_shows_both_shapes_the_sub_formula_and_a_caret() -> None:
    with pytest.raises(ExpressionError) as caught:
        cr.expr.parse("x + W_2 X", TABLE)
    error = caught.value
    assert "left has shape (H, D), right has shape (n, D) where (D, D) is needed" in error.message
    assert "`W_2 X`" in error.message
    assert (error.line, error.column) == (1, 5)
    assert str(error).endswith("x + W_2 X\n      ^")


def test_unknown_symbol_lists_the_known_names() -> None:
    with pytest.raises(ExpressionError, match=r"unknown symbol W_3; known names: W_2, X, x, y"):
        cr.expr.parse("W_3 X", TABLE)
    with pytest.raises(ExpressionError, match=r"unknown name W3; known names: W_2, X, x, y"):
        cr.expr.parse("W3 @ X", TABLE, syntax="numpy")


def test_syntax_error_says_what_was_expected() -> None:
    with pytest.raises(ExpressionError) as caught:
        cr.expr.parse("\\frac{x}{", TABLE)
    assert "ends too early" in caught.value.message
    assert "expected" in caught.value.message
    with pytest.raises(ExpressionError, match="unexpected '\\)'") as caught:
        cr.expr.parse("(x + y))", TABLE)
    assert caught.value.column == 8


def test_error_on_a_later_line_points_there() -> None:
    with pytest.raises(ExpressionError) as caught:
        cr.expr.parse("x +\n  W_2 X", TABLE)
    assert (caught.value.line, caught.value.column) == (2, 3)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("x" * 2001, "at most 2000"),
        ("(" * 200 + "x" + ")" * 200, "nests deeper than 100"),
        ("\\max(" + ",".join(["x"] * 995) + ")", "has more than 2500 parts"),
        ("x^{101}", "exponent 101 is beyond"),
        ("x**1000", "exponent 1000 is beyond"),
        ("1e999", "exponent 999 is beyond"),
        ("9" * 31, "31 digits"),
        (
            "\\begin{bmatrix}" + " \\\\ ".join([" & ".join(["1"] * 21)] * 20) + "\\end{bmatrix}",
            "at most 400",
        ),
        ("x\x00", "control character"),
        ("", "empty"),
        ("\\begin{cases} x \\end{cases}", "case analysis"),
        ("\\text{not required}", "is text, not a formula"),
        ("[x]", "unexpected ']'; expected '+', '-', '=', a comparison"),
    ],
)
def test_limits_and_refusals(text: str, message: str) -> None:
    with pytest.raises(ExpressionError) as caught:
        cr.expr.parse(text, TABLE)
    assert message in caught.value.message


def test_bad_symbol_tables_are_expression_errors() -> None:
    with pytest.raises(ExpressionError, match="must be a tuple"):
        cr.expr.parse("x", {"x": 3})
    with pytest.raises(ExpressionError, match="size -1"):
        cr.expr.parse("x", {"x": (-1,)})
    with pytest.raises(ExpressionError, match="same name"):
        cr.expr.parse("x", {"W^3": (), "W^{3}": ()})
    with pytest.raises(ExpressionError, match="syntax must be one of"):
        cr.expr.parse("x", {"x": ()}, syntax="tex")
    with pytest.raises(ExpressionError, match="must be a str"):
        cr.expr.parse(None, {})  # type: ignore[arg-type]


def test_import_chainrule_does_not_load_lark() -> None:
    code = "import sys, chainrule; assert 'lark' not in sys.modules; print('ok')"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.stdout.strip() == "ok", out.stderr
