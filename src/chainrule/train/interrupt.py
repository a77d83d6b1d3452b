"""Ctrl-C during :func:`~chainrule.train.fit`: stop after a whole step, save, and say so."""

from __future__ import annotations

import signal
import threading
from pathlib import Path
from typing import Any

from chainrule.errors import CheckpointError, Interrupted
from chainrule.train.history import History
from chainrule.train.state import Run

__all__ = ["InterruptFlag", "TrainingInterrupted", "interrupted"]


class TrainingInterrupted(Interrupted):
    """Ctrl-C during :func:`fit`: the run stopped after a whole step and, where a path was
    given, saved a checkpoint (``.checkpoint``) to resume from. ``.history`` so far."""

    def __init__(self, message: str, checkpoint: Path | None, history: History) -> None:
        super().__init__(message)
        self.checkpoint = checkpoint
        self.history = history


def interrupted(run: Run, path: str | Path | None) -> TrainingInterrupted:
    where = f"epoch {run.epoch + 1}, step {run.position}"
    saved = None
    if path is not None:
        try:
            saved = run.save(path)
        except CheckpointError as err:  # a full disk must not turn Ctrl-C into exit 4
            message = f"interrupted at {where}; the training state could not be saved: {err}"
        else:
            message = f"interrupted at {where}; training state saved to {saved}"
    else:
        message = f"interrupted at {where}; no checkpoint path was given, nothing saved"
    run.progress.log(message)
    return TrainingInterrupted(message, saved, run.history)


class InterruptFlag:
    """Turn the first Ctrl-C into a flag the loop reads after a whole step, so the saved
    state is never half-updated; a second Ctrl-C interrupts at once."""

    def __init__(self) -> None:
        self.flag = False
        self._previous: Any = None
        self._installed = False

    def _handler(self, signum: int, frame: Any) -> None:
        if self.flag:
            raise KeyboardInterrupt
        self.flag = True

    def __enter__(self) -> InterruptFlag:
        if threading.current_thread() is threading.main_thread():
            self._previous = signal.signal(signal.SIGINT, self._handler)
            self._installed = True
        return self

    def __exit__(self, *exc: object) -> None:
        if self._installed:
            previous = self._previous if self._previous is not None else signal.default_int_handler
            signal.signal(signal.SIGINT, previous)
            self._installed = False
