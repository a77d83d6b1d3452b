"""``chainrule graph``: a formula as a scalar computational graph, with its work shown.

``chainrule graph "(x+y)*z" --at x=-2,y=5,z=-4 --svg graph.svg`` builds the graph, runs the
forward and backward pass, prints both tables and writes the picture.
"""

from __future__ import annotations

import argparse
import os
import sys
import textwrap
from typing import Any

from chainrule.commands.output import add_command, add_json_flag, emit
from chainrule.errors import ConfigError
from chainrule.scalar.inputs import node_records, parse_at

HELP = "show the forward and backward pass of a formula, node by node"
DESCRIPTION = (
    "Build the scalar computational graph of a formula (plain text or LaTeX), run "
    "backpropagation from its value, print a forward and a backward table with every "
    "node's value, local derivatives, upstream gradient and flow rule, and optionally "
    "draw the graph. Vectors given as lists are expanded into scalars: w=[1,2,3] gives "
    "the leaves w0, w1, w2."
)
EPILOG = 'example: chainrule graph "(x+y)*z" --at x=-2,y=5,z=-4 --svg graph.svg'


def register(subparsers) -> argparse.ArgumentParser:
    parser = add_command(subparsers, "graph", HELP, DESCRIPTION, run, epilog=EPILOG)
    parser.add_argument("formula", help='the formula, e.g. "(x+y)*z" or "\\sigma(w^T x + b)"')
    parser.add_argument(
        "--at",
        action="append",
        default=[],
        metavar="NAME=VALUE,...",
        help="values of the inputs, e.g. x=-2,y=5 or w=[2,-3,2] (repeatable)",
    )
    parser.add_argument("--svg", metavar="PATH", help="write the picture of the graph as SVG")
    parser.add_argument("--dot", metavar="PATH", help="write the graph as Graphviz DOT text")
    parser.add_argument(
        "--format",
        choices=("text", "markdown", "latex"),
        default="text",
        help="how to print the tables (default: text)",
    )
    add_json_flag(parser)
    return parser


def _caption(formula: str, at: dict[str, Any]) -> str:
    values = ", ".join(f"{name} = {_plain(value)}" for name, value in at.items())
    return f"{formula}   at {values}" if values else formula


def _plain(value: Any) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(_plain(v) for v in value) + "]"
    return f"{value:g}" if isinstance(value, float) else str(value)


def run(args: argparse.Namespace) -> int:
    from chainrule.scalar import build, save_svg, to_dot
    from chainrule.scalar.labels import label_nodes
    from chainrule.scalar.value import topological_order

    at = parse_at(args.at)
    out, leaves = build(args.formula, at=at)
    out.backward()
    if args.svg:
        save_svg(out, args.svg, title=_caption(args.formula, at))
    if args.dot:
        try:
            with open(args.dot, "w", encoding="utf-8") as handle:
                handle.write(to_dot(out))
        except OSError as err:
            raise ConfigError(f"cannot write the DOT file {args.dot!r}: {err.strerror}") from err

    order = topological_order(out)
    labels = label_nodes(out, order)
    unused = _unused(at, leaves, set(order))
    for name in unused:
        print(
            f"chainrule graph: warning: --at gives {name}, which the formula does not use",
            file=sys.stderr,
        )
    payload = {
        "ok": True,
        "formula": args.formula,
        "at": at,
        "value": out.data,
        "gradients": {name: leaf.grad for name, leaf in leaves.items()},
        "nodes": node_records(order, labels),
        "svg": args.svg,
        "dot": args.dot,
        "warnings": [f"--at gives {name}, which the formula does not use" for name in unused],
    }
    emit(args, payload, lambda: _render(args, out, leaves, labels[out]))
    return 0


def _unused(at: dict[str, Any], leaves: dict[str, Any], graph: set[Any]) -> list[str]:
    """The --at names none of whose leaves (``w`` has ``w0, w1, ...``) is in the graph."""
    used = {id(leaf) for leaf in graph}
    by_name: dict[str, bool] = {name: False for name in at}
    names = list(at)
    for leaf_name, leaf in leaves.items():
        owner = next((n for n in names if leaf_name == n or leaf_name.startswith(n)), None)
        owner = leaf_name if leaf_name in by_name else owner
        if owner is not None and id(leaf) in used:
            by_name[owner] = True
    return [name for name, seen in by_name.items() if not seen]


def _render(args: argparse.Namespace, out: Any, leaves: dict[str, Any], name: str) -> None:
    """The tables (fitted to the terminal's width), the value and the gradients."""
    from rich.console import Console

    from chainrule.scalar import table
    from chainrule.scalar.table import WIDE, print_tables

    console = Console(highlight=False)
    if not console.is_terminal and "COLUMNS" not in os.environ:
        console = Console(highlight=False, width=WIDE)  # a file or pipe: the full words
    if args.format == "text":
        print_tables(out, console)
    else:
        sys.stdout.write(table(out, args.format))
    grads = ", ".join(f"∂{name}/∂{leaf} = {node.grad:.6g}" for leaf, node in leaves.items())
    print(f"\n{name} = {out.data:.6g}")
    print(
        textwrap.fill(f"gradients: {grads}", width=max(40, console.width), subsequent_indent="  ")
    )
    for path in (args.svg, args.dot):
        if path:
            print(f"wrote {path}")
