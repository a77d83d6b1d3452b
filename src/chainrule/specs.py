"""Networks, losses and targets from the short names that the command line and the explorer
take: a ``--layers`` string, a loss name, the targets a loss wants. (Accuracy is
:func:`chainrule.train.accuracy`, the one ``fit`` reports.)

>>> [layer["type"] for layer in parse_layers("32-relu-10", 64, 10)]
['Linear', 'ReLU', 'Linear']
>>> type(build_loss("mse")).__name__
'MeanSquaredError'
"""

from __future__ import annotations

from typing import Any

from chainrule.errors import ConfigError
from chainrule.suggest import did_you_mean

__all__ = [
    "LOSSES",
    "activation_names",
    "build_loss",
    "parse_layers",
    "random_targets",
    "targets_for",
]

#: Loss names of ``--loss`` and of the explorer, and their classes.
LOSSES = {
    "softmax-cross-entropy": "SoftmaxCrossEntropy",
    "cross-entropy": "SoftmaxCrossEntropy",
    "binary-cross-entropy": "BinaryCrossEntropy",
    "half-squared-error": "HalfSquaredError",
    "mse": "MeanSquaredError",
}


def activation_names() -> dict[str, str]:
    """The ``--layers`` names of the activations: each activation class's ``kind`` in
    lower case (``"leakyrelu"``), and ``"linear"`` for ``Identity``; a LeakyReLU gets its
    default slope."""
    from chainrule.layers import ACTIVATIONS as CLASSES

    return {**{kind.lower(): kind for kind in CLASSES}, "linear": "Identity"}


def parse_layers(spec: str, n_inputs: int, n_outputs: int) -> list[dict[str, Any]]:
    """A Sequential spec from ``"64-relu-32-relu-10"``: each number is the width of a linear
    layer, each name an activation after it; the input width comes from the data.

    >>> [layer["type"] for layer in parse_layers("32-relu-10", 64, 10)]
    ['Linear', 'ReLU', 'Linear']
    """
    tokens = [t.strip().lower() for t in spec.split("-")]
    if not tokens[0].isdigit() or not tokens[-1].isdigit():
        raise ConfigError(
            f"--layers {spec!r}: write layer widths and activations joined by '-', starting "
            f"with a width and ending with the output width, e.g. '64-relu-32-relu-{n_outputs}'"
        )
    layers: list[dict[str, Any]] = []
    width = n_inputs
    activations = activation_names()
    for token in tokens:
        if token.isdigit():
            if int(token) < 1:
                raise ConfigError(f"--layers {spec!r}: a layer needs at least 1 unit")
            layers.append({"type": "Linear", "d_in": width, "d_out": int(token), "bias": True})
            width = int(token)
        elif token in activations:
            layers.append({"type": activations[token]})
        else:
            hint = did_you_mean(token, activations)
            raise ConfigError(f"--layers {spec!r}: unknown activation {token!r}{hint}")
    if width != n_outputs:
        raise ConfigError(
            f"--layers {spec!r} ends with {width} outputs, the data has {n_outputs} classes"
        )
    return layers


def build_loss(name: str) -> Any:
    """A loss by its :data:`LOSSES` name (a binary cross-entropy takes logits)."""
    from chainrule import losses

    key = name.lower()
    if key not in LOSSES:
        hint = did_you_mean(key, LOSSES)
        raise ConfigError(f"unknown loss {name!r} (choose from {', '.join(LOSSES)}){hint}")
    cls = getattr(losses, LOSSES[key])
    return cls(from_logits=True) if LOSSES[key] == "BinaryCrossEntropy" else cls()


def targets_for(loss: Any, y: Any, n_classes: int) -> Any:
    """Integer labels for softmax cross-entropy, one-hot rows for the other losses."""
    if getattr(loss, "kind", "") == "SoftmaxCrossEntropy":
        return y
    from chainrule.data import one_hot

    return one_hot(y, n_classes)


def random_targets(loss: Any, rng: Any, n: int, d_out: int) -> Any:
    """``n`` random targets of the kind ``loss`` wants, drawn from the NumPy generator
    ``rng``: labels in ``0..d_out-1``, shape (n,), for softmax cross-entropy; 0/1 values of
    shape (n, d_out) for binary cross-entropy; standard normal values of shape (n, d_out)
    for the other losses (float64)."""
    kind = getattr(loss, "kind", "")
    if kind == "SoftmaxCrossEntropy":
        return rng.integers(0, d_out, size=n)
    if kind == "BinaryCrossEntropy":
        return rng.integers(0, 2, size=(n, d_out)).astype(float)
    return rng.standard_normal((n, d_out))
