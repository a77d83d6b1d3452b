"""The objective and accuracy of a model on a data set, as training reports them."""

from __future__ import annotations

from typing import Any

import numpy as np

from chainrule.errors import DataError
from chainrule.losses import L2

__all__ = [
    "accuracy",
    "check_data",
    "classifier_kind",
    "count_correct",
    "decision_threshold",
    "loss_and_accuracy",
]


def classifier_kind(loss: Any) -> str | None:
    """``"softmax"`` or ``"binary"`` for a classification loss (accuracy is reported), else
    ``None``."""
    kind = getattr(loss, "kind", type(loss).__name__)
    if kind == "SoftmaxCrossEntropy":
        return "softmax"
    if kind == "BinaryCrossEntropy":
        return "binary"
    return None


def decision_threshold(loss: Any, model: Any = None) -> float:
    """Where a binary output starts to say "yes": 0.5 when it is a probability (the model
    ends in a Sigmoid, or the loss takes probabilities), 0 when it is a logit."""
    from chainrule.layers import Sigmoid

    last = model.layers[-1] if model is not None and getattr(model, "layers", None) else None
    if isinstance(last, Sigmoid) or getattr(loss, "from_logits", True) is False:
        return 0.5
    return 0.0


def count_correct(
    kind: str | None, out: np.ndarray, y: np.ndarray, threshold: float = 0.0
) -> tuple[int, int]:
    """(number right, number of predictions) for a batch: the largest output at the label
    (``kind="softmax"``), else each output against its 0/1 target at ``threshold`` (the
    :func:`decision_threshold` of the loss and model, found once per run by the caller)."""
    if kind == "softmax":
        return int(np.count_nonzero(out.argmax(axis=1) == y)), y.shape[0]
    if y.ndim == 1 and out.ndim == 2 and out.shape[1] == 1:
        y = y[:, None]  # labels (n,) against one output column (n, 1)
    return int(np.count_nonzero((out > threshold) == (y > 0.5))), y.size


def accuracy(model: Any, X: Any, y: Any, loss: Any = None, batch_size: int = 4096) -> float:
    """Share of right predictions of ``model`` on ``X`` (n, d) for labels ``y``: the one
    accuracy that :func:`~chainrule.train.fit`, ``chainrule train`` and ``chainrule
    evaluate`` all report. Integer labels (n,) against several outputs: the largest output
    is the prediction; a single output (or 0/1 targets): at :func:`decision_threshold`."""
    y = np.asarray(y)
    out = model.predict(X, batch_size=batch_size)
    kind = classifier_kind(loss)
    if kind is None:
        kind = "softmax" if out.shape[1] > 1 and y.ndim == 1 else "binary"
    right, total = count_correct(kind, out, y, decision_threshold(loss, model))
    return right / total


def check_data(model: Any, data: Any, what: str) -> tuple[np.ndarray, np.ndarray]:
    """``data = (X, y)`` checked once against ``model`` (X cast to its dtype, contiguous);
    ``what`` names the data in the error."""
    try:
        X, y = data
    except (TypeError, ValueError) as err:
        raise DataError(f"{what} must be a pair (X, y), got {type(data).__name__}") from err
    X = model.check_input(X)
    y = np.asarray(y)
    if y.shape[0] != X.shape[0]:
        raise DataError(f"{what}: X has {X.shape[0]} rows but y has {y.shape[0]}")
    return X, np.ascontiguousarray(y)


def loss_and_accuracy(
    model: Any, loss: Any, X: Any, y: Any, *, l2: float = 0.0, batch_size: int = 1024
) -> dict[str, float]:
    """Loss (data loss plus ``l2`` penalty) and, for classifiers, accuracy on ``(X, y)``.

    Returns
    -------
    dict
        ``{"loss": float}`` and ``"accuracy"`` where the loss is a classification loss.
    """
    X, y = check_data(model, (X, y), "evaluation data")
    out = model.predict(X, batch_size=batch_size)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        value = loss.forward(out, y) + _penalty(model, l2)
    result = {"loss": float(value)}
    kind = classifier_kind(loss)
    if kind is not None:
        right, total = count_correct(kind, out, y, decision_threshold(loss, model))
        result["accuracy"] = right / total
    return result


def _penalty(model: Any, l2: float) -> float:
    if not l2:
        return 0.0
    return L2(l2).forward(model)
