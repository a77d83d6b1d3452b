"""What the train, evaluate and predict commands share about labels: the targets a loss
wants. (Their accuracy is :func:`chainrule.train.accuracy`, the one ``fit`` reports.)"""

from __future__ import annotations

from typing import Any

__all__ = ["targets_for"]


def targets_for(loss: Any, y: Any, n_classes: int) -> Any:
    """Integer labels for softmax cross-entropy, one-hot rows for the other losses."""
    if getattr(loss, "kind", "") == "SoftmaxCrossEntropy":
        return y
    from chainrule.data import one_hot

    return one_hot(y, n_classes)
