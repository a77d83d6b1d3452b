"""What each API route does with its JSON body: thin calls into the session, the network
builder, the formula mode and the derivation. See :mod:`chainrule.explore.app` for the
table of routes."""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import partial
from typing import Any

from chainrule.errors import ConfigError
from chainrule.explore.network import build_setup
from chainrule.explore.optimizers import PRESETS
from chainrule.explore.session import Session

__all__ = ["handlers"]

Work = Callable[[dict[str, Any]], dict[str, Any]]


def _fields(body: dict[str, Any], allowed: tuple[str, ...], route: str) -> None:
    extra = sorted(set(body) - set(allowed))
    if extra:
        raise ConfigError(
            f"{route}: unknown field {extra[0]!r:.40}; expected {', '.join(allowed) or 'none'}"
        )


def options(session_defaults: dict[str, str]) -> dict[str, Any]:
    """The choices the page offers."""
    from chainrule import zoo
    from chainrule.explore import formulas
    from chainrule.specs import LOSSES

    return {
        "ok": True,
        "zoo": [{"name": n, "description": zoo.describe(n)} for n in zoo.names()],
        "losses": list(LOSSES),
        "optimizers": [
            {
                "id": k,
                "label": p.label,
                "rule": p.rule,
                "mathml": formulas.mathml(p.rule),
                "lr": p.lr,
            }
            for k, p in PRESETS.items()
        ],
        "notations": formulas.notations(),
        "layouts": formulas.layouts(),
        "default_notation": session_defaults["notation"],
        "default_layout": session_defaults["layout"],
    }


def _state(session: Session, body: dict[str, Any]) -> dict[str, Any]:
    return session.snapshot()


def _options(session: Session, body: dict[str, Any]) -> dict[str, Any]:
    return options({"notation": session.notation, "layout": session.layout or ""})


def _example(session: Session, body: dict[str, Any]) -> dict[str, Any]:
    _fields(body, ("example",), "example")
    session.select_example(body.get("example"))
    return session.snapshot(weights=False)


def _parameter(session: Session, body: dict[str, Any]) -> dict[str, Any]:
    _fields(body, ("name", "index", "value"), "parameter")
    stored = session.set_parameter(body.get("name"), body.get("index"), body.get("value"))
    out = session.snapshot(weights=False)
    out["changed"] = {"name": body["name"], "index": body["index"], "value": stored}
    return out


def _input(session: Session, body: dict[str, Any]) -> dict[str, Any]:
    _fields(body, ("column", "value"), "input")
    session.set_input(body.get("column"), body.get("value"))
    return session.snapshot(weights=False)


def _train(session: Session, body: dict[str, Any]) -> dict[str, Any]:
    _fields(body, ("steps", "optimizer", "lr"), "train")
    losses = session.train(body.get("steps", 1), body.get("optimizer"), body.get("lr"))
    out = session.snapshot()
    out["losses"] = losses
    if losses and not math.isfinite(losses[-1]):
        out["note"] = (
            f"the loss stopped being finite at step {session.steps_taken}: "
            "reset, then try a smaller learning rate"
        )
    return out


def _reset(session: Session, body: dict[str, Any]) -> dict[str, Any]:
    _fields(body, (), "reset")
    session.reset()
    return session.snapshot()


def _network(session: Session, body: dict[str, Any]) -> dict[str, Any]:
    """Another network on the same data (the data source is the command line's alone: a
    request never names a file)."""
    _fields(body, ("model", "layers", "loss", "inputs"), "network")
    for key in ("model", "layers", "loss"):
        if body.get(key) is not None and not isinstance(body[key], str):
            raise ConfigError(f"network.{key}: expected a string, got {body[key]!r:.40}")
    inputs = body.get("inputs")
    if inputs is not None and (isinstance(inputs, bool) or not isinstance(inputs, int)):
        raise ConfigError(f"network.inputs: expected an integer, got {inputs!r:.40}")
    setup = build_setup(
        model=body.get("model"),
        layers=body.get("layers"),
        loss=body.get("loss"),
        inputs=inputs,
        data=session.setup.data,
    )
    session.replace(setup)
    return session.snapshot()


def _scalar(session: Session, body: dict[str, Any]) -> dict[str, Any]:
    from chainrule.explore.scalar_mode import graph

    _fields(body, ("formula", "at"), "scalar")
    return graph(body.get("formula"), body.get("at", {}))


def _choose(session: Session, body: dict[str, Any]) -> None:
    """The notation and layout a body asks for (absent: as they are)."""
    session.set_notation(body.get("notation", session.notation), body.get("layout", session.layout))


def _derivation(session: Session, body: dict[str, Any]) -> dict[str, Any]:
    from chainrule.explore import formulas

    _fields(body, ("notation", "layout"), "derivation")
    _choose(session, body)
    return formulas.stepper(session)


def _export(session: Session, body: dict[str, Any]) -> dict[str, Any]:
    from chainrule.explore import formulas

    _fields(body, ("format", "notation", "layout"), "export")
    _choose(session, body)
    return formulas.export(session, body.get("format"))


#: Each route: its method and what it does with the session and the JSON body.
ROUTES: dict[str, tuple[str, Callable[[Session, dict[str, Any]], dict[str, Any]]]] = {
    "state": ("GET", _state),
    "options": ("GET", _options),
    "example": ("POST", _example),
    "parameter": ("POST", _parameter),
    "input": ("POST", _input),
    "train": ("POST", _train),
    "reset": ("POST", _reset),
    "network": ("POST", _network),
    "scalar": ("POST", _scalar),
    "derivation": ("POST", _derivation),
    "export": ("POST", _export),
}


def handlers(session: Session) -> dict[str, tuple[str, Work]]:
    """``{route: (method, work)}``; ``work(body)`` returns the JSON answer for ``session``."""
    return {path: (method, partial(fn, session)) for path, (method, fn) in ROUTES.items()}
