"""The built-in problems: every question of the seed notes, in each seed's own notation.

Each file in ``chainrule/check/bank/`` holds the questions of one seed: tables shared by
all of them (``[defaults]``, usually the network and the given names) and one
``[[problem]]`` table per question, merged over the defaults (the ``network`` table key by key, every other key replaced).
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Any

from chainrule.check.problem import Problem, load_toml
from chainrule.errors import ConfigError
from chainrule.suggest import did_you_mean

__all__ = ["problem", "problems"]

_FILE_KEYS = {"defaults", "problem"}


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in over.items():
        if key == "network" and isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


@cache
def _bank() -> dict[str, tuple[dict[str, Any], str]]:
    found: dict[str, tuple[dict[str, Any], str]] = {}
    folder = resources.files("chainrule.check").joinpath("bank")
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if not entry.name.endswith(".toml"):
            continue
        with resources.as_file(entry) as path:
            data = load_toml(path)
        where = f"bank/{entry.name}"
        extra = set(data) - _FILE_KEYS
        if extra:
            raise ConfigError(f"{where}: unknown top-level keys {sorted(extra)}")
        defaults = data.get("defaults", {})
        for number, raw in enumerate(data.get("problem", []), start=1):
            merged = _merge(defaults, raw)
            pid = merged.get("id", f"#{number}")
            if pid in found:
                raise ConfigError(f"{where}: the id {pid!r} is used twice")
            found[pid] = (merged, f"{where} [{pid}]")
    return found


def problems() -> list[str]:
    """The ids of the built-in problems, in bank order."""
    return list(_bank())


@cache
def problem(pid: str) -> Problem:
    """The built-in problem ``pid`` (see :func:`problems`); an unknown id gets a did-you-mean."""
    bank = _bank()
    if pid not in bank:
        hint = did_you_mean(pid, bank, sentence=True)
        raise ConfigError(f"unknown problem {pid!r}.{hint} `chainrule check --list` lists them.")
    data, where = bank[pid]
    return Problem.from_dict(data, where)
