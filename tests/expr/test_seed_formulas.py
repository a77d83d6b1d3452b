"""Every formula of the seed notes: it parses and shape-checks, or the error says why."""

from __future__ import annotations

import pytest

import chainrule as cr

from .seed_formulas import CONTEXTS, FORMULAS


@pytest.mark.parametrize(("context", "text", "problem"), FORMULAS)
def test_seed_formula(context: str, text: str, problem: str | None) -> None:
    symbols, functions = CONTEXTS[context]
    if problem is None:
        tree = cr.expr.parse(text, symbols, functions=functions)
        assert cr.expr.parse(cr.expr.to_latex(tree), symbols, functions=functions) == tree
    else:
        with pytest.raises(cr.expr.ExpressionError) as caught:
            cr.expr.parse(text, symbols, functions=functions)
        assert problem in caught.value.message
        assert caught.value.line is not None and caught.value.column is not None


def test_the_fixture_covers_the_seeds() -> None:
    assert len(FORMULAS) >= 300
    assert {context[:3] for context, _, _ in FORMULAS} == {"000", "001", "002", "003", "004"}
    assert sum(problem is None for _, _, problem in FORMULAS) >= 100


# The seeds' own mistakes, each with the reason the message must give.
SEED_MISTAKES = [
    # seed 000: dL/dh1 multiplies in the wrong order (w_2^T w_3^T is right)
    (
        "000a",
        "(f - y) \\cdot w_3^T \\cdot w_2^T",
        "left has shape (m_2, 1), right has shape (m_1, m_2)",
        None,
    ),
    # seed 000 autoencoder: X is (n, D), so W_1 X does not fit (X W_1^T would)
    (
        "000b",
        "h = \\text{relu}(W_1 X + b_1)",
        "left has shape (H, D), right has shape (n, D)",
        "W_1 X",
    ),
    # seed 000: a gradient of shape (n, D) equated to a scalar
    (
        "000b",
        "\\frac{\\partial L}{\\partial \\hat{x}} = \\frac{2}{n} \\sum_{i=1}^n \\|x_i - \\hat{x}_i\\| = -2",
        "side 1 has shape (n, D), side 2 has shape ()",
        None,
    ),
    # seed 004: the bias gradient is written with A^{[0]}, which gives (2, 4), not (2, 1)
    (
        "004d",
        "\\frac{\\partial \\mathcal{L}}{\\partial b^{[1]}} = \\delta^{[1]} (A^{[0]})^T",
        "side 1 has shape (2, 1), side 2 has shape (2, 4)",
        None,
    ),
    # seed 004: I - A with A of shape (2, 3); the ones matrix was meant
    ("004d", "A \\odot (I - A)", "the identity I is square", "I - A"),
    # seed 003: dJ/dW has the shape of W (2, 2), the worked product gives (1, 2)
    (
        "003a",
        "\\frac{\\partial J}{\\partial W^{(1)}} = -(0.5) \\frac{1}{2} (1 - \\frac{1}{2}) "
        "\\begin{bmatrix} 1 & 1 \\end{bmatrix} \\begin{bmatrix} 1 & 0 \\\\ 0 & 0 \\end{bmatrix}",
        "side 1 has shape (2, 2), side 2 has shape (1, 2)",
        None,
    ),
]


@pytest.mark.parametrize(("context", "text", "reason", "snippet"), SEED_MISTAKES)
def test_seed_mistakes_are_explained(
    context: str, text: str, reason: str, snippet: str | None
) -> None:
    symbols, functions = CONTEXTS[context]
    with pytest.raises(cr.expr.ExpressionError) as caught:
        cr.expr.parse(text, symbols, functions=functions)
    assert reason in caught.value.message
    if snippet is not None:
        assert f"`{snippet}`" in caught.value.message
        assert text[caught.value.column - 1 :].startswith(snippet)
    assert "^" in str(caught.value)
