"""Element-wise functions of the RBM: the package's one stable sigmoid and softplus."""

from __future__ import annotations

from chainrule.elementwise import sigmoid, softplus

__all__ = ["sigmoid", "softplus"]
