"""A small hand-made problem for the grading engine's own tests (no derive needed).

One example, one column: ``z_1 = W_1 x``, ``h_1 = relu(z_1)``, ``f = W_2 h_1``, with
``delta = f - y``; the quantity is dL/dW_1 = ((W_2^T delta) ⊙ [z_1 > 0]) x^T, and a
batch version of a bias gradient and an L2 term for the other hypotheses. The values
come from the NumPy forward pass; only this test's reference tree is written by hand.
"""

from __future__ import annotations

import numpy as np

from chainrule.check.grader import Grader
from chainrule.check.reference import Activation, Reference
from chainrule.expr import parse

SHAPES = {
    "W_1": (3, 4), "W_2": (1, 3), "x": (4, "n"), "z_1": (3, "n"), "h_1": (3, "n"),
    "f": (1, "n"), "y": (1, "n"), "\\delta": (1, "n"), "\\lambda": (), "u": (1, "n"),
}  # fmt: skip


def instances(n: int = 1, count: int = 4) -> list[dict]:
    out = []
    rng = np.random.default_rng(7)
    while len(out) < count:
        W1, W2 = rng.uniform(-1.5, 1.5, (3, 4)), rng.uniform(-1.5, 1.5, (1, 3))
        x, y = rng.standard_normal((4, n)), rng.standard_normal((1, n))
        z1 = W1 @ x
        if np.min(np.abs(z1)) < 0.1:
            continue
        h1 = np.maximum(z1, 0)
        f = W2 @ h1
        out.append({"W_1": W1, "W_2": W2, "x": x, "z_1": z1, "h_1": h1, "f": f, "y": y,
                    "\\delta": f - y, "\\lambda": np.float64(0.1), "u": np.ones((1, n))})  # fmt: skip
    return out


def grader(reference: str, n: int = 1, l2: bool = False, **kw) -> Grader:
    shapes = {k: tuple(1 if d == "n" else d for d in v) for k, v in SHAPES.items()}
    if n > 1:
        shapes = dict(SHAPES)
    base = parse(reference, shapes)
    answer = {k: (() if s and all(d == 1 for d in s) else s) for k, s in shapes.items()}
    ref = Reference(
        base,
        answer,
        instances(n),
        quantity="\\frac{\\partial L}{\\partial W_1}",
        activations=[Activation(1, "relu", "z_1", "h_1")],
        sizes={"n": n} if n > 1 else {},
        l2="\\lambda" if l2 else None,
        ones=("u",),
    )
    return Grader(ref, **kw)


DW1 = r"((W_2^T \delta) \odot [z_1 > 0]) x^T"
