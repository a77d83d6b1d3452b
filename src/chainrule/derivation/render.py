"""Printing a derivation: LaTeX (``aligned`` blocks, or a whole document), Markdown with
``$$`` blocks, a self-contained HTML page with MathML, Unicode text, JSON.

Every format prints the same :func:`~chainrule.derivation.sections.sections`.
"""

from __future__ import annotations

import html
import json
from collections.abc import Callable
from typing import Any

from chainrule.derivation.sections import Line, sections, shape_latex, shape_text
from chainrule.expr.glyphs import unicode

__all__ = [
    "as_data",
    "latex_note",
    "latex_text",
    "to_document",
    "to_html",
    "to_json",
    "to_latex",
    "to_markdown",
    "to_text",
    "unicode",
]

_TEXT_ESCAPES = {
    "\\": "\\textbackslash{}", "&": "\\&", "%": "\\%", "$": "\\$", "#": "\\#", "_": "\\_",
    "{": "\\{", "}": "\\}", "~": "\\textasciitilde{}", "^": "\\textasciicircum{}",
    "<": "\\textless{}", ">": "\\textgreater{}",
}  # fmt: skip


def latex_text(text: str) -> str:
    """Plain text made safe for LaTeX's text mode."""
    return "".join(_TEXT_ESCAPES.get(c, c) for c in text)


def _aligned(lines: list[Line]) -> str:
    rows = []
    for line in lines:
        lhs, _, rhs = line.latex.partition(" = ")
        shape = f" && \\in {shape_latex(line.shape)}" if line.shape is not None else ""
        rows.append(f"  {lhs} &= {rhs}{shape}")
    return "\\begin{aligned}\n" + " \\\\\n".join(rows) + "\n\\end{aligned}"


def latex_note(text: str) -> str:
    """A note as a LaTeX paragraph of a document: ``\\noindent\\emph{Note.} ...\\par``."""
    return f"\\noindent\\emph{{Note.}} {latex_text(text)}\\par"


def _header(d) -> str:
    return (
        f"Backprop derivation: notation {d.notation.name}, layout {d.layout}, "
        f"{'a mini-batch' if d.batch else 'one example'}"
    )


def _walk(
    d,
    verification,
    title: Callable[[str], str],
    prose: Callable[[list[str]], list[str]],
    lines: Callable[[list[Line]], list[str]],
    closing: Callable[[str], str],
    section_end: tuple[str, ...] = (),
) -> list[str]:
    """Each section of ``d`` as ``title(text)``, ``prose(texts)`` and ``lines(lines)`` (the
    two only where the section has any), then ``section_end``; last ``closing(text)``
    when verified. Each format gives its own writers."""
    out: list[str] = []
    for sec in sections(d):
        out.append(title(sec.title))
        if sec.prose:
            out.extend(prose(sec.prose))
        if sec.lines:
            out.extend(lines(sec.lines))
        out.extend(section_end)
    if verification is not None:
        out.append(closing(_closing(verification)))
    return out


def _marked(d, verification, marks: dict[str, str], sep: str) -> str:
    """A format that writes each part into a format string of ``marks`` (LaTeX fragments,
    Markdown), the lines as one ``aligned`` block; parts joined by ``sep``."""

    def lines(lines: list[Line]) -> list[str]:
        notes = [marks["note"].format(ln.note) for ln in lines if ln.note]
        return [marks["math"].format(_aligned(lines)), *notes]

    def prose(prose: list[str]) -> list[str]:
        return [marks["prose"].format(p) for p in prose]

    body = _walk(d, verification, marks["title"].format, prose, lines, marks["closing"].format)
    return sep.join([marks["header"].format(_header(d)), *body]) + "\n"


_LATEX_MARKS = {
    "header": "% {}", "title": "% {}", "prose": "% {}", "math": "\\[\n{}\n\\]",
    "note": "% Note: {}", "closing": "% {}",
}  # fmt: skip
_MARKDOWN_MARKS = {
    "header": "# {}", "title": "## {}", "prose": "- {}", "math": "$$\n{}\n$$",
    "note": "> {}", "closing": "*{}*",
}  # fmt: skip


def to_latex(d, verification=None) -> str:
    """LaTeX fragments: each section a comment, an ``aligned`` block in ``\\[ \\]`` and its
    notes; paste into a document that loads amsmath and amssymb."""
    return _marked(d, verification, _LATEX_MARKS, "\n")


def _itemize(prose: list[str]) -> list[str]:
    return ["\\begin{itemize}", *(f"  \\item {latex_text(p)}" for p in prose), "\\end{itemize}"]


def _equation(lines: list[Line]) -> list[str]:
    notes = [latex_note(ln.note) for ln in lines if ln.note]
    return ["\\begin{equation*}\n" + _aligned(lines) + "\n\\end{equation*}", *notes]


def to_document(d, verification=None) -> str:
    """A complete ``.tex`` file (article, amsmath and amssymb only) that pdflatex compiles."""
    body = [
        "\\documentclass{article}",
        "\\usepackage{amsmath,amssymb}",
        "\\allowdisplaybreaks",
        "\\begin{document}",
        f"\\section*{{{latex_text(_header(d))}}}",
    ]
    body += _walk(
        d,
        verification,
        lambda title: f"\\subsection*{{{latex_text(title)}}}",
        _itemize,
        _equation,
        lambda text: f"\\paragraph{{Verified.}} {latex_text(text)}",
    )
    body.append("\\end{document}")
    return "\n".join(b for b in body if b) + "\n"


def to_markdown(d, verification=None) -> str:
    """Markdown with ``$$`` blocks (renders in Jupyter and on code hosts)."""
    return _marked(d, verification, _MARKDOWN_MARKS, "\n\n")


def _mathml(latex: str) -> str:
    from latex2mathml.converter import convert

    return convert(latex, display="block")


def _html_table(lines: list[Line]) -> list[str]:
    out = ["<table>"]
    for ln in lines:
        shape = shape_text(ln.shape) if ln.shape is not None else ""
        out.append(
            f'<tr><td>{_mathml(ln.latex)}</td><td class="shape">{html.escape(shape)}</td></tr>'
        )
        if ln.note:
            out.append(f'<tr><td class="note" colspan="2">{html.escape(ln.note)}</td></tr>')
    return [*out, "</table>"]


def to_html(d, verification=None) -> str:
    """A self-contained HTML page: MathML for every equation (no CDN, no JavaScript)."""
    out = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{html.escape(_header(d))}</title>",
        "<style>body{font-family:serif;max-width:60em;margin:2em auto;padding:0 1em}"
        "td{padding:.3em .6em;vertical-align:middle}.shape{color:#555}"
        ".note{color:#444;font-style:italic}</style>",
        "</head><body>",
        f"<h1>{html.escape(_header(d))}</h1>",
    ]
    out += _walk(
        d,
        verification,
        lambda title: f"<h2>{html.escape(title)}</h2>",
        lambda prose: ["<ul>" + "".join(f"<li>{html.escape(p)}</li>" for p in prose) + "</ul>"],
        _html_table,
        lambda text: f"<p><em>{html.escape(text)}</em></p>",
    )
    out.append("</body></html>")
    return "\n".join(out) + "\n"


def _text_lines(lines: list[Line]) -> list[str]:
    out = []
    for ln in lines:
        shape = f"   [{shape_text(ln.shape)}]" if ln.shape is not None else ""
        out.append(f"  {unicode(ln.text)}{shape}")
        if ln.note:
            out.append(f"      note: {ln.note}")
    return out


def _text_prose(prose: list[str]) -> list[str]:
    return [f"  - {p}" for p in prose]


def to_text(d, verification=None) -> str:
    """Unicode text for a terminal."""
    body = _walk(d, verification, str, _text_prose, _text_lines, str, section_end=("",))
    return "\n".join([_header(d), "", *body]).rstrip() + "\n"


def to_json(d, verification=None) -> str:
    """Every step: name, kind, layer, LaTeX, text, shape, note, and the error measured when
    verified; with the conventions and the notation."""
    return json.dumps(as_data(d, verification), indent=2, ensure_ascii=False) + "\n"


def as_data(d, verification=None) -> dict[str, Any]:
    """The plain data that :func:`to_json` writes."""
    from chainrule.expr.render import to_latex as tree_latex

    steps = []
    for s in d.steps:
        item: dict[str, Any] = {
            "name": s.name,
            "kind": s.kind,
            "layer": s.layer,
            "param": s.param,
            "quantity": s.lhs,
            "latex": s.latex,
            "rhs": s.rhs,
            "expanded": tree_latex(s.expanded),
            "simplified": None if s.simplified is None else tree_latex(s.simplified),
            "text": s.text,
            "shape": [str(x) if isinstance(x, str) else x for x in s.shape],
            "note": s.note,
        }
        if d.form != "matrix" and s.name in d.element:
            item["element"] = d.element[s.name].latex
        if verification is not None:
            item["error"] = verification.errors.get(s.name)
        steps.append(item)
    data: dict[str, Any] = {
        "notation": d.notation.name,
        "layout": d.layout,
        "batch": d.batch,
        "form": d.form,
        "conventions": sections(d)[0].prose,
        "steps": steps,
    }
    if verification is not None:
        data["verified"] = {"ok": verification.ok, "max_error": verification.max_error}
    return data


def _closing(v) -> str:
    return (
        f"Verified against the engine: {len(v.errors)} formulas, largest relative error "
        f"{v.max_error:.2g} ({'ok' if v.ok else 'FAILED'})."
    )
