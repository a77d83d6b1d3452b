"""A scalar graph's inputs from text and its nodes as plain data: what ``chainrule graph``
and the explorer's formula mode share.

>>> parse_at(["x=-2,y=5", "w=[1,2]"])
{'x': -2.0, 'y': 5.0, 'w': [1, 2]}
"""

from __future__ import annotations

import math
import re
from typing import Any

from chainrule.errors import ConfigError
from chainrule.scalar.labels import expression

__all__ = ["MAX_AT_CHARS", "node_records", "parse_at"]


#: Characters of all --at values together; a matrix of 10,000 numbers fits easily.
MAX_AT_CHARS = 200_000
_NUMBER = re.compile(r"\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?|[-+]?inf|nan)\s*", re.I)


def parse_at(items: list[str]) -> dict[str, Any]:
    """``["x=-2,y=5", "w=[1,2]"]`` -> ``{"x": -2.0, "y": 5.0, "w": [1, 2]}``.

    Pairs are apart by commas or by semicolons (``x=-2; y=5``, as ``chainrule derive
    --at`` writes them), or in separate items.

    A value is a number, a list of numbers (a vector) or a list of such lists (a matrix),
    read by a small reader of numbers, brackets and commas (never evaluated); anything
    else, including brackets nested deeper than a matrix, is a ConfigError.
    """
    if sum(len(item) for item in items) > MAX_AT_CHARS:
        raise ConfigError(f"--at values hold more than {MAX_AT_CHARS:,} characters")
    values: dict[str, Any] = {}
    for item in items:
        for part in _split_top_level(item):
            name, sep, text = part.partition("=")
            name, text = name.strip(), text.strip()
            if not sep or not name or not text:
                raise ConfigError(f"--at expects NAME=VALUE pairs such as x=-2, got {_shown(part)}")
            if not name.isprintable():  # a lone surrogate (an undecoded byte) is not either
                raise ConfigError(f"--at name {_shown(name)} holds a byte that is not text")
            if name in values:
                raise ConfigError(f"--at gives {name!r} twice")
            values[name] = _number_or_list(name, text)
    return values


def _shown(text: str) -> str:
    """``text`` quoted, with undecodable bytes written as escapes (always printable)."""
    return repr(text.encode("utf-8", "backslashreplace").decode("utf-8"))


def _split_top_level(text: str) -> list[str]:
    parts, depth, start = [], 0, 0
    for i, char in enumerate(text):
        depth += {"[": 1, "]": -1}.get(char, 0)
        if char in ",;" and depth == 0:  # ";" as derive's --at writes it
            parts.append(text[start:i])
            start = i + 1
    parts.append(text[start:])
    return [p for p in parts if p.strip()]


def _number_or_list(name: str, text: str) -> Any:
    shown = _shown(text if len(text) <= 40 else text[:37] + "...")[1:-1]
    hint = f"--at {name}={shown}: expected a number such as -2.5, a list such as [1,2,3]"
    if not text.startswith("["):
        value = _number(text, hint)
        if value is None:
            raise ConfigError(hint)
        return value
    value, end = _list(text, 0, 1, hint + " or a matrix such as [[1,2],[3,4]]")
    if text[end:].strip():
        raise ConfigError(f"{hint}; unexpected {_shown(text[end:][:20])} after the list")
    return value


def _number(text: str, hint: str, keep_int: bool = False) -> float | int | None:
    match = _NUMBER.fullmatch(text)
    if match is None:
        return None
    if keep_int and re.fullmatch(r"[-+]?\d+", match.group(1)):
        return int(match.group(1))  # as JSON reads a list: [1, 2] stays ints
    value = float(match.group(1))
    if not math.isfinite(value):
        raise ConfigError(f"{hint.split(':')[0]}: the value must be finite")
    return value


def _list(text: str, start: int, depth: int, hint: str) -> tuple[list[Any], int]:
    """The list opening at ``text[start]``, and the index after its closing bracket."""
    if depth > 2:
        raise ConfigError(f"{hint}; brackets nest deeper than a matrix")
    items: list[Any] = []
    i = start + 1
    while True:
        j = i
        while j < len(text) and text[j].isspace():
            j += 1
        if j < len(text) and text[j] == "[":
            item, i = _list(text, j, depth + 1, hint)
        else:
            k = j
            while k < len(text) and text[k] not in ",[]":
                k += 1
            if text[j:k].strip() == "" and k < len(text) and text[k] == "]" and not items:
                return items, k + 1  # []
            item, i = _number(text[j:k], hint, keep_int=True), k
            if item is None:
                raise ConfigError(f"{hint}; got {_shown(text[j:k][:20])}")
        items.append(item)
        while i < len(text) and text[i].isspace():
            i += 1
        if i >= len(text):
            raise ConfigError(f"{hint}; a list is not closed with ]")
        if text[i] == "]":
            return items, i + 1
        if text[i] != ",":
            raise ConfigError(f"{hint}; unexpected {_shown(text[i])}")
        i += 1


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
