"""The guards of a run: where the first NaN or Inf of a diverged run is, said in the
error, and a loss grown by orders of magnitude while every number is still finite."""

from __future__ import annotations

from typing import Any

import numpy as np

from chainrule.errors import TrainingError
from chainrule.train.state import Run

__all__ = ["DIVERGENCE_FACTOR", "check_growth", "check_weights", "diverged"]

#: A step's loss above this many times the run's starting loss (or times 1, when the
#: start is smaller) is divergence: Adam at lr 1e10 reaches 4e22 without ever a NaN.
DIVERGENCE_FACTOR = 1e6


def _layer_of(model: Any) -> dict[str, str]:
    """Parameter name -> label of its layer (``"W2"`` -> ``"Linear 2"``)."""
    return {p.name: layer.label for layer in model.layers for p in layer.parameters()}


def _nan_report(run: Run, X: np.ndarray, value: float) -> str:
    """Where the first NaN/Inf is: a parameter, a gradient, or a layer's output."""
    labels = _layer_of(run.model)
    for name, p in run.model.named_parameters():
        if not np.isfinite(p.value).all():
            return f"parameter {name} of {labels.get(name, '?')} holds NaN/Inf"
    out = X
    for layer in run.model.layers:
        out = layer.forward(out)
        if not np.isfinite(out).all():
            return f"the output of {layer.label} holds NaN/Inf"
    for name, p in run.model.named_parameters():
        if not np.isfinite(p.grad).all():
            return f"the gradient of {name} ({labels.get(name, '?')}) holds NaN/Inf"
    return f"the loss is {value} while every output and parameter is finite"


def diverged(run: Run, X: np.ndarray, value: float) -> TrainingError:
    where = _nan_report(run, X, value)
    return TrainingError(
        f"training diverged at epoch {run.epoch + 1}, step {run.position + 1} "
        f"(step {run.step + 1} of the run): the loss became {value}; first non-finite value: "
        f"{where}. The learning rate is {run.optimizer.lr:g}: try a smaller one."
    )


def check_weights(run: Run) -> None:
    # The loss check sees a blow-up on the next forward; the last step of an epoch has no
    # next forward within it, so the weights are checked here.
    for name, p in run.model.named_parameters():
        if not np.isfinite(p.value).all():
            layer = _layer_of(run.model).get(name, "?")
            raise TrainingError(
                f"training diverged at epoch {run.epoch + 1}, step {run.position} (step "
                f"{run.step} of the run): parameter {name} of {layer} holds NaN/Inf after "
                "the update. "
                f"The learning rate is {run.optimizer.lr:g}: try a smaller one."
            )


def check_growth(run: Run, value: float) -> None:
    """Stop a run whose loss has grown :data:`DIVERGENCE_FACTOR` times over its start.

    The start is the first epoch's mean loss once there is one (so a resumed run compares
    with the same number), else the run's first step.
    """
    first = run.history.history.get("loss")
    if first:
        run.reference_loss = first[0]
    elif run.reference_loss is None:
        run.reference_loss = value
    limit = DIVERGENCE_FACTOR * max(run.reference_loss, 1.0)
    if value > limit:
        raise TrainingError(
            f"training diverged at epoch {run.epoch + 1}, step {run.position + 1} "
            f"(step {run.step + 1} of the run): the loss grew from {run.reference_loss:.4g} to "
            f"{value:.4g}, more than {DIVERGENCE_FACTOR:.0e} times its start, though every "
            f"number is still finite. The learning rate is {run.optimizer.lr:g}: try a "
            "smaller one."
        )
