"""The forward and backward pass of a scalar graph as tables: rich text, Markdown, LaTeX.

The forward table lists every node in topological order (inputs first) with its operation,
value and local derivatives :math:`\\partial z/\\partial a_i`. The backward table lists them in
reverse, the order backpropagation visits them, with the upstream gradient
:math:`\\partial L/\\partial z`, the flow rule in words and the gradient each input receives
from this node, :math:`\\partial L/\\partial z \\cdot \\partial z/\\partial a_i`.

Call ``out.backward()`` first; the tables show whatever gradients the nodes hold.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from chainrule.errors import ConfigError
from chainrule.scalar.labels import (
    expression,
    fmt,
    label_nodes,
    latex_expression,
    latex_label,
    latex_number,
)
from chainrule.scalar.value import Value, topological_order

__all__ = ["MAX_TEXT_ROWS", "WIDE", "Row", "print_tables", "rich_tables", "rows", "table"]

FORMATS = ("text", "markdown", "latex")


@dataclass(frozen=True)
class Row:
    """One node of the graph, with everything both tables show.

    Attributes
    ----------
    step : int
        Position in the forward order, from 1.
    node : Value
    label : str
        The node's label (see :func:`chainrule.scalar.labels.label_nodes`).
    operation : str
        E.g. ``"x + y"``; ``"input"`` or ``"constant"`` for a leaf.
    latex_operation : str
    inputs : tuple of str
        The labels of the inputs.
    local : tuple of float
        :math:`\\partial z/\\partial a_i` for each input.
    upstream : float
        :math:`\\partial L/\\partial z`, the node's ``grad``.
    passed : tuple of float
        :math:`\\partial L/\\partial z \\cdot \\partial z/\\partial a_i` for each input.
    flow : str
        The flow rule in words.
    """

    step: int
    node: Value
    label: str
    operation: str
    latex_operation: str
    inputs: tuple[str, ...]
    local: tuple[float, ...]
    upstream: float
    passed: tuple[float, ...]
    flow: str

    @property
    def value(self) -> float:
        return self.node.data


def rows(out: Value) -> list[Row]:
    """One :class:`Row` per node of ``out``'s graph, in forward (topological) order."""
    order = topological_order(out)
    labels = label_nodes(out, order)
    result = []
    for step, node in enumerate(order, start=1):
        result.append(
            Row(
                step=step,
                node=node,
                label=labels[node],
                operation=expression(node, labels),
                latex_operation=latex_expression(node, labels),
                inputs=tuple(labels[a] for a in node.inputs),
                local=node.local_grads,
                upstream=node.grad,
                passed=tuple(node.grad * d for d in node.local_grads),
                flow=node.flow_words,
            )
        )
    return result


#: How a local derivative and a gradient passed down read, per format ("narrow": a
#: terminal under :data:`WIDE` columns). Fields: ``z`` the node, ``a`` an input, ``d`` the
#: local derivative, ``up`` the upstream gradient, ``g`` the gradient passed to ``a``.
_LOCAL = {
    "text": "∂{z}/∂{a} = {d}",
    "latex": "\\frac{{\\partial {z}}}{{\\partial {a}}} = {d}",
}
_PASSED = {
    "text": "to {a}: {up} × {d} = {g}",
    "narrow": "{a} ← {up}×{d} = {g}",
    "latex": "{a}: {up} \\cdot {d} = {g}",
}


def _parts(
    row: Row,
    template: str,
    label: Callable[[str], str] = str,
    number: Callable[[float], str] = fmt,
) -> list[str]:
    """One ``template`` per input of ``row``, labels and numbers written by ``label`` and
    ``number``."""
    return [
        template.format(
            z=label(row.label), a=label(a), d=number(d), up=number(row.upstream), g=number(g)
        )
        for a, d, g in zip(row.inputs, row.local, row.passed, strict=True)
    ]


def _local_text(row: Row) -> str:
    return ", ".join(_parts(row, _LOCAL["text"])) or "-"


def _passed_text(row: Row) -> str:
    return "; ".join(_parts(row, _PASSED["text"])) or "- (final gradient)"


def _latex_cell(row: Row, template: str, sep: str, empty: str) -> str:
    parts = _parts(row, template, latex_label, latex_number)
    return "$" + sep.join(parts) + "$" if parts else empty


def _columns(out_label: str) -> tuple[list[str], list[str]]:
    forward = ["step", "node", "operation", "value", "local derivatives"]
    backward = ["step", "node", f"upstream ∂{out_label}/∂node", "flow rule", "passed down"]
    return forward, backward


def _cells(all_rows: list[Row]) -> tuple[list[list[str]], list[list[str]]]:
    forward = [[str(r.step), r.label, r.operation, fmt(r.value), _local_text(r)] for r in all_rows]
    backward = [
        [str(i), r.label, fmt(r.upstream), r.flow, _passed_text(r)]
        for i, r in enumerate(reversed(all_rows), start=1)
    ]
    return forward, backward


def to_markdown(out: Value) -> str:
    """Both tables as GitHub-flavoured Markdown."""
    all_rows = rows(out)
    fwd_head, bwd_head = _columns(all_rows[-1].label)
    fwd, bwd = _cells(all_rows)

    def block(head: list[str], body: list[list[str]]) -> str:
        def line(cells: list[str]) -> str:
            return "| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |"

        return "\n".join([line(head), "|" + "---|" * len(head), *map(line, body)])

    return (
        "**Forward pass** (inputs first)\n\n"
        + block(fwd_head, fwd)
        + "\n\n**Backward pass** (from the output back to the inputs)\n\n"
        + block(bwd_head, bwd)
        + "\n"
    )


def to_latex(out: Value) -> str:
    """Both tables as LaTeX ``tabular`` environments (no packages needed)."""
    all_rows = rows(out)
    out_tex = latex_label(all_rows[-1].label)

    lines = [
        "% Forward pass (inputs first)",
        "\\begin{tabular}{rllll}",
        "\\hline",
        "step & node & operation & value & local derivatives \\\\",
        "\\hline",
    ]
    for r in all_rows:
        op = f"${r.latex_operation}$" if r.inputs else r.operation
        local = _latex_cell(r, _LOCAL["latex"], ",\\ ", "---")
        lines.append(
            f"{r.step} & ${latex_label(r.label)}$ & {op} & ${latex_number(r.value)}$ & {local} \\\\"
        )
    lines += [
        "\\hline",
        "\\end{tabular}",
        "",
        "% Backward pass (from the output back to the inputs)",
        "\\begin{tabular}{rllll}",
        "\\hline",
        f"step & node & upstream $\\partial {out_tex}/\\partial \\cdot$ & flow rule & "
        "passed down \\\\",
        "\\hline",
    ]
    for i, r in enumerate(reversed(all_rows), start=1):
        flow = r.flow.replace("&", "\\&").replace("^", "\\^{}")
        passed = _latex_cell(r, _PASSED["latex"], ";\\ ", "--- (final gradient)")
        lines.append(
            f"{i} & ${latex_label(r.label)}$ & ${latex_number(r.upstream)}$ & {flow} & "
            f"{passed} \\\\"
        )
    lines += ["\\hline", "\\end{tabular}", ""]
    return "\n".join(lines)


#: Terminals at least this wide get the flow rules in words; narrower ones their names.
WIDE = 120
#: Rows a text table shows; a larger graph shows its first and last rows and says so.
MAX_TEXT_ROWS = 200


def _narrow_cells(all_rows: list[Row]) -> tuple[list[list[str]], list[list[str]]]:
    """Both tables for a terminal under :data:`WIDE` columns: one local derivative or one
    gradient passed down per line, and the flow rule by its short name."""
    forward = [
        [str(r.step), r.label, r.operation, fmt(r.value), _local_text(r).replace(", ", "\n")]
        for r in all_rows
    ]
    backward = [
        [
            str(i),
            r.label,
            fmt(r.upstream),
            r.node.flow,
            "\n".join(_parts(r, _PASSED["narrow"])) or "-",
        ]
        for i, r in enumerate(reversed(all_rows), start=1)
    ]
    return forward, backward


def _elided(cells: list[list[str]], limit: int) -> list[list[str]]:
    if len(cells) <= limit:
        return cells
    keep = limit // 2
    gap = len(cells) - 2 * keep
    note = f"... {gap:,} more rows (--format markdown or --json lists all)"
    return [*cells[:keep], ["...", "", note, "", ""], *cells[-keep:]]


def rich_tables(out: Value, width: int = WIDE, max_rows: int | None = None) -> tuple[Any, Any]:
    """The forward and backward tables as two ``rich.table.Table`` objects.

    ``width`` is the console's: under :data:`WIDE` the backward table names each flow rule
    (``distribute``) instead of stating it in words. With ``max_rows``, a longer table shows
    its first and last rows and a row saying how many are left out.
    """
    from rich.table import Table

    all_rows = rows(out)
    fwd_head, bwd_head = _columns(all_rows[-1].label)
    fwd, bwd = _cells(all_rows)
    if width < WIDE:
        bwd_head[3] = "flow"
        bwd_head[4] = "passed down (input ← upstream × local)"
        fwd, bwd = _narrow_cells(all_rows)
    if max_rows is not None:
        fwd, bwd = _elided(fwd, max_rows), _elided(bwd, max_rows)
    forward = Table(title="Forward pass (inputs first)", title_justify="left")
    backward = Table(title="Backward pass (output first)", title_justify="left")
    for table_, head in ((forward, fwd_head), (backward, bwd_head)):
        for column in head:
            numeric = column in ("step", "value") or column.startswith("upstream")
            table_.add_column(column, justify="right" if numeric else "left", overflow="fold")
    for cells in fwd:
        forward.add_row(*cells)
    for cells in bwd:
        backward.add_row(*cells)
    return forward, backward


def print_tables(out: Value, console: Any = None, max_rows: int | None = MAX_TEXT_ROWS) -> None:
    """Print both tables to a rich console (stdout by default), fitted to its width."""
    from rich.console import Console

    console = Console() if console is None else console
    forward, backward = rich_tables(out, console.width, max_rows)
    console.print(forward)
    console.print(backward)


def to_text(out: Value, width: int = WIDE, max_rows: int | None = MAX_TEXT_ROWS) -> str:
    """Both tables as plain text (rich box drawing, no colour codes), ``width`` columns."""
    from rich.console import Console

    buffer = io.StringIO()
    console = Console(file=buffer, width=width, color_system=None, force_terminal=False)
    print_tables(out, console, max_rows)
    return buffer.getvalue()


def table(out: Value, format: str = "text") -> str:
    """Both tables of ``out``'s graph as a string.

    Parameters
    ----------
    out : Value
        The output node; call ``out.backward()`` first to see gradients.
    format : {"text", "markdown", "latex"}

    Examples
    --------
    >>> from chainrule.scalar import Value
    >>> x, y = Value(2.0, name="x"), Value(3.0, name="y")
    >>> L = x * y
    >>> L.backward()
    >>> print(table(L, "markdown").splitlines()[6])
    | 3 | v1 | x * y | 6 | ∂v1/∂x = 3, ∂v1/∂y = 2 |
    """
    writers = {"text": to_text, "markdown": to_markdown, "latex": to_latex}
    if format in writers:
        return writers[format](out)
    raise ConfigError(f"table format must be one of {', '.join(FORMATS)}, got {format!r}")
