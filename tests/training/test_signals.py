"""SIGTERM (a batch system ending the job) saves the training state and exits 143, as
Ctrl-C saves and exits 130 (tests/training/test_cli_train.py); the signal is raised in
this process, as ``kill`` would deliver it."""

from __future__ import annotations

import json
import signal

import pytest

import chainrule as cr
from chainrule.cli import main
from tests.training.helpers import signal_after_first_step


def test_sigterm_during_training_saves_and_exits_143(tmp_path, capsys, monkeypatch):
    signal_after_first_step(monkeypatch, signal.SIGTERM)
    out = tmp_path / "r"
    argv = ["train", "--layers", "8-relu-10", "--out", str(out), "--epochs", "3", "--json"]
    assert main(argv) == 143
    captured = capsys.readouterr()
    assert "terminated (SIGTERM) at epoch 1, step 1; training state saved to" in captured.err
    assert "Traceback" not in captured.err
    payload = json.loads(captured.out)
    assert payload["ok"] is False and payload["exit_code"] == 143
    ck = cr.load(out / "model.chainrule")
    assert (ck.extra["training"]["epoch"], ck.extra["training"]["position"]) == (0, 1)
    # the handler main installed is gone again: SIGTERM outside a run is the default
    assert signal.getsignal(signal.SIGTERM) in (signal.SIG_DFL, None)


def test_rbm_fit_stops_after_a_whole_update_on_sigterm(monkeypatch):
    import numpy as np

    from chainrule.errors import Terminated

    signal_after_first_step(monkeypatch, signal.SIGTERM)
    rbm = cr.rbm.RBM(6, 3, seed=0)
    V = (np.random.default_rng(0).random((40, 6)) > 0.5).astype(float)
    with pytest.raises(Terminated, match=r"^terminated at epoch 1, step 1$") as stopped:
        cr.rbm.fit(rbm, V, epochs=5, batch_size=10)
    assert stopped.value.exit_code == 143
