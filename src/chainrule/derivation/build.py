"""Composing the layers' own formulas into the chain: forward, loss, backward.

Nothing here writes a formula: every tree comes from a layer's or a loss's
``formulas(names)``; this module only decides which quantity feeds which and in what
order the steps come (the forward pass, the loss, dL/d output, then from the last layer to
the first: dL/dz through the activation, dL/dW, dL/db, dL/d(previous activation)).
"""

from __future__ import annotations

from chainrule.derivation.notes import note_for
from chainrule.derivation.plan import Plan
from chainrule.derivation.step import Step
from chainrule.expr import tree as T
from chainrule.expr.maps import rebuild, substitute
from chainrule.formulas import Formulas
from chainrule.layers import Layer, Sigmoid
from chainrule.losses import BinaryCrossEntropy, Loss

__all__ = ["build_steps"]


class _Chain:
    """The steps so far, and each gradient's formula in terms of forward quantities only."""

    def __init__(self, plan: Plan) -> None:
        self.plan = plan
        self.steps: list[Step] = []
        self.expanded: dict[str, T.Expr] = {}

    def add(
        self,
        key: str,
        kind: str,
        by: Layer | Loss,
        expr: T.Expr,
        param: str | None = None,
        simplified: T.Expr | None = None,
    ) -> None:
        """A step defining engine key ``key``, whose formula ``expr`` comes from ``by``."""
        quantity = self.plan.q[key].symbol
        expanded = substitute(expr, self.expanded) if kind not in ("forward", "loss") else expr
        if kind not in ("forward", "loss"):
            self.expanded[quantity.name] = expanded
        label = by.label if isinstance(by, Layer) else "loss"
        note = note_for(by.kind, kind, self.plan.layout, self.plan.batch)
        step = Step(key, kind, label, param, quantity, expr, expanded, note, simplified)
        self.steps.append(step)


def build_steps(plan: Plan) -> list[Step]:
    """Every step of the derivation of ``plan``, forward first, then backward."""
    chain = _Chain(plan)
    linear: dict[int, Formulas] = {}
    act: dict[int, Formulas] = {}
    for b in plan.blocks:
        linear[b.k] = b.linear.formulas(plan.linear_names(b))
        chain.add(b.pre, "forward", b.linear, linear[b.k].forward)
        if b.activation is not None:
            act[b.k] = b.activation.formulas(plan.activation_names(b))
            chain.add(b.post, "forward", b.activation, act[b.k].forward)
    data = plan.loss.formulas(plan.loss_names())
    penalty = plan.l2.formulas(plan.l2_names()) if plan.l2 is not None else None
    value = data.forward if penalty is None else T.Add(data.forward, penalty.forward)
    chain.add("L", "loss", plan.loss, value)
    chain.add(f"d{plan.output}", "output", plan.loss, data.backward["out"])
    for b in reversed(plan.blocks):
        if b.activation is not None:
            fused = _sigmoid_cross_entropy(plan, b.k) if b is plan.blocks[-1] else None
            chain.add(f"d{b.pre}", "activation", b.activation, act[b.k].backward["in"], None, fused)
        back = linear[b.k].backward
        dW = back["W"]
        if penalty is not None:
            dW = T.Add(dW, penalty.backward[f"W{b.k}"])
        chain.add(f"dW{b.k}", "weight", b.linear, dW, param=f"W{b.k}")
        if "b" in back:
            chain.add(f"db{b.k}", "bias", b.linear, back["b"], param=f"b{b.k}")
        if b.k > 1:
            chain.add(f"d{plan.block_input(b)}", "input", b.linear, back["in"])
    return chain.steps


def _sigmoid_cross_entropy(plan: Plan, k: int) -> T.Expr | None:
    """A sigmoid output with cross-entropy on probabilities: dL/dz simplifies to the
    gradient of the fused loss on logits (``p - y``), with sigma(z) written as the output."""
    b = plan.blocks[k - 1]
    loss = plan.loss
    if not (isinstance(b.activation, Sigmoid) and isinstance(loss, BinaryCrossEntropy)):
        return None
    if loss.from_logits:
        return None
    names = plan.names({"out": b.pre, "target": "y", "loss": "L", "d_out": f"d{b.pre}"})
    fused = BinaryCrossEntropy(from_logits=True, reduction=loss.reduction).formulas(names)
    z, h = plan.q[b.pre].symbol, plan.q[b.post].symbol
    return rebuild(
        fused.backward["out"],
        lambda e: (
            h if isinstance(e, T.Apply) and e.function == "sigmoid" and e.args == (z,) else None
        ),
    )
