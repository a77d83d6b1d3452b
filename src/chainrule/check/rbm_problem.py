r"""Seed 003's RBM question: the gradient of the log-likelihood of n data vectors in c_z.

With :math:`E(v, h) = -b^T v - c^T h - v^T W h` (:mod:`chainrule.rbm`), summing out the
hidden layer gives :math:`\log p(v) = -F(v) - \log Z`, and the hidden bias enters
:math:`-F(v)` as :math:`\sum_j \operatorname{softplus}(c_j + v^T W_{:,j})`, so

.. math:: \frac{\partial}{\partial c_z} \sum_{i=1}^n \log p(v_i)
          = \sum_{i=1}^n \sigma(c_z + v_i^T W_{:,z}) - n \sum_{k=1}^{K} p_k \sigma(c_z + s_k^T W_{:,z}),

the model term a sum over the :math:`K = 2^D` visible states :math:`s_k` with their
probabilities :math:`p_k`. The tree is assembled from the RBM's conditional
:math:`E[h_z \mid v] = \sigma(c_z + v^T W_{:,z})` (``RBM.prob_hidden``) applied to the data
and to the model's states; the values come from :mod:`chainrule.rbm` (the model, its
exact state probabilities), and a test checks the tree against ``RBM.exact_gradient``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from chainrule.check.instances import rng_for
from chainrule.check.reference import Reference
from chainrule.errors import ConfigError
from chainrule.expr import tree as T

if TYPE_CHECKING:
    from chainrule.check.problem import Problem

__all__ = ["conditional", "rbm_reference"]

DEFAULT_INSTANCES = 4


def conditional(c: T.Expr, W: T.Expr, rows: T.Symbol, index: str, unit: T.Expr) -> T.Expr:
    """:math:`\\sigma(c_z + r^T W_{:,z})` for row ``index`` of ``rows``: E[h_z | v = r]."""
    row = T.Index(rows, (T.IndexVar(index),))
    column = T.Index(W, (T.Slice(), unit))
    pre = T.Add(T.Index(c, (unit,)), T.MatMul(T.Transpose(row), column))
    return T.Apply("sigmoid", (pre,))


def rbm_reference(problem: Problem) -> Reference:
    """The reference and instances of an RBM hidden-bias gradient problem."""
    from chainrule.rbm import RBM
    from chainrule.rbm.exact import binary_states

    net = problem.data["network"]
    D, H, n = int(net.get("n_visible", 3)), int(net.get("n_hidden", 2)), int(net.get("examples", 4))
    if D > 10:
        raise ConfigError(
            f"{problem.where}: n_visible={D}; the check enumerates 2^D states (D <= 10)"
        )
    K = 2**D
    symbols = {"v": ("n", D), "W": (D, H), "c": (H,), "b": (D,), "s": ("K", D), "p": ("K",)}
    v, s = T.Symbol("v", ("n", D)), T.Symbol("s", ("K", D))
    W, c, p = T.Symbol("W", (D, H)), T.Symbol("c", (H,)), T.Symbol("p", ("K",))
    z = T.IndexVar("z")
    data = T.IndexSum("i", T.Constant(1), T.Size("n"), conditional(c, W, v, "i", z))
    model = T.IndexSum(
        "k", T.Constant(1), T.Size("K"),
        T.Scale(T.Index(p, (T.IndexVar("k"),)), conditional(c, W, s, "k", z)),
    )  # fmt: skip
    base = T.Sub(data, T.Scale(T.Size("n"), model))
    states = binary_states(0, K, D)
    rng = rng_for(problem.id)
    instances = []
    for _ in range(int(problem.data.get("instances", DEFAULT_INSTANCES))):
        rbm = RBM(D, H, seed=int(rng.integers(0, 2**31)))
        params = rbm.parameters()
        for key in ("W", "b", "c"):
            params[key][...] = rng.normal(0.0, 1.0, size=params[key].shape)
        V = rng.integers(0, 2, size=(n, D)).astype(np.float64)
        instances.append({
            "v": V, "W": np.asarray(params["W"], dtype=np.float64),
            "c": np.asarray(params["c"], dtype=np.float64),
            "b": np.asarray(params["b"], dtype=np.float64),
            "s": states, "p": rbm.probability(states),
        })  # fmt: skip
    return Reference(
        base, symbols, instances, quantity=problem.quantity,
        free=(("z", H),), sizes={"n": n, "K": K},
    )  # fmt: skip
