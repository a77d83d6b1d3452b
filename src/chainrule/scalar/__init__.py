"""The scalar computational graph of seed 004: flow rules, step-by-step tables and pictures.

>>> from chainrule.scalar import Value
>>> x, y, z = Value(-2.0, name="x"), Value(5.0, name="y"), Value(-4.0, name="z")
>>> L = (x + y) * z
>>> L.backward()
>>> x.grad, y.grad, z.grad
(-4.0, -4.0, 3.0)

Modules: :mod:`~chainrule.scalar.value` (the engine; its flow rules in
:mod:`~chainrule.scalar.flow`, its walking order in :mod:`~chainrule.scalar.order`),
:mod:`~chainrule.scalar.formula` (a graph
from a formula), :mod:`~chainrule.scalar.table` (forward and backward tables),
:mod:`~chainrule.scalar.draw` (SVG and DOT). rich and the formula parser load only when used.
"""

from __future__ import annotations

from typing import Any

from chainrule.scalar.draw import save_svg, to_dot, to_svg
from chainrule.scalar.table import table
from chainrule.scalar.value import FLOW_RULES, Value, maximum, minimum, topological_order

__all__ = [
    "FLOW_RULES",
    "Value",
    "build",
    "maximum",
    "minimum",
    "save_svg",
    "table",
    "to_dot",
    "to_svg",
    "topological_order",
]


def __getattr__(name: str) -> Any:
    # build needs NumPy and the formula parser; load them only when a formula is built.
    if name == "build":
        from chainrule.scalar.formula import build

        globals()["build"] = build
        return build
    raise AttributeError(f"module 'chainrule.scalar' has no attribute {name!r}")
