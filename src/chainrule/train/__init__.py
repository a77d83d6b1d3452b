"""Training: :func:`fit` and what it stands on.

The package: :mod:`~chainrule.train.loop` (:func:`fit`, the epoch loop), :mod:`~chainrule.train.step`
(:func:`train_step`, the one training step everyone runs), :mod:`~chainrule.train.history`,
:mod:`~chainrule.train.callbacks`, :mod:`~chainrule.train.state` (the run state and its
checkpoint), :mod:`~chainrule.train.resume`, :mod:`~chainrule.train.guard` (the NaN guard),
:mod:`~chainrule.train.interrupt` (Ctrl-C) and :mod:`~chainrule.train.metrics` (the
objective and accuracy on a data set).
"""

from __future__ import annotations

from chainrule.train.callbacks import (
    Callback,
    EarlyStopping,
    LearningRateScheduler,
    ModelCheckpoint,
)
from chainrule.train.history import History
from chainrule.train.interrupt import TrainingInterrupted
from chainrule.train.loop import fit
from chainrule.train.metrics import accuracy, loss_and_accuracy
from chainrule.train.state import Run, save_training_state
from chainrule.train.step import StepResult, train_step

__all__ = [
    "Callback",
    "EarlyStopping",
    "History",
    "LearningRateScheduler",
    "ModelCheckpoint",
    "Run",
    "StepResult",
    "TrainingInterrupted",
    "accuracy",
    "fit",
    "loss_and_accuracy",
    "save_training_state",
    "train_step",
]
