"""Random instances of a network problem: weights, inputs and targets, and every symbol's value.

Sizes are the problem's; values are float64. Weights are drawn away from 0 and each
pre-activation is kept at least :data:`MARGIN` from 0, so that ReLU'(0) never decides a
verdict (``[z >= 0]`` and ``[z > 0]`` are then the same answer). The draws are seeded by
the problem id, so a verdict is the same on every run and every machine.
"""

from __future__ import annotations

import zlib
from typing import Any

import numpy as np

from chainrule.derivation.trace import decimal_fractions
from chainrule.errors import ConfigError
from chainrule.specs import random_targets

__all__ = ["MARGIN", "exact_instance", "network_instances", "rng_for"]

MARGIN = 0.1
MAX_TRIES = 500


def rng_for(problem_id: str, salt: int = 0) -> np.random.Generator:
    """The generator of a problem's instances (the same on every run)."""
    return np.random.default_rng([zlib.crc32(problem_id.encode()), salt])


def _draw_weights(model: Any, rng: np.random.Generator) -> None:
    for _, p in model.named_parameters():
        shape = p.value.shape
        p.value[...] = rng.uniform(0.3, 1.5, size=shape) * rng.choice([-1.0, 1.0], size=shape)


def network_instances(
    d: Any,
    net: Any,
    count: int,
    pres: list[str],
    aliases: dict[str, str],
    symbols: dict[str, Any],
    problem: Any,
) -> list[dict[str, Any]]:
    """``count`` instances of the derivation ``d``'s symbols at random weights and data."""
    model = d.plan.model
    n = int(problem.data["network"].get("examples", 1)) if d.batch else 1
    d_in = model.layers[0].d_in
    d_out = [layer for layer in model.layers if hasattr(layer, "d_out")][-1].d_out
    rng = rng_for(problem.id)
    saved = {name: p.value.copy() for name, p in model.named_parameters()}
    out = []
    try:
        for k in range(count):
            for _ in range(MAX_TRIES):
                _draw_weights(model, rng)
                X = rng.standard_normal((n, d_in))
                y = random_targets(d.plan.loss, rng, n, d_out)
                if problem.data["network"].get("target_is_input"):
                    y = X.copy()
                values = d.values(X, y)
                if all(np.min(np.abs(values[p])) >= MARGIN for p in pres if p in values):
                    break
            else:
                raise ConfigError(
                    f"{problem.where}: no instance keeps every pre-activation away from 0 "
                    f"(instance {k + 1}); the network may be too wide for the check"
                )
            out.append(_with_aliases(values, aliases))
    finally:
        for name, p in model.named_parameters():
            p.value[...] = saved[name]
    return out


def _with_aliases(values: dict[str, Any], aliases: dict[str, str]) -> dict[str, Any]:
    from chainrule.expr.symbols import canonical

    by_canonical = {canonical(k): k for k in values}
    out = {
        k: v if np.asarray(v).dtype == object else np.asarray(v, dtype=np.float64)
        for k, v in values.items()
    }
    for alias, target in aliases.items():
        key = by_canonical.get(canonical(target))
        if key is None:
            raise ConfigError(f"the alias {alias!r} names {target!r}, which the notation lacks")
        out[alias] = out[key]
    return out


def exact_instance(d: Any, net: Any, aliases: dict[str, str], symbols: dict[str, Any]) -> dict:
    """The zoo network's own weights and example, and every quantity a step defines as
    :meth:`Derivation.trace` works it out: exact Fractions, never a float read back.

    Inputs and weights are read by their shortest decimal (0.75 is 3/4, 0.1 is 1/10), as the
    trace reads them. A trace that leaves the rationals (a softmax, a sigmoid away from 0)
    cannot give a number exactly: the problem is refused.
    """
    if net is None:
        raise ConfigError("a numeric problem needs a zoo network (its weights and example)")
    X, y = net.X, net.y
    if not d.batch:
        X, y = X[:1], y[:1]
    rows = d.trace(X, y).rows
    inexact = [r.step.quantity.name for r in rows if not r.exact]
    if inexact:
        shown = ", ".join(inexact[:3]) + (
            f" and {len(inexact) - 3} more" if len(inexact) > 3 else ""
        )
        raise ConfigError(
            f"a numeric problem needs an exact trace, but {shown} are not rational at the "
            "network's weights (ask for a formula instead)"
        )
    defined = {r.step.quantity.name: np.asarray(r.value) for r in rows}
    given = {k: decimal_fractions(v) for k, v in d.values(X, y).items() if k not in defined}
    return _with_aliases({**given, **defined}, aliases)
