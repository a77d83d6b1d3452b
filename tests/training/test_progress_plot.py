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
    assert "a note" in text and "loss 0.2500" in text and "epoch 2/2" in text
    assert "━" in text and "epoch 1/2  loss" not in text  # the bar, not the plain lines


def _console(width=80):
    from rich.console import Console

    stream = io.StringIO()
    return stream, Console(file=stream, width=width, force_terminal=True, color_system=None)


def _last_frame(text):
    """The rows of the bar as last drawn (after the final cursor-up-and-erase)."""
    frame = text.rsplit("\x1b[2K", 1)[-1] if "\x1b[1A" in text else text
    return [line.rstrip() for line in frame.replace("\x1b[?25h", "").splitlines()]


def test_at_80_columns_the_bar_shows_its_bars_and_counts_and_cuts_only_the_metrics():
    stream, console = _console(80)
    metrics = {
        "loss": 0.2345,
        "accuracy": 0.91,
        "val_loss": 0.3456,
        "val_accuracy": 0.9,
        "lr": 2e-3,
    }
    with EpochProgress(30, 45, console=console) as bar:
        bar.start_epoch(1)
        bar.advance(45)
        bar.end_epoch(1, metrics)
        bar.start_epoch(2)
        bar.advance(17)
    epoch_row, batch_row = _last_frame(stream.getvalue())[-2:]  # the frame left at the end
    for row in (epoch_row, batch_row):
        assert len(row) <= 80
    assert epoch_row.startswith("epoch 2/30 ") and "╸" in epoch_row  # 1 of 30 done
    assert "loss 0.2345 val_loss 0.3456" in epoch_row and epoch_row.endswith("…")
    assert batch_row.lstrip().startswith("batch") and "17/45" in batch_row and "━" in batch_row


def test_a_resumed_run_shows_the_epochs_already_done():
    stream, console = _console(80)
    with EpochProgress(10, 4, console=console, first_epoch=6) as bar:
        bar.start_epoch(6)
    epoch_row = _last_frame(stream.getvalue())[-2]
    assert epoch_row.startswith("epoch 6/10 ")
    assert epoch_row.count("━") >= 7  # half of the 16-character bar: epochs 1-5 are done


def test_an_interrupt_erases_the_bar_and_leaves_the_message_once():
    stream, console = _console(80)
    with pytest.raises(KeyboardInterrupt), EpochProgress(3, 4, console=console) as bar:
        bar.start_epoch(1)
        bar.advance(2)
        bar.log("interrupted at epoch 1, step 2")
        raise KeyboardInterrupt
    text = stream.getvalue()
    assert text.count("interrupted at epoch 1, step 2") == 1
    # after the message, the bar is drawn no more: the last frame is erased
    tail = text.rsplit("interrupted at epoch 1, step 2", 1)[1]
    frame = _last_frame(tail)
    assert frame == [] or "━" not in frame[-1]


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
