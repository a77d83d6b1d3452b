"""What a notebook shows for chainrule objects: small HTML tables, escaped.

Jupyter calls an object's ``_repr_html_`` to display it; the classes that have a table to
show (``Sequential``, the gradient-check report, ``History``, a loaded checkpoint) build it
with :func:`html_table`, so every table looks the same and no text reaches the page
unescaped.

>>> print(html_table(["layer", "count"], [["Linear 1", 12], ["total", 12]], caption="a < b"))
<table>
<caption>a &lt; b</caption>
<thead><tr><th>layer</th><th>count</th></tr></thead>
<tbody>
<tr><td>Linear 1</td><td style="text-align:right">12</td></tr>
<tr><td>total</td><td style="text-align:right">12</td></tr>
</tbody>
</table>
"""

from __future__ import annotations

import html
import numbers
from collections.abc import Sequence
from typing import Any

__all__ = ["html_table"]


def html_table(
    headers: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    caption: str | None = None,
    footer: str | None = None,
) -> str:
    """An HTML ``<table>``: one header row, one row per item of ``rows`` (numbers right-
    aligned), an optional caption above and a footer paragraph below, all text escaped."""
    lines = ["<table>"]
    if caption:
        lines.append(f"<caption>{html.escape(caption)}</caption>")
    head = "".join(f"<th>{html.escape(str(h))}</th>" for h in headers)
    lines += [f"<thead><tr>{head}</tr></thead>", "<tbody>"]
    for row in rows:
        cells = []
        for value in row:
            right = isinstance(value, numbers.Number) and not isinstance(value, bool)
            style = ' style="text-align:right"' if right else ""
            cells.append(f"<td{style}>{html.escape(str(value))}</td>")
        lines.append(f"<tr>{''.join(cells)}</tr>")
    lines += ["</tbody>", "</table>"]
    if footer:
        lines.append(f"<p>{html.escape(footer)}</p>")
    return "\n".join(lines)
