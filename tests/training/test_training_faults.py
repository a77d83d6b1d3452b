"""Training faults: divergence without a NaN, Ctrl-C after the last step, a full disk at
Ctrl-C or at the pictures. Each gives a clear message and the right exit code."""

from __future__ import annotations

import contextlib
import io
import json
import signal

import numpy as np
import pytest

import chainrule as cr
from chainrule.cli import main
from chainrule.errors import CheckpointError, TrainingError
from chainrule.train import Callback, TrainingInterrupted, fit
from tests.training.helpers import members, with_manifest

RNG = np.random.default_rng(3)
X = RNG.normal(size=(64, 5))
Y = (X[:, 0] > 0).astype(np.int64)


def _net(seed: int = 0) -> cr.Sequential:
    return cr.Sequential([cr.Linear(5, 8), cr.ReLU(), cr.Linear(8, 2)], seed=seed)


def _fit(model: cr.Sequential, *, epochs: int, batch_size: int, opt=None, **kwargs):
    """``fit`` on (X, Y) with a softmax loss and no output; Adam at 1e-2 unless ``opt``."""
    opt = cr.Adam(model, lr=1e-2) if opt is None else opt
    loss = cr.SoftmaxCrossEntropy()
    return fit(model, loss, opt, (X, Y), epochs=epochs, batch_size=batch_size, verbose=0, **kwargs)


@pytest.mark.parametrize(("make", "lr"), [(cr.Adam, 1e10), (cr.RMSProp, 1e8)])
def test_a_loss_grown_by_orders_of_magnitude_stops_the_run(make, lr):
    model = _net()
    with pytest.raises(TrainingError, match=r"the loss grew from .* more than 1e\+06 times"):
        _fit(model, epochs=5, batch_size=8, opt=make(model, lr=lr))
    assert all(np.isfinite(p.value).all() for p in model.parameters())  # no NaN: only growth


def test_an_ordinary_run_is_not_called_diverged():
    model = _net()
    history = _fit(model, epochs=5, batch_size=8)
    assert len(history.epoch) == 5


class _CtrlCAtLastStep(Callback):
    """A real SIGINT during the run's very last step."""

    def __init__(self, last_step: int) -> None:
        self.last_step = last_step

    def on_batch_end(self, run, loss):
        if run.step == self.last_step:
            signal.raise_signal(signal.SIGINT)


def test_ctrl_c_after_the_last_step_finishes_the_run(tmp_path):
    model = _net()
    path = tmp_path / "m.chainrule"
    history = _fit(
        model, epochs=3, batch_size=16, callbacks=[_CtrlCAtLastStep(12)], interrupt_checkpoint=path
    )
    assert history.epoch == [1, 2, 3]
    assert any("after the last step" in note for note in history.notes)


def test_ctrl_c_after_the_last_step_of_an_epoch_stops_before_the_next(tmp_path):
    model = _net()
    path = tmp_path / "m.chainrule"
    with pytest.raises(TrainingInterrupted, match=r"interrupted at epoch 2, step 0"):
        _fit(
            model,
            epochs=3,
            batch_size=16,
            callbacks=[_CtrlCAtLastStep(4)],
            interrupt_checkpoint=path,
        )
    training = cr.load(path).extra["training"]
    assert (training["epoch"], training["position"]) == (1, 0)


def test_ctrl_c_with_a_full_disk_still_exits_130(tmp_path, monkeypatch):
    import chainrule.train.state as state

    def disk_full(run, path):
        raise CheckpointError(f"cannot write checkpoint {path}: [Errno 28] No space left")

    monkeypatch.setattr(state, "save_training_state", disk_full)
    model = _net()
    with pytest.raises(TrainingInterrupted, match=r"could not be saved: .*No space left") as info:
        _fit(
            model,
            epochs=3,
            batch_size=16,
            callbacks=[_CtrlCAtLastStep(2)],
            interrupt_checkpoint=tmp_path / "m.chainrule",
        )
    assert info.value.exit_code == 130 and info.value.checkpoint is None


def test_cli_ctrl_c_after_the_last_step_writes_the_outputs(tmp_path, monkeypatch, capsys):
    import chainrule.progress as progress

    real_end = progress.EpochProgress.end_epoch

    def press_at_the_end(self, epoch, logs):
        real_end(self, epoch, logs)
        if epoch == 2:
            signal.raise_signal(signal.SIGINT)

    monkeypatch.setattr(progress.EpochProgress, "end_epoch", press_at_the_end)
    out = tmp_path / "r"
    args = ["train", "--layers", "8-relu-10", "--epochs", "2", "--out", str(out), "-q"]
    assert main(args) == 0
    assert (out / "history.json").is_file() and (out / "learning_curves.png").is_file()


def test_cli_a_picture_that_cannot_be_written_keeps_the_exit_code(tmp_path, monkeypatch, capsys):
    import chainrule.plot as plot

    def disk_full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(plot, "learning_curves", disk_full)
    out = tmp_path / "r"
    stdout = io.StringIO()
    with contextlib.redirect_stdout(stdout):
        code = main(
            ["train", "--layers", "8-relu-10", "--epochs", "1", "--out", str(out), "-q", "--json"]
        )
    assert code == 0
    result = json.loads(stdout.getvalue().strip().splitlines()[-1])
    assert any("learning_curves.png" in w and "No space left" in w for w in result["warnings"])
    assert "Traceback" not in capsys.readouterr().err
    assert cr.load(out / "model.chainrule").extra["training"]["epoch"] == 1


def test_resume_with_lying_saved_settings_exits_4(tmp_path, capsys):
    out = tmp_path / "r"
    assert main(["train", "--layers", "8-relu-10", "--epochs", "1", "--out", str(out), "-q"]) == 0
    path = out / "model.chainrule"
    manifest = json.loads(members(path.read_bytes())["manifest.json"])
    manifest["extra"]["settings"]["batch_size"] = "big"
    path.write_bytes(with_manifest(path.read_bytes(), manifest))
    capsys.readouterr()
    assert main(["train", "--resume", str(path), "--epochs", "2", "-q"]) == 4
    assert "saved settings: key 'batch_size' must be int" in capsys.readouterr().err


def test_out_folders_that_cannot_be_written_are_refused_before_training(
    tmp_path, monkeypatch, capsys
):
    import tempfile

    (tmp_path / "file").write_text("x")
    base = ["train", "--layers", "8-relu-10", "--epochs", "1", "-q", "--out"]
    assert main([*base, str(tmp_path / "file")]) == 2
    assert "is a file; give a folder" in capsys.readouterr().err
    assert main([*base, str(tmp_path / "file" / "below")]) == 2
    assert "lies below the file" in capsys.readouterr().err

    def read_only(*args, **kwargs):  # what a read-only mount answers, whatever the mode bits
        raise OSError(30, "Read-only file system")

    monkeypatch.setattr(tempfile, "TemporaryFile", read_only)
    out = tmp_path / "ro"
    out.mkdir()
    assert main([*base, str(out)]) == 2
    assert "cannot write there: Read-only file system" in capsys.readouterr().err
    assert list(out.iterdir()) == []  # refused before any training or saving
