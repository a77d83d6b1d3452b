"""The grading engine on a hand-made problem: one answer per diagnosis code."""

from __future__ import annotations

import json

import pytest

from chainrule.check.result import CODES, Result

from .engine_fixture import DW1, grader

G = grader(DW1)


@pytest.mark.parametrize(
    "answer",
    [
        DW1,
        r"(W_2^T \delta \odot (z_1 > 0)) x^T",
        r"([z_1 >= 0] \odot W_2^T \delta) x^T",
        r"\delta (W_2^T \odot \mathbb{1}[z_1 > 0]) x^T",
        r"(W_2^T \delta \odot \text{relu}'(z_1)) x^T",
        r"(x ((W_2^T \delta) \odot [z_1 > 0])^T)^T",
        "delta * (W_2.T * (z_1 > 0)) @ x.T",
    ],
)
def test_equivalent_forms_are_correct(answer: str) -> None:
    r = G.grade(answer)
    assert (r.code, r.correct, r.score) == ("correct", True, 1.0), r.message


@pytest.mark.parametrize(
    ("answer", "code", "detail"),
    [
        (r"x ((W_2^T \delta) \odot [z_1 > 0])^T", "transposed", None),
        (r"2 ((W_2^T \delta) \odot [z_1 > 0]) x^T", "scaled", ("factor_name", "2")),
        (r"\frac{1}{2} ((W_2^T \delta) \odot [z_1 > 0]) x^T", "scaled", ("factor_name", "1/2")),
        (r"-((W_2^T \delta) \odot [z_1 > 0]) x^T", "sign", None),
        (r"W_2^T \delta x^T", "missing_mask", ("layer", 1)),
        (r"((W_2^T \delta) \odot h_1) x^T", "wrong_derivative", ("kind", "function")),
        (r"((W_1^T \delta) \odot [z_1 > 0]) x^T", "wrong_layer", ("expected", "W_2")),
        (r"0 W_1", "zero", None),
        (r"W_1 + 1", "wrong", None),
    ],
)
def test_each_hypothesis_names_its_mistake(answer: str, code: str, detail) -> None:
    r = G.grade(answer)
    assert r.code == code, (r.code, r.message)
    assert not r.correct and r.score == 0.0 and r.message and r.hint
    if detail is not None:
        assert r.details[detail[0]] == detail[1]


def test_wrong_has_a_counterexample() -> None:
    r = G.grade("W_1 + 1")
    assert r.counterexample is not None
    assert set(r.counterexample) >= {"values", "expected", "got", "entry"}


def test_reading_errors() -> None:
    r = G.grade(r"(W_2^T \delta")
    assert r.code == "parse_error" and "^" in r.message
    r = G.grade(r"W_3^T \delta x^T")
    assert r.code == "unknown_symbol" and "W_2" in r.hint
    r = G.grade(r"W_2 x")
    assert r.code == "shape_mismatch" and "Reversing the product" in r.hint
    r = G.grade(r"x^T W_2")
    assert r.code == "shape_mismatch" and "Transposing the left factor" in r.hint
    r = G.grade(r"W_1 \odot (I - z_1)")
    assert r.code == "shape_mismatch" and "all-ones" in r.hint
    for hostile in ["", "(" * 3000, "x" * 5000, "\x00", None, 12, "\\partial_" * 300]:
        assert G.grade(hostile).code == "parse_error"  # type: ignore[arg-type]


def test_batch_sum_and_l2() -> None:
    g = grader(r"\delta u^T", n=5)
    assert g.grade(r"\delta u^T").correct
    r = g.grade(r"\delta")
    assert r.code == "missing_batch_sum", r.message
    g = grader(r"((W_2^T \delta) \odot [z_1 > 0]) x^T + 2 \lambda W_1", n=5, l2=True)
    assert g.grade(r"((W_2^T \delta) \odot [z_1 > 0]) x^T").code == "missing_regularization"
    r = g.grade(r"((W_2^T \delta) \odot [z_1 > 0]) x^T + \lambda W_1")
    assert r.code == "regularization_factor"
    r = g.grade(r"((W_2^T \delta) \odot [z_1 > 0]) x^T + 3 \lambda W_1")
    assert r.code == "wrong_coefficient" and (r.details["found"], r.details["expected"]) == (
        "3",
        "2",
    )
    r = g.grade(r"5 ((W_2^T \delta) \odot [z_1 > 0]) x^T + 2 \lambda W_1")
    assert r.codes[0] == "wrong_coefficient"
    assert g.grade(r"5 (((W_2^T \delta) \odot [z_1 > 0]) x^T + 2 \lambda W_1)").code == "scaled"
    assert (
        g.grade(r"n (((W_2^T \delta) \odot [z_1 > 0]) x^T + 2 \lambda W_1)").details["factor_name"]
        == "n"
    )


def test_swapped_order() -> None:
    g = grader(r"W_1^T ((W_2^T \delta) \odot [z_1 > 0])")
    r = g.grade(r"((W_2^T \delta) \odot [z_1 > 0])^T W_1")
    assert r.code == "transposed"
    g = grader(r"W_1 W_1^T")
    assert g.grade(r"W_1^T W_1").code == "swapped_order"
    assert g.grade(r"W_1^T").code == "shape_mismatch"


def test_partial_credit_and_feedback() -> None:
    g = grader(DW1, credit={"transposed": 0.5}, feedback={"transposed": "Mind the layout."})
    r = g.grade(r"x ((W_2^T \delta) \odot [z_1 > 0])^T")
    assert (r.code, r.score, r.hint) == ("transposed", 0.5, "Mind the layout.")


def test_result_to_json() -> None:
    r = G.grade("W_1 + 1")
    data = json.loads(r.to_json())
    assert data["code"] == "wrong" and data["codes"][0] == "wrong"
    assert set(data) == {"correct", "code", "codes", "message", "hint", "score", "details",
                         "counterexample"}  # fmt: skip
    with pytest.raises(ValueError, match="unknown diagnosis code"):
        Result(False, "nearly", [], "")
    assert len(CODES) == 18
