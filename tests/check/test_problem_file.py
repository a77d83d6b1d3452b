"""An instructor's own problem file: loaded, checked key by key, graded."""

from __future__ import annotations

import pytest

import chainrule as cr

pytest.importorskip("chainrule.derivation", reason="the references come from derive")

HW = """
id = "hw3-dW2"
points = 4
given = ["\\\\delta"]
[network]
layers = "3-relu-2"
loss = "half-squared-error"
n_inputs = 4
notation = "default"
layout = "row"
batch = true
examples = 5
[quantity]
wrt = "W_{1}"
[credit]
transposed = 0.5
[feedback]
missing_mask = "Look at the ReLU."
"""


def test_instructor_problem(tmp_path) -> None:
    path = tmp_path / "hw3.toml"
    path.write_text(HW)
    p = cr.check.Problem.from_toml(path)
    ref = p.reference_latex()
    assert p.grade(ref).correct
    assert p.points == 4


@pytest.mark.parametrize(
    ("change", "match"),
    [
        (("[quantity]", "[quantty]"), "did you mean 'quantity'"),
        (("examples = 5", "exampels = 5"), "did you mean 'examples'"),
        (("transposed = 0.5", "transposd = 0.5"), "did you mean 'transposed'"),
        (("transposed = 0.5", "transposed = 2"), "expected a number in 0..1"),
        (("points = 4", 'points = "four"'), "points must be a number"),
        (('id = "hw3-dW2"', ""), "'id' is missing"),
    ],
)
def test_bad_problem_files(tmp_path, change, match) -> None:
    path = tmp_path / "hw.toml"
    path.write_text(HW.replace(*change))
    with pytest.raises(cr.ConfigError, match=match):
        cr.check.Problem.from_toml(path)
    (tmp_path / "bad.toml").write_text("id = ")
    with pytest.raises(cr.ConfigError, match="not valid TOML"):
        cr.check.Problem.from_toml(tmp_path / "bad.toml")
