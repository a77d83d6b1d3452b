"""The order a scalar graph is walked in: inputs before the nodes that use them.

``Value.backward`` walks it in reverse, the tables and pictures forward. Iterative, so a
chain of any length works (micrograd's recursive sort stops near depth 1000).
"""

from __future__ import annotations

from typing import TypeVar

__all__ = ["topological_order"]

# A node of the graph: a Value, or anything else whose ``inputs`` are nodes. Not Value
# itself, so that value.py, which uses this order, is not imported back.
Node = TypeVar("Node")


def topological_order(root: Node) -> list[Node]:
    """Every node ``root`` depends on, inputs before the nodes that use them, ``root`` last.

    ``root`` is a :class:`~chainrule.scalar.value.Value` (any node with ``inputs``).

    Iterative depth-first post-order (no recursion limit); inputs are visited left to right,
    so the order reads like the formula.
    """
    seen = {root}
    order: list[Node] = []
    stack = [(root, iter(root.inputs))]
    while stack:
        node, pending = stack[-1]
        for child in pending:
            if child not in seen:
                seen.add(child)
                stack.append((child, iter(child.inputs)))
                break
        else:
            stack.pop()
            order.append(node)
    return order
