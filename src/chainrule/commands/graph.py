"""``chainrule graph``: a formula as a scalar computational graph, with its work shown.

``chainrule graph "(x+y)*z" --at x=-2,y=5,z=-4 --svg graph.svg`` builds the graph, runs the
forward and backward pass, prints both tables and writes the picture.
"""

from __future__ import annotations

import argparse
import math
import os
import re
import sys
import textwrap
from typing import Any

from chainrule.commands.output import add_command, add_json_flag, emit
from chainrule.errors import ConfigError

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


#: Characters of all --at values together; a matrix of 10,000 numbers fits easily.
MAX_AT_CHARS = 200_000
_NUMBER = re.compile(r"\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?|[-+]?inf|nan)\s*", re.I)


def parse_at(items: list[str]) -> dict[str, Any]:
    """``["x=-2,y=5", "w=[1,2]"]`` -> ``{"x": -2.0, "y": 5.0, "w": [1.0, 2.0]}``.

    A value is a number, a list of numbers (a vector) or a list of such lists (a matrix),
    read by a small reader of numbers, brackets and commas (never evaluated); anything
    else, including brackets nested deeper than a matrix, is a ConfigError.
    """
    if sum(len(item) for item in items) > MAX_AT_CHARS:
        raise ConfigError(f"--at values hold more than {MAX_AT_CHARS:,} characters")
    values: dict[str, Any] = {}
    for item in items:
        for part in _split_top_level(item):
            name, sep, text = part.partition("=")
            name, text = name.strip(), text.strip()
            if not sep or not name or not text:
                raise ConfigError(f"--at expects NAME=VALUE pairs such as x=-2, got {_shown(part)}")
            if not name.isprintable() or _SURROGATE.search(name):
                raise ConfigError(f"--at name {_shown(name)} holds a byte that is not text")
            if name in values:
                raise ConfigError(f"--at gives {name!r} twice")
            values[name] = _number_or_list(name, text)
    return values


_SURROGATE = re.compile("[\ud800-\udfff]")


def _shown(text: str) -> str:
    """``text`` quoted, with undecodable bytes written as escapes (always printable)."""
    return repr(text.encode("utf-8", "backslashreplace").decode("utf-8"))


def _split_top_level(text: str) -> list[str]:
    parts, depth, start = [], 0, 0
    for i, char in enumerate(text):
        depth += {"[": 1, "]": -1}.get(char, 0)
        if char == "," and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    parts.append(text[start:])
    return [p for p in parts if p.strip()]


def _number_or_list(name: str, text: str) -> Any:
    shown = _shown(text if len(text) <= 40 else text[:37] + "...")[1:-1]
    hint = f"--at {name}={shown}: expected a number such as -2.5, a list such as [1,2,3]"
    if not text.startswith("["):
        value = _number(text, hint)
        if value is None:
            raise ConfigError(hint)
        return value
    value, end = _list(text, 0, 1, hint + " or a matrix such as [[1,2],[3,4]]")
    if text[end:].strip():
        raise ConfigError(f"{hint}; unexpected {_shown(text[end:][:20])} after the list")
    return value


def _number(text: str, hint: str) -> float | None:
    match = _NUMBER.fullmatch(text)
    if match is None:
        return None
    value = float(match.group(1))
    if not math.isfinite(value):
        raise ConfigError(f"{hint.split(':')[0]}: the value must be finite")
    return value


def _list(text: str, start: int, depth: int, hint: str) -> tuple[list[Any], int]:
    """The list opening at ``text[start]``, and the index after its closing bracket."""
    if depth > 2:
        raise ConfigError(f"{hint}; brackets nest deeper than a matrix")
    items: list[Any] = []
    i = start + 1
    while True:
        j = i
        while j < len(text) and text[j].isspace():
            j += 1
        if j < len(text) and text[j] == "[":
            item, i = _list(text, j, depth + 1, hint)
        else:
            k = j
            while k < len(text) and text[k] not in ",[]":
                k += 1
            if text[j:k].strip() == "" and k < len(text) and text[k] == "]" and not items:
                return items, k + 1  # []
            item, i = _number(text[j:k], hint), k
            if item is None:
                raise ConfigError(f"{hint}; got {_shown(text[j:k][:20])}")
        items.append(item)
        while i < len(text) and text[i].isspace():
            i += 1
        if i >= len(text):
            raise ConfigError(f"{hint}; a list is not closed with ]")
        if text[i] == "]":
            return items, i + 1
        if text[i] != ",":
            raise ConfigError(f"{hint}; unexpected {_shown(text[i])}")
        i += 1


def _caption(formula: str, at: dict[str, Any]) -> str:
    values = ", ".join(f"{name} = {_plain(value)}" for name, value in at.items())
    return f"{formula}   at {values}" if values else formula


def _plain(value: Any) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(_plain(v) for v in value) + "]"
    return f"{value:g}" if isinstance(value, float) else str(value)


def node_records(order: list[Any], labels: dict[Any, str]) -> list[dict[str, Any]]:
    """Each node of a graph in forward ``order`` as plain data: label, operation, value,
    gradient, inputs, local derivatives and flow rule (the ``--json`` output's ``nodes``)."""
    from chainrule.scalar.labels import expression

    return [
        {
            "label": labels[n],
            "op": n.op,
            "operation": expression(n, labels),
            "value": n.data,
            "grad": n.grad,
            "inputs": [labels[a] for a in n.inputs],
            "local_grads": list(n.local_grads),
            "flow": n.flow,
            "flow_words": n.flow_words,
        }
        for n in order
    ]


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
