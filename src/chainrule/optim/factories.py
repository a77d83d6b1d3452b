"""Optimizers and schedules by name: the command line, configs and checkpoints build them
here."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from chainrule.errors import CheckpointError, ConfigError
from chainrule.optim.base import Optimizer
from chainrule.optim.rules import SGD, Adam, AdamW, Momentum, RMSProp
from chainrule.optim.schedules import SCHEDULES, LinearWarmup, Schedule
from chainrule.suggest import did_you_mean

__all__ = ["OPTIMIZERS", "make_optimizer", "make_schedule", "optimizer_from_state"]


OPTIMIZERS: dict[str, type[Optimizer]] = {
    "sgd": SGD,
    "momentum": Momentum,
    "rmsprop": RMSProp,
    "adam": Adam,
    "adamw": AdamW,
}


def _lookup(table: Mapping[str, Any], name: str, what: str) -> Any:
    key = str(name).lower()
    if key in table:
        return table[key]
    hint = did_you_mean(key, table)
    raise ConfigError(f"unknown {what} {name!r} (choose from {', '.join(table)}){hint}")


def make_optimizer(name: str, model: Any, **hyper: Any) -> Optimizer:
    """Build an optimizer by name (``"sgd"``, ``"momentum"``, ``"rmsprop"``, ``"adam"``,
    ``"adamw"``, case-insensitive) with keyword hyper-parameters."""
    cls = _lookup(OPTIMIZERS, name, "optimizer")
    try:
        return cls(model, **hyper)
    except TypeError as err:
        raise ConfigError(f"optimizer {name!r}: {err}") from err


def optimizer_from_state(model: Any, state: Mapping[str, Any]) -> Optimizer:
    """Rebuild an optimizer for ``model`` from :meth:`Optimizer.state_dict` output."""
    hyper = dict(state["hyper"])
    if "betas" in hyper:
        hyper["betas"] = tuple(hyper["betas"])
    try:
        opt = make_optimizer(state["name"], model, **hyper)
    except ConfigError as err:
        raise CheckpointError(f"saved optimizer cannot be rebuilt: {err}") from err
    opt.load_state_dict(state)
    return opt


def make_schedule(spec: str | Mapping[str, Any] | Schedule) -> Schedule:
    """A schedule from a name (``"cosine"`` needs arguments, so give a dict), a spec dict
    ``{"name": "step", "step_size": 10, "gamma": 0.5}``, or a schedule itself."""
    if isinstance(spec, Schedule):
        return spec
    args: dict[str, Any] = {"name": spec} if isinstance(spec, str) else dict(spec)
    cls = _lookup(SCHEDULES, args.pop("name", ""), "learning-rate schedule")
    if cls is LinearWarmup and isinstance(args.get("after"), (str, Mapping)):
        args["after"] = make_schedule(args["after"])
    try:
        return cls(**args)
    except TypeError as err:
        raise ConfigError(f"schedule {cls.name!r}: {err}") from err
