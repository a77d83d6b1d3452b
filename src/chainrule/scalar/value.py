"""Scalars that remember how they were computed, and send gradients back through it.

Every operation computes its value and, right beside it, its local derivatives
:math:`\\partial z / \\partial a_i` with respect to each input :math:`a_i`. ``backward()`` then
applies the chain rule in reverse topological order:

.. math::

    \\frac{\\partial L}{\\partial a_i} = \\sum_{z \\text{ uses } a_i}
        \\frac{\\partial L}{\\partial z} \\, \\frac{\\partial z}{\\partial a_i}

so a node used twice receives the sum of its two paths. Each operation has a *flow rule*
(seed 004): a sum distributes the upstream gradient unchanged, a product splits it and scales
each branch by the other factor, max and min route it to the input that won, a sigmoid
attenuates it by :math:`z(1 - z)`. The rules live in :mod:`chainrule.scalar.flow`, the
walking order in :mod:`chainrule.scalar.order`; this module re-exports both.

Conventions at kinks and ties (PyTorch's where it has one):

- ``relu'(0) = 0`` and ``abs'(0) = 0``.
- ``maximum``/``minimum``: the whole gradient goes to the *first* input that attains the
  extreme (like ``torch.max(torch.stack(xs), dim=0)`` and ``numpy.argmax``). PyTorch's
  ``torch.maximum``, ``torch.amax`` and ``torch.max(t)`` without ``dim`` split it evenly
  among the tied inputs instead. With the first-winner rule ``relu(x)`` is ``maximum(0, x)``.

>>> x, y, z = Value(-2.0, name="x"), Value(5.0, name="y"), Value(-4.0, name="z")
>>> L = (x + y) * z
>>> L.backward()
>>> L.data, x.grad, y.grad, z.grad
(-12.0, -4.0, -4.0, 3.0)
"""

from __future__ import annotations

import math
from collections.abc import Callable
from numbers import Real
from typing import Any

import numpy as np

from chainrule import elementwise as ew
from chainrule.errors import ExpressionError
from chainrule.scalar.flow import FLOW_RULES, FlowRule
from chainrule.scalar.order import topological_order

__all__ = ["FLOW_RULES", "FlowRule", "Value", "maximum", "minimum", "provide_picture",
           "topological_order"]  # fmt: skip

# chainrule.scalar.draw installs the notebook picture here when it is imported (the package
# imports it), so that this module, which draw imports, does not import draw back.
_PICTURES: dict[str, Callable[[Any], str | None]] = {}


def provide_picture(kind: str, draw: Callable[[Any], str | None]) -> None:
    """Install the function behind ``Value._repr_svg_`` (``kind="svg"``)."""
    _PICTURES[kind] = draw


class Value:
    """A scalar node of a computational graph.

    Parameters
    ----------
    data : float
        The value; stored as a Python float (float64).
    name : str, optional
        A label for tables and pictures, e.g. ``"x"``. Names may also be set later
        (``q.name = "q"``).

    Attributes
    ----------
    data : float
        The forward value (``value`` is the same number).
    grad : float
        :math:`\\partial L / \\partial` this node after ``L.backward()``; 0.0 before.
    op : str
        The operation that made the node, a key of :data:`FLOW_RULES` (``"leaf"`` for inputs).
    inputs : tuple of Value
        The operands, in order.
    local_grads : tuple of float
        :math:`\\partial z / \\partial a_i` for each input :math:`a_i`, computed in the forward pass.
    param : float or None
        The fixed exponent :math:`p` of ``a ** p``; None for other operations.
    """

    __slots__ = ("__weakref__", "data", "grad", "inputs", "local_grads", "name", "op", "param")
    # numpy scalars then defer to our reflected operators instead of building object arrays.
    __array_ufunc__ = None

    def __init__(self, data: float, name: str | None = None) -> None:
        self.data = _real(data, name)
        self.grad = 0.0
        self.name = name
        self.op = "leaf"
        self.inputs: tuple[Value, ...] = ()
        self.local_grads: tuple[float, ...] = ()
        self.param: float | None = None

    @classmethod
    def _result(
        cls,
        op: str,
        data: float,
        inputs: tuple[Value, ...],
        local_grads: tuple[float, ...],
        param: float | None = None,
    ) -> Value:
        finite = math.isfinite(data)
        for d in local_grads:
            finite = finite and math.isfinite(d)
        if not finite:
            args = ", ".join(_show(a.data) for a in inputs)
            raise ExpressionError(
                f"{op} of ({args}) gives a value or derivative that float64 cannot hold "
                f"(value {data}, local derivatives {local_grads}); "
                "hint: scale the inputs down"
            )
        node = cls.__new__(cls)
        node.data, node.grad, node.name = data, 0.0, None
        node.op, node.inputs, node.local_grads, node.param = op, inputs, local_grads, param
        return node

    # ----------------------------------------------------------------- properties
    @property
    def value(self) -> float:
        """The forward value (the same as ``data``, micrograd's and PyTorch's name)."""
        return self.data

    @property
    def flow(self) -> str:
        """Short name of this node's flow rule, e.g. ``"distribute"``."""
        return FLOW_RULES[self.op].name

    @property
    def flow_words(self) -> str:
        """This node's flow rule in words, e.g. ``"distribute flow unchanged"``."""
        return FLOW_RULES[self.op].words

    # ------------------------------------------------------------------ arithmetic
    def __add__(self, other: Any) -> Value:
        b = _as_value(other)
        if b is None:
            return NotImplemented
        return Value._result("+", self.data + b.data, (self, b), (1.0, 1.0))

    def __radd__(self, other: Any) -> Value:
        a = _as_value(other)
        return NotImplemented if a is None else a + self

    def __sub__(self, other: Any) -> Value:
        b = _as_value(other)
        if b is None:
            return NotImplemented
        return Value._result("-", self.data - b.data, (self, b), (1.0, -1.0))

    def __rsub__(self, other: Any) -> Value:
        a = _as_value(other)
        return NotImplemented if a is None else a - self

    def __neg__(self) -> Value:
        return Value._result("neg", -self.data, (self,), (-1.0,))

    def __mul__(self, other: Any) -> Value:
        b = _as_value(other)
        if b is None:
            return NotImplemented
        return Value._result("*", self.data * b.data, (self, b), (b.data, self.data))

    def __rmul__(self, other: Any) -> Value:
        a = _as_value(other)
        return NotImplemented if a is None else a * self

    def __truediv__(self, other: Any) -> Value:
        b = _as_value(other)
        if b is None:
            return NotImplemented
        a, d = self.data, b.data
        if d == 0.0:
            raise ExpressionError(f"division by zero: {_show(a)} / 0")
        # -(a/d)/d rather than -a/(d*d): d*d underflows to 0 for tiny d.
        return Value._result("/", a / d, (self, b), (1.0 / d, -(a / d) / d))

    def __rtruediv__(self, other: Any) -> Value:
        a = _as_value(other)
        return NotImplemented if a is None else a / self

    def __pow__(self, other: Any) -> Value:
        if isinstance(other, Value):
            return self._pow_var(other)
        if isinstance(other, Real):
            return self._pow_number(float(other))
        return NotImplemented

    def __rpow__(self, other: Any) -> Value:
        a = _as_value(other)
        return NotImplemented if a is None else a._pow_var(self)

    def _pow_number(self, p: float) -> Value:
        """:math:`z = a^p`, :math:`\\partial z/\\partial a = p a^{p-1}` for a fixed number p."""
        a = self.data
        if not math.isfinite(p):
            raise ExpressionError(f"the exponent must be a finite number, got {p}")
        if a < 0.0 and not p.is_integer():
            raise ExpressionError(
                f"cannot compute ({_show(a)}) ** {_show(p)}: a negative number has no real "
                "power with a non-integer exponent; hint: use an integer exponent, or abs(a)"
            )
        if a == 0.0 and p < 0.0:
            raise ExpressionError(f"division by zero: 0 ** {_show(p)} is 1 / 0 ** {_show(-p)}")
        if a == 0.0 and 0.0 < p < 1.0:
            raise ExpressionError(
                f"0 ** {_show(p)} has an infinite derivative p * 0^(p-1); "
                "hint: keep the base away from 0"
            )
        if p == 0.0:  # a^0 = 1 for every a, even 0, so the derivative is 0
            return Value._result("pow", 1.0, (self,), (0.0,), param=p)
        try:
            data, local = math.pow(a, p), p * math.pow(a, p - 1.0)
        except OverflowError:
            raise ExpressionError(f"({_show(a)}) ** {_show(p)} overflows float64") from None
        return Value._result("pow", data, (self,), (local,), param=p)

    def _pow_var(self, exponent: Value) -> Value:
        """:math:`z = a^b` with b a Value: :math:`\\partial z/\\partial a = b a^{b-1}`,
        :math:`\\partial z/\\partial b = a^b \\ln a`, which needs :math:`a > 0`."""
        a, b = self.data, exponent.data
        if a <= 0.0:
            raise ExpressionError(
                f"cannot compute ({_show(a)}) ** b with b a variable: the derivative with "
                "respect to b is a^b ln(a), defined only for a > 0; hint: for a fixed power "
                "write the exponent as a number, e.g. x ** 2"
            )
        try:
            data = math.pow(a, b)
            local = (b * math.pow(a, b - 1.0), data * math.log(a))
        except OverflowError:
            raise ExpressionError(f"{_show(a)} ** {_show(b)} overflows float64") from None
        return Value._result("pow_var", data, (self, exponent), local)

    # ------------------------------------------------------------------- functions
    def exp(self) -> Value:
        """:math:`z = e^a`, :math:`\\partial z/\\partial a = e^a = z`."""
        try:
            z = math.exp(self.data)
        except OverflowError:
            raise ExpressionError(f"exp({_show(self.data)}) overflows float64") from None
        return Value._result("exp", z, (self,), (z,))

    def log(self) -> Value:
        """:math:`z = \\ln a`, :math:`\\partial z/\\partial a = 1/a`, for :math:`a > 0`."""
        a = self.data
        if a <= 0.0:
            raise ExpressionError(f"log needs a positive input, got log({_show(a)})")
        return Value._result("log", math.log(a), (self,), (1.0 / a,))

    def sigmoid(self) -> Value:
        """:math:`z = \\sigma(a) = 1/(1 + e^{-a})`, :math:`\\partial z/\\partial a = z(1 - z)`
        (both from :mod:`chainrule.elementwise`, as the Sigmoid layer computes them)."""
        z = float(ew.sigmoid(np.float64(self.data)))
        return Value._result("sigmoid", z, (self,), (float(ew.sigmoid_grad(np.float64(z))),))

    def tanh(self) -> Value:
        """:math:`z = \\tanh a`, :math:`\\partial z/\\partial a = 1 - z^2`."""
        z = float(ew.tanh(np.float64(self.data)))
        return Value._result("tanh", z, (self,), (float(ew.tanh_grad(np.float64(z))),))

    def relu(self) -> Value:
        """:math:`z = \\max(0, a)`, :math:`\\partial z/\\partial a = [a > 0]` (so 0 at 0)."""
        a = np.float64(self.data)
        return Value._result("relu", float(ew.relu(a)), (self,), (float(ew.relu_grad(a)),))

    def __abs__(self) -> Value:
        """:math:`z = |a|`, :math:`\\partial z/\\partial a = \\operatorname{sign}(a)` (0 at 0)."""
        a = self.data
        sign = 1.0 if a > 0.0 else -1.0 if a < 0.0 else 0.0
        return Value._result("abs", abs(a), (self,), (sign,))

    def max(self, *others: Value | float) -> Value:
        """``maximum(self, *others)``."""
        return maximum(self, *others)

    def min(self, *others: Value | float) -> Value:
        """``minimum(self, *others)``."""
        return minimum(self, *others)

    # -------------------------------------------------------------------- backward
    def backward(self) -> None:
        """Fill ``grad`` of every node this one depends on with :math:`\\partial L/\\partial`
        node, where :math:`L` is this node.

        The gradients of the graph are first reset to 0 and then propagated, so calling
        ``backward()`` twice gives the same gradients (it sets, never accumulates). A leaf
        shared with another graph is reset too. The order is an iterative topological sort:
        no recursion, so chains of any length work.
        """
        order = topological_order(self)
        for node in order:
            node.grad = 0.0
        self.grad = 1.0
        for node in reversed(order):
            upstream = node.grad
            for child, local in zip(node.inputs, node.local_grads, strict=True):
                child.grad += upstream * local
        for node in order:
            if not math.isfinite(node.grad):
                raise ExpressionError(
                    f"a gradient overflowed float64 during backward ({node.grad}); "
                    "hint: scale the inputs down"
                )

    # ------------------------------------------------------------------ displaying
    def __float__(self) -> float:
        return self.data

    def __repr__(self) -> str:
        name = f", name={self.name!r}" if self.name is not None else ""
        op = f", op={self.op!r}" if self.op != "leaf" else ""
        return f"Value({self.data!r}, grad={self.grad!r}{name}{op})"

    def _repr_svg_(self) -> str | None:
        """The graph as SVG for notebooks; None (plain repr) when too large to draw."""
        draw = _PICTURES.get("svg")
        return None if draw is None else draw(self)


def maximum(*values: Value | float) -> Value:
    """:math:`z = \\max_i a_i`; :math:`\\partial z/\\partial a_i` is 1 for the first input that
    attains the maximum and 0 for every other (one stated rule for ties).

    >>> a, b = Value(3.0), Value(3.0)
    >>> z = maximum(a, b, 1.0)
    >>> z.backward(); (a.grad, b.grad)
    (1.0, 0.0)
    """
    return _extreme("max", values)


def minimum(*values: Value | float) -> Value:
    """:math:`z = \\min_i a_i`; the gradient goes to the first input attaining the minimum."""
    return _extreme("min", values)


def _extreme(op: str, values: tuple[Value | float, ...]) -> Value:
    if not values:
        raise ExpressionError(f"{op}() needs at least one input")
    nodes = []
    for v in values:
        node = _as_value(v)
        if node is None:
            raise ExpressionError(f"{op}() takes Values and numbers, got {type(v).__name__}")
        nodes.append(node)
    pick = max if op == "max" else min
    # Python's max/min return the first of equal candidates: that is the tie rule.
    winner = pick(range(len(nodes)), key=lambda i: nodes[i].data)
    local = tuple(1.0 if i == winner else 0.0 for i in range(len(nodes)))
    return Value._result(op, nodes[winner].data, tuple(nodes), local)


def _as_value(x: Any) -> Value | None:
    if isinstance(x, Value):
        return x
    if type(x) is float or isinstance(x, Real):
        return Value(x)
    return None


def _real(x: Any, name: str | None) -> float:
    if type(x) is float and math.isfinite(x):  # the common case, kept fast
        return x
    where = f" for {name!r}" if name else ""
    if isinstance(x, Value):
        raise ExpressionError(f"Value(...) takes a number{where}, got a Value; use it directly")
    if not isinstance(x, Real):
        raise ExpressionError(f"Value(...) takes a real number{where}, got {x!r}")
    x = float(x)
    if not math.isfinite(x):
        raise ExpressionError(f"Value(...) takes a finite number{where}, got {x}")
    return x


def _show(x: float) -> str:
    return str(int(x)) if x.is_integer() and abs(x) < 1e15 else repr(x)
