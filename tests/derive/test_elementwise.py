"""One set of element-wise functions: the layers, expr, scalar and rbm compute alike."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr
from chainrule import elementwise as ew
from chainrule.expr import tree as T
from chainrule.rbm import _math as rbm_math

Z = np.array([[-40.0, -1.5, 0.0, 0.25, 3.0]])


def _layer(layer, z):
    layer.build(np.random.default_rng(0), np.float64)
    h = layer.forward(z).copy()
    return h, layer.backward(np.ones_like(z)).copy()


def test_expr_relu_derivative_is_the_relu_layers_backward_mask():
    _, mask = _layer(cr.ReLU(), Z)
    z = T.Symbol("z", Z.shape)
    prime = T.Apply("relu", (z,), 1).evaluate({"z": Z})
    np.testing.assert_array_equal(prime, mask)
    assert prime[0, 2] == 0  # ReLU'(0) = 0 in both
    exact = T.Apply("relu", (z,), 1).evaluate({"z": [[-2, -1, 0, 1, 3]]})
    assert list(exact[0]) == [0, 0, 0, 1, 1]


@pytest.mark.parametrize(("name", "layer"), [("sigmoid", cr.Sigmoid), ("tanh", cr.Tanh)])
def test_expr_scalar_and_layers_compute_the_same_function(name, layer):
    h, grad = _layer(layer(), Z)
    z = T.Symbol("z", Z.shape)
    np.testing.assert_array_equal(T.Apply(name, (z,)).evaluate({"z": Z}), h)
    np.testing.assert_array_equal(T.Apply(name, (z,), 1).evaluate({"z": Z}), grad)
    for k, value in enumerate(Z[0]):
        v = getattr(cr.scalar.Value(value), name)()
        assert v.data == h[0, k]


def test_rbm_and_losses_use_the_one_sigmoid():
    assert rbm_math.sigmoid is ew.sigmoid
    assert cr.layers.stable_sigmoid is ew.sigmoid
    assert ew.sigmoid(np.float32(-40.0)).dtype == np.float32


def test_softmax_layer_is_the_shared_softmax():
    h, _ = _layer(cr.Softmax(), Z)
    np.testing.assert_array_equal(h, ew.softmax(Z))
    z = T.Symbol("z", Z.shape)
    np.testing.assert_array_equal(T.Apply("softmax", (z,)).evaluate({"z": Z}), h)
