"""The seed notes' worked examples, computed by the engine and by their own formulas.

Where a seed's written answer is wrong, the test shows the engine's (right) value and why the
written one differs.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np

import chainrule as cr


def _grads(net):
    out = net.model.forward(net.X)
    value = net.loss.forward(out, net.y)
    net.model.backward(net.loss.backward())
    return value, {k: p.grad.copy() for k, p in net.model.named_parameters()}


def test_seed003_worked_example_gives_minus_one_sixteenth_exactly():
    net = cr.zoo.build("seed003-relu-sigmoid-2-2-1")
    value, g = _grads(net)
    assert value == 0.125  # J = 1/2 (1 - 0.5)^2
    assert g["W1"][0, 1] == -0.0625  # exactly, every intermediate is dyadic
    assert Fraction(float(g["W1"][0, 1])) == Fraction(-1, 16)
    # The whole gradient: only the first hidden unit is active (h1 = [1, -0.5]).
    np.testing.assert_array_equal(g["W1"], [[-0.125, -0.0625], [0.0, 0.0]])
    # The seed's last line "= 0.125/2 = 0.0625" drops the minus sign of -(t - y).
    assert g["W1"][0, 1] != 0.0625


def _seed001_single_sample_by_hand(W1, W2, W3, x, y):
    """Homework 001 part 1 in scalar notation: h^i = relu(h^{i-1} W^{i T}), l = 1/2 (f - y)^2."""
    n0, n1, n2 = 4, 3, 2
    z1 = [sum(x[r] * W1[q, r] for r in range(n0)) for q in range(n1)]
    h1 = [max(v, 0.0) for v in z1]
    z2 = [sum(h1[r] * W2[q, r] for r in range(n1)) for q in range(n2)]
    h2 = [max(v, 0.0) for v in z2]
    f = sum(h2[q] * W3[0, q] for q in range(n2))
    delta = f - y  # question 1's delta
    dW3 = np.array([[delta * h2[j] for j in range(n2)]])  # Q1-3: delta h^2_{1,j}
    dh2 = [delta * W3[0, i] for i in range(n2)]  # Q4-5: delta W^3_{1,i}

    def relu_d(v):  # Q6: [x > 0]
        return 1.0 if v > 0 else 0.0

    dW2 = np.array(
        [[dh2[i] * relu_d(z2[i]) * h1[j] for j in range(n1)] for i in range(n2)]
    )  # Q10-11
    dh1 = [sum(dh2[i] * relu_d(z2[i]) * W2[i, j] for i in range(n2)) for j in range(n1)]  # Q14-15
    dW1 = np.array(
        [[dh1[i] * relu_d(z1[i]) * x[j] for j in range(n0)] for i in range(n1)]
    )  # Q16-17
    return {"W1": dW1, "W2": dW2, "W3": dW3}, 0.5 * delta**2


def test_seed001_single_sample_matches_the_homework_formulas():
    net = cr.zoo.build("seed001-4-3-2-1")
    p = dict(net.model.named_parameters())
    rng = np.random.default_rng(11)
    # Weights with mixed signs, but every unit active for this x, so no path is trivially 0.
    p["W1"].value[...] = np.abs(rng.standard_normal((3, 4))) * [[1, 1, 1, -0.2]]
    p["W2"].value[...] = np.abs(rng.standard_normal((2, 3)))
    p["W3"].value[...] = [[0.7, -1.3]]
    x, y = np.array([0.5, 1.0, 2.0, 1.5]), 0.25
    hand, hand_loss = _seed001_single_sample_by_hand(
        p["W1"].value, p["W2"].value, p["W3"].value, x, y
    )
    net.X, net.y = x[None, :], np.array([[y]])
    value, g = _grads(net)
    assert np.isclose(value, hand_loss, rtol=1e-14)
    for k in hand:
        np.testing.assert_allclose(g[k], hand[k], rtol=1e-13, atol=1e-15)
        assert np.abs(g[k]).min() > 0  # all paths active: a meaningful comparison


def test_seed001_batch_gradient_is_the_mean_of_single_sample_gradients():
    # Part 2: l = 1/m sum_k l_k with m = 2, delta = (h^3 - y)/m, dW^3 = delta^T h^2.
    net = cr.zoo.build("seed001-4-3-2-1", seed=3)
    p = {k: v.value for k, v in net.model.named_parameters()}
    X = np.array([[0.5, 1.0, 2.0, 1.5], [1.0, -0.5, 0.25, 2.0]])
    y = np.array([[0.25], [-1.0]])
    net.X, net.y = X, y
    _, g = _grads(net)
    singles = [
        _seed001_single_sample_by_hand(p["W1"], p["W2"], p["W3"], X[k], y[k, 0])[0]
        for k in range(2)
    ]
    for name in ("W1", "W2", "W3"):
        np.testing.assert_allclose(
            g[name], (singles[0][name] + singles[1][name]) / 2, rtol=1e-13, atol=1e-15
        )


def test_seed004_column_major_delta_recurrence_and_its_wrong_bias_formula():
    """Seed 004: Z = W1 X + b1 u, A = sigma(Z), y_hat = w2 A + b2 u, L = 1/3 ||y_hat - y||^2,
    examples as columns. The engine is batch-first; its gradients equal the column-major ones."""
    net = cr.zoo.build("seed004-4-2-1-sigmoid", seed=2)
    _, g = _grads(net)
    p = {k: v.value for k, v in net.model.named_parameters()}
    Xc, yc = net.X.T, net.y.T  # (4, 3) and (1, 3): examples as columns
    u = np.ones((1, 3))
    A = 1 / (1 + np.exp(-(p["W1"] @ Xc + p["b1"][:, None] @ u)))
    y_hat = p["W2"] @ A + p["b2"][:, None] @ u
    delta2 = 2 / 3 * (y_hat - yc)  # step 1, [1 x 3]
    delta1 = (p["W2"].T @ delta2) * A * (1 - A)  # step 3, [2 x 3]
    np.testing.assert_allclose(g["W2"], delta2 @ A.T, rtol=1e-12)
    np.testing.assert_allclose(g["b2"], (delta2 @ u.T).ravel(), rtol=1e-12)
    np.testing.assert_allclose(g["W1"], delta1 @ Xc.T, rtol=1e-12)
    np.testing.assert_allclose(g["b1"], (delta1 @ u.T).ravel(), rtol=1e-12)
    # The seed's "In general" block writes dL/db^[1] = delta^[1] (A^[0])^T, the weight formula
    # again: it is (2, 4), not the (2, 1) that b1 has.
    assert (delta1 @ Xc.T).shape == (2, 4) != (2, 1)


def test_seed002_softmax_gradient_per_example_plus_l2():
    net = cr.zoo.build("seed002-two-layer-softmax", n_inputs=6, hidden=(5,), n_outputs=4)
    lam = 0.01
    reg = cr.L2(lam)
    model = net.model
    out = model.forward(net.X)
    net.loss.forward(out, net.y)
    model.backward(net.loss.backward())
    reg.backward(model)
    p = {k: v.value for k, v in model.named_parameters()}
    g = {k: v.grad for k, v in model.named_parameters()}
    n = net.X.shape[0]
    # The seed's per-example rule: dL_i/dz2_j = p_j - [j = y_i]; mean over the batch + 2 lam W.
    a1 = np.maximum(net.X @ p["W1"].T + p["b1"], 0)
    z2 = a1 @ p["W2"].T + p["b2"]
    P = np.exp(z2 - z2.max(1, keepdims=True))
    P /= P.sum(1, keepdims=True)
    dW2 = sum(np.outer(P[i] - np.eye(4)[net.y[i]], a1[i]) for i in range(n)) / n
    np.testing.assert_allclose(g["W2"], dW2 + 2 * lam * p["W2"], rtol=1e-12)
    np.testing.assert_allclose(g["b2"], (P - np.eye(4)[net.y]).mean(0), rtol=1e-12, atol=1e-15)


def test_seed000_autoencoder_output_gradient_is_not_minus_two():
    """Seed 000 writes dL/dx_hat = 2/n sum ||x_i - x_hat_i|| = -2. The gradient of
    L = 1/n sum ||x_i - x_hat_i||^2 is the matrix 2 (x_hat - x) / n, one row per example."""
    net = cr.zoo.build("seed000-relu-autoencoder", n_inputs=5, hidden=(3,))
    out = net.model.forward(net.X)
    net.loss.forward(out, net.y)
    grad = net.loss.backward()
    n = net.X.shape[0]
    np.testing.assert_allclose(grad, 2 * (out - net.X) / n, rtol=1e-14)
    assert grad.shape == net.X.shape and not np.allclose(grad, -2)
