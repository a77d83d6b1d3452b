"""A derivation as sections of lines, the one structure every output format prints.

Sections: the conventions, the forward pass, the loss and the gradient at the output, the
backward pass layer by layer from the last, and the general recurrence.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from chainrule.derivation.notes import conventions
from chainrule.derivation.step import Step
from chainrule.expr import tree as T
from chainrule.expr.render import to_latex, to_text
from chainrule.expr.shapes import Shape
from chainrule.formulas import LAYOUT_STORAGE, Names, Quantity
from chainrule.layers import Linear

__all__ = ["Line", "Section", "sections", "shape_latex", "shape_text"]


@dataclass(frozen=True)
class Line:
    """One displayed equation: its LaTeX, plain text, the shape and a note."""

    latex: str
    text: str
    shape: Shape | None = None
    note: str = ""
    step: Step | None = None


@dataclass
class Section:
    title: str
    lines: list[Line] = field(default_factory=list)
    prose: list[str] = field(default_factory=list)


def shape_latex(shape: Shape) -> str:
    if not shape:
        return "\\mathbb{R}"
    return "\\mathbb{R}^{" + " \\times ".join(map(str, shape)) + "}"


def shape_text(shape: Shape) -> str:
    return "scalar" if not shape else " x ".join(map(str, shape))


def _line(step: Step) -> Line:
    text = step.text
    if step.simplified is not None:
        text += f" = {to_text(step.simplified)}"
    return Line(step.full_latex, text, step.shape, step.note, step)


def _backward_lines(d, steps: list[Step]) -> list[Line]:
    """Matrix form, element form, or both, as the derivation's ``form`` asks."""
    lines: list[Line] = []
    for s in steps:
        if d.form != "element":
            lines.append(_line(s))
        if d.form != "matrix" and s.name in d.element:
            e = d.element[s.name]
            note = s.note if d.form == "element" else ""
            lines.append(Line(e.latex, e.text, None, note, s))
    return lines


def sections(d) -> list[Section]:
    """The sections of derivation ``d`` in reading order."""
    out = [Section("Conventions", prose=conventions(d.plan))]
    by_kind = [s for s in d.steps if s.kind == "forward"]
    out.append(Section("Forward pass", [_line(s) for s in by_kind]))
    out.append(Section("Loss", [_line(s) for s in d.steps if s.kind in ("loss", "output")]))
    for b in reversed(d.plan.blocks):
        mine = [
            s
            for s in d.steps
            if s.kind in ("activation", "weight", "bias", "input")
            and (s.layer == b.linear.label or (b.activation and s.layer == b.activation.label))
        ]
        out.append(Section(f"Backward pass, layer {b.k}", _backward_lines(d, mine)))
    general = recurrence(d)
    if general:
        out.append(Section("In general", general))
    return out


def recurrence(d) -> list[Line]:
    """``delta_l = (W_{l+1}^T delta_{l+1}) (.) g_l'(z_l)`` and ``dL/dW_l``, ``dL/db_l`` in the
    notation, from the Linear layer's own formulas with the layer number written ``l``."""
    plan = d.plan
    if len(plan.blocks) < 2:
        return []
    nt = plan.notation
    store = LAYOUT_STORAGE[plan.layout]
    d_out, d_in = "d_{l+1}", "d_l"
    n = plan.n
    # The general layer l + 1 in the layout's own storage (a notation's stored-transposed
    # weight is a fact about one layer, not about the recurrence).
    names = Names(
        {
            "in": Quantity(nt.layer(nt.act, "l"), (n, d_in), store["batch"]),
            "out": Quantity(nt.layer(nt.pre, "l+1"), (n, d_out), store["batch"]),
            "grad": Quantity(_delta(plan, "l+1"), (n, d_out), store["batch"]),
            "d_in": Quantity(nt.grad(nt.layer(nt.act, "l")), (n, d_in), store["batch"]),
            "W": Quantity(nt.layer(nt.weight, "l+1"), (d_out, d_in), store["weight"]),
            "d_W": Quantity(nt.grad(nt.layer(nt.weight, "l+1")), (d_out, d_in), store["weight"]),
        },
        n,
    )
    into_h = Linear(1, 1, bias=False).formulas(names).backward["in"]
    z = T.Symbol(nt.layer(nt.pre, "l"), into_h.shape)
    g_prime = T.Apply(nt.layer("g^{[{l}]}", "l"), (z,), 1)
    delta = T.ElementwiseProduct(into_h, g_prime)
    lhs = _delta(plan, "l")
    line = Line(
        f"{to_latex(T.Symbol(lhs, delta.shape))} = {to_latex(delta)}",
        f"{to_text(T.Symbol(lhs, delta.shape))} = {to_text(delta)}",
        note="g is the activation of layer l; for the last layer delta comes from the loss.",
    )
    return [line]


def _delta(plan, k) -> str:
    nt = plan.notation
    return nt.layer(nt.delta, k) if nt.delta else nt.grad(nt.layer(nt.pre, k))


def _shape(tree: T.Expr, name: str) -> Shape:
    for node in tree.walk():
        if isinstance(node, T.Symbol) and node.name == name:
            return node.shape
    return ()
