r"""Numerical gradient checks, with a report a student can read.

For every parameter :math:`\theta` (biases included) the analytic gradient from ``backward``
is compared with central differences in float64,

.. math:: \frac{\partial L}{\partial \theta_i} \approx \frac{L(\theta + h e_i) - L(\theta - h e_i)}{2h},

or, with ``stencil=4``, the fourth-order central difference
:math:`(-L_{+2h} + 8L_{+h} - 8L_{-h} + L_{-2h}) / 12h`.
The data loss and the L2 penalty are checked separately, so a mistake in either shows
where it is. Following the CS231n advice: double precision, relative errors, kinks.

*Kinks.* ReLU and leaky ReLU are not differentiable at 0. If a probe moves any of their
inputs across 0, the difference quotient mixes two slopes and means nothing: such probes
are skipped and counted (``n_kinks``), never compared.

*Inconclusive.* A gradient that is exactly 0 on the batch, in the backward pass and in the
finite differences alike (every unit of a ReLU layer inactive on every example), or that got
no probe at all, is not a pass: nothing was tested. Such a check is ``inconclusive`` (the
report says why, naming the inactive layer) and makes ``report.ok`` False unless
``allow_inconclusive=True``.

*Relative error* of a parameter: :math:`\|a - n\|_2 / (\|a\|_2 + \|n\|_2)` over the checked
entries (0 when both are zero), the measure that stays meaningful when single entries are
tiny. ``mode="directions"`` compares directional derivatives along random unit directions
instead of every entry: the check for models with many parameters.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from chainrule.errors import ConfigError
from chainrule.gradient_check.activity import (
    inactive_layers,
    inconclusive_reasons,
    partly_inactive_notes,
)
from chainrule.gradient_check.probe import Probing, Target, check_one
from chainrule.gradient_check.report import GradcheckReport, ParameterCheck
from chainrule.losses import L2, Loss

__all__ = ["GradcheckReport", "ParameterCheck", "gradcheck"]

#: Models with at most this many parameter entries are checked entry by entry in ``"auto"``.
FULL_CHECK_LIMIT = 5000


def gradcheck(
    model,
    loss: Loss,
    X: Any,
    y: Any,
    l2: L2 | float | None = None,
    *,
    eps: float = 1e-6,
    tol: float = 1e-7,
    mode: str = "auto",
    n_directions: int = 10,
    stencil: int = 2,
    check_input: bool = False,
    seed: int = 0,
    allow_inconclusive: bool = False,
) -> GradcheckReport:
    """Check every analytic gradient of ``model`` under ``loss`` against finite differences.

    Parameters
    ----------
    model : Sequential
        Checked on a float64 copy; the model itself is not touched.
    loss : Loss
        The data loss, e.g. ``HalfSquaredError()``.
    X : array (n, d_in)
        A batch of inputs.
    y : array
        Targets as the loss takes them ((n, d_out) values or (n,) labels).
    l2 : L2 or float, optional
        A weight penalty; its gradient is checked as a separate part.
    eps : float
        The finite-difference step ``h``.
    tol : float
        Largest relative error that passes.
    mode : {"auto", "full", "directions"}
        Every entry, or ``n_directions`` random unit directions per parameter
        (``"auto"``: full up to :data:`FULL_CHECK_LIMIT` entries).
    stencil : {2, 4}
        Points of the central difference.
    check_input : bool
        Also check ``dL/dX``.
    seed : int
        Seed of the random directions.
    allow_inconclusive : bool
        Let ``report.ok`` be True although some check tested nothing (a gradient exactly 0
        on the batch, or no probe compared); they are reported either way.

    Returns
    -------
    GradcheckReport
    """
    _check_arguments(mode, stencil, eps)
    reg = L2(l2) if isinstance(l2, (int, float)) else l2
    m = model.astype(np.float64)
    X = m.check_input(X)
    params = dict(m.named_parameters())
    if mode == "auto":
        total = sum(p.value.size for p in params.values())
        mode = "full" if total <= FULL_CHECK_LIMIT else "directions"
    value, dX, analytic, analytic_l2 = _analytic_gradients(m, loss, X, y, reg, check_input)
    # of the analytic forward, before any probe moves a weight
    dead, partly = inactive_layers(m), partly_inactive_notes(m)

    def data_loss() -> float:
        return loss.forward(m.forward(X, check=False), y)

    probing = Probing(
        eps, stencil, mode, n_directions, tol, np.random.default_rng(seed), lambda: _sides(m)
    )
    targets = [
        Target(name, "data", p.value, analytic[name], data_loss) for name, p in params.items()
    ]
    if check_input:
        targets.append(Target("X", "input", X, dX, data_loss))
    if reg is not None:
        penalty = lambda: reg.forward(m)  # noqa: E731
        targets += [
            Target(name, "l2", params[name].value, grad, penalty, watch_kinks=False)
            for name, grad in analytic_l2.items()
        ]
    checks = [check_one(target, probing) for target in targets]
    reasons = inconclusive_reasons(dead, checks)
    for c in checks:
        c.inconclusive = reasons.get((c.name, c.part))
        c.ok = c.ok and c.inconclusive is None
    notes = [*reasons.values(), *partly]
    if any(c.n_kinks for c in checks):
        notes.append(
            "Probes that moved a ReLU input across 0 were skipped (its derivative jumps there)."
        )
    return GradcheckReport(checks, tol, mode, eps, stencil, value, notes, allow_inconclusive)


def _check_arguments(mode: str, stencil: int, eps: float) -> None:
    if mode not in ("auto", "full", "directions"):
        raise ConfigError(f"gradcheck: mode must be 'auto', 'full' or 'directions', got {mode!r}")
    if stencil not in (2, 4):
        raise ConfigError(f"gradcheck: stencil must be 2 or 4, got {stencil!r}")
    if not (0 < eps < 1):
        raise ConfigError(
            f"gradcheck: eps (the finite-difference step) must be in (0, 1), got {eps!r}"
        )


def _analytic_gradients(m, loss: Loss, X: np.ndarray, y: Any, reg: L2 | None, check_input: bool):
    """The loss, ``dL/dX`` (or None), the data loss's gradient of every parameter and the
    penalty's alone of every weight, each a copy."""
    params = dict(m.named_parameters())
    value = loss.forward(m.forward(X, check=False), y)
    dX = m.backward(loss.backward(), input_grad=check_input)
    analytic = {name: p.grad.copy() for name, p in params.items()}
    analytic_l2: dict[str, np.ndarray] = {}
    if reg is not None:
        for p in params.values():
            p.grad[...] = 0
        reg.backward(m)
        analytic_l2 = {name: params[name].grad.copy() for name in params if name.startswith("W")}
    return value, dX, analytic, analytic_l2


def _sides(model) -> list[np.ndarray]:
    """Every layer's :meth:`~chainrule.layers.Layer.kink_sides` after the last forward."""
    sides = (layer.kink_sides() for layer in model.layers)
    return [side for side in sides if side is not None]
