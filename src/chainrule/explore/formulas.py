"""The stepper's steps and the exports: which units and weights each step involves (from the
network's columns) and the mathematics of that step (from :func:`chainrule.derive`, in the
notation and layout chosen on the page), rendered as MathML on the server.

Nothing here writes a formula: each equation is a step of ``derive`` (``step.latex``), each
number the value ``derive`` gives its quantity at the current weights (``Derivation.values``),
written out as a matrix of decimals; this module only groups the steps by layer and converts
them with ``latex2mathml``.
"""

from __future__ import annotations

import re
from html import escape
from typing import Any

import numpy as np

from chainrule.errors import ChainruleError, ConfigError

__all__ = ["export", "layouts", "mathml", "notations", "stepper"]

#: Matrices with more entries than this are shown by their shape, not entry by entry.
MAX_SHOWN_ENTRIES = 36
#: Networks up to this size show derive's numeric trace (numbers put into each formula).
MAX_TRACED_PARAMETERS = 200


def mathml(latex: str, display: bool = True) -> str:
    """``latex`` as a MathML ``<math>`` element (display block by default)."""
    from latex2mathml.converter import convert

    return convert(latex, display="block" if display else "inline")


def _derivation_module() -> Any:
    try:
        from chainrule import derivation
    except ImportError:
        return None
    return derivation


def notations() -> list[str]:
    """The notation presets of ``derive`` (none when this chainrule has no derive)."""
    d = _derivation_module()
    return list(d.presets()) if d is not None else []


def layouts() -> list[str]:
    """The layouts ``derive`` writes (``row``, ``xw``, ``column``)."""
    if _derivation_module() is None:
        return []
    from chainrule.formulas import LAYOUTS

    return list(LAYOUTS)


def check_choice(notation: str, layout: str | None) -> None:
    """Only a preset notation (never a file named by a request) and a known layout (no
    check without derive: there is nothing to choose then)."""
    if _derivation_module() is None:
        return
    if notation not in notations():
        raise ConfigError(
            f"notation: expected one of {', '.join(notations())}, got {notation!r:.40}"
        )
    if layout is not None and layout not in layouts():
        raise ConfigError(f"layout: expected one of {', '.join(layouts())}, got {layout!r:.40}")


def derivation(session: Any) -> Any:
    """``cr.derive`` of the session's network in its notation and layout, kept until the
    network, the notation or the layout changes (the weights may change: ``values`` reads
    the current ones)."""
    import chainrule as cr

    check_choice(session.notation, session.layout)
    key = (id(session.model), session.notation, session.layout)
    cache = session.cache
    if key not in cache:
        cache.clear()
        cache[key] = cr.derive(
            session.model,
            session.loss,
            l2=session.setup.l2 or None,
            layout=session.layout,
            notation=session.notation,
        )
    return cache[key]


# -- the steps of the stepper ---------------------------------------------------------------


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
    params: dict[int, list[str]] = {c.number: [] for c in session.columns}
    for name, _ in session.model.named_parameters():
        params[int(name[1:])].append(name)
    last = len(session.columns) - 1
    steps = []
    for c in session.columns[1:]:
        k, u = c.number, units[c.number]
        numbers = f"z{k} = {_vector(u['z'])}"
        if c.activations:
            numbers += f",  h{k} = {_vector(u['h'])}"
        steps.append(
            _step("forward", f"Forward, layer {k}: {_kinds(c)}", [k - 1, k], params[k], k, numbers)
        )
    loss_numbers = f"L = {snap['loss']:.6g},  dL/dh{last} = {_vector(units[last]['dh'])}"
    steps.append(_step("loss", f"Loss: {session.loss.kind}", [last], [], last, loss_numbers))
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
    return {"phase": phase, "title": title, "columns": columns, "params": params, "layer": layer,
            "numbers": numbers, "latex": [], "html": ""}  # fmt: skip


def _layer_number(step: Any) -> int | None:
    """The linear layer a derive step belongs to (``"ReLU 2"`` -> 2), None for the loss."""
    m = re.search(r"(\d+)$", step.layer or "")
    return int(m.group(1)) if m else None


def _phase(step: Any) -> str:
    if step.kind == "forward":
        return "forward"
    return "loss" if step.kind in ("loss", "output") else "backward"


def _number_latex(value: Any) -> str | None:
    """A quantity's number as LaTeX, six digits an entry: a scalar or a ``bmatrix``; None
    when it has more than :data:`MAX_SHOWN_ENTRIES` entries or is not finite."""
    a = np.asarray(value, dtype=np.float64)
    if a.size > MAX_SHOWN_ENTRIES or a.ndim > 2 or not np.all(np.isfinite(a)):
        return None
    a = a + 0.0  # no "-0"
    if a.ndim == 0:
        return f"{float(a):.6g}"
    rows = np.atleast_2d(a)
    body = r" \\ ".join(" & ".join(f"{float(v):.6g}" for v in row) for row in rows)
    return rf"\begin{{bmatrix}} {body} \end{{bmatrix}}"


def _math_html(step: Any, values: dict[str, Any], row: Any = None) -> tuple[str, list[str]]:
    """One derive step as HTML: its equation, then its numbers: the trace's row (the numbers
    put in, then the value) where there is one, else the value at the current weights."""
    latex = [step.latex]
    label = f"{escape(step.kind)} · {escape(step.layer or '')}"
    parts = [f'<div class="step"><div class="label">{label}</div>']
    value = values.get(step.quantity.name)
    number = None if value is None else _number_latex(value)
    if row is not None:  # the row begins with the step's own equation
        latex.append(row.latex)
        parts.append(f'<div class="numbers">{mathml(row.latex)}</div>')
        parts.extend(f'<div class="small flag">{escape(flag)}</div>' for flag in row.flags)
    else:
        parts.append(mathml(step.latex))
        if number is not None:
            latex.append(f"{step.lhs} = {number}")
            parts.append(f'<div class="numbers">{mathml(latex[-1])}</div>')
        elif value is not None:
            shape = "×".join(str(s) for s in np.shape(value))
            parts.append(f'<div class="numbers small">a {escape(shape)} array (too big)</div>')
    if step.note:
        parts.append(f'<div class="small">{escape(step.note)}</div>')
    parts.append("</div>")
    return "".join(parts), latex


def stepper(session: Any) -> dict[str, Any]:
    """``{"steps", "formulas", "names", "note"}``: the stepper's steps, each with derive's
    steps for its layer as MathML (``html``) and LaTeX; the inspector's formula for each
    symbol (``"W2"``: the gradient step of ``W2``; ``"h1"``, ``"z1"``: the unit's forward
    and gradient steps; ``"x"``: the input gradient); and each engine key's name in the
    notation as inline MathML (``"W1"`` -> :math:`W^{[1]}`). Without derive, or for a
    network derive does not take, the steps carry the engine's numbers and ``note`` says
    why there are no formulas."""
    steps = _layer_steps(session)
    for s in steps:
        s["html"] = f'<p class="numbers">{escape(s["numbers"])}</p>'
    if _derivation_module() is None:
        return {"ok": True, "steps": steps, "formulas": {}, "note": "this chainrule has no derive"}
    try:
        d = derivation(session)
        X, y = _batch(session, d)
        values = d.values(X, y)
        rows = _trace_rows(session, d)
    except ChainruleError as err:  # a network derive does not take: the stepper still steps
        return {"ok": True, "steps": steps, "formulas": {}, "note": f"no derivation: {err}"}
    for s in steps:  # derive's numbers, in the notation, replace the engine's short lines
        s["html"] = ""
    by_place = {(s["phase"], s["layer"]): s for s in steps}
    formulas: dict[str, str] = {}
    for ds in d.steps:
        k = _layer_number(ds)
        phase = _phase(ds)
        target = by_place.get((phase, len(session.columns) - 1 if phase == "loss" else k))
        html, latex = _math_html(ds, values, rows.get(ds.name))
        if target is not None:
            target["html"] += html
            target["latex"] += latex
        for symbol in _symbols(ds, k):
            formulas[symbol] = formulas.get(symbol, "") + html
    names = {key: mathml(q.name, display=False) for key, q in d.plan.q.items()
             if re.fullmatch(r"X|[zhWb]\d+|L", key)}  # fmt: skip
    return {"ok": True, "steps": steps, "formulas": formulas, "names": names, "note": "",
            "notation": session.notation, "layout": d.layout}  # fmt: skip


def _trace_rows(session: Any, d: Any) -> dict[str, Any]:
    """derive's numeric trace by step name (the numbers put into each formula, exact where
    they are rational), for a small network whose numbers are still the ones given or typed:
    after training, weights are long decimals whose exact fractions nobody reads, and the
    steps show their values instead."""
    if not hasattr(d, "trace") or session.steps_taken:
        return {}
    if session.n_parameters > MAX_TRACED_PARAMETERS:
        return {}
    return {row.step.name: row for row in d.trace(*_batch(session, d)).rows}


def _batch(session: Any, d: Any) -> tuple[Any, Any]:
    """The numbers a derivation is worked with: the whole batch, or for a notation of one
    example (seed 003's) the example shown."""
    if d.batch:
        return session.X, session.y
    r = session.example
    return session.X[r : r + 1], session.y[r : r + 1]


def _symbols(step: Any, k: int | None) -> list[str]:
    """The inspector's keys a derive step explains: ``W2`` for ``dW2``, ``h1`` for ``h1``
    and ``dh1``, ``x`` for ``dX``."""
    name = step.name[1:] if step.name.startswith("d") and step.name != "dX" else step.name
    if step.name == "dX" or name == "X":
        return ["x"]
    return [name] if re.fullmatch(r"[WbzhL]\d*", name) else []


# -- exports --------------------------------------------------------------------------------


def export(session: Any, fmt: Any) -> dict[str, Any]:
    """The session's derivation as LaTeX or Markdown: ``{"text", "filename"}``."""
    if fmt not in ("latex", "markdown"):
        raise ConfigError(f"format: expected 'latex' or 'markdown', got {fmt!r:.40}")
    if _derivation_module() is None:
        raise ConfigError("export: this chainrule has no derive, so there is no derivation")
    d = derivation(session)
    if fmt == "latex" and hasattr(d, "to_latex"):
        text = d.to_latex(document=True)  # a .tex file that compiles as it is
    elif fmt == "markdown" and hasattr(d, "to_markdown"):
        text = d.to_markdown()
        rows = _trace_rows(session, d)
        if rows:  # the worked numbers too, while they are the ones given or typed
            text += "\n" + d.trace(*_batch(session, d)).to_markdown()
    else:  # derive's core: its steps' LaTeX, one equation a line
        lines = [s.latex for s in d.steps]
        if fmt == "latex":
            text = "\\begin{aligned}\n" + " \\\\\n".join(lines) + "\n\\end{aligned}\n"
        else:
            text = "".join(f"$$\n{line}\n$$\n\n" for line in lines)
    name = re.sub(r"[^A-Za-z0-9_.-]+", "-", session.setup.title).strip("-") or "network"
    ext = "tex" if fmt == "latex" else "md"
    return {"ok": True, "text": text, "filename": f"{name}-{session.notation}.{ext}"}
