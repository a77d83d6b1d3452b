"""The ``chainrule`` command: one dispatcher, one module per subcommand.

Each subcommand lives in ``chainrule.commands.<name>`` and defines
``register(subparsers) -> argparse.ArgumentParser`` whose parser sets ``func``: a callable
``func(args) -> int`` that does the job, prints human output on stdout (progress on stderr),
or with ``--json`` one JSON object on stdout through
:func:`chainrule.commands.output.emit`.

The exit code is 0 when the job succeeds, else the ``exit_code`` of the error class that
stopped it (:mod:`chainrule.errors` holds them all). A
:class:`~chainrule.errors.ChainruleError` is printed as its message, never as a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import sys
from collections.abc import Sequence

from chainrule.errors import ChainruleError, ConfigError, Interrupted

#: Subcommand modules under ``chainrule.commands``, in the order ``--help`` lists them.
COMMANDS: tuple[str, ...] = (
    "gradcheck",
    "rbm",
    "train",
    "evaluate",
    "predict",
    "graph",
    "explore",
    "derive",
    "check",
)


class _Parser(argparse.ArgumentParser):
    """argparse that exits with a :class:`~chainrule.errors.ConfigError`'s code (a usage
    error is one) and a one-line message, kept explicit so usage errors stay
    distinguishable from job failures."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        self.exit(ConfigError.exit_code, f"{self.prog}: error: {message}\n")


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
        return 0
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return Interrupted.exit_code
    except ChainruleError as err:
        if getattr(args, "json", False):
            json.dump({"ok": False, "error": type(err).__name__, "message": str(err)}, sys.stdout)
            sys.stdout.write("\n")
        print(f"chainrule {args.command}: error: {err}", file=sys.stderr)
        return err.exit_code
    return int(code or 0)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
