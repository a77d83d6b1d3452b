"""The tree each formula must give: written by hand, node by node."""

from __future__ import annotations

import re
from fractions import Fraction

import pytest

import chainrule as cr
from chainrule.expr import (
    Add,
    Apply,
    Constant,
    Div,
    ElementwiseProduct,
    Equation,
    IdentityMatrix,
    Index,
    IndexSum,
    IndexVar,
    Indicator,
    MatMul,
    MatrixLiteral,
    Neg,
    Norm,
    Ones,
    Power,
    Scale,
    Size,
    Slice,
    Sub,
    Sum,
    Symbol,
    Transpose,
)

# Column layout (seed 003 and 004's MLP), with symbolic sizes.
TABLE = {
    "x": (), "y": (), "z": (), "b": (), "t": (), "f": (), "L": (), "\\lambda": (),
    "w_0": (), "w_1": (), "w_2": (), "x_0": (), "x_1": (), "x_2": (),
    "\\vec{w}": (3, 1), "\\vec{x}": (3, 1),
    "W_1": ("h", "d"), "W_2": ("c", "h"), "W_3": (1, "c"), "X": ("d", "n"),
    "b_1": ("h", 1), "u": (1, "n"), "Z": ("h", "n"), "A": ("h", "n"),
    "\\delta": (1, "n"), "z_2": ("c", "n"), "dZ": ("n", "h"), "Xr": ("n", "d"),
    "W^{(2)}": (2, 1), "M^3": (1, 2), "h^2": (1, 2), "\\hat{x}": ("n", "d"),
    "\\frac{\\partial L}{\\partial f}": (),
}  # fmt: skip


def S(name: str) -> Symbol:
    return Symbol(name, cr.expr.parse(name, TABLE, syntax="latex").shape)


def C(value: int | str) -> Constant:
    return Constant(Fraction(value))


x, y, z, b = S("x"), S("y"), S("z"), S("b")
W1, W2, W3, X, Z, A, u = S("W_1"), S("W_2"), S("W_3"), S("X"), S("Z"), S("A"), S("u")
delta, b1 = S("\\delta"), S("b_1")

CASES = [
    # the scalar subset the computational-graph helper walks
    ("(x + y) * z", Scale(Add(x, y), z)),
    ("(x + y) z", Scale(Add(x, y), z)),
    ("x - y - z", Sub(Sub(x, y), z)),
    ("x - (y - z)", Sub(x, Sub(y, z))),
    ("-x", Neg(x)),
    ("-x y", Neg(Scale(x, y))),
    ("x / y", Div(x, y)),
    ("\\frac{x}{y}", Div(x, y)),
    ("x^2", Power(x, C(2))),
    ("x**2", Power(x, C(2))),
    ("x^{-1}", Power(x, Neg(C(1)))),
    ("2.5 x", Scale(C("2.5"), x)),
    ("\\frac{1}{2} (y - f)^2", Scale(Div(C(1), C(2)), Power(Sub(y, S("f")), C(2)))),
    (
        "sigmoid(w_0*x_0 + w_1*x_1 + b)",
        Apply(
            "sigmoid",
            (Add(Add(Scale(S("w_0"), S("x_0")), Scale(S("w_1"), S("x_1"))), b),),
        ),
    ),
    ("\\sigma(x)", Apply("sigmoid", (x,))),
    ("\\sigma'(x)", Apply("sigmoid", (x,), 1)),
    ("\\text{relu}(x)", Apply("relu", (x,))),
    ("\\operatorname{relu}'(x)", Apply("relu", (x,), 1)),
    ("relu(x)", Apply("relu", (x,))),
    ("np.maximum(x, 0)", Apply("max", (x, C(0)))),
    ("\\max(x, 0)", Apply("max", (x, C(0)))),
    ("\\exp(x) + \\ln y", Add(Apply("exp", (x,)), Apply("log", (y,)))),
    ("e^{-x}", Apply("exp", (Neg(x),))),
    ("\\sqrt{x}", Apply("sqrt", (x,))),
    (
        "\\sigma(x) (1 - \\sigma(x))",
        Scale(Apply("sigmoid", (x,)), Sub(C(1), Apply("sigmoid", (x,)))),
    ),
    ("[x > 0]", Indicator(x, ">", C(0))),
    ("\\mathbb{1}[x == z]", Indicator(x, "==", z)),
    ("(x \\geq 0)", Indicator(x, ">=", C(0))),
    ("(x >= 0) * y", Scale(Indicator(x, ">=", C(0)), y)),
    ("x = y", Equation((x, y))),
    ("\\frac{\\partial L}{\\partial f}", S("\\frac{\\partial L}{\\partial f}")),
    ("\\frac{\\partial L}{\\partial W_3}", Symbol("\\frac{\\partial L}{\\partial W_3}", (1, "c"))),
    # matrices: products decided by shapes
    ("W_1 X + b_1 u", Add(MatMul(W1, X), MatMul(b1, u))),
    ("W_3 W_2 W_1", MatMul(MatMul(W3, W2), W1)),
    ("W_1 \\cdot X", MatMul(W1, X)),
    ("x W_1", Scale(x, W1)),
    ("W_1 x", Scale(x, W1)),
    ("\\delta^T", Transpose(delta)),
    ("W^{(2)T}", Transpose(S("W^{(2)}"))),
    ("(W^{(2)})^\\top", Transpose(S("W^{(2)}"))),
    ("W^{(2)\\intercal}", Transpose(S("W^{(2)}"))),
    ("W_3^T \\delta", MatMul(Transpose(W3), delta)),
    ("W3.T @ delta", MatMul(Transpose(W3), delta)),
    ("Z \\odot A", ElementwiseProduct(Z, A)),
    ("Z \\circ (1 - A)", ElementwiseProduct(Z, Sub(C(1), A))),
    ("A \\odot (I - A)", None),  # I is square; A is (h, n): an error, tested below
    ("W_2^T W_2 - I", Sub(MatMul(Transpose(W2), W2), IdentityMatrix("h"))),
    ("Z - \\mathbf{1}", Sub(Z, Ones(("h", "n")))),
    ("\\mathbf{1}_{n \\times 1}", Ones(("n", 1))),
    ("I_{3}", IdentityMatrix(3)),
    ("\\frac{X}{n}", Div(X, Size("n"))),
    ("sum(dZ, axis=0)", Sum(S("dZ"), 0)),
    ("dZ.sum(axis=1)", Sum(S("dZ"), 1)),
    ("np.sum(dZ)", Sum(S("dZ"), None)),
    ("\\|\\vec{x}\\|^2", Power(Norm(S("\\vec{x}")), C(2))),
    ("\\vec{w}^T \\vec{x} + b", Add(MatMul(Transpose(S("\\vec{w}")), S("\\vec{x}")), b)),
    # indices count from 1; a (1, n) or (n, 1) vector takes one index
    ("M^3_{1,2}", Index(S("M^3"), (C(1), C(2)))),
    ("h_{1,1}^2", Index(S("h^2"), (C(1), C(1)))),
    ("h^2_{2}", Index(S("h^2"), (C(1), C(2)))),
    ("X_{:,2}", Index(X, (Slice(), C(2)))),
    ("M_{1,\\cdot}^3", Index(S("M^3"), (C(1), Slice()))),
    ("X[0, 1]", Index(X, (C(1), C(2)))),
    ("M_{1,j}^3", Index(S("M^3"), (C(1), IndexVar("j")))),
    (
        "\\sum_{i=1}^{n} \\|\\hat{x}_i\\|^2",
        IndexSum("i", C(1), Size("n"), Power(Norm(Index(S("\\hat{x}"), (IndexVar("i"),))), C(2))),
    ),
    (
        "\\sum_k^c M_{1,k}^3",
        IndexSum("k", C(1), Size("c"), Index(S("M^3"), (C(1), IndexVar("k")))),
    ),
    (
        "\\begin{bmatrix} 0.75 & 0.5 \\\\ -1 & 1 \\end{bmatrix}",
        MatrixLiteral(((C("0.75"), C("0.5")), (Neg(C(1)), C(1)))),
    ),
    (
        "\\begin{pmatrix} x_0 \\\\ x_1 \\\\ x_2 \\end{pmatrix}",
        MatrixLiteral(((S("x_0"),), (S("x_1"),), (S("x_2"),))),
    ),
]
CASES = [case for case in CASES if case[1] is not None]


@pytest.mark.parametrize(("text", "expected"), CASES, ids=[c[0] for c in CASES])
def test_expected_tree(text: str, expected: cr.expr.Expr) -> None:
    tree = cr.expr.parse(text, TABLE)
    assert tree == expected
    assert tree.shape == expected.shape


def test_at_least_forty_trees_are_asserted() -> None:
    assert len(CASES) >= 40


@pytest.mark.parametrize(
    ("numpy_text", "latex_text"),
    [
        ("W3.T @ delta", "W_3^T \\delta"),
        ("(W3.T @ delta) * (z2 > 0)", "(W_3^T \\delta) \\odot [z_2 > 0]"),
        ("np.maximum(z, 0)", "\\max(z, 0)"),
        ("relu(z)", "\\text{relu}(z)"),
        ("sigmoid(z) * (1 - sigmoid(z))", "\\sigma(z) (1 - \\sigma(z))"),
        ("Xr.T @ dZ / n", "\\frac{Xr^T dZ}{n}"),
        ("W1 @ X + b1 @ u", "W_1 X + b_1 u"),
        ("x_hat[0]", "\\hat{x}_1"),
        ("lambda * x", "\\lambda x"),
        ("-((t - y) * x)", "-(t - y) x"),  # Python binds unary minus tighter than *
        ("(x + y) * z", "(x+y)z"),
        # the derivative as chainrule prints it, and NumPy's own ways to write the mask
        ("(W3.T @ delta) * relu'(z2)", "(W_3^T \\delta) \\odot \\text{relu}'(z_2)"),
        ("(W3.T @ delta) * relu_prime(z2)", "(W_3^T \\delta) \\odot \\text{relu}'(z_2)"),
        ("(W3.T @ delta) * sigmoid''(z2)", "(W_3^T \\delta) \\odot \\sigma''(z_2)"),
        ("(W3.T @ delta) * np.heaviside(z2, 0)", "(W_3^T \\delta) \\odot [z_2 > 0]"),
        ("(W3.T @ delta) * np.heaviside(z2, 1)", "(W_3^T \\delta) \\odot [z_2 \\geq 0]"),
        ("(W3.T @ delta) * (z2 > 0).astype(float)", "(W_3^T \\delta) \\odot [z_2 > 0]"),
        ("(W3.T @ delta) * (z2 > 0).astype(np.int64)", "(W_3^T \\delta) \\odot [z_2 > 0]"),
    ],
)
def test_both_syntaxes_give_one_tree(numpy_text: str, latex_text: str) -> None:
    from_numpy = cr.expr.parse(numpy_text, TABLE, syntax="numpy")
    assert from_numpy == cr.expr.parse(latex_text, TABLE, syntax="latex")
    assert from_numpy == cr.expr.parse(numpy_text, TABLE)


def test_identity_against_a_non_square_matrix_is_explained() -> None:
    with pytest.raises(cr.expr.ExpressionError, match=r"identity I is square.*\(h, n\)"):
        cr.expr.parse("A \\odot (I - A)", TABLE)


def test_declared_abstract_function_with_layer_superscript() -> None:
    table = {"Z^{[l]}": ("n", 3)}
    tree = cr.expr.parse("g'^{[l]}(Z^{[l]})", table, functions={"g^{[l]}": None})
    assert tree == Apply("g^{[l]}", (Symbol("Z^{[l]}", ("n", 3)),), 1)
    named = cr.expr.parse("g'^{[l]}(Z^{[l]})", table, functions={"g^{[l]}": "relu"})
    assert named == Apply("relu", (Symbol("Z^{[l]}", ("n", 3)),), 1)


def test_layer_notations_resolve_through_the_table() -> None:
    # seed 001 writes layers as superscripts, seed 000 as subscripts
    assert cr.expr.parse("W^3", {"W^3": (1, 2)}) == Symbol("W^3", (1, 2))
    assert cr.expr.parse("W^{3}", {"W^3": (1, 2)}) == Symbol("W^3", (1, 2))
    assert cr.expr.parse("W_3", {"W_3": (1, 2)}) == Symbol("W_3", (1, 2))
    squared = cr.expr.parse("W^3", {"W": (2, 2)})
    assert squared == Power(Symbol("W", (2, 2)), Constant(3))
    assert cr.expr.parse("W3", {"W^{[3]}": (2, 2)}) == Symbol("W^{[3]}", (2, 2))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("W3.T @ z2'", "a prime marks the derivative of a function"),
        ("W3.T @ (z2 + 1)'(z2)", "a prime marks the derivative of a function"),
        ("W3.T @ (z2 * 2).astype(int)", "would round the values"),
        ("W3.T @ z2.astype(str)", "a number type such as float, got 'str'"),
        ("W3.T @ np.heaviside(z2, x)", "second argument must be a number"),
    ],
)
def test_numpy_idioms_that_change_the_values_are_refused(text: str, message: str) -> None:
    with pytest.raises(cr.expr.ExpressionError, match=re.escape(message)):
        cr.expr.parse(text, TABLE, syntax="numpy")


def test_the_text_form_of_a_derivative_reads_back_in_numpy_syntax() -> None:
    tree = cr.expr.parse("(W_3^T \\delta) \\odot \\text{relu}'(z_2)", TABLE, syntax="latex")
    text = cr.expr.to_text(tree)
    assert "relu'(" in text
    assert cr.expr.parse(text.replace("W_3", "W3").replace("z_2", "z2"), TABLE) == tree
