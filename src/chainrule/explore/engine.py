r"""The numbers the page shows, all computed by the engine's own layers.

:func:`run_pass` runs the forward pass and the backward pass of the whole batch through the
layers' public ``forward`` and ``backward`` (the same calls ``Sequential`` makes), keeping a
copy of what each layer gave and received, so the page can show every unit's value and
gradient. The units are grouped into columns as the seed notes draw them: column 0 the
inputs, column :math:`k` the units of linear layer :math:`k`, holding its pre-activation
:math:`z_k` and, after the activation layers that follow it, :math:`h_k`.

:func:`train_steps` takes optimizer steps on the whole batch with
:func:`chainrule.train.train_step`, the step :func:`chainrule.fit` takes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from chainrule.layers import Linear

__all__ = ["Column", "Pass", "columns_of", "run_pass", "train_steps"]


@dataclass(frozen=True)
class Column:
    """A column of units: the layers (indices into ``model.layers``) that make it.

    ``linear`` is the index of its linear layer (None for the input column), ``last`` the
    index of the layer whose output is the column's ``h`` (None: the input column with no
    leading activation), ``number`` the linear layer's number (0 for the inputs)."""

    number: int
    linear: int | None
    last: int | None
    activations: tuple[str, ...]


@dataclass
class Pass:
    """One forward and backward pass of the batch.

    ``outputs[i]`` is layer ``i``'s output (n, d_i); ``grads[i]`` the gradient of the loss
    with respect to it; ``input_grad`` :math:`\\partial L/\\partial X` (n, d_0); ``loss``
    the data loss plus the L2 term; ``params`` each parameter's gradient (L2 included)."""

    X: np.ndarray
    outputs: list[np.ndarray]
    grads: list[np.ndarray]
    input_grad: np.ndarray
    loss: float
    data_loss: float
    penalty: float
    params: dict[str, np.ndarray]


def columns_of(model: Any) -> list[Column]:
    """Group ``model.layers`` into columns: leading activations with the inputs, then each
    linear layer with the activation layers after it."""
    columns: list[Column] = []
    number, linear, last, acts = 0, None, None, []
    for i, layer in enumerate(model.layers):
        if isinstance(layer, Linear):
            columns.append(Column(number, linear, last, tuple(acts)))
            number, linear, last, acts = number + 1, i, i, []
        else:
            last = i
            acts.append(layer.kind)
    columns.append(Column(number, linear, last, tuple(acts)))
    return columns


def run_pass(model: Any, loss: Any, l2: float, X: np.ndarray, y: np.ndarray) -> Pass:
    """Forward and backward of the batch ``X`` (n, d) with targets ``y``; see :class:`Pass`.

    The gradients are those of :math:`L = \\text{loss}(f(X), y) + \\lambda \\sum W^2`; the
    layers set (never accumulate) them, so a second call gives the same numbers."""
    X = model.check_input(X)
    with np.errstate(over="ignore", invalid="ignore"):  # a diverged run shows as not finite
        return _pass(model, loss, l2, X, y)


def _pass(model: Any, loss: Any, l2: float, X: np.ndarray, y: np.ndarray) -> Pass:
    outputs: list[np.ndarray] = []
    a = X
    for layer in model.layers:
        a = layer.forward(a)
        outputs.append(a.copy())
    data_loss = float(loss.forward(a, y))
    reg = _regulariser(l2)
    penalty = float(reg.forward(model)) if reg else 0.0
    g = loss.backward()
    grads: list[np.ndarray] = [g] * len(model.layers)
    for i in range(len(model.layers) - 1, -1, -1):
        grads[i] = np.array(g, copy=True)
        g = model.layers[i].backward(g, input_grad=True)
    if reg:
        reg.backward(model)
    params = {name: p.grad.copy() for name, p in model.named_parameters()}
    return Pass(
        X, outputs, grads, np.array(g, copy=True), data_loss + penalty, data_loss, penalty, params
    )


def train_steps(
    model: Any, loss: Any, l2: float, optimizer: Any, X: np.ndarray, y: np.ndarray, steps: int
) -> list[float]:
    """Take ``steps`` optimizer steps on the whole batch; return the loss before each step
    (data loss plus L2, the number the curve shows)."""
    X = model.check_input(X)
    with np.errstate(over="ignore", invalid="ignore"):  # divergence ends the loop instead
        return _steps(model, loss, l2, optimizer, X, y, steps)


def _steps(model, loss, l2, optimizer, X, y, steps) -> list[float]:
    from chainrule.train import train_step

    reg = _regulariser(l2)
    losses = []
    for _ in range(steps):
        value = float(train_step(model, loss, optimizer, X, y, reg or 0.0).loss)
        losses.append(value)
        if not np.isfinite(value):
            break  # train_step kept the weights of the last good step
    model.forget()
    return losses


def _regulariser(l2: float) -> Any:
    if not l2:
        return None
    from chainrule.losses import L2

    return L2(l2)
