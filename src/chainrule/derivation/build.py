"""Composing the layers' own formulas into the chain: forward, loss, backward.

Nothing here writes a formula: every tree comes from a layer's or a loss's
``formulas(names)``; this module only decides which quantity feeds which and in what
order the steps come (the forward pass, the loss, dL/d output, then from the last layer to
the first: dL/dz through the activation, dL/dW, dL/db, dL/d(previous activation)).
"""

from __future__ import annotations

from chainrule.derivation.plan import Plan
from chainrule.derivation.step import Step
from chainrule.expr import tree as T
from chainrule.expr.maps import substitute
from chainrule.formulas import Formulas

__all__ = ["build_steps"]


class _Chain:
    """The steps so far, and each gradient's formula in terms of forward quantities only."""

    def __init__(self, plan: Plan) -> None:
        self.plan = plan
        self.steps: list[Step] = []
        self.expanded: dict[str, T.Expr] = {}

    def add(
        self, key: str, kind: str, layer: str | None, expr: T.Expr, param: str | None = None
    ) -> None:
        quantity = self.plan.q[key].symbol
        expanded = substitute(expr, self.expanded) if kind not in ("forward", "loss") else expr
        if kind not in ("forward", "loss"):
            self.expanded[quantity.name] = expanded
        self.steps.append(Step(key, kind, layer, param, quantity, expr, expanded))


def build_steps(plan: Plan) -> list[Step]:
    """Every step of the derivation of ``plan``, forward first, then backward."""
    chain = _Chain(plan)
    linear: dict[int, Formulas] = {}
    act: dict[int, Formulas] = {}
    for b in plan.blocks:
        linear[b.k] = b.linear.formulas(plan.linear_names(b))
        chain.add(b.pre, "forward", b.linear.label, linear[b.k].forward)
        if b.activation is not None:
            act[b.k] = b.activation.formulas(plan.activation_names(b))
            chain.add(b.post, "forward", b.activation.label, act[b.k].forward)
    data = plan.loss.formulas(plan.loss_names())
    penalty = plan.l2.formulas(plan.l2_names()) if plan.l2 is not None else None
    value = data.forward if penalty is None else T.Add(data.forward, penalty.forward)
    chain.add("L", "loss", plan.loss.kind, value)
    chain.add(f"d{plan.output}", "output", plan.loss.kind, data.backward["out"])
    for b in reversed(plan.blocks):
        if b.activation is not None:
            chain.add(f"d{b.pre}", "activation", b.activation.label, act[b.k].backward["in"])
        back = linear[b.k].backward
        dW = back["W"]
        if penalty is not None:
            dW = T.Add(dW, penalty.backward[f"W{b.k}"])
        chain.add(f"dW{b.k}", "weight", b.linear.label, dW, param=f"W{b.k}")
        if "b" in back:
            chain.add(f"db{b.k}", "bias", b.linear.label, back["b"], param=f"b{b.k}")
        if b.k > 1:
            chain.add(f"d{plan.block_input(b)}", "input", b.linear.label, back["in"])
    return chain.steps
