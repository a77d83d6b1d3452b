"""``chainrule rbm train``: JSON on stdout, pictures and a checkpoint in --out, exit codes."""

from __future__ import annotations

import json

import numpy as np
import pytest

from chainrule.cli import main
from chainrule.rbm import RBM

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def test_train_writes_pictures_and_checkpoint(tmp_path, capsys):
    out = tmp_path / "run"
    argv = ["rbm", "train", "--hidden", "6", "--epochs", "3", "--sample-steps", "20"]
    code = main([*argv, "--out", str(out), "--json", "--quiet"])
    assert code == 0
    captured = capsys.readouterr()
    payload = json.loads(captured.out)
    assert captured.err == ""  # --quiet: no progress
    assert payload["ok"] is True and payload["settings"]["hidden"] == 6
    ll = payload["heldout_log_likelihood"]
    assert ll["before"] < -40 and ll["after"] > ll["before"] + 5
    for name in ("filters", "samples"):
        assert (out / f"{name}.png").read_bytes()[:8] == PNG_MAGIC
    rbm = RBM.load(payload["files"]["checkpoint"])
    assert rbm.W.shape == (64, 6) and rbm.W.dtype == np.float32
    # The checkpoint holds the trained model: its exact score is the one reported.
    from chainrule.rbm import load_binary_digits

    _, heldout = load_binary_digits()
    assert rbm.log_likelihood(heldout) / len(heldout) == pytest.approx(ll["after"], rel=1e-9)


def test_human_output_and_progress(tmp_path, capsys):
    argv = ["rbm", "train", "--hidden", "4", "--epochs", "2", "--sample-steps", "5"]
    assert main([*argv, "--out", str(tmp_path), "--method", "cd", "--k", "2"]) == 0
    captured = capsys.readouterr()
    assert "held-out log-likelihood per digit (exact)" in captured.out
    assert "CD-2" in captured.out
    assert "epoch 2/2" in captured.err  # progress goes to stderr, one line per epoch


def test_bad_settings_exit_with_usage_code(tmp_path, capsys):
    code = main(["rbm", "train", "--hidden", "0", "--out", str(tmp_path), "--json"])
    assert code == 2
    payload = json.loads(capsys.readouterr().out)
    assert payload["error"] == "ConfigError" and "n_hidden is 0" in payload["message"]


def test_action_is_required(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["rbm"])
    assert exit_info.value.code == 2


def test_options_straight_after_rbm_are_train_options(tmp_path, capsys):
    argv = ["rbm", "--hidden", "4", "--epochs", "1", "--sample-steps", "2", "--json", "-q"]
    assert main([*argv, "--out", str(tmp_path)]) == 0
    assert json.loads(capsys.readouterr().out)["settings"]["hidden"] == 4
