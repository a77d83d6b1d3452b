"""Functions, comparisons and reductions in the expression tree.

:class:`Apply` is an element-wise function or one of its derivatives, :class:`Indicator` a
comparison that gives 1 or 0, :class:`Sum` and :class:`Norm` reduce an array.
"""

from __future__ import annotations

from dataclasses import dataclass

from chainrule.expr.functions import FUNCTIONS
from chainrule.expr.nodes.base import Expr, ScalarNode, broadcast_shape, fail
from chainrule.expr.relations import RELATIONS as _RELATION_TABLE
from chainrule.expr.shapes import format_shape

__all__ = ["RELATIONS", "Apply", "Indicator", "Norm", "Sum"]

#: The relations an :class:`Indicator` may test (see :mod:`chainrule.expr.relations`).
RELATIONS = tuple(_RELATION_TABLE)


@dataclass(frozen=True)
class Apply(Expr):
    """An element-wise function or its derivative: ``function^{(order)}(args)``.

    ``function`` is a name from :data:`chainrule.expr.functions.FUNCTIONS` (``relu``,
    ``sigmoid``, ``tanh``, ``exp``, ``log``, ``sqrt``, ``softmax``, ``identity``,
    ``max``, ``min``) or an abstract name the caller declared, such as ``g^{[l]}``;
    ``order`` is 0 for the function, 1 for ``\\sigma'``, 2 for ``\\sigma''``.
    """

    function: str
    args: tuple[Expr, ...]
    order: int = 0

    def __post_init__(self) -> None:
        object.__setattr__(self, "args", tuple(self.args))
        spec = FUNCTIONS.get(self.function)
        arity = spec.arity if spec else 1
        if len(self.args) != arity:
            fail(f"{self.function} takes {arity} argument(s), got {len(self.args)}")
        if not 0 <= self.order <= (spec.max_order if spec else 2):
            fail(f"{self.function} has no derivative of order {self.order}")
        if arity == 1:
            self._set_shape(self.args[0].shape)
        else:
            self._set_shape(broadcast_shape(self.function, self.args[0], self.args[1]))


@dataclass(frozen=True)
class Indicator(Expr):
    """``[left relation right]``: 1 where the comparison holds, else 0, element-wise."""

    left: Expr
    relation: str
    right: Expr

    def __post_init__(self) -> None:
        if self.relation not in RELATIONS:
            fail(f"unknown relation {self.relation!r}; expected one of {RELATIONS}")
        self._set_shape(broadcast_shape("a comparison", self.left, self.right))


@dataclass(frozen=True)
class Sum(Expr):
    """The sum of all entries (``axis=None``) or along one axis (0-based, as in NumPy)."""

    operand: Expr
    axis: int | None = None

    def __post_init__(self) -> None:
        shape = self.operand.shape
        if self.axis is None:
            self._set_shape(())
            return
        if isinstance(self.axis, bool) or not -len(shape) <= self.axis < len(shape):
            fail(f"a sum over axis {self.axis} needs more axes than {format_shape(shape)}")
        axis = self.axis % len(shape)
        self._set_shape(shape[:axis] + shape[axis + 1 :])


@dataclass(frozen=True)
class Norm(ScalarNode):
    """The Euclidean (Frobenius) norm ``\\|operand\\|``; a scalar."""

    operand: Expr
