"""One accuracy everywhere: what fit reports, what ``chainrule train`` and ``chainrule
evaluate`` print, for logits and for probabilities (a sigmoid output) alike."""

from __future__ import annotations

import json

import numpy as np
import pytest

import chainrule as cr
from chainrule.cli import main
from chainrule.train import accuracy, loss_and_accuracy


def _binary_data():
    rng = np.random.default_rng(3)
    X = rng.normal(size=(80, 3))
    y = (X @ [1.0, -2.0, 0.5] + 0.3 * rng.normal(size=80) > 0.4).astype(float)[:, None]
    return X, y


@pytest.mark.parametrize("sigmoid_output", [True, False], ids=["probabilities", "logits"])
def test_fit_and_the_accuracy_function_agree(sigmoid_output):
    X, y = _binary_data()
    layers = [cr.Linear(3, 1), cr.Sigmoid()] if sigmoid_output else [cr.Linear(3, 1)]
    model = cr.Sequential(layers, dtype=np.float64, seed=0)
    loss = cr.BinaryCrossEntropy(from_logits=not sigmoid_output)
    opt = cr.SGD(model, lr=0.5)
    history = cr.fit(
        model, loss, opt, (X, y), epochs=3, batch_size=16, validation=(X, y), verbose=0
    )
    expected = np.mean(
        (model.predict(X)[:, 0] > (0.5 if sigmoid_output else 0.0)) == (y[:, 0] > 0.5)
    )
    assert 0.6 < expected < 1.0  # a value a wrong threshold would change
    assert history.history["val_accuracy"][-1] == pytest.approx(expected)
    assert accuracy(model, X, y, loss) == pytest.approx(expected)
    assert accuracy(model, X, y[:, 0].astype(int)) == pytest.approx(expected)  # labels (n,)
    assert loss_and_accuracy(model, loss, X, y)["accuracy"] == pytest.approx(expected)


def test_evaluate_of_a_relative_data_path_from_elsewhere_says_to_give_data(
    tmp_path, monkeypatch, capsys
):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 3))
    table = np.column_stack([X, (X[:, 0] > 0).astype(int)])
    (tmp_path / "work").mkdir()
    np.savetxt(tmp_path / "work" / "d.csv", table, delimiter=",", header="a,b,c,label", comments="")
    monkeypatch.chdir(tmp_path / "work")
    args = ["train", "--data", "csv:d.csv", "--layers", "4-relu-2", "--epochs", "1", "-q"]
    assert main([*args, "--out", "./run", "--json"]) == 0
    train_accuracy = json.loads(capsys.readouterr().out)["test_accuracy"]
    assert main(["evaluate", "run/model.chainrule", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["accuracy"] == pytest.approx(train_accuracy)
    monkeypatch.chdir(tmp_path)
    assert main(["evaluate", "work/run/model.chainrule"]) == 4
    err = capsys.readouterr().err
    assert "d.csv" in err and "give --data" in err
    assert main(["evaluate", "work/run/model.chainrule", "--data", "csv:work/d.csv", "-q"]) == 0


def test_rbm_train_saves_the_rbm_on_ctrl_c(tmp_path, monkeypatch, capsys):
    import chainrule.rbm

    trained = {}

    def interrupted_fit(rbm, *args, **kwargs):
        rbm.W[...] += 1.0  # some training happened
        trained["W"] = rbm.W.copy()
        raise KeyboardInterrupt

    monkeypatch.setattr(chainrule.rbm, "fit", interrupted_fit)
    assert main(["rbm", "train", "--hidden", "3", "--out", str(tmp_path), "-q"]) == 130
    assert "the RBM as it stood is saved to" in capsys.readouterr().err
    saved = cr.rbm.RBM.load(tmp_path / "rbm.chainrule")
    np.testing.assert_array_equal(saved.W, trained["W"])
