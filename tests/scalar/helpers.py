"""Shared pieces of the scalar tests: ``chainrule graph --json`` run in-process."""

from __future__ import annotations

import json

from chainrule.cli import main


def graph_json(capsys, *argv: str) -> tuple[int, dict, str]:
    """``chainrule graph ARGV --json``: its exit code, its JSON answer and its stderr."""
    code = main(["graph", *argv, "--json"])
    captured = capsys.readouterr()
    assert captured.out.count("\n") == 1  # exactly one JSON object on stdout
    return code, json.loads(captured.out), captured.err
