"""SIGTERM (a batch system ending the job) saves the training state and exits 143, as
Ctrl-C saves and exits 130; both in a process of their own, as a user's shell sends them."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

import chainrule as cr

ROOT = Path(__file__).resolve().parents[2]


def _train_until_first_epoch(tmp_path, *extra):
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "chainrule", "train", "--epochs", "500", "--out", "./run", *extra],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    lines = []
    for line in proc.stderr:  # not a terminal: one plain line an epoch
        lines.append(line)
        if line.startswith("epoch "):
            break
    return proc, lines


@pytest.mark.parametrize(("signum", "code", "word"), [(signal.SIGTERM, 143, "terminated")])
def test_a_signal_during_training_saves_and_exits_with_its_code(tmp_path, signum, code, word):
    proc, lines = _train_until_first_epoch(tmp_path)
    proc.send_signal(signum)
    out, rest = proc.communicate(timeout=120)
    err = "".join(lines) + rest
    assert proc.returncode == code, err
    assert "Traceback" not in err and out == ""
    assert f"{word} (SIGTERM) at epoch" in err and "training state saved to" in err
    ckpt = cr.load(tmp_path / "run" / "model.chainrule")
    assert 1 <= ckpt.extra["training"]["epoch"] < 500
