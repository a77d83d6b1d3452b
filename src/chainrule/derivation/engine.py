"""The engine's numbers for every quantity of a plan: forward, loss and backward in float64.

These are the numbers a derivation is checked against, and the values a formula written
in the notation is evaluated with (:meth:`Derivation.values`).
"""

from __future__ import annotations

import copy
from typing import Any

import numpy as np

from chainrule.derivation.plan import Plan
from chainrule.errors import DataError
from chainrule.layers import Identity, Linear
from chainrule.losses import SoftmaxCrossEntropy

__all__ = ["engine_arrays", "notation_values"]


def engine_arrays(plan: Plan, X: Any, y: Any) -> dict[str, np.ndarray]:
    """Engine key (``"X"``, ``"z1"``, ``"dW2"``, ...) -> its array, as the engine stores it.

    Runs a float64 copy of the model layer by layer, keeping each layer's output and the
    gradient each layer receives, then the loss and the L2 penalty."""
    model = plan.model.astype(np.float64)
    X = model.check_input(X)
    if not plan.batch and X.shape[0] != 1:
        raise DataError(
            f"derive (batch=False): one example is one row, got X of shape {X.shape}; "
            "pass X[:1], or derive with batch=True"
        )
    arrays: dict[str, np.ndarray] = {"X": X}
    keys: list[str] = []
    out, k = X, 0
    for layer in model.layers:
        out = layer.forward(out)
        if isinstance(layer, Linear):
            k += 1
            key = f"z{k}"
        else:
            key = f"z{k}" if isinstance(layer, Identity) else f"h{k}"
        arrays[key] = out.copy()
        keys.append(key)
    loss = copy.deepcopy(plan.loss)
    if isinstance(loss, SoftmaxCrossEntropy):
        labels = np.asarray(y)
        value = loss.forward(out, labels)
        arrays["y"] = np.eye(out.shape[1])[labels]
        shifted = np.exp(out - out.max(axis=1, keepdims=True))
        arrays["P"] = shifted / shifted.sum(axis=1, keepdims=True)
    else:
        value = loss.forward(out, y)
        arrays["y"] = np.asarray(y, dtype=np.float64)
    G = loss.backward().copy()
    for i in range(len(model.layers) - 1, -1, -1):
        arrays[f"d{keys[i]}"] = G.copy()
        G = model.layers[i].backward(G)
    arrays["dX"] = G.copy()
    if plan.l2 is not None:
        value += plan.l2.forward(model)
        plan.l2.backward(model)
    arrays["L"] = np.asarray(value)
    for name, p in model.named_parameters():
        arrays[name] = p.value.copy()
        arrays[f"d{name}"] = p.grad.copy()
    return arrays


def notation_values(plan: Plan, arrays: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Each symbol of the notation -> its array in the notation's layout."""
    values = {q.name: q.from_engine(arrays[key]) for key, q in plan.q.items() if key in arrays}
    if plan.l2 is not None:
        values[plan.q["lambda"].name] = np.asarray(plan.l2.lam)
    if plan.ones is not None:
        values[plan.ones] = np.ones((1, arrays["X"].shape[0]))
    return values
