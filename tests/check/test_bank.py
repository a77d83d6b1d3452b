"""The built-in bank: every seed question is there, reads its reference as correct, and
gives each of the seeds' own written answers the diagnosis it must get."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr

pytest.importorskip("chainrule.derivation", reason="the bank's references come from derive")

ISSUE_IDS = (
    [f"seed001-q1.{k}" for k in range(1, 18)]
    + [f"seed001-q2.{k}" for k in range(1, 9)]
    + [f"seed000-regressor-{q}" for q in ("db3", "dW3", "dh2", "db2", "dW2", "dh1", "db1", "dW1")]
    + [f"seed000-autoencoder-{q}" for q in ("dxhat", "db2", "dW2", "dh", "db1", "dW1")]
    + [f"seed002-{q}" for q in ("dz2", "dW2", "db2", "da1", "dz1", "dW1", "db1")]
    + ["seed003-dW1", "seed003-dW1_12", "seed003-rbm-dc"]
    + [f"seed004-graph-{q}" for q in ("dx", "dy", "dz")]
    + ["seed004-neuron-dw", "seed004-neuron-db", "seed004-logistic-dw", "seed004-logistic-db"]
    + [f"seed004-mlp-{q}" for q in ("dyhat", "dw2", "db2", "dA", "dZ", "dW1", "db1")]
)
FIXTURES = [
    (pid, f["answer"], f["code"])
    for pid in cr.check.problems()
    for f in cr.check.problem(pid).fixtures
]


def test_every_issue_id_is_in_the_bank() -> None:
    assert sorted(cr.check.problems()) == sorted(ISSUE_IDS)


@pytest.mark.parametrize("pid", ISSUE_IDS)
def test_reference_grades_correct(pid: str) -> None:
    p = cr.check.problem(pid)
    r = p.grade(p.reference_latex())
    assert r.correct, (p.reference_latex(), r.code, r.message)


@pytest.mark.parametrize(("pid", "answer", "code"), FIXTURES)
def test_seed_fixture_gets_its_code(pid: str, answer: str, code: str) -> None:
    r = cr.check.grade(pid, answer)
    assert r.code == code, (r.codes, r.message, r.details)


def test_every_problem_has_a_fixture_and_the_seed_mistakes_are_covered() -> None:
    codes = {code for _, _, code in FIXTURES}
    assert {"missing_mask", "shape_mismatch", "sign", "wrong_coefficient", "wrong"} <= codes
    assert all(cr.check.problem(pid).fixtures for pid in ISSUE_IDS)


def test_numeric_answer_is_exact() -> None:
    p = cr.check.problem("seed003-dW1_12")
    (value,) = np.asarray(p.grader.ref_values[0]).ravel()
    assert value == cr.check.problem("seed003-dW1_12").grader.ref_values[0].item()
    from fractions import Fraction

    assert value == Fraction(-1, 16)
    assert p.grade("-0.06250").correct
    assert p.grade("-0.0625001").correct  # within 3 significant digits
    assert p.grade("-0.063").code != "correct"


def test_rbm_reference_matches_the_rbm_module() -> None:
    from chainrule.check.values import values_on
    from chainrule.rbm import RBM

    p = cr.check.problem("seed003-rbm-dc")
    ref = p.reference
    for inst, value in zip(
        ref.instances, values_on(ref.tree(), ref.instances, ref.free), strict=True
    ):
        rbm = RBM(3, 2, seed=0, dtype=np.float64)
        rbm.W[...], rbm.b[...], rbm.c[...] = inst["W"], inst["b"], inst["c"]
        want = rbm.exact_gradient(inst["v"])["c"]
        np.testing.assert_allclose(value, want, rtol=1e-10, atol=1e-12)


def test_problem_and_grade_api() -> None:
    p = cr.check.problem("seed001-q1.11")
    assert cr.check.grade(p, r"(\delta W^3 \odot [z^2 > 0])^T h^1").correct
    with pytest.raises(cr.ConfigError, match=r"Did you mean 'seed001-q1\.11'"):
        cr.check.problem("seed001-q1.111")


def test_numeric_reference_is_the_traces_exact_value() -> None:
    from fractions import Fraction

    d = cr.derive("seed003-relu-sigmoid-2-2-1", notation="seed003")
    trace = d.trace()
    assert all(row.exact for row in trace.rows)
    want = trace.entry("dW1", 1, 2)
    assert type(want) is Fraction and want == Fraction(-1, 16)
    p = cr.check.problem("seed003-dW1_12")
    got = p.grader.ref_values[0].item()
    assert type(got) is Fraction and got == want  # the trace's Fraction, no float read back
    assert p.data["sig_digits"] == 3
    # 3 significant digits of -0.0625: within half a unit of the third digit (5e-5)
    assert p.grade("-0.06254").correct and p.grade("-0.06246").correct
    assert p.grade("-0.0626").code == "wrong" and p.grade("-0.0624").code == "wrong"
    assert p.grade("-0.06254").details == {"significant_digits": 3}
    assert p.grade(r"-\frac{1}{16}").details == {}  # exact: no rounding needed


def test_a_number_the_trace_cannot_give_exactly_is_refused() -> None:
    p = cr.check.Problem.from_dict(
        {
            "id": "softmax-number",
            "network": {"zoo": "seed002-two-layer-softmax"},
            "quantity": {"kind": "number", "wrt": "W_{1}", "entry": [1, 1]},
        }
    )
    with pytest.raises(cr.ConfigError, match=r"needs an exact trace, but .* are not rational"):
        p.grader  # noqa: B018 - built on first use
