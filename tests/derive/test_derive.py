"""cr.derive on the seed networks: every step checked against the engine, in every layout
and preset notation; steps found by name; LaTeX that parses back; clear errors."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr
from chainrule.derivation import presets
from chainrule.expr import tree as T
from chainrule.expr.maps import symbols_of
from chainrule.formulas import LAYOUTS

SMALL = {"seed002-two-layer-softmax": {"n_inputs": 5, "hidden": (4,), "n_outputs": 3}}


def _net(name):
    return cr.zoo.build(name, **SMALL.get(name, {}))


@pytest.mark.parametrize("notation", presets())
@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("name", cr.zoo.names())
def test_every_zoo_network_verifies(name, layout, notation):
    net = _net(name)
    batch = net.X.shape[0] > 1
    d = cr.derive(net.model, net.loss, l2=net.l2, layout=layout, notation=notation, batch=batch)
    report = d.verify(net.X, net.y)
    assert report.ok, report.errors
    assert set(report.errors) >= {s.name for s in d.steps}


def test_steps_of_seed004_read_like_the_seed():
    d = cr.derive("seed004-4-2-1-sigmoid")
    assert d.layout == "column" and d.batch
    assert d["z1"].rhs == "W^{[1]} X + b^{[1]} u"
    assert d["dW1"].rhs == "\\delta^{[1]} X^T"
    assert d["db1"].rhs == "\\delta^{[1]} u^T"
    assert d["dz1"].rhs == d["dh1"].lhs + " \\odot A^{[1]} \\odot (1 - A^{[1]})"
    assert d["dh1"].rhs == "W^{[2]T} \\delta^{[2]}"
    assert d.step("W2") is d.step("dW2")
    assert d.step("\\frac{\\partial \\mathcal{L}}{\\partial W^{[2]}}") is d["dW2"]
    assert d.step("\\delta^{[1]}") is d["dz1"]


def test_seed003_in_its_own_notation_is_exact_and_verified():
    d = cr.derive("seed003-relu-sigmoid-2-2-1")
    assert not d.batch and d.layout == "column"
    assert d["z2"].rhs == "W^{(2)T} a^{(1)} + b^{(2)}"
    values = d.values()
    assert values["J"] == pytest.approx(0.125)
    assert values["\\frac{\\partial J}{\\partial W^{(1)}}"][0, 1] == pytest.approx(-1 / 16)
    assert d.verify().ok


@pytest.mark.parametrize("notation", presets())
@pytest.mark.parametrize("name", ["seed000-relu-regressor", "seed002-two-layer-softmax"])
def test_latex_parses_back_to_the_same_tree(name, notation):
    net = _net(name)
    for layout in LAYOUTS:
        d = cr.derive(net.model, net.loss, l2=0.1, layout=layout, notation=notation)
        for step in d.steps:
            parsed = cr.expr.parse(step.latex, d.symbols)
            assert parsed == step.equation, (step.name, step.latex)


def test_symbols_cover_every_formula_and_values_cover_every_symbol():
    net = _net("seed002-two-layer-softmax")
    d = cr.derive(net.model, net.loss, l2=net.l2)
    values = d.values(net.X, net.y)
    assert set(values) == set(d.symbols)
    for step in d.steps:
        for name, sym in symbols_of(step.expanded).items():
            assert d.symbols[name] == sym.shape
        assert step.shape == step.expr.shape or step.shape == ()
        n = net.X.shape[0]
        sizes = tuple(n if dim == "n" else dim for dim in step.shape)
        assert np.asarray(values[step.quantity.name]).shape == sizes


def test_expanded_forms_mention_no_gradient():
    d = cr.derive("seed001-4-3-2-1")
    grads = {s.quantity.name for s in d.steps if s.kind not in ("forward", "loss")}
    for step in d.steps:
        assert not (set(symbols_of(step.expanded)) & grads), step.name
    assert isinstance(d["dW1"].quantity, T.Symbol)


def test_bad_input_is_a_clear_error():
    with pytest.raises(cr.ConfigError, match="Did you mean 'seed004'"):
        cr.derive("seed004-4-2-1-sigmoid", notation="seed04")
    with pytest.raises(cr.ConfigError, match="unknown zoo network"):
        cr.derive("seed009")
    model = cr.Sequential([cr.Linear(2, 3), cr.ReLU()], dtype=np.float64, seed=0)
    with pytest.raises(cr.ConfigError, match="give the loss"):
        cr.derive(model)
    with pytest.raises(cr.ConfigError, match="layout must be one of"):
        cr.derive(model, cr.HalfSquaredError(), layout="diagonal")
    d = cr.derive(model, cr.HalfSquaredError(), batch=False)
    with pytest.raises(cr.DataError, match="one example is one row"):
        d.values(np.ones((4, 2)), np.ones((4, 3)))
    with pytest.raises(cr.ConfigError, match="no step 'dW3'"):
        d.step("dW3")


def test_a_layer_without_formulas_is_named():
    class Cube(cr.layers.Activation):
        kind = "Cube"

        def _forward(self, Z):
            return Z**3

    model = cr.Sequential([cr.Linear(2, 3), Cube()], dtype=np.float64, seed=0)
    with pytest.raises(cr.ConfigError, match="Cube 1: the layer Cube gives no formulas"):
        cr.derive(model, cr.HalfSquaredError())
