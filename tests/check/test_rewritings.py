"""At least 10 equivalent rewritings of every matrix problem's reference are accepted."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr

from .rewrite import rewritings

pytest.importorskip("chainrule.derivation", reason="the bank's references come from derive")

MATRIX_PROBLEMS = [
    pid
    for pid in cr.check.problems()
    if np.asarray(cr.check.problem(pid).grader.ref_values[0]).size > 1
]


def test_there_are_matrix_problems() -> None:
    assert len(MATRIX_PROBLEMS) >= 40


@pytest.mark.parametrize("pid", MATRIX_PROBLEMS)
def test_equivalent_rewritings_are_accepted(pid: str) -> None:
    p = cr.check.problem(pid)
    texts = rewritings(p.reference.tree())
    assert len(texts) >= 10, texts
    rejected = [(t, r.code, r.message) for t in texts if not (r := p.grade(t)).correct]
    assert not rejected
