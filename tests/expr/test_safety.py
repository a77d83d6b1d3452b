"""Named limits and clear errors: bad arguments, positions, depth, work and memory."""

from __future__ import annotations

import sys
import tracemalloc

import pytest

import chainrule as cr
from chainrule.errors import ExpressionError
from chainrule.expr import tree as T
from chainrule.expr.budget import MAX_ENTRIES
from chainrule.scalar import build


def test_bad_arguments_are_expression_errors_with_a_message() -> None:
    with pytest.raises(ExpressionError, match="function name must be a short non-empty str"):
        cr.expr.parse("x", {"x": ()}, functions={1: None})  # type: ignore[dict-item]
    with pytest.raises(ExpressionError, match="functions must map"):
        cr.expr.parse("x", {"x": ()}, functions=["g"])  # type: ignore[arg-type]
    tree = cr.expr.parse("v", {"v": (2,)})
    with pytest.raises(ExpressionError, match="ragged or not numeric"):
        tree.evaluate({"v": [[1], [1, 2]]})
    with pytest.raises(ExpressionError, match="not numeric"):
        tree.evaluate({"v": [[1.0], [1, 2]]})
    with pytest.raises(ExpressionError, match="NaN or an infinity"):
        tree.evaluate({"v": [float("nan"), 1.0]})


def test_evaluation_errors_point_into_the_formula() -> None:
    with pytest.raises(ExpressionError) as caught:
        cr.expr.parse("x + \\log(y)", {"x": (), "y": ()}).evaluate({"x": 1, "y": 0})
    assert (caught.value.line, caught.value.column) == (1, 5)
    assert "not a finite number" in caught.value.message and "`\\log(y)`" in caught.value.message
    with pytest.raises(ExpressionError) as caught:
        cr.expr.parse(" \n ", {})
    assert caught.value.message == "the formula is empty" and caught.value.line == 2


@pytest.mark.parametrize(
    ("text", "values"),
    [
        ("\\sqrt{\\sqrt{x}}", {"x": 2}),
        ("\\frac{1}{3} \\|\\hat{y} - y\\|^2", {"\\hat{y}": [1, 2], "y": [0, 0]}),
    ],
)
def test_exact_arithmetic_meets_floats(text: str, values: dict) -> None:
    symbols = {name: () if isinstance(v, int) else (2,) for name, v in values.items()}
    exact = cr.expr.parse(text, symbols).evaluate(values)
    floats = {
        k: [float(x) for x in v] if isinstance(v, list) else float(v) for k, v in values.items()
    }
    assert float(exact) == pytest.approx(float(cr.expr.parse(text, symbols).evaluate(floats)))


def _chain(depth: int) -> T.Expr:
    x = T.Symbol("x", ())
    node: T.Expr = x
    for level in range(depth - 1):
        node = [T.Neg, lambda e: T.Apply("tanh", (e,)), lambda e: T.Add(e, x)][level % 3](node)
    return node


def _deep(frames: int, run):  # type: ignore[no-untyped-def]
    return run() if frames == 0 else _deep(frames - 1, run)


def test_every_walk_agrees_on_the_deepest_tree() -> None:
    deepest, copy = _chain(T.MAX_TREE_DEPTH), _chain(T.MAX_TREE_DEPTH)
    assert deepest.depth == T.MAX_TREE_DEPTH
    with pytest.raises(ExpressionError, match="nests deeper than"):
        T.Neg(deepest)
    text = "-" * (T.MAX_TREE_DEPTH - 2) + "x"  # as deep as the parser's nesting allows
    assert cr.expr.parse(text, {"x": ()}).depth == T.MAX_TREE_DEPTH - 1
    with pytest.raises(ExpressionError, match="nests deeper than"):
        cr.expr.parse("-" + text, {"x": ()})
    walks = [
        lambda: deepest == copy, lambda: hash(deepest), lambda: repr(deepest), lambda: str(deepest),
        lambda: cr.expr.to_latex(deepest), lambda: deepest.evaluate({"x": 0.5}),
        lambda: cr.expr.parse(text, {"x": ()}).evaluate({"x": 1}), lambda: build(text, {"x": 0.5}),
    ]  # fmt: skip
    limit = sys.getrecursionlimit()
    for walk in walks:  # with a caller's stack already 150 frames deep
        assert _deep(min(150, limit // 4), walk) is not None


def test_sizes_written_in_a_formula_are_refused_before_allocating() -> None:
    tracemalloc.start()
    try:
        for text in ("I_{30000}", "\\mathbf{1}_{" + " \\times ".join(["2"] * 33) + "}"):
            with pytest.raises(ExpressionError, match=f"at most {MAX_ENTRIES:,}"):
                cr.expr.parse(text, {}).evaluate({})
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 50_000_000
    with pytest.raises(ExpressionError, match="units of work allowed"):
        cr.expr.parse("\\sum_{i=1}^{3000}\\sum_{j=1}^{3000} x", {"x": ()}).evaluate({"x": 1})
    with pytest.raises(ExpressionError, match="more than 100,000 nodes"):
        build("\\sum_{i=1}^{3000}\\sum_{j=1}^{3000} x", {"x": 1})


def test_to_latex_never_changes_a_value() -> None:
    cases = [
        ("x^{2 \\cdot 3}", {"x": ()}),
        ("v_{1 \\cdot 1}", {"v": (3,)}),
        ("c[0]", {"c": (3, 1)}),
        ("h ** 2", {"h": (), "h^2": ()}),
        ("v[0] + v_1", {"v": (3,), "v_1": ()}),
        ("W.T", {"W": (2, 3), "W^T": (3, 2)}),
        ("\\mathbf{1} + x", {"x": ()}),
        ("1e-20 + x", {"x": ()}),
    ]
    for text, symbols in cases:
        tree = cr.expr.parse(text, symbols)
        assert cr.expr.parse(cr.expr.to_latex(tree), symbols) == tree, text
