"""An output layer and a loss that apply the same squashing function twice.

:class:`~chainrule.losses.SoftmaxCrossEntropy` takes logits and applies softmax itself, and
``BinaryCrossEntropy(from_logits=True)`` applies the sigmoid itself. A network that ends in
that same function hands the loss probabilities, so the loss sees ``softmax(softmax(z))``:
a valid function, but not the one the course's formulas describe (the gradient at the
logits is no longer ``p - Y``), and one that trains slowly, because the second softmax
squeezes every output into a narrow band. :func:`squashed_twice` finds the pairing;
``fit`` warns and ``derive`` states it among its conventions.
"""

from __future__ import annotations

from typing import Any

from chainrule.layers import Sigmoid, Softmax
from chainrule.losses.crossentropy import BinaryCrossEntropy, SoftmaxCrossEntropy

__all__ = ["squashed_twice"]


def squashed_twice(model: Any, loss: Any) -> str | None:
    """What is wrong when ``model``'s last layer is the function ``loss`` applies to its
    input again (Softmax before SoftmaxCrossEntropy, Sigmoid before
    ``BinaryCrossEntropy(from_logits=True)``), and how to mend it; None otherwise."""
    layers = getattr(model, "layers", None)
    if not layers:
        return None
    last = layers[-1]
    if isinstance(last, Softmax) and isinstance(loss, SoftmaxCrossEntropy):
        return (
            f"{last.label} ends the network, and SoftmaxCrossEntropy applies softmax to its "
            "input again (it takes logits), so the loss sees softmax(softmax(z)) and the "
            "gradient at the logits is not p - Y. Drop the last Softmax layer: softmax of the "
            "outputs gives the probabilities."
        )
    if isinstance(last, Sigmoid) and isinstance(loss, BinaryCrossEntropy) and loss.from_logits:
        return (
            f"{last.label} ends the network, and BinaryCrossEntropy(from_logits=True) applies "
            "the sigmoid to its input again, so the loss sees sigmoid(sigmoid(z)). Drop the "
            "last Sigmoid layer, or use BinaryCrossEntropy() on the probabilities."
        )
    return None
