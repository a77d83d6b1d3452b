r"""The binary restricted Boltzmann machine.

Visible units :math:`v \in \{0,1\}^D` and hidden units :math:`h \in \{0,1\}^H` with energy

.. math:: E(v, h) = -b^T v - c^T h - v^T W h,

:math:`p(v, h) = e^{-E(v, h)} / Z`. The layers are conditionally independent given each
other: :math:`p(h_j = 1 \mid v) = \sigma(c_j + (W^T v)_j)` and
:math:`p(v_i = 1 \mid h) = \sigma(b_i + (W h)_i)`. Summing out :math:`h` gives the free energy
:math:`F(v) = -b^T v - \sum_j \operatorname{softplus}(c_j + (W^T v)_j)` and
:math:`p(v) = e^{-F(v)} / Z`.

Batches are rows: ``V`` is ``(n, D)``, ``H`` is ``(n, H)``, so ``V @ W + c`` are the hidden
pre-activations of every row at once.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from chainrule.errors import ConfigError, ShapeError
from chainrule.rbm import exact, storage
from chainrule.rbm._checks import as_batch, non_negative, positive_int
from chainrule.rbm._math import sigmoid, softplus

__all__ = ["RBM"]

PARAMETER_NAMES = storage.PARAMETER_NAMES


class RBM:
    r"""Binary RBM with weights ``W`` (n_visible, n_hidden), biases ``b`` (n_visible,) and
    ``c`` (n_hidden,).

    Parameters
    ----------
    n_visible, n_hidden : int
        Layer sizes :math:`D` and :math:`H`.
    seed : int
        Seeds the generator ``rng`` that draws the initial weights and, unless a method is
        given its own ``rng``, every sample.
    dtype : float64 or float32
        Dtype of the parameters and of everything the sampling methods return. Exact
        quantities are always computed in float64.
    weight_scale : float
        Initial weights are :math:`\mathcal{N}(0, \text{weight\_scale}^2)`; biases start at 0.

    Examples
    --------
    >>> import numpy as np
    >>> from chainrule.rbm import RBM
    >>> rbm = RBM(4, 2, seed=0)
    >>> rbm.W.shape, rbm.b.shape, rbm.c.shape
    ((4, 2), (4,), (2,))
    >>> V = np.array([[1, 0, 1, 0], [0, 0, 0, 0]])
    >>> bool(np.isclose(rbm.log_likelihood(V), np.log(rbm.probability(V)).sum()))
    True
    """

    def __init__(
        self,
        n_visible: int,
        n_hidden: int,
        seed: int = 0,
        *,
        dtype: Any = np.float64,
        weight_scale: float = 0.01,
    ) -> None:
        where = "RBM"
        n_visible = positive_int(n_visible, "n_visible", where)
        n_hidden = positive_int(n_hidden, "n_hidden", where)
        dtype = _float_dtype(dtype)
        scale = non_negative(weight_scale, "weight_scale", where)
        self.rng = np.random.default_rng(seed)
        self.W = (scale * self.rng.standard_normal((n_visible, n_hidden))).astype(dtype)
        self.b = np.zeros(n_visible, dtype=dtype)
        self.c = np.zeros(n_hidden, dtype=dtype)

    @property
    def dtype(self) -> np.dtype:
        """The parameters' dtype, float64 or float32."""
        return self.W.dtype

    @property
    def n_visible(self) -> int:
        return self.W.shape[0]

    @property
    def n_hidden(self) -> int:
        return self.W.shape[1]

    def __repr__(self) -> str:
        return f"RBM(n_visible={self.n_visible}, n_hidden={self.n_hidden}, dtype={self.dtype})"

    def parameters(self) -> dict[str, np.ndarray]:
        """The parameter arrays themselves (not copies), by name: ``W``, ``b``, ``c``."""
        return {"W": self.W, "b": self.b, "c": self.c}

    # -- energies and conditionals ------------------------------------------------------

    def energy(self, V: np.ndarray, H: np.ndarray) -> np.ndarray:
        r""":math:`E(v, h) = -b^T v - c^T h - v^T W h` for each row pair.

        Parameters
        ----------
        V : array_like, shape (n, n_visible), binary
        H : array_like, shape (n, n_hidden), binary

        Returns
        -------
        ndarray, shape (n,)
        """
        V = self._visible(V, "RBM.energy")
        H = self._hidden(H, "RBM.energy")
        if len(H) != len(V):
            raise ShapeError(
                f"RBM.energy: V has {len(V)} rows and H has {len(H)}; expected one h per v"
            )
        return -(V @ self.b) - (H @ self.c) - np.einsum("ni,ij,nj->n", V, self.W, H)

    def free_energy(self, V: np.ndarray) -> np.ndarray:
        r""":math:`F(v) = -\log \sum_h e^{-E(v,h)}
        = -b^T v - \sum_j \operatorname{softplus}(c_j + (W^T v)_j)` for each row.

        Parameters
        ----------
        V : array_like, shape (n, n_visible), binary

        Returns
        -------
        ndarray, shape (n,)
        """
        V = self._visible(V, "RBM.free_energy")
        return -(V @ self.b) - softplus(V @ self.W + self.c).sum(axis=1)

    def prob_hidden(self, V: np.ndarray) -> np.ndarray:
        r""":math:`p(h_j = 1 \mid v) = \sigma(c_j + (W^T v)_j)`.

        Parameters
        ----------
        V : array_like, shape (n, n_visible), values in [0, 1]
            Binary states, or probabilities for a mean-field step.

        Returns
        -------
        ndarray, shape (n, n_hidden)
        """
        V = self._visible(V, "RBM.prob_hidden", binary=False)
        return sigmoid(V @ self.W + self.c)

    def prob_visible(self, H: np.ndarray) -> np.ndarray:
        r""":math:`p(v_i = 1 \mid h) = \sigma(b_i + (W h)_i)`.

        Parameters
        ----------
        H : array_like, shape (n, n_hidden), values in [0, 1]

        Returns
        -------
        ndarray, shape (n, n_visible)
        """
        H = self._hidden(H, "RBM.prob_visible", binary=False)
        return sigmoid(H @ self.W.T + self.b)

    def sample_hidden(self, V: np.ndarray, rng: np.random.Generator | None = None) -> np.ndarray:
        """Draw :math:`h \\sim p(h \\mid v)` for each row; shape (n, n_hidden), values 0/1."""
        return self._bernoulli(self.prob_hidden(V), rng)

    def sample_visible(self, H: np.ndarray, rng: np.random.Generator | None = None) -> np.ndarray:
        """Draw :math:`v \\sim p(v \\mid h)` for each row; shape (n, n_visible), values 0/1."""
        return self._bernoulli(self.prob_visible(H), rng)

    def gibbs(
        self, V: np.ndarray, steps: int = 1, rng: np.random.Generator | None = None
    ) -> np.ndarray:
        """Run ``steps`` full Gibbs steps :math:`v \\to h \\to v'` from each row of ``V``.

        Parameters
        ----------
        V : array_like, shape (n, n_visible), values in [0, 1]
            Start states (probabilities are sampled first).
        steps : int
            Number of alternating updates of both layers.

        Returns
        -------
        ndarray, shape (n, n_visible), binary
            The visible states after the last step.
        """
        V = self._visible(V, "RBM.gibbs", binary=False)
        steps = positive_int(steps, "steps", "RBM.gibbs")
        rng = self.rng if rng is None else rng
        V = self._bernoulli(V, rng)
        for _ in range(steps):
            V = self._gibbs_step(V, rng)
        return V

    def reconstruct(self, V: np.ndarray) -> np.ndarray:
        r"""Mean-field reconstruction :math:`\sigma(b + W \sigma(c + W^T v))` of each row.

        Returns
        -------
        ndarray, shape (n, n_visible), values in (0, 1)
        """
        V = self._visible(V, "RBM.reconstruct", binary=False)
        return sigmoid(sigmoid(V @ self.W + self.c) @ self.W.T + self.b)

    def sample(
        self, n: int, steps: int = 1000, rng: np.random.Generator | None = None
    ) -> np.ndarray:
        """``n`` visible samples after ``steps`` Gibbs steps from uniform random states.

        Returns
        -------
        ndarray, shape (n, n_visible), binary
        """
        n = positive_int(n, "n", "RBM.sample")
        rng = self.rng if rng is None else rng
        start = np.full((n, self.n_visible), 0.5, dtype=self.dtype)
        return self.gibbs(start, steps, rng)

    # -- exact quantities (small models) -------------------------------------------------

    def log_partition(self) -> float:
        r""":math:`\log Z = \log \sum_{v,h} e^{-E(v,h)}`, exact, by enumerating the smaller
        layer (at most :data:`~chainrule.rbm.exact.MAX_EXACT_UNITS` units).

        Raises
        ------
        ConfigError
            Both layers have more than ``MAX_EXACT_UNITS`` units.
        """
        exact.check_exact_size(self.n_visible, self.n_hidden, "RBM.log_partition")
        return exact.log_partition(self.W, self.b, self.c)

    def log_likelihood(self, V: np.ndarray) -> float:
        r"""Exact :math:`\sum_{i=1}^n \log p(v_i) = -\sum_i F(v_i) - n \log Z` (float64).

        Parameters
        ----------
        V : array_like, shape (n, n_visible), binary

        Returns
        -------
        float
            The sum over rows; divide by ``n`` for the average.
        """
        return float(self._log_probability(V, "RBM.log_likelihood").sum())

    def probability(self, V: np.ndarray) -> np.ndarray:
        """Exact :math:`p(v)` of each row; shape (n,), float64."""
        return np.exp(self._log_probability(V, "RBM.probability"))

    def exact_gradient(self, V: np.ndarray) -> dict[str, np.ndarray]:
        r"""Exact gradient of :math:`L = \sum_{i=1}^n \log p(v_i)`.

        With :math:`\hat h_i = \sigma(c + W^T v_i)` and expectations under the model,

        .. math::

            \partial L / \partial W &= \sum_i v_i \hat h_i^T - n\, E[v h^T], \\
            \partial L / \partial b &= \sum_i v_i - n\, E[v], \\
            \partial L / \partial c &= \sum_i \hat h_i - n\, E[\sigma(c + W^T v)].

        The model term carries the factor :math:`n`: each of the :math:`n` terms
        :math:`\log p(v_i)` contains :math:`-\log Z`.

        Parameters
        ----------
        V : array_like, shape (n, n_visible), binary

        Returns
        -------
        dict
            ``{"W": (n_visible, n_hidden), "b": (n_visible,), "c": (n_hidden,)}`` in the
            model's dtype (computed in float64).
        """
        V = self._visible(V, "RBM.exact_gradient").astype(np.float64)
        exact.check_exact_size(self.n_visible, self.n_hidden, "RBM.exact_gradient")
        W, b, c = self._float64_parameters()
        model = exact.model_moments(W, b, c)
        n = len(V)
        hidden = sigmoid(V @ W + c)
        grads = {
            "W": V.T @ hidden - n * model.outer,
            "b": V.sum(axis=0) - n * model.visible,
            "c": hidden.sum(axis=0) - n * model.hidden,
        }
        return {name: g.astype(self.dtype) for name, g in grads.items()}

    # -- checkpoints --------------------------------------------------------------------

    def save(self, path: str | os.PathLike[str], **metadata: Any) -> Path:
        """Write ``W``, ``b``, ``c`` and the generator state to a checkpoint file, atomically
        (see :func:`chainrule.rbm.storage.save`); ``metadata`` (JSON values: settings,
        history...) goes into the manifest. Returns the file written."""
        return storage.save(self, path, metadata)

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> RBM:
        """Read an RBM written by :meth:`save`, checking every array before using it (see
        :func:`chainrule.rbm.storage.load`; a :class:`~chainrule.errors.CheckpointError`
        for a file that is missing, corrupt or not an RBM)."""
        return storage.load(cls, path)

    # -- internals ----------------------------------------------------------------------

    def _visible(
        self, V: np.ndarray, where: str, *, binary: bool = True, name: str = "V"
    ) -> np.ndarray:
        return as_batch(
            V,
            self.n_visible,
            where=where,
            name=name,
            units="visible",
            binary=binary,
            dtype=self.dtype,
        )

    def _hidden(self, H: np.ndarray, where: str, *, binary: bool = True) -> np.ndarray:
        return as_batch(
            H, self.n_hidden, where=where, name="H", units="hidden", binary=binary, dtype=self.dtype
        )

    def _log_probability(self, V: np.ndarray, where: str) -> np.ndarray:
        """Exact log p(v) of each checked row, float64: -F(v) - log Z."""
        V = self._visible(V, where).astype(np.float64)
        exact.check_exact_size(self.n_visible, self.n_hidden, where)
        W, b, c = self._float64_parameters()
        free = -(V @ b) - softplus(V @ W + c).sum(axis=1)
        return -free - exact.log_partition(W, b, c)

    def _float64_parameters(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        return tuple(np.asarray(a, dtype=np.float64) for a in (self.W, self.b, self.c))

    def _gibbs_step(self, V: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """One step v -> h -> v' on checked binary rows, without re-checking them."""
        H = self._bernoulli(sigmoid(V @ self.W + self.c), rng)
        return self._bernoulli(sigmoid(H @ self.W.T + self.b), rng)

    def _bernoulli(self, p: np.ndarray, rng: np.random.Generator | None) -> np.ndarray:
        rng = self.rng if rng is None else rng
        return (rng.random(p.shape, dtype=self.dtype) < p).astype(self.dtype)


def _float_dtype(dtype: Any) -> np.dtype:
    try:
        resolved = np.dtype(dtype)
    except TypeError as err:
        raise ConfigError(f"RBM: dtype is {dtype!r}; expected float64 or float32") from err
    if resolved not in (np.float64, np.float32):
        raise ConfigError(f"RBM: dtype is {resolved}; expected float64 or float32")
    return resolved
