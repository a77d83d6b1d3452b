"""A scalar graph's inputs from text and its nodes as plain data: what ``chainrule graph``
and the explorer's formula mode share.

>>> parse_at(["x=-2,y=5", "w=[1,2]"])
{'x': -2.0, 'y': 5.0, 'w': [1, 2]}
"""

from __future__ import annotations

import json
import math
from typing import Any

from chainrule.errors import ConfigError
from chainrule.scalar.labels import expression

__all__ = ["node_records", "parse_at"]


def parse_at(items: list[str]) -> dict[str, Any]:
    """``["x=-2,y=5", "w=[1,2]"]`` -> ``{"x": -2.0, "y": 5.0, "w": [1.0, 2.0]}``.

    Brackets are read as JSON (never evaluated), so ``W=[[1,2],[3,4]]`` gives a matrix.
    """
    values: dict[str, Any] = {}
    for item in items:
        for part in _split_top_level(item):
            name, sep, text = part.partition("=")
            name, text = name.strip(), text.strip()
            if not sep or not name or not text:
                raise ConfigError(f"--at expects NAME=VALUE pairs such as x=-2, got {part!r}")
            if name in values:
                raise ConfigError(f"--at gives {name!r} twice")
            values[name] = _number_or_list(name, text)
    return values


def _split_top_level(text: str) -> list[str]:
    parts, depth, start = [], 0, 0
    for i, char in enumerate(text):
        depth += {"[": 1, "]": -1}.get(char, 0)
        if char == "," and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    parts.append(text[start:])
    return [p for p in parts if p.strip()]


def _number_or_list(name: str, text: str) -> Any:
    try:
        value = json.loads(text) if text.startswith("[") else float(text)
    except ValueError:
        raise ConfigError(
            f"--at {name}={text}: expected a number such as -2.5 or a list such as [1,2,3]"
        ) from None
    if isinstance(value, float) and not math.isfinite(value):
        raise ConfigError(f"--at {name}={text}: the value must be finite")
    return value


def node_records(order: list[Any], labels: dict[Any, str]) -> list[dict[str, Any]]:
    """Each node of a graph in forward ``order`` as plain data: label, operation, value,
    gradient, inputs, local derivatives and flow rule (the ``--json`` output's ``nodes``)."""
    return [
        {
            "label": labels[n],
            "op": n.op,
            "operation": expression(n, labels),
            "value": n.data,
            "grad": n.grad,
            "inputs": [labels[a] for a in n.inputs],
            "local_grads": list(n.local_grads),
            "flow": n.flow,
            "flow_words": n.flow_words,
        }
        for n in order
    ]
