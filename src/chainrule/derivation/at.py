"""``--at``: the values of a worked example, written ``x=[1, 0.5]; W1=[[0.75, 0.5], [-1, 1]]``.

Each entry is ``name=value``, entries apart by ``;``. A name is an engine key (``x`` or
``X``, ``y``, ``W1``, ``b1``, ...), whose value has the engine's shape (a single example may
be a flat list), or a name of the notation (``W^{(2)}``), whose value has the notation's
shape. A value is a number or a nested list of numbers (a single number also stands for
an array of one entry, such as the 1 x 1 target of one example): integers, decimals (``0.75``,
``1e-3``) or fractions (``1/16``), read exactly as :class:`fractions.Fraction`. Nothing is
evaluated: the text is tokenised and read by a small parser with bounded size.
"""

from __future__ import annotations

import re
from fractions import Fraction
from typing import Any

import numpy as np

from chainrule.derivation.plan import Plan
from chainrule.errors import ConfigError
from chainrule.expr.symbols import canonical
from chainrule.suggest import did_you_mean

__all__ = ["parse_at"]

MAX_AT_LENGTH = 100_000
MAX_ENTRIES = 10_000
_TOKEN = re.compile(r"\s*(?:(\[)|(\])|(,)|(-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?(?:/\d+)?)|(\S))")


def parse_at(text: str, plan: Plan) -> dict[str, np.ndarray]:
    """Engine key -> exact array (dtype object, Fractions) in the engine's shape.

    Raises
    ------
    ConfigError
        A name that is neither an engine key nor the notation's (with a did-you-mean), a
        value that is not a number or a list of numbers (with its column), a ragged list, or
        a shape that is not the one expected (both shown).
    """
    if not isinstance(text, str) or len(text) > MAX_AT_LENGTH:
        raise ConfigError(f"--at must be a string of at most {MAX_AT_LENGTH} characters")
    found: dict[str, np.ndarray] = {}
    for entry in filter(str.strip, text.split(";")):
        name, eq, value = entry.partition("=")
        name = name.strip()
        if not eq or not name:
            raise ConfigError(f"--at: {entry.strip()!r} is not name=value")
        key, by_notation = _resolve(name, plan)
        array = _value(value, name)
        found[key] = _shaped(array, key, by_notation, plan, name)
    return found


def _resolve(name: str, plan: Plan) -> tuple[str, bool]:
    keys = {k: k for k in plan.q if not k.startswith("d") and k not in ("L", "P", "lambda")}
    keys |= {"x": "X"}
    if name in keys:
        return keys[name], False
    by_name = {canonical(q.name): k for k, q in plan.q.items() if k in keys.values()}
    if canonical(name) in by_name:
        return by_name[canonical(name)], True
    choices = sorted(set(keys) | {plan.q[k].name for k in keys.values()})
    hint = did_you_mean(name, choices, sentence=True)
    raise ConfigError(f"--at: unknown name {name!r}; known: {', '.join(choices)}.{hint}")


def _value(text: str, name: str) -> np.ndarray:
    tokens = list(_TOKEN.finditer(text))
    if sum(1 for t in tokens if t.group(4)) > MAX_ENTRIES:
        raise ConfigError(f"--at {name}: more than {MAX_ENTRIES} numbers")
    pos = 0

    def fail(message: str, at: int) -> ConfigError:
        return ConfigError(f"--at {name}: {message} at column {at + 1} of {text.strip()!r}")

    def item(depth: int) -> Any:
        nonlocal pos
        if pos >= len(tokens):
            raise fail("expected a number or '['", len(text))
        t = tokens[pos]
        pos += 1
        if t.group(4):
            return Fraction(t.group(4))
        if t.group(1) and depth < 3:
            items = [item(depth + 1)]
            while pos < len(tokens) and tokens[pos].group(3):
                pos += 1
                items.append(item(depth + 1))
            if pos >= len(tokens) or not tokens[pos].group(2):
                raise fail(
                    "expected ',' or ']'", tokens[pos].start() if pos < len(tokens) else len(text)
                )
            pos += 1
            return items
        raise fail(f"{t.group(0).strip()!r} is not a number", t.start())

    value = item(0)
    if pos != len(tokens):
        if tokens[pos].group(3):  # x=[1, 2], y=1: the entries are apart by ";"
            raise fail("a ',' after the value (entries are apart by ';')", tokens[pos].start())
        raise fail("unexpected text after the value", tokens[pos].start())
    try:
        array = np.array(value, dtype=object)
    except ValueError:
        raise ConfigError(f"--at {name}: the rows have different lengths") from None
    if any(isinstance(v, list) for v in array.flat):
        raise ConfigError(f"--at {name}: the rows have different lengths")
    return array


def _shaped(array: np.ndarray, key: str, by_notation: bool, plan: Plan, name: str) -> np.ndarray:
    q = plan.q[key]
    expected = q.layout_shape if by_notation else q.shape
    if key in ("X", "y") and array.ndim == 1 and len(expected) == 2:
        # one example written as a flat list: a row, or a column where the notation has one
        column = by_notation and q.stored == "transposed"
        array = array.reshape(-1, 1) if column else array.reshape(1, -1)
    if array.ndim == 0 and all(d == 1 for d in expected):
        array = array.reshape(expected)  # y=1 for a 1 x 1 target: one number is the whole
    sizes = expected
    if array.ndim == len(expected):
        sizes = tuple(array.shape[i] if isinstance(d, str) else d for i, d in enumerate(expected))
    if array.shape != sizes:
        where = "the notation's" if by_notation else "the engine's"
        raise ConfigError(
            f"--at {name}: got shape {array.shape}, expected {sizes} ({where} shape of {q.name})"
        )
    return np.asarray(q.to_engine(array) if by_notation else array, dtype=object)
