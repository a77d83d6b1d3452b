"""Helpers shared by the RBM tests: random small RBMs and brute-force sums over all states."""

from __future__ import annotations

import itertools

import numpy as np

from chainrule.rbm import RBM


def random_rbm(n_visible: int, n_hidden: int, seed: int, *, scale: float = 1.0) -> RBM:
    """An RBM whose weights and biases are all of order ``scale``, far from initialisation."""
    rbm = RBM(n_visible, n_hidden, seed=seed, weight_scale=scale)
    rbm.b[:] = scale * rbm.rng.standard_normal(n_visible)
    rbm.c[:] = scale * rbm.rng.standard_normal(n_hidden)
    return rbm


def all_states(n_units: int) -> np.ndarray:
    """Every binary vector of length ``n_units``, shape (2**n_units, n_units)."""
    return np.array(list(itertools.product((0.0, 1.0), repeat=n_units)))


def brute_force_joint(rbm: RBM) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """All (v, h) pairs and their exact probabilities from the energy alone: no free energy,
    no closed forms, only E(v, h) = -b^T v - c^T h - v^T W h written out again here."""
    vs, hs = all_states(rbm.n_visible), all_states(rbm.n_hidden)
    W, b, c = (np.asarray(a, dtype=np.float64) for a in (rbm.W, rbm.b, rbm.c))
    energy = -(vs @ b)[:, None] - (hs @ c)[None, :] - vs @ W @ hs.T
    log_z = np.logaddexp.reduce(-energy.ravel())
    return vs, hs, np.exp(-energy - log_z)
