r"""Losses: a value from the network output and the targets, and its gradient.

Every loss averages over the batch (``reduction="mean"``, the default) or sums
(``reduction="sum"``). With ``f`` the output of shape ``(n, d)``:

======================  ==================================================  ==============================
loss                    value (mean)                                        gradient dL/df
======================  ==================================================  ==============================
HalfSquaredError        :math:`\frac1n\sum_k \tfrac12\|f_k - y_k\|^2`          :math:`(f - y)/n`
MeanSquaredError        :math:`\frac1n\sum_k \|f_k - y_k\|^2`                  :math:`2 (f - y)/n`
BinaryCrossEntropy      :math:`-\frac1n\sum [y\ln p + (1-y)\ln(1-p)]`        :math:`(p-y)/(p\odot(1-p)\,n)`
  ``from_logits``       the same with :math:`p = \sigma(f)`                   :math:`(\sigma(f) - y)/n`
SoftmaxCrossEntropy     :math:`-\frac1n\sum_k \ln \mathrm{softmax}(f_k)_{y_k}`  :math:`(\mathrm{softmax}(f) - 1_y)/n`
======================  ==================================================  ==============================

``MeanSquaredError(per="element")`` divides also by ``d`` (PyTorch's ``MSELoss``). Binary
cross-entropy sums over the ``d`` outputs of one example. :class:`L2` is a penalty on the
model's weights, added to the data loss.

Buffers: a loss writes its gradient into an array it allocates once per output shape and
dtype and reuses, so a training step allocates nothing. The array ``backward()`` returns is
therefore valid until the next ``forward`` of the same loss object, which overwrites it;
copy it (``loss.backward().copy()``) to keep it longer.

The package: :mod:`~chainrule.losses.base` (the :class:`Loss` contract),
:mod:`~chainrule.losses.squared`, :mod:`~chainrule.losses.crossentropy` and
:mod:`~chainrule.losses.penalty` (:class:`L2`).
"""

from __future__ import annotations

from typing import Any

from chainrule.errors import ConfigError
from chainrule.losses.base import Loss
from chainrule.losses.crossentropy import BinaryCrossEntropy, SoftmaxCrossEntropy
from chainrule.losses.penalty import L2
from chainrule.losses.squared import HalfSquaredError, MeanSquaredError

__all__ = [
    "L2",
    "BinaryCrossEntropy",
    "HalfSquaredError",
    "Loss",
    "MeanSquaredError",
    "SoftmaxCrossEntropy",
    "loss_from_spec",
]


LOSS_TYPES: dict[str, type[Loss]] = {
    cls.kind: cls
    for cls in (HalfSquaredError, MeanSquaredError, BinaryCrossEntropy, SoftmaxCrossEntropy)
}


def loss_from_spec(spec: dict[str, Any]) -> Loss:
    """Rebuild a loss from ``Loss.spec()`` plain data."""
    if not isinstance(spec, dict) or spec.get("type") not in LOSS_TYPES:
        known = sorted(LOSS_TYPES)
        raise ConfigError(f"loss spec must be a dict with 'type' one of {known}, got {spec!r}")
    kwargs = {k: v for k, v in spec.items() if k != "type"}
    try:
        return LOSS_TYPES[spec["type"]](**kwargs)
    except TypeError as err:
        raise ConfigError(f"loss spec {spec!r} is invalid: {err}") from None
