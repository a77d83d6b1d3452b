"""``fit``: mini-batch training with history, callbacks, a NaN guard and exact resume.

One epoch: the training set is shuffled once with a seeded ``numpy.random.Generator`` into
a preallocated contiguous copy, then cut into batches (views, no gathering per batch). A
step is forward, loss, ``backward(grad, input_grad=False)``, the L2 gradient, the optimizer
update. The loss reported for an epoch is the mean over its examples of the data loss plus
the L2 penalty (the objective being minimised); ``val_loss`` is the same objective on the
validation data after the epoch.

Everything a run depends on is saved in its checkpoints (:func:`save_training_state`):
weights, optimizer state, the generator state at the start of the current epoch, the epoch
and the batch position within it, the partial sums of the epoch's metrics, the history. A
run resumed from one continues bit for bit as if it had never stopped.
"""

from __future__ import annotations

import math
import signal
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from chainrule.errors import CheckpointError, ConfigError, DataError, TrainingError

__all__ = [
    "Callback",
    "EarlyStopping",
    "History",
    "LearningRateScheduler",
    "ModelCheckpoint",
    "TrainingInterrupted",
    "evaluate",
    "fit",
    "save_training_state",
]


class TrainingInterrupted(KeyboardInterrupt):
    """Ctrl-C during :func:`fit`: the run stopped after a whole step and, where a path was
    given, saved a checkpoint (``.checkpoint``) to resume from. ``.history`` so far."""

    def __init__(self, message: str, checkpoint: Path | None, history: History) -> None:
        super().__init__(message)
        self.checkpoint = checkpoint
        self.history = history


@dataclass
class History:
    """What :func:`fit` returns.

    Attributes
    ----------
    history : dict of str to list of float
        One value per epoch: ``loss``, ``val_loss`` (with validation data), ``accuracy`` and
        ``val_accuracy`` (classifiers), ``lr`` (the learning rate of the epoch).
    epoch : list of int
        The epoch numbers (1-based) the values belong to.
    notes : list of str
        What the run said on the way (a batch size cut to the data size, early stopping).
    stopped_early : bool
        Whether a callback ended the run before ``epochs``.
    """

    history: dict[str, list[float]] = field(default_factory=dict)
    epoch: list[int] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    stopped_early: bool = False

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able data."""
        return {
            "history": {k: list(v) for k, v in self.history.items()},
            "epoch": list(self.epoch),
            "notes": list(self.notes),
            "stopped_early": self.stopped_early,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> History:
        return cls(
            {k: [float(x) for x in v] for k, v in data.get("history", {}).items()},
            [int(e) for e in data.get("epoch", [])],
            list(data.get("notes", [])),
            bool(data.get("stopped_early", False)),
        )


# --------------------------------------------------------------------------------------
# Callbacks


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
            if self.wait > self.patience:
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
        if int(every) < 1:
            raise ConfigError(f"ModelCheckpoint: every must be >= 1, got {every}")
        self.path, self.every = Path(path), int(every)

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
        from chainrule.optim import make_schedule

        self.schedule = make_schedule(schedule)

    def on_epoch_begin(self, run: Run) -> None:
        run.optimizer.lr = self.schedule(run.epoch, run.optimizer.base_lr)


# --------------------------------------------------------------------------------------
# The run


def _is_classifier(loss: Any) -> str | None:
    kind = getattr(loss, "kind", type(loss).__name__)
    if kind == "SoftmaxCrossEntropy":
        return "softmax"
    if kind == "BinaryCrossEntropy":
        return "binary"
    return None


def _correct(kind: str | None, out: np.ndarray, y: np.ndarray, loss: Any) -> tuple[int, int]:
    """(number right, number of predictions) for a batch."""
    if kind == "softmax":
        return int(np.count_nonzero(out.argmax(axis=1) == y)), y.shape[0]
    threshold = 0.0 if getattr(loss, "from_logits", True) else 0.5
    return int(np.count_nonzero((out > threshold) == (y > 0.5))), y.size


class Run:
    """The state of one :func:`fit` call, handed to callbacks.

    Attributes: ``model``, ``loss``, ``optimizer``, ``history``, ``epoch`` (finished
    epochs), ``position`` (steps done in the current epoch), ``step`` (steps in all),
    ``stop_training``, ``rng``.
    """

    def __init__(self, model, loss, optimizer, l2, seed, batch_size, n_train, metadata, progress):
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
        self.partial = {"loss_sum": 0.0, "correct": 0, "count": 0, "examples": 0}
        self.stop_training = False

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


def _restore(run: Run, checkpoint: Any, epochs: int) -> None:
    from chainrule.checkpoint import Checkpoint, load

    ckpt = checkpoint if isinstance(checkpoint, Checkpoint) else load(checkpoint)
    where = f"checkpoint {ckpt.path}"
    if ckpt.model.spec() != run.model.spec():
        raise CheckpointError(
            f"{where} is of another architecture: it holds {_short(ckpt.model.spec())}, "
            f"the model being trained is {_short(run.model.spec())}"
        )
    info = ckpt.extra.get("training")
    if not isinstance(info, dict) or ckpt.optimizer is None:
        raise CheckpointError(f"{where} holds no training state to resume (no optimizer/epoch)")
    if info["n_train"] != run.n_train:
        raise CheckpointError(
            f"{where} was trained on {info['n_train']} examples, this data has {run.n_train}"
        )
    if info["position"] and info["batch_size"] != run.batch_size:
        raise ConfigError(
            f"{where} stopped mid-epoch with batch size {info['batch_size']}; resume it with "
            f"the same batch size (got {run.batch_size})"
        )
    if info["epoch"] >= epochs:
        raise ConfigError(
            f"{where} has already done {info['epoch']} epochs; ask for more than that "
            f"(epochs counts the whole run, got {epochs})"
        )
    run.model.load_state_dict({n: p.value for n, p in ckpt.model.named_parameters()})
    run.optimizer.load_state_dict(ckpt.optimizer)
    run.epoch, run.position, run.step = info["epoch"], info["position"], info["step"]
    run.partial = dict(info["partial"])
    run.epoch_rng_state = info["rng_state"]
    try:
        run.rng.bit_generator.state = info["rng_state"]
    except (TypeError, ValueError, KeyError) as err:
        raise CheckpointError(f"{where}: its random generator state is unusable: {err}") from err
    run.history = History.from_dict(ckpt.extra.get("history", {}))


def _short(spec: Sequence[Mapping[str, Any]]) -> str:
    parts = []
    for layer in spec:
        if layer.get("type") == "Linear":
            parts.append(f"Linear({layer['d_in']}->{layer['d_out']})")
        else:
            parts.append(str(layer.get("type")))
    return " ".join(parts)


def _layer_of(model: Any) -> dict[str, str]:
    """Parameter name -> label of its layer (``"W2"`` -> ``"Linear 2"``)."""
    return {p.name: layer.label for layer in model.layers for p in layer.parameters()}


def _nan_report(run: Run, X: np.ndarray, value: float) -> str:
    """Where the first NaN/Inf is: a parameter, a gradient, or a layer's output."""
    labels = _layer_of(run.model)
    for name, p in run.model.named_parameters():
        if not np.isfinite(p.value).all():
            return f"parameter {name} of {labels.get(name, '?')} holds NaN/Inf"
    out = X
    for layer in run.model.layers:
        out = layer.forward(out)
        if not np.isfinite(out).all():
            return f"the output of {layer.label} holds NaN/Inf"
    for name, p in run.model.named_parameters():
        if not np.isfinite(p.grad).all():
            return f"the gradient of {name} ({labels.get(name, '?')}) holds NaN/Inf"
    return f"the loss is {value} while every output and parameter is finite"


def _diverged(run: Run, X: np.ndarray, value: float) -> TrainingError:
    where = _nan_report(run, X, value)
    return TrainingError(
        f"training diverged at epoch {run.epoch + 1}, step {run.position + 1} "
        f"(step {run.step + 1} of the run): the loss became {value}; first non-finite value: "
        f"{where}. The learning rate is {run.optimizer.lr:g}: try a smaller one."
    )


def _check_data(model: Any, data: Any, what: str) -> tuple[np.ndarray, np.ndarray]:
    try:
        X, y = data
    except (TypeError, ValueError) as err:
        raise DataError(f"{what} must be a pair (X, y), got {type(data).__name__}") from err
    X = model.check_input(X)
    y = np.asarray(y)
    if y.shape[0] != X.shape[0]:
        raise DataError(f"{what}: X has {X.shape[0]} rows but y has {y.shape[0]}")
    return X, np.ascontiguousarray(y)


def evaluate(
    model: Any, loss: Any, X: Any, y: Any, *, l2: float = 0.0, batch_size: int = 1024
) -> dict[str, float]:
    """Loss (data loss plus ``l2`` penalty) and, for classifiers, accuracy on ``(X, y)``.

    Returns
    -------
    dict
        ``{"loss": float}`` and ``"accuracy"`` where the loss is a classification loss.
    """
    X, y = _check_data(model, (X, y), "evaluation data")
    out = model.predict(X, batch_size=batch_size)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        value = loss.forward(out, y) + _penalty(model, l2)
    result = {"loss": float(value)}
    kind = _is_classifier(loss)
    if kind is not None:
        right, total = _correct(kind, out, y, loss)
        result["accuracy"] = right / total
    return result


def _penalty(model: Any, l2: float) -> float:
    if not l2:
        return 0.0
    from chainrule.losses import L2

    return L2(l2).forward(model)


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
    from chainrule.losses import L2
    from chainrule.progress import EpochProgress

    if isinstance(epochs, bool) or not isinstance(epochs, (int, np.integer)) or epochs < 1:
        raise ConfigError(f"epochs must be a whole number >= 1, got {epochs!r}")
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)):
        raise ConfigError(f"batch_size must be a whole number >= 1, got {batch_size!r}")
    if batch_size < 1:
        raise ConfigError(f"batch_size must be >= 1, got {batch_size}")
    if not (isinstance(l2, (int, float)) and math.isfinite(l2) and l2 >= 0):
        raise ConfigError(f"l2 must be a number >= 0, got {l2!r}")
    X, y = _check_data(model, data, "training data")
    n = X.shape[0]
    val = None if validation is None else _check_data(model, validation, "validation data")
    messages = []
    if batch_size > n:
        messages.append(
            f"batch size {batch_size} is larger than the {n} training examples: "
            f"training on all {n} at once"
        )
        batch_size = n
    steps = -(-n // batch_size)
    callbacks = list(callbacks)
    reg = L2(l2) if l2 else None
    kind = _is_classifier(loss)

    progress = EpochProgress(epochs, steps, verbose=verbose)
    run = Run(model, loss, optimizer, l2, seed, batch_size, n, metadata, progress)
    if resume is not None:
        _restore(run, resume, epochs)
    progress.first_epoch = run.epoch + 1

    Xs = np.empty_like(X)
    ys = np.empty_like(y)
    interrupted = _InterruptFlag()
    with progress, interrupted, np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        for message in messages:
            run.note(message)
        for cb in callbacks:
            cb.on_train_begin(run)
        while run.epoch < epochs and not run.stop_training:
            # the generator state before this epoch's shuffle is what a checkpoint stores
            run.epoch_rng_state = run.rng.bit_generator.state
            perm = run.rng.permutation(n)
            np.take(X, perm, axis=0, out=Xs)
            np.take(y, perm, axis=0, out=ys)
            for cb in callbacks:
                cb.on_epoch_begin(run)
            progress.start_epoch(run.epoch + 1)
            if run.position:
                progress.advance(run.position)
            part = run.partial
            for start in range(run.position * batch_size, n, batch_size):
                xb, yb = Xs[start : start + batch_size], ys[start : start + batch_size]
                out = model.forward(xb, check=False)
                value = loss.forward(out, yb)
                model.backward(loss.backward(), input_grad=False)
                if reg is not None:
                    value += reg.forward(model)
                    reg.backward(model)
                if not math.isfinite(value):
                    raise _diverged(run, xb, value)
                optimizer.step()
                m = xb.shape[0]
                part["loss_sum"] += value * m
                part["examples"] += m
                if kind is not None:
                    right, total = _correct(kind, out, yb, loss)
                    part["correct"] += right
                    part["count"] += total
                run.position += 1
                run.step += 1
                progress.advance()
                for cb in callbacks:
                    cb.on_batch_end(run, value)
                if interrupted.flag:
                    raise _interrupt(run, interrupt_checkpoint)
            _check_weights(run)
            run.epoch += 1
            run.position = 0
            logs = _epoch_logs(run, kind, val, reg)
            run.partial = {"loss_sum": 0.0, "correct": 0, "count": 0, "examples": 0}
            run.epoch_rng_state = run.rng.bit_generator.state
            for key, value in logs.items():
                run.history.history.setdefault(key, []).append(value)
            run.history.epoch.append(run.epoch)
            progress.end_epoch(run.epoch, logs)
            for cb in callbacks:
                cb.on_epoch_end(run, logs)
            if interrupted.flag:
                raise _interrupt(run, interrupt_checkpoint)
        run.history.stopped_early = run.stop_training and run.epoch < epochs
        for cb in callbacks:
            cb.on_train_end(run)
    return run.history


def _epoch_logs(run: Run, kind: str | None, val: Any, reg: Any) -> dict[str, float]:
    part = run.partial
    logs = {"loss": part["loss_sum"] / part["examples"]}
    if kind is not None:
        logs["accuracy"] = part["correct"] / part["count"]
    if val is not None:
        result = evaluate(run.model, run.loss, *val, l2=run.l2)
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


def _check_weights(run: Run) -> None:
    # The loss check sees a blow-up on the next forward; the last step of an epoch has no
    # next forward within it, so the weights are checked here.
    for name, p in run.model.named_parameters():
        if not np.isfinite(p.value).all():
            layer = _layer_of(run.model).get(name, "?")
            raise TrainingError(
                f"training diverged at epoch {run.epoch + 1}, step {run.position} (step "
                f"{run.step} of the run): parameter {name} of {layer} holds NaN/Inf after "
                "the update. "
                f"The learning rate is {run.optimizer.lr:g}: try a smaller one."
            )


def _interrupt(run: Run, path: str | Path | None) -> TrainingInterrupted:
    where = f"epoch {run.epoch + 1}, step {run.position}"
    saved = None
    if path is not None:
        saved = run.save(path)
        message = f"interrupted at {where}; training state saved to {saved}"
    else:
        message = f"interrupted at {where}; no checkpoint path was given, nothing saved"
    run.progress.log(message)
    return TrainingInterrupted(message, saved, run.history)


class _InterruptFlag:
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

    def __enter__(self) -> _InterruptFlag:
        if threading.current_thread() is threading.main_thread():
            self._previous = signal.signal(signal.SIGINT, self._handler)
            self._installed = True
        return self

    def __exit__(self, *exc: object) -> None:
        if self._installed:
            previous = self._previous if self._previous is not None else signal.default_int_handler
            signal.signal(signal.SIGINT, previous)
            self._installed = False
