"""Building a scalar graph from a formula through chainrule.expr (never eval)."""

from __future__ import annotations

import math

import pytest

from chainrule.errors import ChainruleError, ConfigError, ExpressionError
from chainrule.scalar import build, topological_order
from chainrule.scalar.table import rows

NEURON_AT_SCALARS = {"w0": 2, "x0": -1, "w1": -3, "x1": -2, "w2": 2, "x2": 0.5, "b": -4}
NEURON_AT_VECTORS = {"w": [2, -3, 2], "x": [-1, -2, 0.5], "b": -4}


def grads(leaves):
    return {name: leaf.grad for name, leaf in leaves.items()}


def test_build_sum_times_z_gives_the_textbook_gradients():
    out, leaves = build("(x+y)*z", at={"x": -2, "y": 5, "z": -4})
    out.backward()
    assert out.data == -12.0
    assert grads(leaves) == {"x": -4.0, "y": -4.0, "z": 3.0}
    assert [n.op for n in topological_order(out)] == ["leaf", "leaf", "+", "leaf", "*"]


def test_an_equation_with_a_name_on_the_left_names_the_output():
    out, leaves = build("L = (x + y) z", at={"x": -2, "y": 5, "z": -4})
    out.backward()
    assert (out.name, out.data, leaves["z"].grad) == ("L", -12.0, 3.0)
    out, _ = build("\\mathcal{L}_{1} = x", at={"x": 2})
    assert (out.name, out.data) == ("\\mathcal{L}_{1}", 2.0)
    assert out.inputs[0].name == "x"  # the input keeps its own name
    with pytest.raises(ExpressionError, match="not an equation"):
        build("x = y", at={"x": 1, "y": 1})


def test_the_seed_004_neuron_written_in_scalars():
    out, leaves = build("sigmoid(w0*x0 + w1*x1 + w2*x2 + b)", at=NEURON_AT_SCALARS)
    out.backward()
    s = 1 / (1 + math.exp(-1.0))
    assert out.data == pytest.approx(s, rel=1e-15)
    expected = {
        n: s * (1 - s) * NEURON_AT_SCALARS[partner]
        for n, partner in [
            ("w0", "x0"),
            ("w1", "x1"),
            ("w2", "x2"),
            ("x0", "w0"),
            ("x1", "w1"),
            ("x2", "w2"),
        ]
    }
    expected["b"] = s * (1 - s)
    assert grads(leaves) == pytest.approx(expected, rel=1e-15)


@pytest.mark.parametrize(
    "formula",
    [
        "\\sigma(w^T x + b)",
        "sigmoid(w @ x + b)",
        "\\sigma(\\vec{w}^T\\vec{x} + b)",
        "\\sigma(\\mathbf{w}^T \\mathbf{x} + b)",
    ],
)
def test_vectors_expand_into_the_same_scalar_graph(formula):
    scalar_out, scalar_leaves = build("sigmoid(w0*x0 + w1*x1 + w2*x2 + b)", at=NEURON_AT_SCALARS)
    out, leaves = build(formula, at=NEURON_AT_VECTORS)
    scalar_out.backward()
    out.backward()
    assert sorted(leaves) == sorted(scalar_leaves)  # w0, w1, w2, x0, x1, x2, b
    assert grads(leaves) == grads(scalar_leaves)
    shape = [(r.label, r.operation) for r in rows(out)]
    assert shape == [(r.label, r.operation) for r in rows(scalar_out)]


def test_inputs_named_with_vec_get_plain_leaf_names():
    at = {"\\vec{w}": [2, -3, 2], "\\vec{x}": [-1, -2, 0.5], "b": -4}
    out, leaves = build("\\sigma(\\vec{w}^T\\vec{x} + b)", at=at)
    out.backward()
    assert list(leaves) == ["w0", "w1", "w2", "x0", "x1", "x2", "b"]
    assert leaves["x1"].grad == pytest.approx(-3 * 0.19661193324148185, rel=1e-15)
    with pytest.raises(ExpressionError, match="unknown symbol"):
        build("\\vec{q}^T\\vec{w}", at={"w": [1, 2]})


def test_matrices_get_row_column_leaf_names():
    out, leaves = build("sum(W @ x)", at={"W": [[1, 2, 3], [4, 5, 6]], "x": [1, 1, 1]})
    out.backward()
    assert out.data == 21.0
    assert leaves["W1,2"].grad == 1.0 and leaves["x2"].grad == 3.0 + 6.0


def test_sub_formulas_without_inputs_become_one_constant():
    out, _ = build("(1/2) * (f - y)**2", at={"f": 3, "y": 1})
    ops = [n.op for n in topological_order(out)]
    assert "/" not in ops and out.data == 2.0
    assert any(n.op == "leaf" and n.name is None and n.data == 0.5 for n in topological_order(out))


def test_powers_with_number_and_variable_exponents():
    out, leaves = build("x**2", at={"x": -2})
    out.backward()
    assert (out.op, out.data, leaves["x"].grad) == ("pow", 4.0, -4.0)
    out, leaves = build("x**y", at={"x": 2, "y": 3})
    out.backward()
    assert out.op == "pow_var" and leaves["y"].grad == pytest.approx(8 * math.log(2))
    with pytest.raises(ExpressionError, match="non-integer exponent"):
        build("x**0.5", at={"x": -4})
    with pytest.raises(ExpressionError, match="a > 0"):
        build("x**y", at={"x": -2, "y": 2})


def test_max_min_and_functions():
    out, leaves = build(
        "max(x, y) + min(x, y) * exp(x) - log(y) + tanh(x) + relu(y)", at={"x": 1.0, "y": 3.0}
    )
    out.backward()
    e = math.exp(1.0)
    value = 3 + 1 * e - math.log(3) + math.tanh(1) + 3
    assert out.data == pytest.approx(value, rel=1e-15)
    assert leaves["x"].grad == pytest.approx(e + e + 1 - math.tanh(1) ** 2, rel=1e-15)
    assert leaves["y"].grad == pytest.approx(1 - 1 / 3 + 1, rel=1e-15)


@pytest.mark.parametrize(
    ("formula", "at", "value", "gradients"),
    [
        ("\\frac{1}{2}(f - y)^2", {"f": 3, "y": 1}, 2.0, {"f": 2.0, "y": -2.0}),
        ("\\sum_{i=1}^{3} w_i x_i", NEURON_AT_VECTORS, 5.0, None),
        ("\\|x\\|^2", {"x": [3, 4]}, 25.0, {"x0": 6.0, "x1": 8.0}),
        ("\\operatorname{abs}(x) + e^{y}", {"x": -2, "y": 0}, 3.0, {"x": -1.0, "y": 1.0}),
        ("sqrt(x)", {"x": 4}, 2.0, {"x": 0.25}),
        ("x**-1", {"x": 4}, 0.25, {"x": -1 / 16}),
        ("(x > 0) * y", {"x": 2, "y": 3}, 3.0, {"x": 0.0, "y": 1.0}),
    ],
)
def test_latex_and_numpy_forms(formula, at, value, gradients):
    out, leaves = build(formula, at=at)
    out.backward()
    assert out.data == pytest.approx(value, rel=1e-15)
    if gradients is None:  # the sum over i is the dot product w . x
        gradients = {
            **{f"w{i}": at["x"][i] for i in range(3)},
            **{f"x{i}": at["w"][i] for i in range(3)},
            "b": 0.0,
        }
    assert grads(leaves) == pytest.approx(gradients, rel=1e-15)


def test_softmax_expands_into_exp_and_a_sum():
    out, leaves = build("softmax(v)[0]", at={"v": [1.0, 2.0, 0.5]})
    out.backward()
    e = [math.exp(t) for t in (1.0, 2.0, 0.5)]
    s = [t / sum(e) for t in e]
    assert out.data == pytest.approx(s[0], rel=1e-15)
    expected = [s[0] * ((k == 0) - s[k]) for k in range(3)]  # ds_0/dv_k = s_0 ([k=0] - s_k)
    assert [leaves[f"v{k}"].grad for k in range(3)] == pytest.approx(expected, rel=1e-12)


def test_unused_inputs_keep_gradient_zero():
    out, leaves = build("x * 3", at={"x": 2, "unused": 5})
    out.backward()
    assert grads(leaves) == {"x": 3.0, "unused": 0.0}


@pytest.mark.parametrize(
    ("formula", "at", "error", "words"),
    [
        ("x + y", {"x": 1}, ExpressionError, "y"),
        ("w * x", {"w": [1, 2], "x": [3, 4]}, ExpressionError, "shape"),
        ("log(x)", {"x": -1}, ExpressionError, "positive"),
        ("x / y", {"x": 1, "y": 0}, ExpressionError, "division by zero"),
        ("x", {"x": "three"}, ConfigError, "expected a number"),
        ("x", {"x": float("nan")}, ConfigError, "finite"),
        ("x", {"x": [[[1]]]}, ConfigError, "shape"),
        ("w0 + w", {"w": [1, 2], "w0": 3}, ConfigError, "given twice"),
        ("__import__('os').system('true')", {"x": 1}, ExpressionError, "unexpected"),
    ],
)
def test_bad_formulas_and_values_raise_clear_errors(formula, at, error, words):
    with pytest.raises(error, match=words) as info:
        build(formula, at=at)
    assert isinstance(info.value, ChainruleError)
