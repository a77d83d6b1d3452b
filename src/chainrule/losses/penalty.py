"""The L2 weight penalty, added to a data loss."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from chainrule.buffers import reusable
from chainrule.errors import ConfigError
from chainrule.expr import tree as T
from chainrule.formulas import Formulas, Names
from chainrule.losses.base import spec_repr

__all__ = ["L2"]


class L2:
    r"""Weight decay :math:`\lambda \sum_l \|W_l\|_F^2` over weights only (not biases).

    Gradient :math:`2\lambda W_l` (seed 002). ``half=True`` gives the
    :math:`\frac{\lambda}{2}\sum\|W\|^2` convention with gradient :math:`\lambda W`.
    ``forward(model)`` returns the penalty; ``backward(model)`` *adds* its gradient to each
    weight's ``.grad`` (call it after ``model.backward``).
    """

    kind = "L2"

    def __init__(self, lam: float, half: bool = False) -> None:
        if not (isinstance(lam, (int, float)) and math.isfinite(lam) and lam >= 0):
            raise ConfigError(f"L2: lam must be a finite number >= 0, got {lam!r}")
        self.lam = float(lam)
        self.half = bool(half)
        self._scratch: dict[tuple[int, ...], np.ndarray] = {}

    @property
    def factor(self) -> float:
        """The multiplier of :math:`\\sum W^2`: ``lam`` or ``lam / 2``."""
        return self.lam / 2 if self.half else self.lam

    @property
    def gradient_factor(self) -> float:
        """The multiplier of ``W`` in the gradient: ``2 lam`` or ``lam``."""
        return 2.0 * self.factor

    @staticmethod
    def covers(name: str) -> bool:
        """Whether the parameter called ``name`` is penalised: weights ``W1, W2, ...``."""
        return name.startswith("W")

    @classmethod
    def weights(cls, model) -> list:
        """The parameters the penalty covers: every ``W`` (weights), no bias."""
        return [p for name, p in model.named_parameters() if cls.covers(name)]

    def forward(self, model) -> float:
        total = 0.0
        for p in self.weights(model):
            flat = p.value.ravel()
            total += float(np.dot(flat, flat))
        return self.factor * total

    __call__ = forward

    def backward(self, model) -> None:
        k = self.gradient_factor
        if k == 0:
            return
        for p in self.weights(model):
            # k W into a scratch array kept per weight shape: a fresh temporary the size of
            # W would cost page faults on every step
            scratch = reusable(self._scratch, p.value.shape, p.value.shape, p.value.dtype)
            np.multiply(p.value, k, out=scratch)
            p.grad += scratch

    def spec(self) -> dict[str, Any]:
        return {"type": self.kind, "lam": self.lam, "half": self.half}

    def formulas(self, names: Names) -> Formulas:
        r"""The penalty :math:`\lambda \sum_l \|W_l\|^2` and each :math:`2 \lambda W_l`
        (:math:`\lambda W_l` with ``half``), roles ``lambda``, ``loss``, and ``W1``, ``W2``,
        ... with ``d_W1``, ...: every role that names a weight, in order."""
        lam = names["lambda"].symbol
        weights = [r for r in names.quantities if r.startswith("W")]
        total: T.Expr | None = None
        for role in weights:
            term = T.Power(T.Norm(names.row(role)), T.Constant(2))
            total = term if total is None else T.Add(total, term)
        if total is None:
            raise ConfigError("L2: the model has no weights to penalise")
        factor = T.Scale(T.Div(T.Constant(1), T.Constant(2)), lam) if self.half else lam
        grad = lam if self.half else T.Scale(T.Constant(2), lam)
        backward = {role: T.Scale(grad, names.row(role)) for role in weights}
        return names.formulas(T.Scale(factor, total), backward, out="loss")

    def __repr__(self) -> str:
        """``L2(lam=0.001, half=False)``."""
        return spec_repr(self.spec())
