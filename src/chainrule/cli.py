"""The ``chainrule`` command: one dispatcher, one module per subcommand.

Each subcommand lives in ``chainrule.commands.<name>`` and defines
``register(subparsers) -> argparse.ArgumentParser`` whose parser sets ``func``: a callable
``func(args) -> int`` that does the job, prints human output on stdout (progress on stderr),
or with ``--json`` one JSON object on stdout through :func:`emit`.

Exit codes: 0 ok, 1 failure of the job, 2 usage or config error, 3 a check failed,
4 bad data or checkpoint, 130 interrupted. A :class:`~chainrule.errors.ChainruleError`
is printed as its message, never as a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import sys
from collections.abc import Callable, Sequence
from typing import Any

from chainrule.errors import ChainruleError

#: Subcommand modules under ``chainrule.commands``, in the order ``--help`` lists them.
COMMANDS: tuple[str, ...] = (
    "gradcheck",
    "rbm",
    "train",
    "evaluate",
    "predict",
    "graph",
    "explore",
)

EXIT_OK, EXIT_FAILURE, EXIT_USAGE, EXIT_CHECK_FAILED, EXIT_BAD_DATA = 0, 1, 2, 3, 4
EXIT_INTERRUPTED = 130


class _Parser(argparse.ArgumentParser):
    """argparse that exits with code 2 and a one-line message (its default too), kept
    explicit so usage errors stay distinguishable from job failures."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


def add_json_flag(parser: argparse.ArgumentParser) -> None:
    """Give a subcommand the common ``--json`` flag."""
    parser.add_argument(
        "--json",
        action="store_true",
        help="print one JSON object on stdout (progress stays on stderr)",
    )


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


def build_parser() -> argparse.ArgumentParser:
    from chainrule import __version__

    parser = _Parser(
        prog="chainrule",
        description="Backpropagation you can read and trust.",
    )
    parser.add_argument("--version", action="version", version=f"chainrule {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True
    for name in COMMANDS:
        module = importlib.import_module(f"chainrule.commands.{name}")
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``chainrule`` console script; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        code = args.func(args)
    except BrokenPipeError:
        # The reader went away (``chainrule ... | head``): not an error of the job.
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - keeps Python's exit flush quiet
        return EXIT_OK
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except ChainruleError as err:
        if getattr(args, "json", False):
            json.dump({"ok": False, "error": type(err).__name__, "message": str(err)}, sys.stdout)
            sys.stdout.write("\n")
        print(f"chainrule {args.command}: error: {err}", file=sys.stderr)
        return err.exit_code
    return int(code or 0)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
