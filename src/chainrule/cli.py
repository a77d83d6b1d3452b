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
import difflib
import importlib
import json
import os
import signal
import sys
from collections.abc import Callable, Sequence
from typing import Any

from chainrule.errors import ChainruleError

#: Subcommand modules under ``chainrule.commands``, in the order ``--help`` lists them.
COMMANDS: tuple[str, ...] = ("gradcheck", "rbm", "train", "evaluate", "predict", "graph")

EXIT_OK, EXIT_FAILURE, EXIT_USAGE, EXIT_CHECK_FAILED, EXIT_BAD_DATA = 0, 1, 2, 3, 4
EXIT_INTERRUPTED = 130
#: Exit code of a run ended by SIGTERM (128 + 15, what shells and batch systems expect).
EXIT_TERMINATED = 143

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


class Terminated(KeyboardInterrupt):
    """SIGTERM (a batch system ending the job), handled like Ctrl-C: training saves its
    state, and the command exits with :data:`EXIT_TERMINATED`."""


class _Parser(argparse.ArgumentParser):
    """argparse that exits with code 2 and a one-line message (its default too), kept
    explicit so usage errors stay distinguishable from job failures; under ``--json`` it
    also prints the JSON error object on stdout."""

    json_errors = False

    def error(self, message: str) -> None:  # type: ignore[override]
        if _Parser.json_errors:
            _json_error("UsageError", f"{self.prog}: {message}", EXIT_USAGE)
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


def _json_error(kind: str, message: str, code: int) -> None:
    payload = {"ok": False, "error": kind, "message": message, "exit_code": code}
    json.dump(payload, sys.stdout)
    sys.stdout.write("\n")
    sys.stdout.flush()


def add_json_flag(parser: argparse.ArgumentParser) -> None:
    """Give a subcommand the common ``--json`` and ``-q/--quiet`` flags."""
    parser.add_argument(
        "--json",
        action="store_true",
        help="print one JSON object on stdout (progress stays on stderr)",
    )
    if "--quiet" not in parser._option_string_actions:
        parser.add_argument(
            "-q", "--quiet", action="store_true", help="no progress or notes on stderr"
        )


def seed_value(text: str) -> int:
    """argparse type of a ``--seed``: a whole number >= 0 (what NumPy's generators take)."""
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 0, got {text!r}")
    return value


def note(args: argparse.Namespace, message: str) -> None:
    """Print a progress line or note on stderr unless ``--quiet`` (or ``--json``) was given."""
    if not (getattr(args, "quiet", False) or getattr(args, "json", False)):
        print(message, file=sys.stderr, flush=True)


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
    """Entry point of the ``chainrule`` console script; returns the exit code.

    No user mistake ends in a traceback: argparse errors (also under ``--json``), a
    ChainruleError, an OSError on a path the user gave, Ctrl-C (130) and SIGTERM (143),
    even while the modules are still loading, are each one message and an exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    _Parser.json_errors = "--json" in argv
    previous = _install_sigterm()
    try:
        return _main(argv)
    except Terminated:
        print("terminated", file=sys.stderr)
        return EXIT_TERMINATED
    except KeyboardInterrupt as err:
        if getattr(err, "signal", None) == signal.SIGTERM:
            return EXIT_TERMINATED
        print("interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    finally:
        _Parser.json_errors = False
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def _install_sigterm() -> Any:
    def on_sigterm(signum: int, frame: Any) -> None:
        raise Terminated("terminated")

    try:
        return signal.signal(signal.SIGTERM, on_sigterm)
    except ValueError:  # not the main thread (an embedding program): leave signals alone
        return None


def _main(argv: list[str]) -> int:
    parser = build_parser()
    # argparse's --help, --version and usage errors end in SystemExit (code 0 or 2), as
    # argparse's own callers expect
    args, extras = parser.parse_known_args(argv)
    if extras:
        _unknown_arguments(parser, args, extras)
    command = getattr(args, "command", "")
    try:
        code = args.func(args)
    except BrokenPipeError:
        # The reader went away (``chainrule ... | head``): not an error of the job.
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - keeps Python's exit flush quiet
        return EXIT_OK
    except KeyboardInterrupt as err:
        return _interrupted(args, command, err)
    except ChainruleError as err:
        return _report(args, command, type(err).__name__, str(err), err.exit_code)
    except OSError as err:
        # A path the user gave cannot be read or written (a folder under /proc, a file
        # where a folder is needed, no permission): the system's reason and the path.
        where = f": {err.filename}" if err.filename else ""
        message = f"{err.strerror or err}{where}"
        return _report(args, command, type(err).__name__, message, EXIT_FAILURE)
    return int(code or 0)


def _interrupted(args: argparse.Namespace, command: str, err: KeyboardInterrupt) -> int:
    """Ctrl-C (130) or SIGTERM (143): one line on stderr (training has already said where it
    stopped and what it saved, unless ``--quiet``), the JSON error object under ``--json``."""
    terminated = isinstance(err, Terminated) or getattr(err, "signal", None) == signal.SIGTERM
    code = EXIT_TERMINATED if terminated else EXIT_INTERRUPTED
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
            message = (
                f"unrecognized option {flag} (see chainrule {chosen.prog.split(' ', 1)[-1]} -h)"
            )
    chosen.error(message)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
