"""``chainrule explore``: a local web page to step through backpropagation on a live network.

``chainrule explore`` opens seed 003's 2-2-1 network; ``--model NAME`` a zoo network,
``--layers "3-relu-1" --loss half-squared-error`` a network of your own, ``CHECKPOINT`` a
trained one; ``--data digits`` its first examples. The server listens on 127.0.0.1 only and
runs until Ctrl-C.
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
import threading

from chainrule.arguments import positive_int
from chainrule.commands.output import add_json_flag, emit
from chainrule.errors import ConfigError

#: Modules of the optional extra ``explore`` (pip install "chainrule[explore]").
WEB_MODULES = ("starlette", "uvicorn", "latex2mathml")
DEFAULT_PORT = 8765


def register(subparsers) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "explore",
        help="a local web page to step through backprop on a live network",
        description=__doc__.split("\n\n")[1].replace("\n", " ").replace("``", ""),
    )
    add = parser.add_argument
    add("checkpoint", nargs="?", metavar="CHECKPOINT", help="a model.chainrule file to explore")
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--model", metavar="NAME", help="a zoo network (chainrule gradcheck --list)")
    group.add_argument("--layers", metavar="SPEC", help='widths and activations: "3-relu-1"')
    add("--loss", help="the loss of a --layers network (default: half-squared-error)")
    add("--inputs", type=int, help="input width of a --layers network without --data (2)")
    add("--data", metavar="SOURCE", help="digits | csv:FILE | npz:FILE | mnist:DIR | ...")
    add("--rows", type=int, default=8, help="examples taken from --data (8)")
    add("--seed", type=int, default=0, help="seed of the initial weights (0)")
    add(
        "--port", type=int, default=DEFAULT_PORT, help=f"port on 127.0.0.1 ({DEFAULT_PORT}; 0: any)"
    )
    add("--no-browser", action="store_true", help="print the address, do not open a browser")
    add_json_flag(parser)
    parser.set_defaults(func=run)
    return parser


def check_web_stack() -> None:
    """Raise a ConfigError naming the extra when a module of the web stack is missing."""
    missing = [m for m in WEB_MODULES if importlib.util.find_spec(m) is None]
    if missing:
        raise ConfigError(
            f"explore needs {', '.join(missing)}, which {'is' if len(missing) == 1 else 'are'} "
            'not installed; install the extra: pip install "chainrule[explore]"'
        )


def check_arguments(args: argparse.Namespace) -> None:
    """Refuse contradictory or empty choices before anything is loaded (ConfigError, exit 2)."""
    if args.checkpoint and (args.model or args.layers):
        raise ConfigError("give a CHECKPOINT or --model or --layers, not two of them")
    if args.layers is not None and not args.layers.strip():
        raise ConfigError('--layers is empty; give widths and activations such as "3-relu-1"')
    if args.inputs is not None:
        if not args.layers:
            raise ConfigError("--inputs sets the input width of a --layers network; give --layers")
        positive_int(args.inputs, f"--inputs must be a whole number >= 1, got {args.inputs}")
    positive_int(args.rows, f"--rows must be a whole number >= 1, got {args.rows}")


def run(args: argparse.Namespace) -> int:
    check_arguments(args)
    check_web_stack()
    from chainrule.explore.network import build_setup, load_examples
    from chainrule.explore.server import address, bind, serve
    from chainrule.explore.session import Session

    data = load_examples(args.data, args.rows) if args.data else None
    setup = build_setup(
        model=args.model,
        layers=args.layers,
        loss=args.loss,
        inputs=args.inputs,
        checkpoint=args.checkpoint,
        data=data,
        seed=args.seed,
    )
    session = Session(setup)
    sock = bind(args.port)
    url = address(sock)
    payload = {
        "ok": True,
        "url": url,
        "network": setup.title,
        "parameters": session.n_parameters,
    }

    def render() -> None:
        print(f"chainrule explore: {setup.title} at {url}  (Ctrl-C stops)")

    emit(args, payload, render)
    sys.stdout.flush()
    if not args.no_browser:
        threading.Timer(0.5, _open, args=(url,)).start()
    try:
        serve(session, sock)
    except KeyboardInterrupt:
        pass  # Ctrl-C is how a server is stopped: not a failure
    finally:
        sock.close()
    print("chainrule explore: stopped", file=sys.stderr)
    return 0


def _open(url: str) -> None:
    import webbrowser

    try:
        webbrowser.open(url)
    except Exception as err:  # a missing browser is no reason to stop the server
        print(f"chainrule explore: could not open a browser ({err}); open {url}", file=sys.stderr)
