"""``chainrule train``, ``evaluate`` and ``predict`` from the command line."""

from __future__ import annotations

import json
import signal
import zipfile

import numpy as np
import pytest

import chainrule as cr
from chainrule.cli import main
from tests.training.helpers import signal_after_first_step

FAST = ["--epochs", "2", "--quiet"]


def _json(capsys):
    out = capsys.readouterr().out
    return json.loads(out.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def default_run(tmp_path_factory):
    """One run of ``chainrule train`` with every default (the issue's must-show)."""
    import contextlib
    import io

    out = tmp_path_factory.mktemp("runs") / "default"
    stdout = io.StringIO()
    with contextlib.redirect_stdout(stdout):
        code = main(["train", "--out", str(out), "--json", "--quiet"])
    return code, json.loads(stdout.getvalue()), out


@pytest.mark.slow
def test_default_train_reaches_97_percent_on_digits(default_run):
    code, result, out = default_run
    assert code == 0 and result["ok"]
    assert result["data"] == "digits" and result["n_test"] == 359
    assert result["test_accuracy"] >= 0.97
    names = {p.name for p in out.iterdir()}
    assert {"model.chainrule", "history.json", "learning_curves.png", "weights.png"} <= names
    history = json.loads((out / "history.json").read_text())
    assert len(history["history"]["val_loss"]) == history["settings"]["epochs"] == 30
    assert history["settings"]["model"] == "seed002-two-layer-softmax"
    assert history["settings"]["l2"] == 1e-3  # the seed 002 network's own L2
    ck = cr.load(out / "model.chainrule")
    assert [layer["type"] for layer in ck.model.spec()] == ["Linear", "ReLU", "Linear"]
    assert ck.model.spec()[0]["d_out"] == 100
    assert ck.loss.spec()["type"] == "SoftmaxCrossEntropy"


@pytest.mark.slow
def test_evaluate_and_predict_a_trained_run(default_run, tmp_path, capsys):
    _, result, out = default_run
    ckpt = str(out / "model.chainrule")
    assert main(["evaluate", ckpt, "--json"]) == 0
    evaluated = _json(capsys)
    assert evaluated["accuracy"] == pytest.approx(result["test_accuracy"])
    assert evaluated["n"] == 359

    ds = cr.data.load("digits")
    rows = ds.X_test[:20]
    csv = tmp_path / "rows.csv"
    np.savetxt(csv, rows, delimiter=",", fmt="%g")
    assert main(["predict", ckpt, str(csv), "--json"]) == 0
    from_csv = _json(capsys)["predictions"]
    np.savez(tmp_path / "rows.npz", X=rows)
    assert main(["predict", ckpt, str(tmp_path / "rows.npz")]) == 0
    from_npz = [int(line) for line in capsys.readouterr().out.split()]
    assert from_csv == from_npz
    assert np.mean(np.array(from_csv) == ds.y_test[:20]) >= 0.9


def test_layers_option_and_resume(tmp_path, capsys):
    out = tmp_path / "r"
    args = ["train", "--layers", "16-relu-10", "--out", str(out), "--json", *FAST]
    assert main(args) == 0
    first = _json(capsys)
    assert first["epochs"] == 2
    assert [(layer["type"], layer.get("d_out")) for layer in first["model"]] == [
        ("Linear", 16),
        ("ReLU", None),
        ("Linear", 10),
    ]
    assert (
        main(["train", "--resume", str(out / "model.chainrule"), "--epochs", "3", "--json", "-q"])
        == 0
    )
    resumed = _json(capsys)
    assert resumed["epochs"] == 3 and resumed["out"] == str(out)
    history = json.loads((out / "history.json").read_text())
    assert history["epoch"] == [1, 2, 3]


def test_resume_with_another_architecture_is_refused(tmp_path, capsys):
    out = tmp_path / "r"
    assert main(["train", "--layers", "16-relu-10", "--out", str(out), *FAST]) == 0
    capsys.readouterr()
    code = main(["train", "--resume", str(out / "model.chainrule"), "--layers", "8-relu-10"])
    assert code == 2
    assert "layers was '16-relu-10' in the saved run" in capsys.readouterr().err


def test_config_file_applies_and_unknown_keys_get_a_did_you_mean(tmp_path, capsys):
    good = tmp_path / "run.toml"
    good.write_text('layers = "12-tanh-10"\nbatch-size = 64\nepochs = 1\nlr = 0.01\n')
    assert main(["train", "--config", str(good), "--out", str(tmp_path / "c"), "--json", "-q"]) == 0
    result = _json(capsys)
    assert result["epochs"] == 1 and result["model"][1] == {"type": "Tanh"}
    bad = tmp_path / "bad.toml"
    bad.write_text("epochs = 1\nlearning_rate = 0.1\n")
    assert main(["train", "--config", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "bad.toml: unknown key 'learning_rate'" in err
    bad.write_text("epoch = 1\n")
    assert main(["train", "--config", str(bad)]) == 2
    assert "unknown key 'epoch'; did you mean 'epochs'?" in capsys.readouterr().err
    bad.write_text('epochs = "ten"\n')
    assert main(["train", "--config", str(bad)]) == 2
    assert "key 'epochs' must be int, got str 'ten'" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["--epochs", "0"], 2, "epochs must be a whole number >= 1, got 0"),
        (["--layers", "16-relu-7"], 2, "ends with 7 outputs, the data has 10 classes"),
        (["--layers", "16-rleu-10"], 2, "unknown activation 'rleu'; did you mean 'relu'?"),
        (["--model", "seed002-two-layer"], 2, "Did you mean 'seed002-two-layer-softmax'"),
        (["--optimizer", "adma"], 2, "did you mean 'adam'?"),
        (["--data", "csv:/nonexistent.csv"], 4, "does not exist"),
        (["--optimizer", "sgd", "--lr", "1e30"], 1, "training diverged at epoch 1"),
    ],
)
def test_bad_input_exit_codes(tmp_path, capsys, args, code, message):
    assert main(["train", "--out", str(tmp_path / "x"), "--epochs", "1", "-q", *args]) == code
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_batch_size_larger_than_data_says_so(tmp_path, capsys):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 3))
    y = (X[:, 0] > 0).astype(int)
    csv = tmp_path / "small.csv"
    np.savetxt(
        csv, np.column_stack([X, y]), delimiter=",", header="a,b,c,label", comments="", fmt="%g"
    )
    code = main(
        [
            "train",
            "--data",
            f"csv:{csv}",
            "--layers",
            "4-relu-2",
            "--batch-size",
            "1000",
            "--validation",
            "0",
            "--out",
            str(tmp_path / "s"),
            "--epochs",
            "2",
        ]
    )
    assert code == 0
    err = capsys.readouterr().err
    assert "batch size 1000 is larger than the 48 training examples: training on all 48" in err


def test_truncated_or_foreign_checkpoint_exits_4(tmp_path, capsys):
    out = tmp_path / "r"
    assert main(["train", "--layers", "8-relu-10", "--out", str(out), *FAST]) == 0
    ckpt = out / "model.chainrule"
    data = ckpt.read_bytes()
    ckpt.write_bytes(data[: len(data) // 2])
    assert main(["evaluate", str(ckpt)]) == 4
    err = capsys.readouterr().err
    assert str(ckpt) in err and "truncated" in err
    foreign = tmp_path / "foreign.chainrule"
    with zipfile.ZipFile(foreign, "w") as zf:
        zf.writestr("x.npy", b"not much")
    assert main(["predict", str(foreign), str(foreign)]) == 4
    assert "no manifest.json: not a chainrule checkpoint" in capsys.readouterr().err


def test_predict_with_the_wrong_number_of_columns_exits_4(tmp_path, capsys):
    out = tmp_path / "r"
    assert main(["train", "--layers", "8-relu-10", "--out", str(out), *FAST]) == 0
    csv = tmp_path / "rows.csv"
    np.savetxt(csv, np.ones((3, 5)), delimiter=",")
    assert main(["predict", str(out / "model.chainrule"), str(csv)]) == 4
    assert "the data has 5 features, the model in" in capsys.readouterr().err


def test_ctrl_c_saves_the_run_and_exits_130(tmp_path, capsys, monkeypatch):
    signal_after_first_step(monkeypatch, signal.SIGINT)
    out = tmp_path / "r"
    assert main(["train", "--layers", "8-relu-10", "--out", str(out), "--epochs", "3"]) == 130
    assert "training state saved to" in capsys.readouterr().err
    ck = cr.load(out / "model.chainrule")
    assert (ck.extra["training"]["epoch"], ck.extra["training"]["position"]) == (0, 1)
    monkeypatch.undo()
    assert main(["train", "--resume", str(out / "model.chainrule"), "--json", "-q"]) == 0
    assert _json(capsys)["epochs"] == 3
