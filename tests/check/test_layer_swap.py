"""The wrong_layer hypothesis: a name of another layer where this layer's belongs."""

from __future__ import annotations

import pytest

import chainrule as cr
from chainrule.check.layer_swap import MAX_TRIES, siblings, swapped_layer
from chainrule.expr import tree as T

pytest.importorskip("chainrule.derivation", reason="the bank's references come from derive")


def test_siblings_are_the_same_letter_and_script_at_other_layers_nearest_first():
    table = {"h^{1}": (1, 3), "h^{2}": (1, 2), "h^{3}": (), "W_{(1)}": (3, 4), "W_{(2)}": (4, 2),
             "W^{1}": (2, 2), "x": (1, 4), "z_2": (1, 2)}  # fmt: skip
    near = siblings(table)
    assert near["h^{1}"] == ["h^{2}", "h^{3}"]
    assert near["h^{3}"] == ["h^{2}", "h^{1}"]
    assert near["W_{(1)}"] == ["W_{(2)}"]  # W^{1} has another script: not the same quantity
    assert "x" not in near and "z_2" not in near and "W^{1}" not in near


@pytest.mark.parametrize(
    ("answer", "used", "expected"),
    [
        (r"(\delta W^3 \odot [z^2 > 0])^T h^2", "h^{2}", "h^{1}"),  # shapes differ
        (r"(\delta W^2 \odot [z^2 > 0])^T h^1", "W^{2}", "W^{3}"),  # does not read as written
        (r"(\delta W^3 \odot [z^1 > 0])^T h^1", "z^{1}", "z^{2}"),
    ],
)
def test_a_name_of_the_neighbouring_layer_is_named(answer, used, expected):
    r = cr.check.problem("seed001-q1.11").grade(answer)
    assert r.code == "wrong_layer", r.message
    assert (r.details["used"], r.details["expected"]) == (used, expected)
    plain = {"h^{2}": "h^2", "h^{1}": "h^1", "W^{2}": "W^2", "W^{3}": "W^3", "z^{1}": "z^1",
             "z^{2}": "z^2"}  # fmt: skip
    assert f"uses {plain[used]} where {plain[expected]} belongs" in r.message


def test_right_answers_and_other_mistakes_keep_their_codes():
    p = cr.check.problem("seed001-q1.11")
    assert p.grade(r"(\delta W^3 \odot [z^2 > 0])^T h^1").correct
    assert p.grade(r"\delta (W^3)^T h^1").code == "missing_mask"
    assert p.grade(r"(\delta W^3 \odot [z^2 > 0])^T x").code == "shape_mismatch"


def test_the_repairs_tried_are_bounded():
    table = {f"h^{{{k}}}": (2, 2) for k in range(1, 30)}
    tree = T.Add(T.Symbol("h^{1}", (2, 2)), T.Symbol("h^{2}", (2, 2)))
    calls = []

    def evaluate(t):
        calls.append(t)
        return []

    assert swapped_layer(tree, table, evaluate, lambda values: False) is None
    assert len(calls) == MAX_TRIES
