"""Progress on stderr and the training pictures."""

from __future__ import annotations

import io

import numpy as np
import pytest

from chainrule.errors import ShapeError
from chainrule.progress import EpochProgress


class _Terminal(io.StringIO):
    def isatty(self):
        return True


def _run(stream, verbose, epochs=2, steps=3):
    with EpochProgress(epochs, steps, verbose=verbose, stream=stream) as bar:
        bar.log("a note")
        for epoch in range(1, epochs + 1):
            bar.start_epoch(epoch)
            for _ in range(steps):
                bar.advance()
            bar.end_epoch(epoch, {"loss": 0.25, "val_loss": 0.5, "lr": 0.001})
    return stream.getvalue()


def test_plain_lines_when_not_a_terminal():
    lines = _run(io.StringIO(), verbose=1).splitlines()
    assert lines[0] == "a note"
    assert lines[1].startswith("epoch 1/2  loss 0.2500  val_loss 0.5000  lr 0.001  ")
    assert len(lines) == 3


def test_silent_with_verbose_zero():
    assert _run(io.StringIO(), verbose=0) == ""
    assert _run(_Terminal(), verbose=0) == ""


def test_rich_bar_on_a_terminal():
    text = _run(_Terminal(), verbose=1)
    assert "a note" in text and "loss 0.2500" in text and "train" in text
    assert "epoch 1/2" not in text  # the bar, not the plain lines


def test_verbose_two_prints_plain_lines_even_on_a_terminal():
    assert "epoch 2/2  loss 0.2500" in _run(_Terminal(), verbose=2)


def test_learning_curves_png(tmp_path):
    from chainrule.plot import learning_curves

    history = {"loss": [1.0, 0.5, 0.3], "val_loss": [1.1, 0.7, 0.6], "accuracy": [0.5, 0.8, 0.9]}
    path = learning_curves(history, tmp_path / "curves.png")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert [p.name for p in tmp_path.iterdir()] == ["curves.png"]


def test_weight_grid_png_and_shape_check(tmp_path):
    from chainrule.plot import weight_grid

    W = np.random.default_rng(0).normal(size=(10, 64))
    assert weight_grid(W, (8, 8), tmp_path / "w.png").read_bytes()[:4] == b"\x89PNG"
    rgb = np.random.default_rng(0).normal(size=(5, 48))
    assert weight_grid(rgb, (4, 4, 3), tmp_path / "rgb.png").stat().st_size > 0
    with pytest.raises(ShapeError, match=r"each row must hold one image of shape \(7, 7\)"):
        weight_grid(W, (7, 7), tmp_path / "bad.png")
