"""The formula mode: a formula as a scalar graph (``chainrule graph``), drawn by
:func:`chainrule.scalar.to_svg`, with the forward and the backward order the page steps
through, each node with its value, gradient and flow rule.

The formula is parsed by :mod:`chainrule.expr` (never evaluated as code); the values given
for its inputs are checked here for kind and size before the graph is built.
"""

from __future__ import annotations

from typing import Any

from chainrule.errors import ConfigError
from chainrule.explore.limits import MAX_FORMULA_CHARS
from chainrule.explore.session import number

__all__ = ["MAX_LEAVES", "graph"]

#: Most input numbers a formula request may give (entries of all vectors and matrices).
MAX_LEAVES = 400


def _values(at: Any) -> dict[str, Any]:
    if isinstance(at, str):
        from chainrule.scalar.inputs import parse_at

        if len(at) > MAX_FORMULA_CHARS:
            raise ConfigError(f"at: {len(at):,} characters, at most {MAX_FORMULA_CHARS:,}")
        at = parse_at([at]) if at.strip() else {}
    if not isinstance(at, dict):
        raise ConfigError(f"at: expected an object of input values, got {type(at).__name__}")
    count = 0

    def check(name: str, v: Any, depth: int) -> Any:
        nonlocal count
        if isinstance(v, list):
            if depth >= 2:
                raise ConfigError(f"at.{name}: a number, a vector or a matrix, not deeper lists")
            return [check(name, item, depth + 1) for item in v]
        count += 1
        if count > MAX_LEAVES:
            raise ConfigError(f"at: more than {MAX_LEAVES} input numbers")
        return number(v, f"at.{name}")

    out = {}
    for name, v in at.items():
        if not isinstance(name, str) or not 0 < len(name) <= 40:
            raise ConfigError(f"at: input names are 1 to 40 characters, got {name!r:.50}")
        out[name] = check(name, v, 0)
    return out


def graph(formula: Any, at: Any) -> dict[str, Any]:
    """Build, run and draw the graph of ``formula`` at the input values ``at`` (an object,
    or the text ``chainrule graph --at`` takes: ``"x=-2, y=5, w=[1,2]"``).

    Returns ``{"svg", "value", "output", "nodes", "forward", "backward", "gradients"}``:
    ``nodes`` as ``chainrule graph --json`` gives them, ``forward`` their labels in
    topological order, ``backward`` the order the flow rules apply (the output first)."""
    from chainrule.scalar import build, to_svg
    from chainrule.scalar.inputs import node_records
    from chainrule.scalar.labels import label_nodes
    from chainrule.scalar.value import topological_order

    if not isinstance(formula, str) or not formula.strip():
        raise ConfigError("formula: expected a formula such as (x+y)*z")
    if len(formula) > MAX_FORMULA_CHARS:
        raise ConfigError(
            f"formula: {len(formula):,} characters, at most {MAX_FORMULA_CHARS:,} are accepted"
        )
    values = _values(at)
    out, leaves = build(formula, at=values)
    out.backward()
    svg = to_svg(out, title=formula)
    order = topological_order(out)
    labels = label_nodes(out, order)
    forward = [labels[n] for n in order]
    return {
        "ok": True,
        "formula": formula,
        "svg": svg,
        "value": out.data,
        "output": labels[out],
        "nodes": node_records(order, labels),
        "forward": forward,
        "backward": forward[::-1],
        "gradients": {name: leaf.grad for name, leaf in leaves.items()},
    }
