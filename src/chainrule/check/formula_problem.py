"""Problems on a formula rather than a network (seed 004's ``L = (x + y) z``, a neuron).

The reference is the formula's gradient, computed by reverse mode over its tree: each node
passes its upstream gradient to its children by the node's own rule (a sum passes it
unchanged, a product scales it by the other factor, ``f(u)`` multiplies it by ``f'(u)``),
the scalar-graph flow rules of seed 004 written for trees. Nothing is typed by hand.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from chainrule.check.instances import rng_for
from chainrule.check.reference import Reference
from chainrule.errors import ConfigError
from chainrule.expr import tree as T
from chainrule.expr.parse import parse

if TYPE_CHECKING:
    from chainrule.check.problem import Problem

__all__ = ["formula_reference", "gradient"]

DEFAULT_INSTANCES = 5


def _scale(g: T.Expr, x: T.Expr) -> T.Expr:
    """``g`` times ``x`` where either may be a scalar."""
    if isinstance(g, T.Constant) and g.value == 1:
        return x
    if isinstance(x, T.Constant) and x.value == 1:
        return g
    if g.shape == ():
        return T.Scale(g, x)
    if x.shape == ():
        return T.Scale(x, g)
    return T.ElementwiseProduct(g, x)


def _fit(g: T.Expr, shape: tuple) -> T.Expr:
    """``g`` summed down to ``shape`` where it was broadcast (a scalar bias: a sum)."""
    if g.shape == shape or (g.shape == () and shape == ()):
        return g
    if shape == () or all(d == 1 for d in shape):
        return T.Sum(g) if shape == () else g
    return g


def gradient(tree: T.Expr, name: str) -> T.Expr:
    """d(tree)/d(symbol ``name``) for a scalar-valued tree, as a tree.

    Supports sums, differences, negation, scaling, element-wise and matrix products,
    transposes and element-wise functions (their derivative is ``Apply(..., order=1)``,
    evaluated by :mod:`chainrule.expr.functions`).
    """
    parts: list[T.Expr] = []
    stack: list[tuple[T.Expr, T.Expr]] = [(tree, T.Constant(1))]
    while stack:
        node, g = stack.pop()
        if isinstance(node, T.Symbol):
            if node.name == name:
                parts.append(_fit(g, node.shape))
        elif isinstance(node, T.Add):
            stack += [(node.left, g), (node.right, g)]
        elif isinstance(node, T.Sub):
            stack += [(node.left, g), (node.right, T.Neg(g))]
        elif isinstance(node, T.Neg):
            stack.append((node.operand, T.Neg(g)))
        elif isinstance(node, T.Scale):
            stack.append((node.operand, _scale(g, node.factor)))
            stack.append((node.factor, _inner(g, node.operand)))
        elif isinstance(node, T.ElementwiseProduct):
            stack += [(node.left, _scale(g, node.right)), (node.right, _scale(g, node.left))]
        elif isinstance(node, T.MatMul):
            stack.append((node.left, _matmul(g, T.Transpose(node.right))))
            stack.append((node.right, _matmul(T.Transpose(node.left), g)))
        elif isinstance(node, T.Transpose):
            stack.append((node.operand, T.Transpose(g) if g.shape else g))
        elif isinstance(node, T.Apply) and len(node.args) == 1:
            stack.append(
                (node.args[0], _scale(g, T.Apply(node.function, node.args, node.order + 1)))
            )
        elif isinstance(node, T.Constant | T.Size):
            continue
        else:
            raise ConfigError(f"cannot differentiate {type(node).__name__} in a formula problem")
    if not parts:
        return T.Constant(0)
    total = parts[0]
    for p in parts[1:]:
        total = T.Add(total, p)
    return total


def _matmul(a: T.Expr, b: T.Expr) -> T.Expr:
    if a.shape == () or b.shape == ():
        return _scale(a, b)
    if len(a.shape) == 2 and len(b.shape) == 2 and a.shape[1] != b.shape[0] and a.shape[1] == 1:
        return _scale(a, b)
    return T.MatMul(a, b)


def _inner(g: T.Expr, x: T.Expr) -> T.Expr:
    """The gradient reaching a scalar factor: the sum of ``g * x``."""
    if x.shape == () and g.shape == ():
        return _scale(g, x)
    return T.Sum(_scale(g, x))


def formula_reference(problem: Problem) -> Reference:
    """The reference of a formula problem, with random values for its symbols."""
    net, q = problem.data["network"], problem.data["quantity"]
    where = f"{problem.where}: network"
    if "formula" not in net or "symbols" not in net:
        raise ConfigError(f"{where}: a formula problem needs 'formula' and 'symbols'")
    shapes = {str(k): tuple(v) for k, v in net["symbols"].items()}
    tree = parse(net["formula"], shapes)
    wrt = q.get("wrt")
    found = [k for k in shapes if k == wrt]
    if not found:
        raise ConfigError(f"{problem.where}: quantity.wrt {wrt!r} is not one of {sorted(shapes)}")
    base = gradient(tree, found[0])
    defined = {str(k): parse(str(v), shapes) for k, v in net.get("define", {}).items()}
    symbols: dict[str, Any] = dict(shapes)
    symbols.update({k: v.shape for k, v in defined.items()})
    symbols = {k: (() if s and all(d == 1 for d in s) else s) for k, s in symbols.items()}
    rng = rng_for(problem.id)
    instances = []
    for _ in range(int(problem.data.get("instances", DEFAULT_INSTANCES))):
        values = {k: rng.uniform(0.3, 1.5, size=s) * rng.choice([-1.0, 1.0], size=s)
                  for k, s in shapes.items()}  # fmt: skip
        values = {k: np.asarray(v, dtype=np.float64) for k, v in values.items()}
        for k, expr in defined.items():
            values[k] = np.asarray(expr.evaluate(values), dtype=np.float64)
        instances.append(values)
    acts = []
    return Reference(base, symbols, instances, quantity=problem.quantity, activations=acts)
