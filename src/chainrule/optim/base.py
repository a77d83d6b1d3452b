"""The optimizer contract: parameters, step count, learning rate, buffers and state.

Subclasses (:mod:`chainrule.optim.rules`) give the update of one flat block; the base class
runs it over the cache-sized blocks of :mod:`chainrule.optim.blocks` and saves and restores
the state.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import numpy as np

from chainrule.arguments import check, positive
from chainrule.errors import CheckpointError
from chainrule.optim import blocks

__all__ = ["Optimizer"]

_NO_PENALTY: dict[str, float] = {}


class Optimizer:
    """Base class: parameters, step count, learning rate, buffers, state.

    Parameters
    ----------
    model : object
        Anything with ``named_parameters()`` yielding ``(name, parameter)``; each parameter
        has ``.value`` and ``.grad`` arrays of the same shape and dtype.
    lr : float
        The base learning rate :math:`\\eta`; :attr:`lr` is the current one (a schedule may
        change it between steps).

    Attributes
    ----------
    t : int
        Steps taken so far.
    lr : float
        Learning rate used by the next step.
    base_lr : float
        The learning rate given to the constructor; schedules scale it.
    buffers : dict of str to dict of str to ndarray
        ``buffers[buffer][param_name]``: the state saved in checkpoints.
    """

    #: Buffer names, each an array shaped like every parameter.
    buffer_names: ClassVar[tuple[str, ...]] = ()
    #: Constructor arguments besides ``lr``, each kept as an attribute of the same name:
    #: what :meth:`hyper` gives and a checkpoint stores.
    hyper_parameters: ClassVar[tuple[str, ...]] = ()
    #: Scratch arrays per parameter (not state, never saved).
    n_scratch: ClassVar[int] = 1

    def __init__(self, model: Any, lr: float) -> None:
        self.base_lr = positive("lr", lr)
        self.lr = self.base_lr
        self.t = 0
        self._params = list(model.named_parameters())
        names = [name for name, _ in self._params]
        check(len(names) == len(set(names)), f"parameter names repeat: {names}")
        check(bool(names), "the model has no parameters to optimize")
        blocks.require_contiguous(self._params)
        self.buffers = blocks.buffer_arenas(self._params, self.buffer_names)
        self._jobs: list[blocks.Job] = []
        self._views: list[tuple[list[np.ndarray], np.ndarray]] = []
        self._jobs_key: list[Any] = []
        self._factors: tuple[Any, float, dict[str, float]] = (None, 0.0, _NO_PENALTY)
        self._scratch: list[np.ndarray] = []

    # -- public ----------------------------------------------------------------------
    @property
    def name(self) -> str:
        return type(self).__name__

    def hyper(self) -> dict[str, Any]:
        """Constructor arguments (``lr`` is the base rate), JSON-able (tuples as lists)."""
        values = {name: getattr(self, name) for name in self.hyper_parameters}
        plain = {k: list(v) if isinstance(v, tuple) else v for k, v in values.items()}
        return {"lr": self.base_lr, **plain}

    def step(self, penalty: Any = None) -> None:
        """Update every parameter in place from its ``.grad``; ``t`` grows by one.

        The update is element-wise, so it runs on the cache-sized flat blocks of
        :mod:`chainrule.optim.blocks` (on N1's 307,200-entry ``W1`` this takes Adam from 1.0
        to 0.6 ms). Blocks change nothing in the result, bit for bit.

        Parameters
        ----------
        penalty : L2, optional
            Its gradient :math:`2\\lambda W` is added to the gradient of each weight it
            covers inside the update, block by block: the values of
            ``penalty.backward(model)`` followed by ``step()``, bit for bit, without two
            more passes over whole arrays. ``.grad`` keeps the data loss's gradient.
        """
        self.t += 1
        factors = _NO_PENALTY if penalty is None else self._penalty_factors(penalty)
        if not self._step_whole(factors):
            jobs = self._current_jobs(factors)
            for (name, w, g, state, pack), (scratch, extra) in zip(jobs, self._views, strict=True):
                if pack is not None:
                    pack.gather()
                k = factors.get(name, 0.0)
                if k:
                    # g + k w, rounded as L2.backward rounds it
                    g = np.add(np.multiply(w, k, out=extra), g, out=extra)
                self._update(w, g, state, scratch)
                if pack is not None:
                    pack.scatter()
        if self.t % blocks.FLUSH_EVERY == 0:
            blocks.flush_subnormals(self.buffers)

    def _penalty_factors(self, penalty: Any) -> dict[str, float]:
        """Parameter name -> multiplier of its value in the penalty's gradient; worked out
        once for a penalty and its factor (fit passes the same one every step)."""
        if penalty is None or not penalty.gradient_factor:
            return _NO_PENALTY
        k = penalty.gradient_factor
        cached_penalty, cached_k, factors = self._factors
        if cached_penalty is not penalty or cached_k != k:
            factors = {name: k for name, _ in self._params if penalty.covers(name)}
            self._factors = (penalty, k, factors)
        return factors

    def _step_whole(self, factors: dict[str, float]) -> bool:
        """A subclass's update of whole parameters at once (a compiled kernel); returns
        False where it has none and the blocks are to be used."""
        return False

    def _current_jobs(self, factors: dict[str, float] = _NO_PENALTY) -> list[blocks.Job]:
        """The flat blocks to update: rebuilt only when a parameter's arrays were replaced
        or the penalty's factors changed (small parameters are packed by factor)."""
        key = [(id(p.value), id(p.grad), factors.get(name, 0.0)) for name, p in self._params]
        if key != self._jobs_key:
            jobs = blocks.flat_blocks(self._params, self.buffers, factors)
            biggest = max(job[1].size for job in jobs)
            dtype = np.result_type(*(job[1].dtype for job in jobs))
            # the rule's own scratch arrays, and one for the gradient with the penalty,
            # cut once to the size of each block
            n = self.n_scratch + 1
            self._scratch = [np.empty(biggest, dtype=dtype) for _ in range(n)]
            self._views = [
                ([s[: w.size] for s in self._scratch[:-1]], self._scratch[-1][: w.size])
                for _, w, _, _, _ in jobs
            ]
            self._jobs, self._jobs_key = jobs, key
        return self._jobs

    def state_dict(self) -> dict[str, Any]:
        """``{"name", "hyper", "step", "lr", "buffers"}`` with copies of the buffers."""
        return {
            "name": self.name,
            "hyper": self.hyper(),
            "step": self.t,
            "lr": self.lr,
            "buffers": {b: {k: v.copy() for k, v in d.items()} for b, d in self.buffers.items()},
        }

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Restore what :meth:`state_dict` gave; names, shapes and hyper-parameters checked.

        Raises
        ------
        CheckpointError
            Another optimizer, other hyper-parameters, or buffers that do not fit the model.
        """
        if state.get("name") != self.name:
            raise CheckpointError(f"optimizer state is for {state.get('name')}, not {self.name}")
        if dict(state.get("hyper", {})) != self.hyper():
            raise CheckpointError(
                f"{self.name} state has hyper-parameters {state.get('hyper')}, "
                f"this optimizer has {self.hyper()}"
            )
        buffers = state.get("buffers", {})
        if set(buffers) != set(self.buffer_names):
            raise CheckpointError(
                f"{self.name} state has buffers {sorted(buffers)}, "
                f"expected {sorted(self.buffer_names)}"
            )
        for b, per in buffers.items():
            own = self.buffers[b]
            if set(per) != set(own):
                raise CheckpointError(
                    f"{self.name} buffer {b!r} is for parameters {sorted(per)}, "
                    f"the model has {sorted(own)}"
                )
            for pname, value in per.items():
                if np.shape(value) != own[pname].shape:
                    raise CheckpointError(
                        f"{self.name} buffer {b!r} of {pname} has shape {np.shape(value)}, "
                        f"the parameter has {own[pname].shape}"
                    )
        for b, per in buffers.items():
            for pname, value in per.items():
                self.buffers[b][pname][...] = value
        self.t = int(state["step"])
        self.lr = float(state.get("lr", self.base_lr))

    # -- subclasses --------------------------------------------------------------------
    def _update(
        self, w: np.ndarray, g: np.ndarray, state: dict[str, np.ndarray], scratch: list[np.ndarray]
    ) -> None:
        """Update one flat block ``w`` in place from its gradient ``g``; ``state`` holds the
        same block of each buffer, ``scratch`` arrays of the same size to work in."""
        raise NotImplementedError

    def _decayed(self, w: np.ndarray, g: np.ndarray, out: np.ndarray, wd: float) -> np.ndarray:
        """:math:`g + \\lambda w` in ``out`` (or ``g`` itself when :math:`\\lambda = 0`)."""
        if wd == 0.0:
            return g
        np.multiply(w, wd, out=out)
        out += g
        return out

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.hyper().items())
        return f"{self.name}({args})"
