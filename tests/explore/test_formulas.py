"""The stepper's formulas are derive's: each step of ``cr.derive`` appears once, under its
layer, as MathML, with its value at the current weights; notations are presets only."""

from __future__ import annotations

import pytest

import chainrule as cr
from tests.explore.helpers import client, needs_web

pytest.importorskip("chainrule.derivation", reason="this chainrule has no derive yet")
pytestmark = needs_web

SEED003 = "seed003-relu-sigmoid-2-2-1"


def test_every_derive_step_is_shown_once_under_its_layer():
    r = client().post("/api/derivation", json={"notation": "seed004", "layout": "column"}).json()
    d = cr.derive(SEED003, notation="seed004", layout="column")
    shown = [latex for step in r["steps"] for latex in step["latex"]]
    for ds in d.steps:
        assert shown.count(ds.latex) == 1, ds.latex
    phases = [s["phase"] for s in r["steps"]]
    assert phases == ["forward", "forward", "loss", "backward", "backward"]
    last = r["steps"][-1]
    assert last["params"] == ["W1", "b1"] and last["columns"] == [1, 0]
    assert d.step("dW1").latex in last["latex"]
    assert "<math" in last["html"] and r["note"] == ""
    assert r["names"]["W1"].startswith("<math") and "W" in r["names"]["W1"]
    assert "<math" in r["formulas"]["W1"]


def test_the_numbers_shown_follow_a_weight_edit():
    c = client()
    before = c.post("/api/derivation", json={"notation": "seed003"}).json()
    c.post("/api/parameter", json={"name": "W1", "index": [0, 1], "value": 0.3})
    after = c.post("/api/derivation", json={"notation": "seed003"}).json()
    assert before["steps"][0]["latex"][0] == after["steps"][0]["latex"][0]  # same formula
    assert before["steps"][0]["latex"][1] != after["steps"][0]["latex"][1]  # new numbers


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"notation": "/etc/hostname"}, "notation"),
        ({"notation": "../../notations/seed004.toml"}, "notation"),
        ({"notation": "seed005"}, "notation"),
        ({"notation": "seed004", "layout": "diagonal"}, "layout"),
    ],
)
def test_only_preset_notations_and_known_layouts(body, field):
    r = client().post("/api/derivation", json=body)
    assert r.status_code == 400 and r.json()["message"].startswith(field)


@pytest.mark.parametrize(("fmt", "marker"), [("latex", "\\frac"), ("markdown", "$$")])
def test_export_gives_the_derivation_text(fmt, marker):
    r = client().post("/api/export", json={"format": fmt, "notation": "seed004"}).json()
    assert marker in r["text"] and r["filename"].endswith(".tex" if fmt == "latex" else ".md")
    d = cr.derive(SEED003, notation="seed004")
    assert d.step("dW1").rhs in r["text"]


def test_a_network_derive_does_not_take_still_steps_with_a_note():
    c = client()
    c.post("/api/network", json={"layers": "3-relu-sigmoid-1"})  # two activations in a row
    r = c.post("/api/derivation", json={"notation": "default"}).json()
    assert r["note"].startswith("no derivation") and len(r["steps"]) == 5
    assert all(s["html"] for s in r["steps"])  # the engine's numbers instead


def test_a_one_example_notation_works_with_the_example_shown():
    c = client()
    c.post("/api/network", json={"model": "seed004-4-2-1-sigmoid"})  # a batch of 3
    c.post("/api/example", json={"example": 2})
    r = c.post("/api/derivation", json={"notation": "seed003"}).json()
    assert r["note"] == ""
    net = cr.zoo.build("seed004-4-2-1-sigmoid")
    d = cr.derive(net.model, net.loss, notation="seed003")
    z1 = d.values(net.X[2:3], net.y[2:3])[d.step("z1").quantity.name]
    first = r["steps"][0]["latex"]
    assert any(f"{float(v):.6g}" in line for line in first for v in z1.ravel())
