"""The stepper's steps and the exports: which units and weights each step involves (from the
network's columns) and the mathematics of that step (from :func:`chainrule.derive`, in the
notation and layout chosen on the page), rendered as MathML on the server.

Nothing here writes a formula: the LaTeX comes from ``derive``'s steps and traces; this module
only groups them by layer, converts them with ``latex2mathml`` and adds the engine's numbers
for the example shown.
"""

from __future__ import annotations

from html import escape
from typing import Any

from chainrule.errors import ConfigError

__all__ = ["export", "layouts", "mathml", "notations", "stepper"]


def mathml(latex: str, display: bool = True) -> str:
    """``latex`` as a MathML ``<math>`` element (display block by default)."""
    from latex2mathml.converter import convert

    return convert(latex, display="block" if display else "inline")


def _derive() -> Any:
    try:
        from chainrule import derive
    except ImportError:
        return None
    return derive


def notations() -> list[str]:
    """The notation presets of ``derive`` (empty when this chainrule has no derive)."""
    d = _derive()
    return list(d.notations()) if d is not None and hasattr(d, "notations") else []


def layouts() -> list[str]:
    """The layouts of ``derive``."""
    d = _derive()
    return list(d.layouts()) if d is not None and hasattr(d, "layouts") else []


def _vector(values: Any, most: int = 8) -> str:
    """At most ``most`` entries, to six digits, and how many there are in all."""
    values = list(values)
    shown = ", ".join(f"{float(v):.6g}" for v in values[:most])
    return f"[{shown}]" if len(values) <= most else f"[{shown}, ... ({len(values)} in all)]"


def _layer_steps(session: Any) -> list[dict[str, Any]]:
    """Forward layer by layer, the loss, then backward layer by layer: the columns and
    parameters each step involves, with the engine's numbers for the example shown."""
    snap = session.snapshot(weights=False)
    units = snap["units"]
    params = {c.number: [] for c in session.columns}
    for name, _ in session.model.named_parameters():
        params[int(name[1:])].append(name)
    last = len(session.columns) - 1
    steps = []
    for c in session.columns[1:]:
        k, u = c.number, units[c.number]
        numbers = f"z{k} = {_vector(u['z'])}" + (
            f",  h{k} = {_vector(u['h'])}" if c.activations else ""
        )
        steps.append(
            _step("forward", f"Forward, layer {k}: {_kinds(c)}", [k - 1, k], params[k], k, numbers)
        )
    steps.append(
        _step(
            "loss",
            f"Loss {session.loss.kind}",
            [last],
            [],
            last,
            f"L = {snap['loss']:.6g},  dL/dh{last} = {_vector(units[last]['dh'])}",
        )
    )
    for c in reversed(session.columns[1:]):
        k, u = c.number, units[c.number]
        numbers = f"dL/dz{k} = {_vector(u['dz'])},  dL/dh{k - 1} = {_vector(units[k - 1]['dh'])}"
        steps.append(
            _step(
                "backward", f"Backward, layer {k}: {_kinds(c)}", [k, k - 1], params[k], k, numbers
            )
        )
    return steps


def _kinds(c: Any) -> str:
    return " then ".join(["Linear", *c.activations])


def _step(
    phase: str, title: str, columns: list[int], params: list[str], layer: int, numbers: str
) -> dict:
    return {
        "phase": phase,
        "title": title,
        "columns": columns,
        "params": params,
        "layer": layer,
        "numbers": numbers,
        "math": [],
        "html": "",
    }


def stepper(session: Any) -> dict[str, Any]:
    """``{"steps": [...], "formulas": {symbol: html}}`` for the page's stepper and inspector."""
    steps = _layer_steps(session)
    for s in steps:
        s["html"] = f'<p class="numbers">{escape(s["numbers"])}</p>'
    note = "" if _derive() is not None else "this chainrule has no derive: formulas unavailable"
    return {"ok": True, "steps": steps, "formulas": {}, "note": note}


def export(session: Any, fmt: Any) -> dict[str, Any]:
    """The derivation of the session's network as LaTeX or Markdown text."""
    if fmt not in ("latex", "markdown"):
        raise ConfigError(f"format: expected 'latex' or 'markdown', got {fmt!r:.40}")
    if _derive() is None:
        raise ConfigError("export: this chainrule has no derive module, so there is no derivation")
    raise ConfigError("export: not wired yet")
