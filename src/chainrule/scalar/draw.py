"""Pictures of a scalar graph: SVG written by hand (no Graphviz needed) and DOT text.

Layout: layered, left to right. An operation sits one layer right of its deepest input; a leaf
sits just left of the first layer that uses it, so a bias added late is drawn next to where it
enters. Inside a layer, nodes are placed at the mean height of their inputs (barycentre), then
pushed apart so that none overlap. Each node shows its label and operation, its value (green)
and its gradient (red); each edge carries, in red, the gradient that flows back along it:
:math:`\\partial L/\\partial z \\cdot \\partial z/\\partial a`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from html import escape

from chainrule.errors import ConfigError
from chainrule.scalar.labels import expression, fmt, label_nodes
from chainrule.scalar.value import Value, provide_picture, topological_order

__all__ = ["MAX_DRAWN_NODES", "save_svg", "to_dot", "to_svg"]

#: Graphs with more nodes than this are not drawn (the picture would be unreadable).
MAX_DRAWN_NODES = 1000

_CHAR_W, _LINE_H, _PAD = 7.3, 16.0, 8.0
_H_GAP, _V_GAP, _MARGIN = 90.0, 26.0, 20.0
_VALUE_COLOUR, _GRAD_COLOUR, _EDGE_COLOUR = "#1e7b34", "#c0392b", "#8a8a8a"


@dataclass
class _Box:
    node: Value
    lines: tuple[str, str, str]
    layer: int
    x: float = 0.0
    y: float = 0.0
    w: float = 0.0
    h: float = 0.0


def _node_lines(node: Value, labels: dict[Value, str]) -> tuple[str, str, str]:
    head = labels[node] if node.op == "leaf" else f"{labels[node]} = {expression(node, labels)}"
    return head, f"value {fmt(node.data)}", f"grad {fmt(node.grad)}"


def _layers(order: list[Value]) -> dict[Value, int]:
    layer: dict[Value, int] = {}
    first_use: dict[Value, int] = {}
    for node in order:
        layer[node] = 1 + max((layer[a] for a in node.inputs), default=-1)
    for node in order:
        for a in node.inputs:
            first_use[a] = min(first_use.get(a, layer[node]), layer[node])
    for node in order:
        if node.op == "leaf" and node in first_use:
            layer[node] = first_use[node] - 1
    return layer


def _layout(out: Value) -> tuple[list[_Box], dict[Value, _Box], dict[Value, str], float, float]:
    order = topological_order(out)
    if len(order) > MAX_DRAWN_NODES:
        raise ConfigError(
            f"the graph has {len(order)} nodes, too many to draw (at most {MAX_DRAWN_NODES}); "
            "hint: use the tables, or draw a smaller part of the graph"
        )
    labels = label_nodes(out, order)
    layer_of = _layers(order)
    boxes = [_Box(n, _node_lines(n, labels), layer_of[n]) for n in order]
    by_node = {b.node: b for b in boxes}
    for b in boxes:
        b.w = max(len(line) for line in b.lines) * _CHAR_W + 2 * _PAD
        b.h = len(b.lines) * _LINE_H + _PAD
    n_layers = max(b.layer for b in boxes) + 1
    columns: list[list[_Box]] = [[] for _ in range(n_layers)]
    for b in boxes:  # topological order, so the first layer keeps the order of the formula
        columns[b.layer].append(b)

    rank = _rows(columns)
    low = min(rank.values())
    row_h = max(b.h for b in boxes) + _V_GAP
    widths = [max((b.w for b in column), default=0.0) for column in columns]
    left = _MARGIN
    for column, width in zip(columns, widths, strict=True):
        for b in column:
            b.x = left + (width - b.w) / 2
            b.y = _MARGIN + (rank[b.node] - low) * row_h
        left += width + _H_GAP
    total_w = left - _H_GAP + _MARGIN
    total_h = _MARGIN + (max(rank.values()) - low) * row_h + max(b.h for b in boxes) + _MARGIN
    return boxes, by_node, labels, total_w, total_h


def _rows(columns: list[list[_Box]]) -> dict[Value, float]:
    """The height of every node, in rows: at the mean height of its inputs, pushed down just
    enough not to overlap the node above, the column then shifted back to centre on its
    inputs. Leaves placed right of the first column have no inputs; they go below."""
    rank: dict[Value, float] = {}
    for column in columns:
        anchored: list[tuple[float, int, _Box]] = []
        loose: list[_Box] = []
        for i, b in enumerate(column):
            placed = [rank[a] for a in b.node.inputs if a in rank]
            if placed:
                anchored.append((sum(placed) / len(placed), i, b))
            else:
                loose.append(b)
        anchored.sort(key=lambda item: item[:2])
        bottom = None
        for want, _, b in anchored:
            rank[b.node] = want if bottom is None else max(want, bottom + 1.0)
            bottom = rank[b.node]
        if anchored:
            shift = sum(want - rank[b.node] for want, _, b in anchored) / len(anchored)
            for _, _, b in anchored:
                rank[b.node] += shift
            bottom = max(rank[b.node] for _, _, b in anchored)
        for b in loose:
            rank[b.node] = 0.0 if bottom is None else bottom + 1.0
            bottom = rank[b.node]
    return rank


def to_svg(out: Value, title: str | None = None) -> str:
    """The graph of ``out`` as a standalone SVG document (call ``out.backward()`` first).

    Nodes are ``<g class="node">`` and edges ``<g class="edge">`` elements whose ``data-``
    attributes name them, so the picture can be checked or styled. ``title``, such as the
    formula, is written above the graph.
    """
    boxes, by_node, labels, width, height = _layout(out)
    top = 2 * _LINE_H if title else 0.0
    if title:
        width = max(width, 2 * _MARGIN + len(title) * _CHAR_W * 13 / 12)
    legend = _legend(labels[out])
    width = max(width, 2 * _MARGIN + max(len(plain) for plain, _ in legend) * _CHAR_W)
    height += top + (len(legend) + 1) * _LINE_H
    parts = [
        '<svg xmlns="http://www.w3.org/2000/svg" '
        f'width="{width:.0f}" height="{height:.0f}" viewBox="0 0 {width:.0f} {height:.0f}" '
        'font-family="DejaVu Sans Mono, Menlo, Consolas, monospace" font-size="12">',
        f"<title>{escape(title or 'computational graph of ' + labels[out])}</title>",
        f'<rect width="{width:.0f}" height="{height:.0f}" fill="white"/>',
    ]
    if title:
        parts.append(
            f'<text class="caption" x="{_MARGIN}" y="{_MARGIN + _LINE_H / 2:.1f}" '
            f'font-size="13" fill="#222">{escape(title)}</text>'
        )
    parts += [f'<g transform="translate(0,{top:.0f})">', '<g class="edges">']
    for b in boxes:
        k = len(b.node.inputs)
        step = min(14.0, (b.h - 12.0) / (k - 1)) if k > 1 else 0.0
        for i, (a, local) in enumerate(zip(b.node.inputs, b.node.local_grads, strict=True)):
            parts.append(_edge_svg(by_node[a], b, (i - (k - 1) / 2) * step, local, labels))
    parts.append("</g>")
    parts.append('<g class="nodes">')
    for b in boxes:
        parts.append(_node_svg(b, labels))
    parts.append("</g>")
    parts.append("</g>")
    first_y = height - _MARGIN / 2 - _LINE_H * (len(legend) - 0.5)
    for i, (_, marked) in enumerate(legend):
        parts.append(
            f'<text class="legend" x="{_MARGIN}" y="{first_y + i * _LINE_H:.1f}" '
            f'fill="#555">{marked}</text>'
        )
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def _legend(out_label: str) -> list[tuple[str, str]]:
    """The legend's lines, each as plain text (for its width) and as SVG markup."""
    grad = f"gradient ∂{out_label}/∂node"
    return [
        (f"value and {grad} in each node;", f'<tspan fill="{_VALUE_COLOUR}">value</tspan> and '
         f'<tspan fill="{_GRAD_COLOUR}">{escape(grad)}</tspan> in each node;'),
        ("on each edge, the gradient flowing back along it",
         "on each edge, the gradient flowing back along it"),
    ]  # fmt: skip


def _node_svg(b: _Box, labels: dict[Value, str]) -> str:
    leaf = b.node.op == "leaf"
    fill = "#eef4fb" if leaf else "#fdf6e3"
    cx = b.x + b.w / 2
    texts = [
        f'<text x="{cx:.1f}" y="{b.y + _PAD / 2 + _LINE_H * (i + 0.75):.1f}" '
        f'text-anchor="middle" fill="{colour}"{weight}>{escape(line)}</text>'
        for i, (line, colour, weight) in enumerate(
            zip(
                b.lines,
                ("#222", _VALUE_COLOUR, _GRAD_COLOUR),
                (' font-weight="bold"', "", ""),
                strict=True,
            )
        )
    ]
    return (
        f"<g class={_attr('node leaf' if leaf else 'node')} "
        f"data-label={_attr(labels[b.node])} data-op={_attr(b.node.op)}>"
        f"<title>{escape(f'{b.lines[0]}: value {b.node.data!r}, grad {b.node.grad!r}')}</title>"
        f'<rect x="{b.x:.1f}" y="{b.y:.1f}" width="{b.w:.1f}" height="{b.h:.1f}" rx="6" '
        f'fill="{fill}" stroke="#555"/>' + "".join(texts) + "</g>"
    )


def _edge_svg(a: _Box, b: _Box, offset: float, local: float, labels: dict[Value, str]) -> str:
    x1, y1 = a.x + a.w, a.y + a.h / 2
    x2, y2 = b.x - 6.0, b.y + b.h / 2 + offset
    bend = max(30.0, (x2 - x1) / 2)
    path = (
        f"M{x1:.1f},{y1:.1f} C{x1 + bend:.1f},{y1:.1f} {x2 - bend:.1f},{y2:.1f} {x2:.1f},{y2:.1f}"
    )
    head = f"{x2:.1f},{y2 - 4:.1f} {x2 + 6:.1f},{y2:.1f} {x2:.1f},{y2 + 4:.1f}"
    flowing = b.node.grad * local
    text = fmt(flowing)
    title = (
        f"gradient from {labels[b.node]} to {labels[a.node]}: upstream {b.node.grad!r} "
        f"x local {local!r} = {flowing!r}"
    )
    mx, my = (x1 + x2) / 2, (y1 + y2) / 2 - 4
    # A white box behind the label keeps it readable over the edge in every renderer
    # (a white stroke drawn under the text needs paint-order, which not all support).
    w = len(text) * _CHAR_W + 4
    return (
        f'<g class="edge" data-from={_attr(labels[a.node])} '
        f"data-to={_attr(labels[b.node])}><title>{escape(title)}</title>"
        f'<path d="{path}" fill="none" stroke="{_EDGE_COLOUR}" stroke-width="1.3"/>'
        f'<polygon points="{head}" fill="{_EDGE_COLOUR}"/>'
        f'<rect x="{mx - w / 2:.1f}" y="{my - 11:.1f}" width="{w:.1f}" height="14" rx="2" '
        f'fill="white" fill-opacity="0.85"/>'
        f'<text x="{mx:.1f}" y="{my:.1f}" text-anchor="middle" fill="{_GRAD_COLOUR}">'
        f"{escape(text)}</text></g>"
    )


def save_svg(out: Value, path: str | os.PathLike[str], title: str | None = None) -> None:
    """Write :func:`to_svg` of ``out`` (with its ``title``) to ``path`` (UTF-8)."""
    text = to_svg(out, title)
    try:
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(text)
    except OSError as err:
        raise ConfigError(f"cannot write the SVG to {os.fspath(path)!r}: {err.strerror}") from err


def to_dot(out: Value) -> str:
    """The graph of ``out`` as Graphviz DOT text (``dot -Tsvg`` draws it)."""
    order = topological_order(out)
    labels = label_nodes(out, order)
    ids = {node: f"n{i}" for i, node in enumerate(order)}
    lines = [
        "digraph chainrule {",
        "  rankdir=LR;",
        '  node [shape=box, style="rounded", fontname="monospace", fontsize=11];',
        f'  edge [fontname="monospace", fontsize=10, fontcolor="{_GRAD_COLOUR}"];',
    ]
    for node in order:
        text = "\\n".join(_dot_escape(line) for line in _node_lines(node, labels))
        lines.append(f'  {ids[node]} [label="{text}"];')
    for node in order:
        for a, local in zip(node.inputs, node.local_grads, strict=True):
            lines.append(f'  {ids[a]} -> {ids[node]} [label="{fmt(node.grad * local)}"];')
    lines.append("}")
    return "\n".join(lines) + "\n"


def _dot_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')


def _attr(text: str) -> str:
    return f'"{escape(text)}"'


def _notebook_svg(out: Value) -> str | None:
    """The graph as SVG for a notebook; None (plain repr) when too large to draw."""
    if len(topological_order(out)) > MAX_DRAWN_NODES:
        return None
    return to_svg(out)


provide_picture("svg", _notebook_svg)
