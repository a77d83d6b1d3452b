"""The keys a problem file may hold, checked before anything is built.

A problem file is TOML; an unknown key anywhere is refused with the closest known key, a
value of the wrong type with the type expected, so a typo in an instructor's file never
passes silently.
"""

from __future__ import annotations

from typing import Any

from chainrule.check.result import CODES
from chainrule.errors import ConfigError
from chainrule.suggest import did_you_mean

__all__ = ["SCHEMA", "validate"]

_NUMBER = (int, float)
_STR, _INT, _BOOL, _LIST, _TABLE = str, int, bool, list, dict

NETWORK = {
    "kind": _STR,  # "network" (default) or "rbm"
    "zoo": _STR,
    "layers": _STR,
    "loss": _STR,
    "n_inputs": _INT,
    "n_outputs": _INT,
    "hidden": _LIST,
    "l2": _NUMBER,
    "notation": _STR,
    "layout": _STR,
    "batch": _BOOL,
    "examples": _INT,
    "target_is_input": _BOOL,
    "formula": _STR,
    "symbols": _TABLE,
    "define": _TABLE,
    "n_visible": _INT,
    "n_hidden": _INT,
}
QUANTITY = {
    "wrt": _STR,
    "of": _STR,
    "entry": _LIST,
    "of_entry": _LIST,
    "latex": _STR,
    "kind": _STR,  # "gradient" (default), "number", "activation_derivative"
    "layer": _INT,
    "variable": _STR,
    "upstream": _STR,
}
SCHEMA: dict[str, Any] = {
    "id": _STR,
    "title": _STR,
    "question": _STR,
    "source": _STR,
    "network": NETWORK,
    "quantity": QUANTITY,
    "given": _LIST,
    "aliases": _TABLE,
    "functions": _TABLE,
    "at": _TABLE,
    "sig_digits": _INT,
    "points": _NUMBER,
    "credit": {code: _NUMBER for code in CODES},
    "feedback": {code: _STR for code in CODES},
    "instances": _INT,
    "seed": _INT,
    "fixtures": _LIST,
}
FIXTURE = {"answer": _STR, "code": _STR, "note": _STR}
REQUIRED = ("id", "network", "quantity")


def validate(data: dict[str, Any], where: str) -> None:
    """Raise ConfigError for an unknown key, a missing one, or a value of the wrong type."""
    _check_table(data, SCHEMA, where)
    for key in REQUIRED:
        if key not in data:
            raise ConfigError(f"{where}: the key {key!r} is missing")
    for number, fixture in enumerate(data.get("fixtures", []), start=1):
        if not isinstance(fixture, dict):
            raise ConfigError(f"{where}: fixtures[{number}] must be a table")
        _check_table(fixture, FIXTURE, f"{where}: fixtures[{number}]")
        if fixture.get("code") not in CODES:
            raise ConfigError(
                f"{where}: fixtures[{number}].code {fixture.get('code')!r} is not a code"
            )
    for code, credit in data.get("credit", {}).items():
        if not 0 <= credit <= 1:
            raise ConfigError(f"{where}: credit.{code} = {credit}; expected a number in 0..1")


def _check_table(data: dict[str, Any], schema: dict[str, Any], where: str) -> None:
    for key, value in data.items():
        if key not in schema:
            hint = did_you_mean(key, schema)
            raise ConfigError(
                f"{where}: unknown key {key!r}{hint} (known: {', '.join(sorted(schema))})"
            )
        expected = schema[key]
        if isinstance(expected, dict):
            if not isinstance(value, dict):
                raise ConfigError(f"{where}: {key} must be a table, got {type(value).__name__}")
            _check_table(value, expected, f"{where}: {key}")
            continue
        ok = isinstance(value, expected) and not (
            expected in (_INT, _NUMBER) and isinstance(value, bool)
        )
        if not ok:
            name = "number" if expected is _NUMBER else expected.__name__
            raise ConfigError(
                f"{where}: {key} must be a {name}, got {type(value).__name__} {value!r}"
            )
