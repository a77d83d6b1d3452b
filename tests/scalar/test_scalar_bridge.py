"""The bridge: one small MLP built from scalar Values and from the layer engine
(``Sequential``, ``Linear``, activations, ``HalfSquaredError``) gives the same loss and the
same gradient for every weight and bias."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr
from chainrule.scalar import Value

ACTIVATIONS = {"Sigmoid": Value.sigmoid, "ReLU": Value.relu, "Tanh": Value.tanh}


def scalar_mlp(params: dict[str, np.ndarray], activation, X: np.ndarray, y: np.ndarray):
    """The same network, one Value per weight: z = W h + b per example (W is (d_out, d_in),
    as in the engine), the activation between layers, and
    L = (1/n) sum_k 1/2 ||f_k - y_k||^2."""
    leaves = {
        name: [
            [Value(v, name=f"{name}[{i},{j}]") for j, v in enumerate(row)]
            for i, row in enumerate(np.atleast_2d(p).tolist())
        ]
        for name, p in params.items()
    }
    n_layers = sum(name.startswith("W") for name in params)
    total = Value(0.0)
    for x_k, y_k in zip(X.tolist(), y.tolist(), strict=True):
        h = [Value(v) for v in x_k]
        for layer in range(1, n_layers + 1):
            W, (b,) = leaves[f"W{layer}"], leaves[f"b{layer}"]
            z = []
            for i, row in enumerate(W):
                s = b[i]
                for w_ij, h_j in zip(row, h, strict=True):
                    s = s + w_ij * h_j
                z.append(s)
            h = z if layer == n_layers else [activation(zi) for zi in z]
        for f_i, y_i in zip(h, y_k, strict=True):
            total = total + 0.5 * (f_i - y_i) ** 2
    L = total / len(X)
    return L, leaves


@pytest.mark.parametrize("act", sorted(ACTIVATIONS))
def test_values_and_the_layer_engine_give_the_same_gradients(act):
    rng = np.random.default_rng(4)
    X, y = rng.normal(size=(3, 4)), rng.normal(size=(3, 2))
    model = cr.Sequential(
        [cr.Linear(4, 3), getattr(cr, act)(), cr.Linear(3, 3), getattr(cr, act)(), cr.Linear(3, 2)],
        dtype=np.float64,
        seed=0,
    )
    loss = cr.HalfSquaredError()
    value = loss.forward(model.forward(X), y)
    model.backward(loss.backward())
    params = dict(model.named_parameters())

    L, leaves = scalar_mlp({n: p.value for n, p in params.items()}, ACTIVATIONS[act], X, y)
    L.backward()

    assert L.data == pytest.approx(value, rel=1e-12)
    for name, p in params.items():
        grads = np.array([[v.grad for v in row] for row in leaves[name]]).reshape(p.value.shape)
        assert np.any(grads != 0.0), name  # a test that could not fail would prove nothing
        np.testing.assert_allclose(grads, p.grad, rtol=1e-12, atol=1e-14, err_msg=name)
