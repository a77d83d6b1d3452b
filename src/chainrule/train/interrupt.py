"""Ctrl-C during :func:`~chainrule.train.fit`: stop after a whole step, save, and say so."""

from __future__ import annotations

import signal
import threading
from pathlib import Path
from typing import Any

from chainrule.errors import CheckpointError, Interrupted, Terminated
from chainrule.train.history import History
from chainrule.train.state import Run

__all__ = ["InterruptFlag", "TrainingInterrupted", "interrupted"]


class TrainingInterrupted(Interrupted):
    """Ctrl-C (or SIGTERM) during :func:`fit`: the run stopped after a whole step and, where
    a path was given, saved a checkpoint (``.checkpoint``) to resume from. ``.history`` so
    far; ``.signal`` the signal that stopped it (``signal.SIGINT`` or ``signal.SIGTERM``)."""

    def __init__(
        self,
        message: str,
        checkpoint: Path | None,
        history: History,
        signum: int = signal.SIGINT,
    ) -> None:
        super().__init__(message)
        self.checkpoint = checkpoint
        self.history = history
        self.signal = signum
        self.exit_code = Terminated.exit_code if signum == signal.SIGTERM else self.exit_code


def interrupted(
    run: Run, path: str | Path | None, signum: int = signal.SIGINT
) -> TrainingInterrupted:
    where = f"epoch {run.epoch + 1}, step {run.position}"
    what = "terminated (SIGTERM)" if signum == signal.SIGTERM else "interrupted"
    saved = None
    if path is not None:
        try:
            saved = run.save(path)
        except CheckpointError as err:  # a full disk must not turn Ctrl-C into exit 4
            message = f"{what} at {where}; the training state could not be saved: {err}"
        else:
            message = f"{what} at {where}; training state saved to {saved}"
    else:
        message = f"{what} at {where}; no checkpoint path was given, nothing saved"
    run.progress.log(message)
    return TrainingInterrupted(message, saved, run.history, signum)


#: The signals that stop a run cleanly: Ctrl-C, and a batch system or ``kill`` ending it.
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class InterruptFlag:
    """Turn the first Ctrl-C or SIGTERM into a flag the loop reads after a whole step, so
    the saved state is never half-updated; a second one interrupts at once. ``signal`` is
    the one received."""

    def __init__(self) -> None:
        self.flag = False
        self.signal = signal.SIGINT
        self._previous: dict[int, Any] = {}

    def _handler(self, signum: int, frame: Any) -> None:
        if self.flag:
            raise KeyboardInterrupt
        self.flag, self.signal = True, signum

    def __enter__(self) -> InterruptFlag:
        if threading.current_thread() is threading.main_thread():
            for signum in STOP_SIGNALS:
                self._previous[signum] = signal.signal(signum, self._handler)
        return self

    def __exit__(self, *exc: object) -> None:
        for signum, previous in self._previous.items():
            if previous is None:  # set outside Python: put back the default
                previous = signal.default_int_handler if signum == signal.SIGINT else signal.SIG_DFL
            signal.signal(signum, previous)
        self._previous = {}
