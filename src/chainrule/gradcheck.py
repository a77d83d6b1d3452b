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

*Relative error* of a parameter: :math:`\|a - n\|_2 / (\|a\|_2 + \|n\|_2)` over the checked
entries (0 when both are zero), the measure that stays meaningful when single entries are
tiny. ``mode="directions"`` compares directional derivatives along random unit directions
instead of every entry: the check for models with many parameters.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from chainrule.errors import ConfigError
from chainrule.losses import L2, Loss

__all__ = ["GradcheckReport", "ParameterCheck", "gradcheck"]

#: Models with at most this many parameter entries are checked entry by entry in ``"auto"``.
FULL_CHECK_LIMIT = 5000


@dataclass
class ParameterCheck:
    """The check of one gradient: a parameter's data-loss part, its L2 part, or the input's."""

    name: str
    part: str  # "data", "l2" or "input"
    shape: tuple[int, ...]
    rel_error: float
    max_abs_error: float
    worst_index: tuple[int, ...] | None
    analytic_norm: float
    numeric_norm: float
    n_checked: int
    n_kinks: int
    ok: bool

    def to_dict(self) -> dict[str, Any]:
        d = dict(self.__dict__)
        d["shape"] = list(self.shape)
        d["worst_index"] = None if self.worst_index is None else list(self.worst_index)
        return d


@dataclass
class GradcheckReport:
    """Result of :func:`gradcheck`: one :class:`ParameterCheck` per gradient checked."""

    checks: list[ParameterCheck]
    tol: float
    mode: str
    eps: float  # the finite-difference step h
    stencil: int
    loss_value: float
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when every gradient's relative error is within ``tol``."""
        return all(c.ok for c in self.checks)

    @property
    def max_rel_error(self) -> float:
        return max((c.rel_error for c in self.checks), default=0.0)

    @property
    def n_kinks(self) -> int:
        return sum(c.n_kinks for c in self.checks)

    def __getitem__(self, key: str) -> ParameterCheck:
        """``report["W1"]`` (data part) or ``report["W1", "l2"]``."""
        name, part = (key, "data") if isinstance(key, str) else key
        for c in self.checks:
            if c.name == name and c.part == part:
                return c
        raise KeyError(key)

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "max_rel_error": self.max_rel_error,
            "tol": self.tol,
            "mode": self.mode,
            "eps": self.eps,
            "stencil": self.stencil,
            "loss": self.loss_value,
            "n_kinks": self.n_kinks,
            "checks": [c.to_dict() for c in self.checks],
            "notes": list(self.notes),
        }

    def __str__(self) -> str:
        head = (
            f"{'gradient':<12}{'part':<7}{'shape':<14}{'rel. error':>12}{'checked':>9}{'kinks':>7}"
        )
        lines = [head]
        for c in self.checks:
            mark = "ok" if c.ok else "FAIL"
            lines.append(
                f"{c.name:<12}{c.part:<7}{c.shape!s:<14}{c.rel_error:>12.2e}"
                f"{c.n_checked:>9}{c.n_kinks:>7}  {mark}"
            )
        verdict = "PASSED" if self.ok else "FAILED"
        lines.append(
            f"{verdict}: max relative error {self.max_rel_error:.2e} (tolerance {self.tol:.0e}, "
            f"{self.mode} mode, h = {self.eps:g}, {self.stencil}-point stencil)"
        )
        lines.extend(self.notes)
        return "\n".join(lines)


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

    def data_loss() -> float:
        return loss.forward(m.forward(X, check=False), y)

    probing = _Probing(
        eps, stencil, mode, n_directions, tol, np.random.default_rng(seed), lambda: _sides(m)
    )
    targets = [
        _Target(name, "data", p.value, analytic[name], data_loss) for name, p in params.items()
    ]
    if check_input:
        targets.append(_Target("X", "input", X, dX, data_loss))
    if reg is not None:
        penalty = lambda: reg.forward(m)  # noqa: E731
        targets += [
            _Target(name, "l2", params[name].value, grad, penalty, watch_kinks=False)
            for name, grad in analytic_l2.items()
        ]
    checks = [_check_one(target, probing) for target in targets]
    notes = []
    if any(c.n_kinks for c in checks):
        notes.append(
            "Probes that moved a ReLU input across 0 were skipped (its derivative jumps there)."
        )
    return GradcheckReport(checks, tol, mode, eps, stencil, value, notes)


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


@dataclass(frozen=True)
class _Probing:
    """How a gradient is probed: ``h`` the finite-difference step, the stencil, every entry
    (``"full"``) or ``n_directions`` directions drawn from ``rng``, the tolerance, and
    ``sides()`` the kink sides of the model after its last forward."""

    h: float
    stencil: int
    mode: str
    n_directions: int
    tol: float
    rng: np.random.Generator
    sides: Callable[[], list[np.ndarray]]


@dataclass(frozen=True)
class _Target:
    """One gradient to check: ``array`` is probed in place, ``f()`` the function whose
    gradient ``grad`` is; ``watch_kinks`` skips probes that cross a kink."""

    name: str
    part: str
    array: np.ndarray
    grad: np.ndarray
    f: Callable[[], float]
    watch_kinks: bool = True


def _difference(target: _Target, where, probing: _Probing) -> tuple[float, bool]:
    """Central difference of ``target.f`` along ``where`` (an index or a direction array)
    of ``target.array``, changed in place and restored. Returns (value, crossed_a_kink)."""
    array, h = target.array, probing.h
    offsets = (1.0, -1.0) if probing.stencil == 2 else (2.0, 1.0, -1.0, -2.0)
    weights = (0.5, -0.5) if probing.stencil == 2 else (-1 / 12, 8 / 12, -8 / 12, 1 / 12)
    is_index = isinstance(where, tuple)
    saved = array[where] if is_index else array.copy()
    values, patterns = [], []
    for k in offsets:
        if is_index:
            array[where] = saved + k * h
        else:
            np.add(saved, (k * h) * where, out=array)
        values.append(target.f())
        if target.watch_kinks:
            patterns.append(probing.sides())
    if is_index:
        array[where] = saved
    else:
        array[...] = saved
    crossed = any(
        not np.array_equal(a, b)
        for pat in patterns[1:]
        for a, b in zip(patterns[0], pat, strict=True)
    )
    return sum(w * v for w, v in zip(weights, values, strict=True)) / h, crossed


def _directions(grad: np.ndarray, count: int, rng: np.random.Generator):
    """Unit directions to probe: the analytic gradient's own direction (its length must match
    the slope found there), then sparse random ones touching a few entries each. Dense random
    directions in many dimensions are nearly orthogonal to any gradient, so their directional
    derivatives would drown in rounding noise."""
    norm = np.linalg.norm(grad)
    if norm > 0:
        yield grad / norm
        count -= 1
    k = min(grad.size, 16)
    for _ in range(max(count, 0)):
        d = np.zeros(grad.shape)
        flat = d.reshape(-1)
        picks = rng.choice(grad.size, size=k, replace=False)
        flat[picks] = rng.standard_normal(k)
        flat /= np.linalg.norm(flat)
        yield d


def _check_one(target: _Target, probing: _Probing) -> ParameterCheck:
    """Probe ``target`` entry by entry or along directions; its relative error."""
    a_list, n_list, idx_list, kinks = [], [], [], 0
    grad = target.grad
    if probing.mode == "full":
        probes = ((idx, lambda idx=idx: grad[idx]) for idx in np.ndindex(target.array.shape))
    else:
        probes = (
            (d, lambda d=d: float(np.sum(grad * d)))
            for d in _directions(grad, probing.n_directions, probing.rng)
        )
    for where, analytic in probes:
        numeric, crossed = _difference(target, where, probing)
        if crossed:
            kinks += 1
            continue
        a_list.append(analytic())
        n_list.append(numeric)
        idx_list.append(where if probing.mode == "full" else None)
    return _compare(target, a_list, n_list, idx_list, kinks, probing.tol)


def _compare(target: _Target, a_list, n_list, idx_list, kinks: int, tol: float) -> ParameterCheck:
    """The relative error of the analytic values ``a_list`` against ``n_list``."""
    a = np.asarray(a_list, dtype=np.float64)
    n = np.asarray(n_list, dtype=np.float64)
    diff = np.abs(a - n)
    denom = np.linalg.norm(a) + np.linalg.norm(n)
    rel = float(np.linalg.norm(a - n) / denom) if denom > 0 else 0.0
    worst = int(np.argmax(diff)) if diff.size else None
    return ParameterCheck(
        name=target.name,
        part=target.part,
        shape=tuple(target.array.shape),
        rel_error=rel,
        max_abs_error=float(diff.max()) if diff.size else 0.0,
        worst_index=None
        if worst is None or idx_list[worst] is None
        else tuple(int(i) for i in idx_list[worst]),
        analytic_norm=float(np.linalg.norm(a)),
        numeric_norm=float(np.linalg.norm(n)),
        n_checked=int(a.size),
        n_kinks=kinks,
        ok=rel <= tol,
    )
