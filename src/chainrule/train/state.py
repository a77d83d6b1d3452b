"""The state of one run of :func:`~chainrule.train.fit` (handed to callbacks) and how it is
saved: everything a resumed run needs to continue bit for bit."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from chainrule.train.history import History

__all__ = ["Run", "save_training_state"]


def empty_sums() -> dict[str, Any]:
    """The running sums of an epoch's metrics, before its first batch."""
    return {"loss_sum": 0.0, "correct": 0, "count": 0, "examples": 0}


class Run:
    """The state of one :func:`fit` call, handed to callbacks.

    Attributes: ``model``, ``loss``, ``optimizer``, ``history``, ``epoch`` (finished
    epochs), ``position`` (steps done in the current epoch), ``step`` (steps in all),
    ``stop_training``, ``rng``.
    """

    def __init__(
        self,
        model: Any,
        loss: Any,
        optimizer: Any,
        l2: float,
        seed: int,
        batch_size: int,
        n_train: int,
        metadata: Mapping[str, Any] | None,
        progress: Any,
    ) -> None:
        self.model, self.loss, self.optimizer = model, loss, optimizer
        self.l2 = l2
        self.seed, self.batch_size, self.n_train = seed, batch_size, n_train
        self.metadata = dict(metadata or {})
        self.progress = progress
        self.history = History()
        self.rng = np.random.default_rng(seed)
        self.epoch_rng_state: dict[str, Any] = self.rng.bit_generator.state
        self.epoch = 0
        self.position = 0
        self.step = 0
        self.partial = empty_sums()
        self.stop_training = False
        self.reference_loss: float | None = None  # the start the divergence guard compares with

    def note(self, message: str) -> None:
        self.history.notes.append(message)
        self.progress.log(message)

    def save(self, path: str | Path) -> Path:
        """Write the full training state to ``path`` (see :func:`save_training_state`)."""
        return save_training_state(self, path)


def save_training_state(run: Run, path: str | Path) -> Path:
    """Save ``run`` so that ``fit(..., resume=path)`` continues it exactly."""
    from chainrule.checkpoint import save

    return save(
        run.model,
        path,
        run.optimizer,
        loss=run.loss,
        training={
            "epoch": run.epoch,
            "position": run.position,
            "step": run.step,
            "rng_state": run.epoch_rng_state,
            "partial": dict(run.partial),
            "seed": run.seed,
            "batch_size": run.batch_size,
            "n_train": run.n_train,
            "l2": run.l2,
        },
        history=run.history.to_dict(),
        **run.metadata,
    )
