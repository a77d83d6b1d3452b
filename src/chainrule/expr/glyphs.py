"""Plain text in Unicode: Greek letters, hats, script capitals and transposes.

What a terminal shows of the NumPy-like text form (:func:`chainrule.expr.render.to_text`):
``dL/dW_2 = delta_2.T @ h_1`` becomes ``dL/dW_2 = δ_2ᵀ @ h_1``. ``derive``'s text output,
its numeric trace, ``check``'s messages and its problem list all use it.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from chainrule.expr.render import name_text, to_text

if TYPE_CHECKING:
    from chainrule.expr.tree import Expr

__all__ = ["plain_name", "plain_text", "unicode"]

_UNICODE = {
    "delta": "δ", "lambda": "λ", "sigma": "σ", "theta": "θ",
    "alpha": "α", "beta": "β", "epsilon": "ε", "eta": "η", "mu": "μ",
}  # fmt: skip


_SCRIPT = {"L": "ℒ", "J": "𝒥", "E": "ℰ"}


def unicode(text: str) -> str:
    """The plain (NumPy-like) text with Greek letters, hats and transposes in Unicode:
    ``dL/dW_2 = delta_2.T @ h_1`` becomes ``dL/dW_2 = δ_2ᵀ @ h_1``."""
    text = re.sub(r"([A-Za-z])_mathcal", lambda m: _SCRIPT.get(m.group(1), m.group(1)), text)
    for word, char in _UNICODE.items():
        text = re.sub(rf"(?<![A-Za-z]){word}(?![a-z])", char, text)
    text = re.sub(r"\b([A-Za-z])_hat\b", "\\1\u0302", text)
    return re.sub(r"\.T\b", "ᵀ", text)


def plain_text(expr: Expr) -> str:
    """A tree as a terminal shows it: its text form, in Unicode."""
    return unicode(to_text(expr))


def plain_name(name: str) -> str:
    """A LaTeX name as a terminal shows it:
    ``\\frac{\\partial \\mathcal{L}}{\\partial b_1}`` -> ``dℒ/db_1``."""
    return unicode(name_text(name))
