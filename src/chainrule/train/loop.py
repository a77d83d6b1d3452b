"""``fit``: mini-batch training with history, callbacks, a NaN guard and exact resume.

One epoch: a seeded ``numpy.random.Generator`` draws a permutation of the training set,
and each batch is gathered by it into one preallocated batch array (no shuffled copy of
the whole data set: 169 MiB less for MNIST). A step is
:func:`~chainrule.train.step.train_step`: forward, loss, ``backward(grad,
input_grad=False)``, the L2 gradient, the optimizer update; the number of BLAS threads it
runs with is chosen by timing the steps (:mod:`chainrule.threads`). The loss reported for
an epoch is the mean over its examples of the data loss plus the L2 penalty (the objective
being minimised); ``val_loss`` is the same objective on the validation data after the
epoch.

Everything a run depends on is saved in its checkpoints (:func:`~chainrule.train.state.save_training_state`):
weights, optimizer state, the generator state at the start of the current epoch, the epoch
and the batch position within it, the partial sums of the epoch's metrics, the history. A
run resumed from one continues bit for bit as if it had never stopped.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from chainrule.arguments import positive_int, whole_number
from chainrule.errors import ConfigError, TrainingError
from chainrule.losses import L2
from chainrule.losses.pairing import squashed_twice
from chainrule.progress import EpochProgress
from chainrule.threads import ThreadChooser, for_setting
from chainrule.train.callbacks import Callback
from chainrule.train.guard import check_growth, check_weights, diverged
from chainrule.train.history import History
from chainrule.train.interrupt import InterruptFlag, interrupted
from chainrule.train.metrics import (
    check_data,
    classifier_kind,
    count_correct,
    decision_threshold,
    loss_and_accuracy,
)
from chainrule.train.resume import restore
from chainrule.train.state import Run, empty_sums
from chainrule.train.step import train_step

__all__ = ["fit"]


def fit(
    model: Any,
    loss: Any,
    optimizer: Any,
    data: tuple[Any, Any],
    epochs: int,
    batch_size: int,
    validation: tuple[Any, Any] | None = None,
    l2: float = 0.0,
    seed: int = 0,
    callbacks: Iterable[Callback] = (),
    verbose: int = 1,
    *,
    resume: Any = None,
    interrupt_checkpoint: str | Path | None = None,
    metadata: Mapping[str, Any] | None = None,
    threads: int | str | None = "auto",
) -> History:
    """Train ``model`` on ``data = (X, y)`` with mini-batches.

    Parameters
    ----------
    model : Sequential
    loss : Loss
        E.g. ``SoftmaxCrossEntropy()`` with integer labels ``y`` (n,).
    optimizer : Optimizer
        Built on ``model``, e.g. ``Adam(model, lr=1e-3)``.
    data : (X, y)
        ``X`` (n, d_in); ``y`` as the loss wants it.
    epochs : int
        Epochs of the whole run (a resumed run continues up to this number).
    batch_size : int
        Examples per step; the last batch of an epoch may be smaller. A batch size larger
        than ``n`` trains on all ``n`` at once and says so.
    validation : (X_val, y_val), optional
        Evaluated after each epoch: ``val_loss`` and ``val_accuracy``.
    l2 : float
        :math:`\\lambda` of the penalty :math:`\\lambda \\sum_l \\|W_l\\|^2` (seed 002).
    seed : int
        Seed of the shuffling; the same seed, model and data give the same run.
    callbacks : iterable of Callback
        :class:`EarlyStopping`, :class:`ModelCheckpoint`, :class:`LearningRateScheduler`...
    verbose : {0, 1, 2}
        Progress on stderr: 0 none, 1 a bar (plain lines when stderr is not a terminal),
        2 one line per epoch.
    resume : path or Checkpoint, optional
        Continue a run saved by :class:`ModelCheckpoint` or an interrupt: weights, optimizer
        state, generator state, epoch, position and history are restored and the run goes
        on bit for bit. Callbacks start afresh (an :class:`EarlyStopping` patience count
        is not saved).
    interrupt_checkpoint : path, optional
        Where Ctrl-C saves the training state before :class:`TrainingInterrupted` is raised.
    metadata : mapping, optional
        JSON-able data stored in every checkpoint (data source, preprocessing statistics).
    threads : "auto", int or None
        BLAS threads of the steps: ``"auto"`` times the steps with 1 and 2 threads (and
        the count the BLAS started with), keeps the faster and looks again when the step
        time moves (:class:`chainrule.threads.ThreadChooser`); ``n`` runs with at most
        ``n``; None leaves the BLAS as it is. The count changes results by rounding at
        most (see :mod:`chainrule.threads`).

    Returns
    -------
    History

    Raises
    ------
    ConfigError
        ``epochs`` or ``batch_size`` below 1, a resume that does not fit.
    TrainingError
        A loss or weight became NaN or Inf (the message names epoch, step and place).
    TrainingInterrupted
        Ctrl-C; a ``KeyboardInterrupt``.
    """
    _check_settings(epochs, batch_size, l2)
    X, y = check_data(model, data, "training data")
    val = None if validation is None else check_data(model, validation, "validation data")
    n = X.shape[0]
    batch_size, notes = _usable_batch_size(batch_size, n)
    progress = EpochProgress(epochs, -(-n // batch_size), verbose=verbose)
    run = Run(model, loss, optimizer, l2, seed, batch_size, n, metadata, progress)
    if resume is not None:
        restore(run, resume, epochs)
    progress.first_epoch = run.epoch + 1
    _warn_if_squashed_twice(run)
    chooser = for_setting(threads)
    kind, threshold = classifier_kind(loss), decision_threshold(loss, model)
    plan = _Plan(list(callbacks), L2(l2) if l2 else None, kind, threshold, val, chooser)
    batch = (
        np.empty((batch_size, *X.shape[1:]), X.dtype),
        np.empty((batch_size, *y.shape[1:]), y.dtype),
    )
    flag = InterruptFlag()
    errors = np.errstate(over="ignore", invalid="ignore", divide="ignore")
    with progress, flag, errors, chooser:
        for message in notes:
            run.note(message)
        for cb in plan.callbacks:
            cb.on_train_begin(run)
        while run.epoch < epochs and not run.stop_training:
            order = _shuffle(run)
            for cb in plan.callbacks:
                cb.on_epoch_begin(run)
            _train_epoch(run, (X, y), order, batch, plan, flag, interrupt_checkpoint)
            logs = _end_epoch(run, plan)
            for cb in plan.callbacks:
                cb.on_epoch_end(run, logs)
            if flag.flag and run.epoch < epochs and not run.stop_training:
                raise interrupted(run, interrupt_checkpoint, flag.signal)
        if flag.flag:
            run.note("Ctrl-C came after the last step: the run is complete")
        run.history.stopped_early = run.stop_training and run.epoch < epochs
        for cb in plan.callbacks:
            cb.on_train_end(run)
    return run.history


class _Plan(NamedTuple):
    """What stays fixed during a run: the callbacks, the L2 term (None without), the kind
    of classifier (None for a regression loss) and where a binary output says "yes"
    (:func:`~chainrule.train.metrics.decision_threshold`), the validation data (or None) and the
    chooser of the BLAS thread count."""

    callbacks: list[Callback]
    reg: L2 | None
    kind: str | None
    threshold: float
    val: tuple[np.ndarray, np.ndarray] | None
    threads: ThreadChooser


def _warn_if_squashed_twice(run: Run) -> None:
    """Warn (once, on stderr) where the last layer is the function the loss applies again
    (:func:`~chainrule.losses.pairing.squashed_twice`), and keep the message in the
    history's notes (a resumed run has it there already)."""
    twice = squashed_twice(run.model, run.loss)
    if twice:
        warnings.warn(twice, UserWarning, stacklevel=3)
        if twice not in run.history.notes:
            run.history.notes.append(twice)


def _check_settings(epochs: Any, batch_size: Any, l2: Any) -> None:
    positive_int(epochs, f"epochs must be a whole number >= 1, got {epochs!r}")
    if not whole_number(batch_size):
        raise ConfigError(f"batch_size must be a whole number >= 1, got {batch_size!r}")
    positive_int(batch_size, f"batch_size must be >= 1, got {batch_size}")
    if not (isinstance(l2, (int, float)) and math.isfinite(l2) and l2 >= 0):
        raise ConfigError(f"l2 must be a number >= 0, got {l2!r}")


def _usable_batch_size(batch_size: int, n: int) -> tuple[int, list[str]]:
    """The batch size cut to the data size, and the note that says so."""
    if batch_size <= n:
        return batch_size, []
    note = (
        f"batch size {batch_size} is larger than the {n} training examples: "
        f"training on all {n} at once"
    )
    return n, [note]


def _shuffle(run: Run) -> np.ndarray:
    """This epoch's order of the training examples (a permutation of ``0 .. n-1``)."""
    # the generator state before this epoch's shuffle is what a checkpoint stores
    run.epoch_rng_state = run.rng.bit_generator.state
    return run.rng.permutation(run.n_train)


def _train_epoch(
    run: Run,
    data: tuple[np.ndarray, np.ndarray],
    order: np.ndarray,
    batch: tuple[np.ndarray, np.ndarray],
    plan: _Plan,
    flag: InterruptFlag,
    interrupt_checkpoint: str | Path | None,
) -> None:
    """The steps of one epoch from ``run.position`` on, each batch gathered from ``data``
    by ``order`` into the arrays ``batch`` (``batch_size`` rows)."""
    run.progress.start_epoch(run.epoch + 1)
    if run.position:
        run.progress.advance(run.position)
    part, size, threads = run.partial, run.batch_size, plan.threads
    for start in range(run.position * size, run.n_train, size):
        rows = order[start : start + size]
        timed = rows.size == size  # the timing compares alike steps: full batches only
        # a full batch fills the arrays themselves; only the last, shorter one needs views
        xb_to, yb_to = batch if timed else (batch[0][: rows.size], batch[1][: rows.size])
        xb = np.take(data[0], rows, axis=0, out=xb_to)
        yb = np.take(data[1], rows, axis=0, out=yb_to)
        if timed:
            threads.begin()
        value, out, _ = train_step(run.model, run.loss, run.optimizer, xb, yb, l2=plan.reg)
        if timed:
            threads.end()
        if not math.isfinite(value):
            raise diverged(run, xb, value)
        check_growth(run, value)
        part["loss_sum"] += value * xb.shape[0]
        part["examples"] += xb.shape[0]
        if plan.kind is not None:
            right, total = count_correct(plan.kind, out, yb, plan.threshold)
            part["correct"] += right
            part["count"] += total
        run.position += 1
        run.step += 1
        run.progress.advance()
        for cb in plan.callbacks:
            cb.on_batch_end(run, value)
        if flag.flag and start + size < run.n_train:  # after the last step the epoch ends
            raise interrupted(run, interrupt_checkpoint, flag.signal)


def _end_epoch(run: Run, plan: _Plan) -> dict[str, float]:
    """Close the epoch: check the weights, count it, log it in the history."""
    check_weights(run)
    run.epoch += 1
    run.position = 0
    logs = _epoch_logs(run, plan)
    run.partial = empty_sums()
    run.epoch_rng_state = run.rng.bit_generator.state
    run.history.add_epoch(run.epoch, logs)
    run.progress.end_epoch(run.epoch, logs)
    return logs


def _epoch_logs(run: Run, plan: _Plan) -> dict[str, float]:
    part = run.partial
    logs = {"loss": part["loss_sum"] / part["examples"]}
    if plan.kind is not None:
        logs["accuracy"] = part["correct"] / part["count"]
    if plan.val is not None:
        result = loss_and_accuracy(run.model, run.loss, *plan.val, l2=run.l2)
        if not math.isfinite(result["loss"]):
            raise TrainingError(
                f"training diverged at epoch {run.epoch}: the validation loss is "
                f"{result['loss']} (learning rate {run.optimizer.lr:g})"
            )
        logs["val_loss"] = result["loss"]
        if "accuracy" in result:
            logs["val_accuracy"] = result["accuracy"]
    logs["lr"] = run.optimizer.lr
    return logs
