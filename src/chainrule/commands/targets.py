"""What the train, evaluate and predict commands share about labels: the targets a loss
wants and the accuracy of class predictions."""

from __future__ import annotations

from typing import Any

__all__ = ["accuracy", "targets_for"]


def targets_for(loss: Any, y: Any, n_classes: int) -> Any:
    """Integer labels for softmax cross-entropy, one-hot rows for the other losses."""
    if getattr(loss, "kind", "") == "SoftmaxCrossEntropy":
        return y
    from chainrule.data import one_hot

    return one_hot(y, n_classes)


def accuracy(model: Any, X: Any, y: Any) -> float:
    """Share of rows whose largest output is at the true label."""
    out = model.predict(X, batch_size=4096)
    if out.shape[1] == 1:
        return float(((out[:, 0] > 0) == (y == 1)).mean())
    return float((out.argmax(axis=1) == y).mean())
