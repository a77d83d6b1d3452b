"""How a subcommand prints: human text, or with ``--json`` one JSON object on stdout.

Progress and messages go to stderr, so ``chainrule ... --json | jq`` always reads one
object.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from typing import Any

__all__ = ["add_command", "add_json_flag", "emit", "note", "seed_value", "summary"]


def add_command(
    subparsers: Any, name: str, help: str, description: str, func: Callable, **more: Any
) -> argparse.ArgumentParser:
    """A subcommand's parser whose ``func`` runs it (``more``: other ``add_parser``
    arguments). The common ``--json`` flag comes from :func:`add_json_flag`, after the
    command's own options."""
    parser = subparsers.add_parser(name, help=help, description=description, **more)
    parser.set_defaults(func=func)
    return parser


def summary(doc: str) -> str:
    """The second paragraph of a command module's docstring, as one plain line: its
    ``--help`` description."""
    return doc.split("\n\n")[1].replace("\n", " ").replace("``", "")


def add_json_flag(parser: argparse.ArgumentParser) -> None:
    """Give a subcommand the common ``--json`` and ``-q/--quiet`` flags."""
    parser.add_argument(
        "--json",
        action="store_true",
        help="print one JSON object on stdout (progress stays on stderr)",
    )
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress or notes on stderr")


def note(args: argparse.Namespace, message: str) -> None:
    """Print a progress line or note on stderr unless ``--quiet`` (or ``--json``) was given."""
    if not (getattr(args, "quiet", False) or getattr(args, "json", False)):
        print(message, file=sys.stderr, flush=True)


def seed_value(text: str) -> int:
    """argparse type of a ``--seed``: a whole number >= 0 (what NumPy's generators take)."""
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 0, got {text!r}")
    return value


def emit(args: argparse.Namespace, payload: dict[str, Any], render: Callable[[], None]) -> None:
    """Print ``payload`` as one JSON object when ``--json`` was given, else call ``render``."""
    if getattr(args, "json", False):
        json.dump(payload, sys.stdout, default=_json_default)
        sys.stdout.write("\n")
    else:
        render()


def _json_default(obj: Any) -> Any:
    import numpy as np

    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    raise TypeError(f"not JSON serialisable: {type(obj).__name__}")
