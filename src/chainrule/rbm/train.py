r"""Training a binary RBM by contrastive divergence (CD-k) and persistent CD (PCD).

Both estimate the gradient of :math:`L = \sum_i \log p(v_i)`,

.. math:: \partial L / \partial W = \sum_i v_i \hat h_i^T - n\, E_\text{model}[v h^T],
          \qquad \hat h = \sigma(c + W^T v),

by replacing the model expectation with an average over :math:`m` chain states
:math:`\tilde v_1, \dots, \tilde v_m`: :math:`(n/m) \sum_r \tilde v_r \sigma(c + W^T \tilde v_r)^T`
(likewise for ``b`` and ``c``). CD-k starts the chains at the data and runs ``k`` Gibbs steps;
PCD keeps its chains from one update to the next, so they can travel far from the data.
"""

from __future__ import annotations

import signal
from collections.abc import Iterable
from typing import Any, NamedTuple

import numpy as np

from chainrule.errors import Interrupted, Terminated, TrainingError
from chainrule.progress import EpochProgress
from chainrule.rbm import exact
from chainrule.rbm._checks import non_negative, positive_int
from chainrule.rbm._math import sigmoid
from chainrule.rbm.model import RBM
from chainrule.train.callbacks import Callback
from chainrule.train.history import History
from chainrule.train.interrupt import InterruptFlag

__all__ = ["RBMRun", "cd_gradient", "fit"]


def cd_gradient(
    rbm: RBM, V: np.ndarray, k: int = 1, *, rng: np.random.Generator | None = None
) -> dict[str, np.ndarray]:
    """CD-k estimate of the gradient of :math:`\\sum_i \\log p(v_i)`.

    Parameters
    ----------
    rbm : RBM
    V : array_like, shape (n, n_visible), binary
        The data; one chain starts at each row.
    k : int
        Gibbs steps per chain.
    rng : numpy Generator, optional
        Defaults to ``rbm.rng``.

    Returns
    -------
    dict
        ``{"W": (n_visible, n_hidden), "b": (n_visible,), "c": (n_hidden,)}``, on the same
        scale as :meth:`RBM.exact_gradient` (a sum over the rows, not a mean).
    """
    V = rbm._visible(V, "cd_gradient")
    k = positive_int(k, "k", "cd_gradient")
    grads, _ = _contrastive_gradient(rbm, V, V, k, rbm.rng if rng is None else rng)
    return grads


def fit(
    rbm: RBM,
    V: np.ndarray,
    *,
    epochs: int = 20,
    batch_size: int = 20,
    lr: float = 0.1,
    anneal: bool = True,
    k: int = 1,
    persistent: bool = True,
    n_chains: int | None = None,
    momentum: float = 0.5,
    weight_decay: float = 1e-4,
    seed: int = 0,
    validation: np.ndarray | None = None,
    callbacks: Iterable[Callback] = (),
    verbose: int = 0,
) -> History:
    r"""Train ``rbm`` in place by mini-batch gradient ascent on the log-likelihood.

    Each update, for each parameter :math:`\theta` with mini-batch estimate :math:`g` (a mean
    over the batch) and velocity :math:`u`:

    .. math:: u \leftarrow \mu u + \eta (g - \lambda [\theta = W]\, \theta), \qquad
              \theta \leftarrow \theta + u,

    so weight decay :math:`\lambda` (an L2 penalty :math:`\tfrac{\lambda}{2}\|W\|^2`) acts on
    the weights only.

    Parameters
    ----------
    rbm : RBM
    V : array_like, shape (n, n_visible), binary
        Training data, shuffled each epoch with ``seed``.
    epochs, batch_size, k : int
        Passes over ``V``, rows per update, Gibbs steps per update.
    lr, momentum, weight_decay : float
        :math:`\eta`, :math:`\mu \in [0, 1)`, :math:`\lambda`.
    anneal : bool
        Decrease the learning rate linearly from ``lr`` towards 0 over the run; persistent
        chains then settle instead of chasing a moving model.
    persistent : bool
        PCD (chains kept between updates, started at random training rows) if True, else
        CD-k (chains started at the batch).
    n_chains : int, optional
        Number of persistent chains; defaults to ``batch_size``.
    seed : int
        Seeds shuffling and sampling.
    validation : array_like, shape (m, n_visible), binary, optional
        Held-out data whose exact average log-likelihood is recorded each epoch (needs a
        layer of at most ``MAX_EXACT_UNITS`` units).
    callbacks : iterable of Callback
        :class:`chainrule.train.Callback` objects, as :func:`chainrule.fit` takes them; they
        are handed an :class:`RBMRun`. There is no per-batch objective, so
        ``on_batch_end`` is not called; ``run.stop_training = True`` ends the run after
        the epoch.
    verbose : {0, 1, 2}
        Progress on stderr through :class:`chainrule.progress.EpochProgress`: 0 none, 1 a
        bar on a terminal, 2 one line per epoch.

    Returns
    -------
    History
        ``history["reconstruction_error"]``: mean squared error per pixel of the mean-field
        reconstruction of ``V``; with ``validation`` also ``"val_log_likelihood"``.

    Raises
    ------
    ConfigError
        A setting out of range, or ``validation`` given for a model too large to enumerate.
    TrainingError
        A parameter became NaN or Inf (try a smaller ``lr``).
    """
    where = "rbm.fit"
    V = rbm._visible(V, where)
    batch_size = positive_int(batch_size, "batch_size", where)
    settings = _Settings(
        epochs=positive_int(epochs, "epochs", where),
        batch_size=batch_size,
        lr=non_negative(lr, "lr", where),
        anneal=anneal,
        k=positive_int(k, "k", where),
        persistent=persistent,
        n_chains=batch_size if n_chains is None else positive_int(n_chains, "n_chains", where),
        momentum=non_negative(momentum, "momentum", where, below_one=True),
        weight_decay=non_negative(weight_decay, "weight_decay", where),
    )
    if validation is not None:
        validation = rbm._visible(validation, where, name="validation")
        exact.check_exact_size(rbm.n_visible, rbm.n_hidden, f"{where} (validation)")
    callbacks = list(callbacks)
    updates = _Updates(rbm, V, settings, np.random.default_rng(seed))
    steps = -(-len(V) // settings.batch_size)
    progress = EpochProgress(settings.epochs, steps, verbose=verbose, description="rbm")
    with progress, InterruptFlag() as flag:
        run = RBMRun(rbm, progress)
        for cb in callbacks:
            cb.on_train_begin(run)
        while run.epoch < settings.epochs and not run.stop_training:
            for cb in callbacks:
                cb.on_epoch_begin(run)
            progress.start_epoch(run.epoch + 1)
            updates.epoch(progress, flag, run.epoch + 1)
            run.epoch += 1
            _check_finite(rbm, run.epoch)
            logs = _epoch_logs(rbm, V, validation)
            run.history.add_epoch(run.epoch, logs)
            progress.end_epoch(run.epoch, logs)
            for cb in callbacks:
                cb.on_epoch_end(run, logs)
        run.history.stopped_early = run.stop_training and run.epoch < settings.epochs
        for cb in callbacks:
            cb.on_train_end(run)
    return run.history


class RBMRun:
    """The state of one :func:`fit` run, handed to callbacks: ``model`` (the RBM),
    ``history``, ``epoch`` (finished epochs) and ``stop_training``."""

    def __init__(self, rbm: RBM, progress: Any) -> None:
        self.model = rbm
        self.history = History()
        self.epoch = 0
        self.stop_training = False
        self.progress = progress

    def note(self, message: str) -> None:
        self.history.notes.append(message)
        self.progress.log(message)


class _Settings(NamedTuple):
    """The checked settings of a run (see :func:`fit`)."""

    epochs: int
    batch_size: int
    lr: float
    anneal: bool
    k: int
    persistent: bool
    n_chains: int
    momentum: float
    weight_decay: float


class _Updates:
    """The momentum updates of a run: velocities, persistent chains, the update count that
    the annealed learning rate follows."""

    def __init__(self, rbm: RBM, V: np.ndarray, settings: _Settings, rng: np.random.Generator):
        self.rbm, self.V, self.settings, self.rng = rbm, V, settings, rng
        self.params = rbm.parameters()
        self.velocity = {name: np.zeros_like(p) for name, p in self.params.items()}
        self.chains = V[rng.integers(0, len(V), settings.n_chains)] if settings.persistent else None
        self.done = 0
        self.total = settings.epochs * -(-len(V) // settings.batch_size)

    def epoch(self, progress: Any, flag: InterruptFlag, number: int) -> None:
        """One pass over the data in a new random order, one update a batch; Ctrl-C or
        SIGTERM (``flag``) stops it after a whole update, so the RBM is never half-updated."""
        size, order = self.settings.batch_size, self.rng.permutation(len(self.V))
        # A diverging run overflows; the check after the epoch turns that into a
        # TrainingError that says what to do, instead of a stream of RuntimeWarnings.
        with np.errstate(over="ignore", invalid="ignore"):
            for step, start in enumerate(range(0, len(self.V), size), start=1):
                self.update(self.V[order[start : start + size]])
                progress.advance()
                if flag.flag:
                    stop = Terminated if flag.signal == signal.SIGTERM else Interrupted
                    raise stop(f"{stop.__name__.lower()} at epoch {number}, step {step}")

    def update(self, batch: np.ndarray) -> None:
        """:math:`u \\leftarrow \\mu u + \\eta (g - \\lambda [\\theta = W] \\theta)`, then
        :math:`\\theta \\leftarrow \\theta + u`."""
        s = self.settings
        rate = s.lr * (1 - self.done / self.total) if s.anneal else s.lr
        self.done += 1
        start = batch if self.chains is None else self.chains
        grads, end = _contrastive_gradient(self.rbm, batch, start, s.k, self.rng)
        if self.chains is not None:
            self.chains = end
        for name, param in self.params.items():
            velocity = self.velocity[name]
            velocity *= s.momentum
            velocity += (rate / len(batch)) * grads[name]
            if name == "W" and s.weight_decay:
                velocity -= (rate * s.weight_decay) * param
            param += velocity


def _epoch_logs(rbm: RBM, V: np.ndarray, validation: np.ndarray | None) -> dict[str, float]:
    logs = {"reconstruction_error": float(np.mean((V - rbm.reconstruct(V)) ** 2))}
    if validation is not None:
        logs["val_log_likelihood"] = rbm.log_likelihood(validation) / len(validation)
    return logs


def _contrastive_gradient(
    rbm: RBM, V: np.ndarray, chains: np.ndarray, k: int, rng: np.random.Generator
) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Positive statistics at ``V``, negative ones after ``k`` Gibbs steps from ``chains``;
    returns the gradient estimate (a sum over the n rows) and the chains' end states."""
    for _ in range(k):
        chains = rbm._gibbs_step(chains, rng)
    positive = sigmoid(V @ rbm.W + rbm.c)
    negative = sigmoid(chains @ rbm.W + rbm.c)
    # The chains stand in for n draws from the model whatever their number m.
    scale = len(V) / len(chains)
    grads = {
        "W": V.T @ positive - scale * (chains.T @ negative),
        "b": V.sum(axis=0) - scale * chains.sum(axis=0),
        "c": positive.sum(axis=0) - scale * negative.sum(axis=0),
    }
    return grads, chains


def _check_finite(rbm: RBM, epoch: int) -> None:
    for name, param in rbm.parameters().items():
        if not np.isfinite(param).all():
            raise TrainingError(
                f"rbm.fit: parameter {name} has NaN or Inf after epoch {epoch}; "
                "expected finite values (try a smaller lr)"
            )
