"""parse(to_latex(e)) == e for trees drawn by hypothesis, built from the node classes."""

from __future__ import annotations

from fractions import Fraction

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import chainrule as cr
from chainrule.expr import tree as T

TABLE = {
    "x": (), "y": (), "L": (), "\\lambda": (), "v": (3,), "c": (3, 1), "r": (1, 3),
    "M": (3, 3), "N": (3, 2), "W_1": (3, 3), "W^{(2)}": (3, 3), "\\delta": (3, 1),
    "\\hat{x}": (3, 1), "dZ": (3, 3), "\\frac{\\partial L}{\\partial M}": (3, 3),
}  # fmt: skip
SYMBOLS = [T.Symbol(name, shape) for name, shape in TABLE.items()]
UNARY = ["relu", "sigmoid", "tanh", "exp", "log", "sqrt", "identity", "softmax"]

constants = st.one_of(
    st.integers(0, 20).map(T.Constant),
    st.integers(1, 399).map(lambda k: T.Constant(Fraction(k, 4))),
)
leaves = st.one_of(
    st.sampled_from(SYMBOLS),
    constants,
    st.just(T.IdentityMatrix(3)),
    st.just(T.Ones((3, 1))),
)


def _index(node: T.Expr, data: st.DataObject) -> T.Expr:
    if not node.shape or not all(isinstance(d, int) for d in node.shape):
        return node
    items = [
        data.draw(st.one_of(st.just(T.Slice()), st.integers(1, d).map(T.Constant)))
        for d in node.shape
    ]
    return T.Index(node, tuple(items))


def _combine(children: st.SearchStrategy[T.Expr]) -> st.SearchStrategy[T.Expr]:
    @st.composite
    def node(draw: st.DrawFn) -> T.Expr:
        a, b = draw(children), draw(children)
        kind = draw(st.integers(0, 17))
        try:
            if kind == 0:
                return T.Add(a, b)
            if kind == 1:
                return T.Sub(a, b)
            if kind == 2:
                return T.Neg(a)
            if kind == 3:
                return T.Scale(a, b)
            if kind == 4:
                return T.MatMul(a, b)
            if kind == 5:
                return T.ElementwiseProduct(a, b)
            if kind == 6:
                return T.Div(a, b)
            if kind == 7:
                exponent = draw(st.one_of(constants, st.sampled_from(SYMBOLS[:2])))
                return T.Power(a, T.Neg(exponent) if draw(st.booleans()) else exponent)
            if kind == 8:
                return T.Transpose(a)
            if kind == 9:
                name = draw(st.sampled_from(UNARY))
                order = 0 if name == "softmax" else draw(st.integers(0, 2))
                return T.Apply(name, (a,), order)
            if kind == 10:
                return T.Apply(draw(st.sampled_from(["max", "min"])), (a, b))
            if kind == 11:
                relation = draw(st.sampled_from(T.RELATIONS))
                return T.Indicator(a, relation, b)
            if kind == 12:
                if not a.shape:
                    return T.Sum(a)
                axis = draw(st.one_of(st.none(), st.integers(-len(a.shape), len(a.shape) - 1)))
                return T.Sum(a, axis)
            if kind == 13:
                return T.Norm(a)
            if kind == 14:
                return _index(a, draw(st.data()))
            if kind == 15:
                return T.MatrixLiteral(((a, b), (b, a)))
            if kind == 16:
                body = T.Scale(T.Index(SYMBOLS[5], (T.IndexVar("i"), T.Constant(1))), a)
                return T.IndexSum("i", T.Constant(1), T.Constant(3), body)
            return T.Equation((a, b))
        except cr.expr.ExpressionError:
            return a

    return node()


trees = st.recursive(leaves, _combine, max_leaves=12)


def _valid(tree: T.Expr) -> bool:
    # An equation only stands at the top of a formula.
    return not any(isinstance(n, T.Equation) for n in tree.walk() if n is not tree)


@settings(max_examples=400, deadline=None, suppress_health_check=list(HealthCheck))
@given(trees)
def test_latex_round_trip(tree: T.Expr) -> None:
    if not _valid(tree):
        return
    text = cr.expr.to_latex(tree)
    assert cr.expr.parse(text, TABLE, syntax="latex") == tree, text
    assert cr.expr.parse(text, TABLE) == tree, text
    assert str(tree)


def test_round_trip_of_seed_style_formula() -> None:
    text = "\\delta^{[1]} = ((w^{[2]})^T \\cdot \\frac{2}{3}(\\hat{y} - y)) \\odot A \\odot (1 - A)"
    table = {"\\delta^{[1]}": (2, 3), "w^{[2]}": (1, 2), "\\hat{y}": (1, 3), "y": (1, 3),
             "A": (2, 3)}  # fmt: skip
    tree = cr.expr.parse(text, table)
    assert cr.expr.parse(cr.expr.to_latex(tree), table) == tree
    assert cr.expr.to_latex(tree) == (
        "\\delta^{[1]} = w^{[2]T} (\\frac{2}{3} (\\hat{y} - y)) \\odot A \\odot (1 - A)"
    )
    assert str(tree) == "delta^[1] = w^[2].T @ (2 / 3 * (y_hat - y)) * A * (1 - A)"
