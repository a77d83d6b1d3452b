"""gradcheck: every layer and loss passes in float64 below 1e-7, and a wrong gradient fails."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr
from chainrule.cli import main
from tests.engine.helpers import four_three_two_one

LAYERS = {
    "ReLU": cr.ReLU,
    "LeakyReLU": lambda: cr.LeakyReLU(0.2),
    "Sigmoid": cr.Sigmoid,
    "Tanh": cr.Tanh,
    "Identity": cr.Identity,
    "Softmax": cr.Softmax,
}


@pytest.mark.parametrize("name", list(LAYERS))
@pytest.mark.parametrize("bias", [True, False])
def test_every_layer_passes(name, bias):
    rng = np.random.default_rng(0)
    model = cr.Sequential(
        [cr.Linear(4, 5, bias=bias), LAYERS[name](), cr.Linear(5, 3, bias=bias)],
        dtype=np.float64,
        seed=1,
    )
    X = rng.standard_normal((6, 4))
    report = cr.gradcheck(
        model, cr.HalfSquaredError(), X, rng.standard_normal((6, 3)), check_input=True
    )
    assert report.ok and report.max_rel_error < 1e-7, str(report)
    assert {c.name for c in report.checks} == {p for p, _ in model.named_parameters()} | {"X"}


@pytest.mark.parametrize(
    "loss, output, target",
    [
        (cr.HalfSquaredError(), None, "values"),
        (cr.MeanSquaredError(), None, "values"),
        (cr.MeanSquaredError(per="element", reduction="mean"), None, "values"),
        (cr.BinaryCrossEntropy(), cr.Sigmoid, "binary"),
        (cr.BinaryCrossEntropy(from_logits=True), None, "binary"),
        (cr.SoftmaxCrossEntropy(), None, "labels"),
        (cr.SoftmaxCrossEntropy(reduction="sum"), None, "labels"),
    ],
)
def test_every_loss_passes_with_l2_checked_separately(loss, output, target):
    rng = np.random.default_rng(2)
    layers = [cr.Linear(3, 4), cr.Tanh(), cr.Linear(4, 3)]
    if output is not None:
        layers.append(output())
    model = cr.Sequential(layers, dtype=np.float64, seed=3)
    X = rng.standard_normal((5, 3))
    y = {
        "values": rng.standard_normal((5, 3)),
        "binary": rng.integers(0, 2, (5, 3)).astype(float),
        "labels": rng.integers(0, 3, 5),
    }[target]
    report = cr.gradcheck(model, loss, X, y, l2=0.1)
    assert report.ok and report.max_rel_error < 1e-7, str(report)
    assert report["W1", "l2"].n_checked == 12 and report["W2", "l2"].rel_error < 1e-7
    assert {c.part for c in report.checks} == {"data", "l2"}


def test_float32_model_is_checked_in_float64_without_being_touched():
    model = cr.Sequential([cr.Linear(3, 2), cr.Sigmoid()], dtype=np.float32, seed=0)
    before = model.state_dict()
    X = np.random.default_rng(0).standard_normal((4, 3))
    report = cr.gradcheck(model, cr.HalfSquaredError(), X, np.zeros((4, 2)))
    assert report.ok and report.max_rel_error < 1e-7
    assert all(np.array_equal(before[k], v) for k, v in model.state_dict().items())
    assert model.dtype == np.float32


class _WrongSigmoid(cr.Sigmoid):
    """A classic student bug: sigma'(z) written as sigma(z) instead of sigma(z)(1 - sigma(z))."""

    def _backward(self, G, input_grad):
        return G * self._h


def test_a_wrong_backward_fails_the_check_and_names_the_parameter():
    rng = np.random.default_rng(4)
    model = cr.Sequential(
        [cr.Linear(3, 3), _WrongSigmoid(), cr.Linear(3, 1)], dtype=np.float64, seed=5
    )
    report = cr.gradcheck(
        model, cr.HalfSquaredError(), rng.standard_normal((4, 3)), rng.standard_normal((4, 1))
    )
    assert not report.ok
    assert not report["W1"].ok and not report["b1"].ok
    assert report["W2"].ok and report["b2"].ok  # above the bug, gradients are right
    assert "FAIL" in str(report)


def test_kinks_are_detected_skipped_and_counted():
    # A ReLU input sits exactly at 0: any probe of W1[0, :] moves it across the kink.
    model = cr.Sequential([cr.Linear(2, 1), cr.ReLU(), cr.Linear(1, 1)], dtype=np.float64, seed=0)
    p = dict(model.named_parameters())
    p["W1"].value[...] = [[1.0, -1.0]]
    p["b1"].value[...] = [0.0]
    p["W2"].value[...] = [[2.0]]
    X = np.array([[0.5, 0.5]])
    report = cr.gradcheck(model, cr.HalfSquaredError(), X, np.array([[1.0]]))
    assert report["W1"].n_kinks == 2 and report["b1"].n_kinks == 1
    assert report.n_kinks >= 3
    # b1's only probe was skipped: nothing was compared, so the check proves nothing
    assert report["b1"].n_checked == 0 and report["b1"].status == "INCONCLUSIVE"
    assert not report.ok and "b1 (data) is inconclusive: no probe was compared" in str(report)
    allowed = cr.gradcheck(
        model, cr.HalfSquaredError(), X, np.array([[1.0]]), allow_inconclusive=True
    )
    # h1 = relu(0) = 0 as well, so W2's gradient is exactly 0: inconclusive too
    assert allowed.ok and [c.name for c in allowed.inconclusive] == ["W1", "b1", "W2"]


def test_units_inactive_on_every_example_are_noted_but_the_check_passes():
    model = cr.Sequential([cr.Linear(3, 4), cr.ReLU(), cr.Linear(4, 1)], dtype=np.float64, seed=0)
    model.layers[0].b.value[0] = -100.0  # unit 1 of ReLU 1 is off on any input
    X = np.random.default_rng(0).normal(size=(5, 3))
    report = cr.gradcheck(model, cr.HalfSquaredError(), X, np.ones((5, 1)))
    assert report.ok and not report.inconclusive
    assert "ReLU 1: 1 of 4 units inactive on every example" in report.notes[0]


def test_a_layer_inactive_on_every_example_makes_the_check_inconclusive_and_says_where():
    # README's first example at seed 0: every unit of ReLU 2 is off on both examples, so
    # every gradient is exactly 0 and analytic and numeric "agree" without testing anything
    model = four_three_two_one(seed=0)
    X = np.random.default_rng(0).normal(size=(2, 4))
    report = cr.gradcheck(model, cr.HalfSquaredError(), X, np.array([[1.0], [-1.0]]))
    assert not report.ok and report.max_rel_error == 0.0
    assert [c.name for c in report.inconclusive] == ["W1", "W2", "W3"]
    assert "every unit of ReLU 2 is inactive (z <= 0) on all 2 examples" in report.notes[0]
    assert str(report).splitlines()[-len(report.notes) - 1].startswith("INCONCLUSIVE")
    assert report.to_dict()["n_inconclusive"] == 3


def test_directions_mode_checks_large_models_and_catches_bugs():
    rng = np.random.default_rng(6)
    model = cr.Sequential(
        [cr.Linear(300, 40), cr.Tanh(), cr.Linear(40, 10)], dtype=np.float64, seed=7
    )
    X, y = rng.standard_normal((16, 300)), rng.integers(0, 10, 16)
    report = cr.gradcheck(model, cr.SoftmaxCrossEntropy(), X, y, l2=1e-3)
    assert report.mode == "directions" and report.ok and report.max_rel_error < 1e-7, str(report)
    bad = cr.Sequential(
        [cr.Linear(300, 40), _WrongSigmoid(), cr.Linear(40, 10)], dtype=np.float64, seed=7
    )
    assert not cr.gradcheck(bad, cr.SoftmaxCrossEntropy(), X, y, mode="directions").ok


def test_fourth_order_stencil():
    rng = np.random.default_rng(8)
    model = cr.Sequential(
        [cr.Linear(3, 3), cr.Sigmoid(), cr.Linear(3, 2)], dtype=np.float64, seed=9
    )
    report = cr.gradcheck(
        model,
        cr.MeanSquaredError(),
        rng.standard_normal((3, 3)),
        rng.standard_normal((3, 2)),
        stencil=4,
        eps=1e-3,
    )
    assert report.ok and report.max_rel_error < 1e-9


def test_report_serialises():
    net = cr.zoo.build("seed003-relu-sigmoid-2-2-1")
    d = cr.gradcheck(net.model, net.loss, net.X, net.y).to_dict()
    assert d["ok"] is True and d["checks"][0]["name"] == "W1" and d["checks"][0]["shape"] == [2, 2]


def test_bad_options_are_config_errors():
    net = cr.zoo.build("seed003-relu-sigmoid-2-2-1")
    with pytest.raises(cr.ConfigError, match="mode"):
        cr.gradcheck(net.model, net.loss, net.X, net.y, mode="quick")
    with pytest.raises(cr.ConfigError, match="stencil"):
        cr.gradcheck(net.model, net.loss, net.X, net.y, stencil=3)


def test_cli_gradcheck_all_seed_networks(capsys):
    assert main(["gradcheck", "--json"]) == 0
    import json

    out = json.loads(capsys.readouterr().out)
    assert out["ok"] and set(out["models"]) == set(cr.zoo.names())
    assert out["max_rel_error"] < 1e-7


def test_cli_gradcheck_failure_exits_3(capsys):
    assert main(["gradcheck", "--model", "seed004-4-2-1-sigmoid", "--tol", "1e-30"]) == 3
    assert "SOME GRADIENTS DISAGREE" in capsys.readouterr().out


def test_cli_unknown_model_exits_2_with_a_suggestion(capsys):
    assert main(["gradcheck", "--model", "seed003-relu-sigmoid"]) == 2
    assert "did you mean 'seed003-relu-sigmoid-2-2-1'" in capsys.readouterr().err.lower()
