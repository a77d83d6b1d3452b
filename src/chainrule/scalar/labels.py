"""Names, numbers and operation text shared by the tables, the pictures and the command line.

Every node gets one label, used everywhere: its ``name`` if it has one, its number if it is an
unnamed constant, else ``v1, v2, ...`` in forward order (skipping names already taken).
"""

from __future__ import annotations

import re

from chainrule.scalar.value import Value, topological_order

__all__ = ["expression", "fmt", "label_nodes", "latex_expression", "latex_label", "latex_number"]

_TEXT = {
    "+": "{0} + {1}",
    "-": "{0} - {1}",
    "*": "{0} * {1}",
    "/": "{0} / {1}",
    "neg": "-{0}",
    "pow": "{0} ** {p}",
    "pow_var": "{0} ** {1}",
    "max": "max({all})",
    "min": "min({all})",
    "exp": "exp({0})",
    "log": "log({0})",
    "sigmoid": "sigmoid({0})",
    "tanh": "tanh({0})",
    "relu": "relu({0})",
    "abs": "abs({0})",
}

_LATEX = {
    "+": "{0} + {1}",
    "-": "{0} - {1}",
    "*": "{0} \\cdot {1}",
    "/": "\\frac{{{0}}}{{{1}}}",
    "neg": "-{0}",
    "pow": "{0}^{{{p}}}",
    "pow_var": "{0}^{{{1}}}",
    "max": "\\max({all})",
    "min": "\\min({all})",
    "exp": "e^{{{0}}}",
    "log": "\\ln({0})",
    "sigmoid": "\\sigma({0})",
    "tanh": "\\tanh({0})",
    "relu": "\\operatorname{{relu}}({0})",
    "abs": "\\lvert {0} \\rvert",
}


def fmt(x: float) -> str:
    """A number as a student writes it: ``-4``, ``0.7311``, ``1.5e-07`` (4 significant digits)."""
    if x == 0.0:
        return "0"  # also for -0.0
    if x.is_integer() and abs(x) < 1e15:
        return str(int(x))
    return f"{x:.4g}"


def latex_number(x: float) -> str:
    """:func:`fmt` in LaTeX: ``1.5e-07`` becomes ``1.5 \\times 10^{-7}``."""
    text = fmt(x)
    if "e" not in text:
        return text
    mantissa, exponent = text.split("e")
    return f"{mantissa} \\times 10^{{{int(exponent)}}}"


def label_nodes(root: Value, order: list[Value] | None = None) -> dict[Value, str]:
    """The label of every node of ``root``'s graph (see the module docstring)."""
    order = topological_order(root) if order is None else order
    taken = {node.name for node in order if node.name}
    labels: dict[Value, str] = {}
    counter = 0
    for node in order:
        if node.name:
            labels[node] = node.name
        elif node.op == "leaf":
            labels[node] = fmt(node.data)
        else:
            counter += 1
            while f"v{counter}" in taken:
                counter += 1
            labels[node] = f"v{counter}"
    return labels


def expression(node: Value, labels: dict[Value, str]) -> str:
    """The operation of ``node`` in terms of its inputs' labels, e.g. ``x + y``."""
    if node.op == "leaf":
        return "input" if node.name else "constant"
    args = [labels[a] for a in node.inputs]
    p = fmt(node.param) if node.param is not None else ""
    return _TEXT[node.op].format(*args, p=p, all=", ".join(args))


def latex_label(label: str) -> str:
    """A label in LaTeX math: ``w0`` becomes ``w_{0}``, ``out`` becomes ``\\mathit{out}``."""
    match = re.fullmatch(r"([A-Za-z]+)_?(\d+)", label)
    stem, index = (match.group(1), match.group(2)) if match else (label, "")
    if re.fullmatch(r"-?[\d.]+(e[-+]?\d+)?", stem):
        return latex_number(float(stem))
    if re.fullmatch(r"[A-Za-z]{2,}", stem):
        stem = f"\\mathit{{{stem}}}"
    elif not re.fullmatch(r"[A-Za-z]", stem):
        stem = f"\\text{{{_escape_latex_text(stem)}}}"
    return f"{stem}_{{{index}}}" if index else stem


def latex_expression(node: Value, labels: dict[Value, str]) -> str:
    """:func:`expression` in LaTeX math, e.g. ``w_{0} \\cdot x_{0}``."""
    if node.op == "leaf":
        return "\\text{input}" if node.name else "\\text{constant}"
    args = [latex_label(labels[a]) for a in node.inputs]
    p = latex_number(node.param) if node.param is not None else ""
    return _LATEX[node.op].format(*args, p=p, all=", ".join(args))


def _escape_latex_text(text: str) -> str:
    special = {"\\": "\\textbackslash{}", "{": "\\{", "}": "\\}", "~": "\\textasciitilde{}"}
    special.update({c: "\\" + c for c in "&%$#_"})
    special["^"] = "\\textasciicircum{}"
    return "".join(special.get(c, c) for c in text)
