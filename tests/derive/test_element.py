"""The element-wise index form: seed 001's answers entry by entry, checked against the engine."""

from __future__ import annotations

import pytest

import chainrule as cr
from chainrule.expr.render import to_latex
from chainrule.formulas import LAYOUTS


def test_seed001_dW2_entry_is_the_homework_answer():
    d = cr.derive("seed001-4-3-2-1", form="element")
    e = d.element["dW2"]
    assert e.lhs == "\\frac{\\partial l}{\\partial {W^{2}}_{i,j}}"
    assert to_latex(e.tree) == "\\delta_{1,1} W_{1,i}^3 [z_{1,i}^2 > 0] h_{1,j}^1"
    assert "\\sum_{k=1}^{2}" in d.element["dW1"].latex  # a sum over the units of layer 2


def test_batch_entries_sum_over_the_batch_index():
    d = cr.derive("seed004-4-2-1-sigmoid", form="both")
    assert to_latex(d.element["dW2"].tree) == "\\sum_{k=1}^{n} \\delta_{i,k}^{[2]} A_{j,k}^{[1]}"


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("name", ["seed000-relu-regressor", "seed003-relu-sigmoid-2-2-1",
                                  "seed004-logistic-regression"])  # fmt: skip
def test_element_forms_verify_and_parse_back(name, layout):
    d = cr.derive(name, layout=layout, form="both")
    report = d.verify()
    assert report.ok
    assert any("[" in key for key in report.errors)  # entries were checked
    for e in d.element.values():
        assert cr.expr.parse(to_latex(e.tree), d.symbols) == e.tree, e.latex


def test_element_form_is_printed(capsys):
    from chainrule.cli import main

    assert main(["derive", "--model", "seed001-4-3-2-1", "--element", "--format", "latex"]) == 0
    assert "W_{1,i}^3 [z_{1,i}^2 > 0] h_{1,j}^1" in capsys.readouterr().out
