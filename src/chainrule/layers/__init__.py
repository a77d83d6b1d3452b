r"""Layers: each one's forward and backward side by side, in NumPy.

The engine is batch-first: an input ``X`` has shape ``(n, d)``, one example a row.
Every layer maps an upstream gradient ``G = dL/d(out)`` of the output's shape to
``dL/d(input)`` and, for layers with parameters, *sets* ``param.grad`` (never accumulates).

===========  =====================================  ==========================================
layer        forward                                backward (``G`` is dL/d out)
===========  =====================================  ==========================================
Linear       :math:`Z = X W^\top + b`               :math:`dW = G^\top X,\ db = \mathbf{1}_n^\top G,\ dX = G W`
ReLU         :math:`h = \max(z, 0)`                 :math:`dz = G \odot [z > 0]`  (ReLU'(0) = 0)
LeakyReLU    :math:`h = z` if z > 0 else `a z`      :math:`dz = G \odot (1` if z > 0 else `a)`
Sigmoid      :math:`h = 1 / (1 + e^{-z})`           :math:`dz = G \odot h \odot (1 - h)`
Tanh         :math:`h = \tanh z`                    :math:`dz = G \odot (1 - h^2)`
Identity     :math:`h = z`                          :math:`dz = G`
Softmax      :math:`s_k = e^{z_k} / \sum_j e^{z_j}` :math:`dz = s \odot (G - (G \odot s) \mathbf{1}_{d \times 1})`
===========  =====================================  ==========================================

Buffers: inside a :class:`~chainrule.model.Sequential`, a layer writes its output and its
input gradient into arrays it allocates once per batch shape and reuses. The model turns this
off for the arrays it hands back to the caller (the last output, the input gradient), so a
result a user holds is never overwritten by a later call.

The backward column is tested against each class's own formula trees
(``tests/derive/test_docstring_tables.py``), which are tested against its NumPy code.

One idea per file: :mod:`~chainrule.layers.base` (``Layer``, ``Parameter``),
:mod:`~chainrule.layers.linear` (``Linear``, ``INITS``) and
:mod:`~chainrule.layers.activations` (the element-wise layers).
"""

from __future__ import annotations

from typing import Any

from chainrule.errors import ConfigError
from chainrule.layers.activations import (
    Activation,
    Identity,
    LeakyReLU,
    ReLU,
    Sigmoid,
    Softmax,
    Tanh,
    stable_sigmoid,
)
from chainrule.layers.base import Layer, Parameter
from chainrule.layers.linear import INITS, Linear

__all__ = [
    "ACTIVATIONS",
    "INITS",
    "LAYER_TYPES",
    "Activation",
    "Identity",
    "Layer",
    "LeakyReLU",
    "Linear",
    "Parameter",
    "ReLU",
    "Sigmoid",
    "Softmax",
    "Tanh",
    "layer_from_spec",
    "stable_sigmoid",
]

#: Layer classes by spec ``"type"``.
ACTIVATIONS: dict[str, type[Activation]] = {
    cls.kind: cls for cls in (ReLU, LeakyReLU, Sigmoid, Tanh, Identity, Softmax)
}
LAYER_TYPES: dict[str, type[Layer]] = {"Linear": Linear, **ACTIVATIONS}


def layer_from_spec(spec: dict[str, Any], where: str = "layer") -> Layer:
    """Rebuild a layer from its plain-data spec (the inverse of ``Layer.spec``)."""
    if not isinstance(spec, dict) or "type" not in spec:
        raise ConfigError(f"{where}: a layer spec is a dict with a 'type' key, got {spec!r}")
    kind = spec["type"]
    cls = LAYER_TYPES.get(kind)
    if cls is None:
        raise ConfigError(f"{where}: unknown layer type {kind!r}; known: {sorted(LAYER_TYPES)}")
    kwargs = {k: v for k, v in spec.items() if k != "type"}
    allowed = set(cls.hyper_parameters)
    unknown = set(kwargs) - allowed
    if unknown:
        raise ConfigError(
            f"{where}: {kind} does not take {sorted(unknown)}; it takes {sorted(allowed) or 'nothing'}"
        )
    try:
        return cls(**kwargs)
    except TypeError as err:
        raise ConfigError(f"{where}: {kind} spec {spec!r} is incomplete: {err}") from None
