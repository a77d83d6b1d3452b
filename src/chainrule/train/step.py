"""One training step, the one :func:`~chainrule.train.fit`, the benchmarks and the tests
all run: forward, loss, backward, the L2 term, the optimizer update."""

from __future__ import annotations

import math
from typing import Any, NamedTuple

import numpy as np

from chainrule.losses import L2
from chainrule.optim.base import Optimizer

__all__ = ["StepResult", "train_step"]


class StepResult(NamedTuple):
    """What a step computed: ``loss`` the objective on the batch (data loss plus penalty),
    ``output`` the network's output (n, d_out) before the update, ``input_grad`` the
    gradient with respect to ``X`` (None unless asked for)."""

    loss: float
    output: np.ndarray
    input_grad: np.ndarray | None


def train_step(
    model: Any,
    loss: Any,
    optimizer: Any,
    X: np.ndarray,
    y: np.ndarray,
    l2: float | L2 = 0.0,
    *,
    input_grad: bool = False,
) -> StepResult:
    """Train ``model`` one step on the batch ``(X, y)``.

    .. math:: J = \\mathcal{L}(f(X), y) + \\lambda \\sum_l \\|W_l\\|^2, \\qquad
              w \\leftarrow \\mathrm{update}(w, \\partial J / \\partial w)

    Parameters
    ----------
    model : Sequential
    loss : Loss
    optimizer : Optimizer
        Built on ``model``; it updates every parameter from its ``.grad``.
    X : ndarray (n, d_in)
        Already checked by ``model.check_input`` (done once per data set, not per batch).
    y : ndarray
        Targets as ``loss`` wants them.
    l2 : float or L2
        :math:`\\lambda` of the penalty, or an :class:`~chainrule.losses.L2` (kept from one
        step to the next, it reuses its scratch arrays).
    input_grad : bool
        Also compute the gradient with respect to ``X`` (training does not need it).

    Returns
    -------
    StepResult
        With a chainrule optimizer the L2 gradient :math:`2\\lambda W` is added inside its
        update (:meth:`~chainrule.optim.Optimizer.step`'s ``penalty``), so ``.grad`` keeps
        the data loss's gradient alone; another optimizer finds it added to ``.grad``
        before its ``step()``. A non-finite ``loss`` leaves the parameters as they were
        (the update is skipped), so the caller can stop with the weights of the last good
        step.
    """
    reg = l2 if isinstance(l2, L2) else (L2(l2) if l2 else None)
    out = model.forward(X, check=False)
    value = loss.forward(out, y)
    dX = model.backward(loss.backward(), input_grad=input_grad)
    folded = reg is not None and isinstance(optimizer, Optimizer)
    if reg is not None:
        value += reg.forward(model)
        if not folded:
            reg.backward(model)
    if math.isfinite(value):
        # chainrule's optimizers add the L2 gradient inside their update (the same values
        # without two passes over every weight); .grad then holds the data loss's gradient
        optimizer.step(penalty=reg) if folded else optimizer.step()
    return StepResult(value, out, dX)
