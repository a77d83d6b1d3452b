"""Callbacks: hooks :func:`~chainrule.train.fit` calls at the start and end of the run, of
each epoch and after each batch."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from chainrule.arguments import positive_int
from chainrule.errors import ConfigError
from chainrule.optim.factories import make_schedule
from chainrule.train.state import Run

__all__ = ["Callback", "EarlyStopping", "LearningRateScheduler", "ModelCheckpoint"]


class Callback:
    """Hooks called by :func:`fit`; ``run`` is the running :class:`Run`.

    Set ``run.stop_training = True`` to end the run after the current epoch."""

    def on_train_begin(self, run: Run) -> None: ...

    def on_epoch_begin(self, run: Run) -> None: ...

    def on_batch_end(self, run: Run, loss: float) -> None: ...

    def on_epoch_end(self, run: Run, logs: dict[str, float]) -> None: ...

    def on_train_end(self, run: Run) -> None: ...


class EarlyStopping(Callback):
    """Stop when ``monitor`` has not improved by ``min_delta`` for ``patience`` epochs and
    (``restore_best_weights``) put back the weights of the best epoch at the end.

    ``mode`` is ``"min"`` for losses and ``"max"`` for accuracies; ``"auto"`` picks by name.
    """

    def __init__(
        self,
        monitor: str = "val_loss",
        patience: int = 5,
        min_delta: float = 0.0,
        mode: str = "auto",
        restore_best_weights: bool = True,
    ) -> None:
        if mode == "auto":
            mode = "max" if "acc" in monitor else "min"
        if mode not in ("min", "max"):
            raise ConfigError(f"EarlyStopping: mode must be 'min', 'max' or 'auto', got {mode!r}")
        if int(patience) < 0:
            raise ConfigError(f"EarlyStopping: patience must be >= 0, got {patience}")
        self.monitor, self.patience, self.min_delta = monitor, int(patience), float(min_delta)
        self.mode, self.restore_best_weights = mode, restore_best_weights
        self.best: float | None = None
        self.best_epoch = 0
        self.best_weights: dict[str, np.ndarray] | None = None
        self.wait = 0

    def _improved(self, value: float) -> bool:
        if self.best is None:
            return True
        if self.mode == "min":
            return value < self.best - self.min_delta
        return value > self.best + self.min_delta

    def on_epoch_end(self, run: Run, logs: dict[str, float]) -> None:
        if self.monitor not in logs:
            raise ConfigError(
                f"EarlyStopping monitors {self.monitor!r} but the run reports "
                f"{sorted(logs)} (val_* needs validation data)"
            )
        value = logs[self.monitor]
        if self._improved(value):
            self.best, self.best_epoch, self.wait = value, run.epoch, 0
            if self.restore_best_weights:
                self.best_weights = run.model.state_dict()
        else:
            self.wait += 1
            if self.wait >= self.patience:  # N epochs without improvement, as in Keras
                run.stop_training = True
                run.note(
                    f"early stopping at epoch {run.epoch}: {self.monitor} has not improved "
                    f"for {self.wait} epochs (best {self.best:.4f} at epoch {self.best_epoch})"
                )

    def on_train_end(self, run: Run) -> None:
        if self.best_weights is not None and self.best_epoch != run.epoch:
            run.model.load_state_dict(self.best_weights)
            run.note(f"restored the weights of epoch {self.best_epoch}")


class ModelCheckpoint(Callback):
    """Save the whole training state to ``path`` every ``every`` epochs and at the end
    (the checkpoint it replaces stays as ``<path>.prev``)."""

    def __init__(self, path: str | Path, every: int = 1) -> None:
        message = f"ModelCheckpoint: every must be a whole number >= 1, got {every!r}"
        self.path, self.every = Path(path), positive_int(every, message)

    def on_epoch_end(self, run: Run, logs: dict[str, float]) -> None:
        if run.epoch % self.every == 0:
            run.save(self.path)

    def on_train_end(self, run: Run) -> None:
        if run.epoch % self.every != 0 or run.stop_training:
            run.save(self.path)


class LearningRateScheduler(Callback):
    """Set ``optimizer.lr = schedule(finished_epochs, optimizer.base_lr)`` before each epoch.

    ``schedule`` is a :class:`chainrule.optim.Schedule`, a spec dict or a name."""

    def __init__(self, schedule: Any) -> None:
        self.schedule = make_schedule(schedule)

    def on_epoch_begin(self, run: Run) -> None:
        run.optimizer.lr = self.schedule(run.epoch, run.optimizer.base_lr)
