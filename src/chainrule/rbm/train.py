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

from collections.abc import Callable

import numpy as np

from chainrule.errors import TrainingError
from chainrule.progress import EpochProgress
from chainrule.rbm import exact
from chainrule.rbm._checks import non_negative, positive_int
from chainrule.rbm._math import sigmoid
from chainrule.rbm.model import RBM

__all__ = ["cd_gradient", "fit"]

#: ``callback(epoch, logs)`` after each epoch; ``logs`` holds that epoch's history values.
Callback = Callable[[int, dict[str, float]], None]


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
    callback: Callback | None = None,
    verbose: int = 0,
) -> dict[str, list[float]]:
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
    callback : callable, optional
        ``callback(epoch, logs)`` after each epoch (1-based).
    verbose : {0, 1, 2}
        Progress on stderr through :class:`chainrule.progress.EpochProgress`: 0 none, 1 a
        bar on a terminal, 2 one line per epoch.

    Returns
    -------
    dict of str to list of float
        ``"reconstruction_error"``: mean squared error per pixel of the mean-field
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
    epochs = positive_int(epochs, "epochs", where)
    batch_size = positive_int(batch_size, "batch_size", where)
    k = positive_int(k, "k", where)
    n_chains = batch_size if n_chains is None else positive_int(n_chains, "n_chains", where)
    lr = non_negative(lr, "lr", where)
    momentum = non_negative(momentum, "momentum", where, below_one=True)
    weight_decay = non_negative(weight_decay, "weight_decay", where)
    if validation is not None:
        validation = rbm._visible(validation, where, name="validation")
        exact.check_exact_size(rbm.n_visible, rbm.n_hidden, f"{where} (validation)")

    rng = np.random.default_rng(seed)
    params = rbm.parameters()
    velocity = {name: np.zeros_like(p) for name, p in params.items()}
    chains = V[rng.integers(0, len(V), n_chains)] if persistent else None
    history: dict[str, list[float]] = {"reconstruction_error": []}
    if validation is not None:
        history["val_log_likelihood"] = []

    steps = -(-len(V) // batch_size)
    updates, total_updates = 0, epochs * steps
    with EpochProgress(epochs, steps, verbose=verbose, description="rbm") as progress:
        for epoch in range(1, epochs + 1):
            progress.start_epoch(epoch)
            order = rng.permutation(len(V))
            # A diverging run overflows; the check after the epoch turns that into a
            # TrainingError that says what to do, instead of a stream of RuntimeWarnings.
            with np.errstate(over="ignore", invalid="ignore"):
                for start in range(0, len(V), batch_size):
                    rate = lr * (1 - updates / total_updates) if anneal else lr
                    updates += 1
                    batch = V[order[start : start + batch_size]]
                    grads, end = _contrastive_gradient(
                        rbm, batch, batch if chains is None else chains, k, rng
                    )
                    if chains is not None:
                        chains = end
                    for name, param in params.items():
                        velocity[name] *= momentum
                        velocity[name] += (rate / len(batch)) * grads[name]
                        if name == "W" and weight_decay:
                            velocity[name] -= (rate * weight_decay) * param
                        param += velocity[name]
                    progress.advance()
            _check_finite(rbm, epoch)
            logs = {"reconstruction_error": float(np.mean((V - rbm.reconstruct(V)) ** 2))}
            if validation is not None:
                logs["val_log_likelihood"] = rbm.log_likelihood(validation) / len(validation)
            for key, value in logs.items():
                history[key].append(value)
            progress.end_epoch(epoch, logs)
            if callback is not None:
                callback(epoch, logs)
    return history


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
