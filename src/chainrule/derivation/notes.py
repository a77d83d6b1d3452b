"""The short notes at the steps where students go wrong, in one table by layer kind, and
the conventions a derivation states at its top."""

from __future__ import annotations

from chainrule.derivation.plan import Plan
from chainrule.expr.render import name_text
from chainrule.losses import BinaryCrossEntropy, MeanSquaredError, SoftmaxCrossEntropy
from chainrule.losses.pairing import squashed_twice

__all__ = ["NOTES", "conventions", "note_for"]

#: (layer kind or loss kind, step kind, layout or "*") -> the note. A step's layer decides.
NOTES: dict[tuple[str, str, str], str] = {
    ("ReLU", "activation", "*"): (
        "ReLU acts element-wise, so its Jacobian is diagonal, diag([z > 0]): a Hadamard "
        "product with the mask [z > 0], not a factor 1 (ReLU'(0) = 0)."
    ),
    ("LeakyReLU", "activation", "*"): (
        "Leaky ReLU's Jacobian is diagonal: 1 where z > 0, the slope a elsewhere."
    ),
    ("Sigmoid", "activation", "*"): (
        "sigma'(z) = sigma(z)(1 - sigma(z)) entry by entry: 1 - A subtracts each entry "
        "from the scalar 1; it is not I - A."
    ),
    ("Tanh", "activation", "*"): "tanh'(z) = 1 - tanh(z)^2, entry by entry.",
    ("Softmax", "activation", "*"): (
        "Softmax mixes a row's entries: its Jacobian per example is diag(s) - s s^T, "
        "ds_k/dz_l = s_k([k = l] - s_l), so dz = s (.) (G - <G, s>)."
    ),
    ("Linear", "weight", "row"): (
        "dL/dW = delta^T H: the sum over the batch of outer products, shape of W (d_out, d_in)."
    ),
    ("Linear", "weight", "xw"): "dL/dW = H^T delta: W is stored (d_in, d_out), so is its gradient.",
    ("Linear", "weight", "column"): (
        "dL/dW = delta H^T: one example a column, so the activations come transposed on the right."
    ),
    ("Linear", "bias", "*"): (
        "The bias is added to every example, so its gradient sums delta over the batch; it "
        "is not delta itself, and not delta times the activations."
    ),
    ("Linear", "input", "row"): (
        "Row layout: the gradient flows right to left through Z = H W^T, so dL/dH = delta W."
    ),
    ("Linear", "input", "xw"): "Z = H W: dL/dH = delta W^T, W^T on the right.",
    ("Linear", "input", "column"): (
        "Column layout: Z = W H, so dL/dH = W^T delta, W^T on the left: the product order "
        "differs from the row layout."
    ),
    ("HalfSquaredError", "output", "*"): "The 1/2 cancels the 2 of the square: delta = f - y.",
    ("MeanSquaredError", "output", "*"): "Without a 1/2, the square's 2 stays: 2 (f - y).",
    ("SoftmaxCrossEntropy", "output", "*"): (
        "Softmax and cross-entropy fused: with dp_k/dz_l = p_k([k = l] - p_l) and "
        "dL/dp_k = -[k = y]/p_k, the product collapses to p - Y (Y one-hot)."
    ),
    ("BinaryCrossEntropy", "output", "*"): (
        "dL/dp = (p - y)/(p(1 - p)); through a sigmoid, times p(1 - p), it becomes p - y."
    ),
}


def note_for(kind: str, step_kind: str, layout: str, batch: bool) -> str:
    """The note for a step of ``step_kind`` given by a layer or loss of ``kind``."""
    if step_kind == "bias" and not batch:
        return ""
    return NOTES.get((kind, step_kind, layout)) or NOTES.get((kind, step_kind, "*"), "")


_LAYOUT = {
    "row": "one example a row, Z = H W^T + b (the engine's layout, as PyTorch)",
    "xw": "one example a row, Z = H W + b with W stored (d_in, d_out)",
    "column": "one example a column, Z = W H + b u with u a row of ones",
}


def conventions(plan: Plan) -> list[str]:
    """The conventions a derivation states at its top: layout, ReLU'(0), reduction, sigma."""
    nt, loss = plan.notation, plan.loss
    lines = [f"Layout: {plan.layout}, {_LAYOUT[plan.layout]}."]
    if plan.batch:
        how = "averaged" if loss.reduction == "mean" else "summed"
        lines.append(f"A mini-batch of {nt.batch} examples; the loss is {how} over it.")
    else:
        lines.append("One example (a batch of 1).")
    kinds = {type(b.activation).__name__ for b in plan.blocks if b.activation is not None}
    if kinds & {"ReLU", "LeakyReLU"}:
        lines.append("ReLU'(0) = 0: the mask is [z > 0] (PyTorch's choice; some notes write >= 0).")
    if "Sigmoid" in kinds or isinstance(loss, BinaryCrossEntropy):
        lines.append("sigma is the logistic sigmoid 1/(1 + e^{-z}), applied entry by entry.")
    if isinstance(loss, SoftmaxCrossEntropy):
        lines.append("softmax runs along each example; Y is the one-hot matrix of the labels.")
    if isinstance(loss, MeanSquaredError) and loss.per == "element":
        lines.append("The squared error is divided also by the number of outputs.")
    if plan.l2 is not None:
        factor = "lambda/2" if plan.l2.half else "lambda"
        lines.append(f"L2: {factor} times the sum of squared weights (not biases).")
    if nt.transposed:
        # names as plain text: prose is text in every format (LaTeX escapes it)
        which = ", ".join(name_text(nt.layer(nt.weight, k)) for k in nt.transposed)
        lines.append(f"Stored transposed by this notation: {which}.")
    twice = squashed_twice(plan.model, loss)
    if twice:
        lines.append(f"Warning: {twice}")
    return lines
