"""Words for each diagnosis: a message a student understands and a hint for the next try.

The texts are filled from the diagnosis details (the factor, the layer, the sub-formula), so
they say what is wrong and where, not only that something is.
"""

from __future__ import annotations

from typing import Any

from chainrule.expr.glyphs import plain_name

__all__ = ["explain"]


def _layer(d: dict[str, Any]) -> str:
    layer = d.get("layer")
    return f" of layer {layer}" if layer is not None else ""


def _text(d: dict[str, Any], key: str, default: str = "") -> str:
    """A sub-formula of the details as a message shows it: its plain text where given."""
    return str(d.get(f"{key}_text", d.get(key, default)))


def _mask(d: dict[str, Any]) -> tuple[str, str]:
    fn = d.get("function", "activation")
    what = {"relu": "ReLU", "sigmoid": "sigmoid", "tanh": "tanh"}.get(fn, fn)
    return (
        f"The derivative of the {what}{_layer(d)} is missing: the gradient must pass through "
        f"{_text(d, 'subformula', 'its derivative')} on its way back.",
        f"An activation is not the identity: its Jacobian is diagonal, so multiply "
        f"element-wise by {what}'(z) at that layer (for ReLU, the mask [z > 0]).",
    )


def _wrong_derivative(d: dict[str, Any]) -> tuple[str, str]:
    if d.get("kind") == "function":
        return (
            f"At layer {d.get('layer')} the answer uses the activation itself "
            f"({_text(d, 'written')}) where its derivative {_text(d, 'subformula')} belongs.",
            "Differentiate the activation: the backward pass multiplies by f'(z), not f(z).",
        )
    return (
        f"At layer {d.get('layer')} the derivative is taken at the wrong place "
        f"({_text(d, 'written')}); it belongs at the pre-activation: {_text(d, 'subformula')}.",
        "f'(z) is evaluated at the layer's input z, not at its output a = f(z).",
    )


def _scaled(d: dict[str, Any]) -> tuple[str, str]:
    name = d.get("factor_name", d.get("factor"))
    return (
        f"The answer is the right gradient times {name}.",
        "Check the constant factors: the 1/2 of the loss, the mean over the batch (1/n), "
        "the 2 of a square.",
    )


def _coefficient(d: dict[str, Any]) -> tuple[str, str]:
    return (
        f"The term {_text(d, 'term')} has the coefficient {d.get('found')}; "
        f"it should be "
        f"{d.get('expected')}.",
        "Count how many times each term occurs in the sum you differentiate.",
    )


_FIXED: dict[str, tuple[str, str]] = {
    "correct": ("Correct.", ""),
    "transposed": (
        "The answer is the transpose of the right gradient.",
        "A gradient has the shape of the quantity it is taken with respect to; "
        "check which side each factor goes on.",
    ),
    "sign": (
        "The answer has the wrong sign.",
        "Check the sign of the loss's derivative (f - y, not y - f) and of each step.",
    ),
    "swapped_order": (
        "A product has its factors in the wrong order.",
        "Matrix products do not commute: write the shapes of the factors and order them "
        "so that the inner sizes meet.",
    ),
    "missing_batch_sum": (
        "The bias gradient is not summed over the batch: the answer keeps one column per example.",
        "The bias is shared by every example, so its gradient sums the per-example "
        "gradients (multiply by the ones vector, or sum over the batch axis).",
    ),
    "missing_regularization": (
        "The L2 term of the loss is missing from the gradient.",
        "The loss includes lambda times the sum of squared weights; its gradient adds 2 lambda W.",
    ),
    "regularization_factor": (
        "The L2 term has the wrong factor.",
        "The derivative of lambda * W^2 is 2 lambda W.",
    ),
    "missing_term": ("A term of the sum is missing.", "Differentiate every term of the sum."),
    "zero": (
        "The answer is identically zero, but the gradient is not.",
        "Follow the chain of dependencies from the loss back to this quantity.",
    ),
    "wrong": (
        "The answer is not the gradient: it differs on the instance shown.",
        "Write the chain rule step by step and check each factor's shape.",
    ),
}


def _missing_term(d: dict[str, Any]) -> tuple[str, str]:
    term = _text(d, "term")
    return f"The term {term} of the sum is missing.", _FIXED["missing_term"][1]


def _factor(d: dict[str, Any]) -> tuple[str, str]:
    message, hint = _FIXED["regularization_factor"]
    return f"{message} (the answer's L2 term is {d.get('factor')} times the right one)", hint


def _wrong_layer(d: dict[str, Any]) -> tuple[str, str]:
    used, expected = plain_name(str(d.get("used"))), plain_name(str(d.get("expected")))
    return (
        f"The answer uses {used} where {expected} belongs: the same quantity, of another layer.",
        "Each layer's gradients take that layer's own quantities: for the weights of layer "
        "l, the delta of layer l and the activations that enter layer l.",
    )


#: The codes whose words are filled from the diagnosis details.
_FILLED = {
    "wrong_layer": _wrong_layer,
    "missing_mask": _mask,
    "wrong_derivative": _wrong_derivative,
    "scaled": _scaled,
    "wrong_coefficient": _coefficient,
    "missing_term": _missing_term,
    "regularization_factor": _factor,
}


def explain(code: str, details: dict[str, Any], quantity: str) -> tuple[str, str]:
    """The message and the hint for ``code``."""
    if code in _FILLED:
        return _FILLED[code](details)
    message, hint = _FIXED.get(code, (f"{quantity}: {code}.", ""))
    return message, hint
