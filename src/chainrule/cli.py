"""The ``chainrule`` command: one dispatcher, one module per subcommand.

Each subcommand lives in ``chainrule.commands.<name>`` and defines
``register(subparsers) -> argparse.ArgumentParser`` whose parser sets ``func``: a callable
``func(args) -> int`` that does the job, prints human output on stdout (progress on stderr),
or with ``--json`` one JSON object on stdout through
:func:`chainrule.commands.output.emit`.

The exit code is 0 when the job succeeds, else the ``exit_code`` of the error class that
stopped it (:mod:`chainrule.errors` holds them all). No user mistake ends in a traceback:
a :class:`~chainrule.errors.ChainruleError`, an argparse usage error (with a did-you-mean
for a mistyped option), an OSError on a path the user gave, Ctrl-C and SIGTERM, even while
the modules are still loading, are each one message and an exit code, and under ``--json``
also the JSON error object ``{"ok": false, "error", "message", "exit_code"}`` on stdout.
"""

from __future__ import annotations

import argparse
import difflib
import importlib
import json
import os
import signal
import sys
from collections.abc import Sequence
from typing import Any

from chainrule.errors import ChainruleError, ConfigError, Interrupted, Terminated

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

#: Long options people type from other tools, and ours that mean the same.
SYNONYMS: dict[str, str] = {
    "--learning-rate": "--lr",
    "--learning_rate": "--lr",
    "--batch": "--batch-size",
    "--batch_size": "--batch-size",
    "--epoch": "--epochs",
    "--weight-decay": "--l2",
    "--output": "--out",
}


class _Parser(argparse.ArgumentParser):
    """argparse that exits with a :class:`~chainrule.errors.ConfigError`'s code (a usage
    error is one) and a one-line message, kept explicit so usage errors stay
    distinguishable from job failures; under ``--json`` it also prints the JSON error
    object on stdout."""

    json_errors = False

    def error(self, message: str) -> None:  # type: ignore[override]
        if _Parser.json_errors:
            _json_error("UsageError", f"{self.prog}: {message}", ConfigError.exit_code)
        self.print_usage(sys.stderr)
        self.exit(ConfigError.exit_code, f"{self.prog}: error: {message}\n")


def _json_error(kind: str, message: str, code: int) -> None:
    payload = {"ok": False, "error": kind, "message": message, "exit_code": code}
    json.dump(payload, sys.stdout)
    sys.stdout.write("\n")
    sys.stdout.flush()


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
    """Entry point of the ``chainrule`` console script; returns the exit code (argparse's
    ``--help`` and ``--version`` end in its SystemExit with 0, a usage error with a
    :class:`~chainrule.errors.ConfigError`'s code)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    _Parser.json_errors = "--json" in argv
    previous = _install_sigterm()
    previous_int, seen = _install_sigint()
    try:
        return _main(argv)
    except KeyboardInterrupt as err:  # while the modules load, before a command runs
        code = getattr(err, "exit_code", Interrupted.exit_code)
        print("terminated" if code == Terminated.exit_code else "interrupted", file=sys.stderr)
        return code
    except ImportError:
        # A Ctrl-C inside an extension module's C initialisation (NumPy's) surfaces as
        # that module's ImportError, not as KeyboardInterrupt.
        if not seen:
            raise
        print("interrupted", file=sys.stderr)
        return Interrupted.exit_code
    finally:
        _Parser.json_errors = False
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
        if previous_int is not None:
            signal.signal(signal.SIGINT, previous_int)


def _install_sigint() -> tuple[Any, list[int]]:
    """Python's own Ctrl-C behaviour, also noting that a Ctrl-C arrived (see ``main``)."""
    seen: list[int] = []

    def on_sigint(signum: int, frame: Any) -> None:
        seen.append(signum)
        signal.default_int_handler(signum, frame)

    try:
        return signal.signal(signal.SIGINT, on_sigint), seen
    except ValueError:  # not the main thread
        return None, seen


def _install_sigterm() -> Any:
    def on_sigterm(signum: int, frame: Any) -> None:
        raise Terminated("terminated")

    try:
        return signal.signal(signal.SIGTERM, on_sigterm)
    except ValueError:  # not the main thread (an embedding program): leave signals alone
        return None


def _main(argv: list[str]) -> int:
    parser = build_parser()
    args, extras = parser.parse_known_args(_with_default_action(argv))
    if extras:
        _unknown_arguments(parser, args, extras)
    command = getattr(args, "command", "")
    try:
        code = args.func(args)
    except BrokenPipeError:
        # The reader went away (``chainrule ... | head``): not an error of the job.
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - keeps Python's exit flush quiet
        return 0
    except KeyboardInterrupt as err:
        return _interrupted(args, command, err)
    except ChainruleError as err:
        return _report(args, command, type(err).__name__, str(err), err.exit_code)
    except OSError as err:
        # A path the user gave cannot be read or written (no permission, a full disk):
        # the system's reason and the path, as a failure of the job.
        where = f": {err.filename}" if err.filename else ""
        return _report(args, command, type(err).__name__, f"{err.strerror or err}{where}", 1)
    return int(code or 0)


#: Flags every command has: alone after ``rbm`` they ask for no training.
_GENERAL_FLAGS = ("-h", "--help", "--json", "-q", "--quiet")


def _with_default_action(argv: list[str]) -> list[str]:
    """``chainrule rbm --epochs 5`` as ``chainrule rbm train --epochs 5``: ``train`` is the
    group's one action, so options straight after ``rbm`` are its options."""
    if argv[:1] != ["rbm"] or len(argv) < 2 or not argv[1].startswith("-"):
        return argv
    if all(a in _GENERAL_FLAGS for a in argv[1:] if a.startswith("-")):
        return argv
    return ["rbm", "train", *argv[1:]]


def _interrupted(args: argparse.Namespace, command: str, err: KeyboardInterrupt) -> int:
    """Ctrl-C or SIGTERM (the codes of :class:`~chainrule.errors.Interrupted` and
    :class:`~chainrule.errors.Terminated`): one line on stderr (training has already said where it
    stopped and what it saved, unless ``--quiet``), the JSON error object under ``--json``."""
    code = getattr(err, "exit_code", Interrupted.exit_code)
    terminated = code == Terminated.exit_code
    message = str(err) or ("terminated" if terminated else "interrupted")
    if getattr(args, "json", False):
        _json_error("Terminated" if terminated else "Interrupted", message, code)
    if not hasattr(err, "checkpoint") or getattr(args, "quiet", False):
        print(f"chainrule {command}: {message}", file=sys.stderr)
    return code


def _report(args: argparse.Namespace, command: str, kind: str, message: str, code: int) -> int:
    if getattr(args, "json", False):
        _json_error(kind, message, code)
    print(f"chainrule {command}: error: {message}", file=sys.stderr)
    return code


def _chosen_parser(parser: argparse.ArgumentParser, args: argparse.Namespace) -> Any:
    """The (sub)parser of the subcommand the user chose: ``train``, ``rbm train``, ..."""
    current = parser
    while True:
        subs = [a for a in current._actions if isinstance(a, argparse._SubParsersAction)]
        if not subs:
            return current
        chosen = getattr(args, subs[0].dest, None)
        if chosen not in subs[0].choices:
            return current
        current = subs[0].choices[chosen]


def _unknown_arguments(
    parser: argparse.ArgumentParser, args: argparse.Namespace, extras: list[str]
) -> None:
    """A usage error from the chosen subcommand, with a did-you-mean for a mistyped option."""
    chosen = _chosen_parser(parser, args)
    first = extras[0]
    message = f"unrecognized arguments: {' '.join(extras)}"
    if first.startswith("-"):
        flag = first.split("=", 1)[0]
        options = [o for o in chosen._option_string_actions if o.startswith("--")]
        close = [SYNONYMS[flag]] if SYNONYMS.get(flag) in options else []
        close = close or difflib.get_close_matches(flag, options, n=1, cutoff=0.75)
        if close:
            message = f"unrecognized option {flag}; did you mean {close[0]}?"
        else:
            command = chosen.prog.split(" ", 1)[-1]
            message = f"unrecognized option {flag} (see chainrule {command} -h)"
    chosen.error(message)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
