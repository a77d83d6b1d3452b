"""What the fast paths of the engine promise: float32 stays float32 through a whole training
step, reused buffers never leak into results, cheap checks still catch bad data.

No test here looks at wall time; benchmarks/run.py measures speed.
"""

from __future__ import annotations

import copy
import pickle

import numpy as np
import pytest

import chainrule as cr

F32 = np.dtype(np.float32)


def _classifier(dtype=np.float32, seed=0):
    return cr.Sequential(
        [cr.Linear(6, 5), cr.ReLU(), cr.Linear(5, 4), cr.Tanh(), cr.Linear(4, 3)],
        dtype=dtype,
        seed=seed,
    )


def _every_layer_model(dtype=np.float32):
    return cr.Sequential(
        [
            cr.Linear(5, 6),
            cr.LeakyReLU(0.1),
            cr.Linear(6, 6),
            cr.Sigmoid(),
            cr.Linear(6, 4),
            cr.Tanh(),
            cr.Identity(),
            cr.Linear(4, 3),
            cr.Softmax(),
        ],
        dtype=dtype,
        seed=1,
    )


def _train_step(model, loss, X, y, opt, reg=None, input_grad=False):
    step = cr.train_step(model, loss, opt, X, y, l2=reg or 0.0, input_grad=input_grad)
    return step.output, step.loss, step.input_grad


@pytest.mark.parametrize(
    "loss, targets",
    [
        (cr.SoftmaxCrossEntropy(), "labels"),
        (cr.MeanSquaredError(), "values"),
        (cr.HalfSquaredError(), "values"),
        (cr.MeanSquaredError(per="element"), "values"),
        (cr.BinaryCrossEntropy(from_logits=True), "binary"),
    ],
)
def test_float32_stays_float32_through_a_training_step(loss, targets):
    model = _classifier()
    rng = np.random.default_rng(0)
    X = model.check_input(rng.standard_normal((7, 6)))  # float64 data is cast once, here
    y = {
        "labels": rng.integers(0, 3, size=7),
        "values": rng.standard_normal((7, 3)),  # float64 targets: no upcast of the gradient
        "binary": rng.integers(0, 2, size=(7, 3)).astype(np.float64),
    }[targets]
    opt = cr.Adam(model, lr=1e-2)
    reg = cr.L2(1e-3)
    for _ in range(3):
        out, value, dX = _train_step(model, loss, X, y, opt, reg, input_grad=True)
        assert isinstance(value, float) and np.isfinite(value)
        assert out.dtype == F32 and dX.dtype == F32
        assert loss.backward().dtype == F32
        for p in model.parameters():
            assert p.value.dtype == F32 and p.grad.dtype == F32, p.name
        for per_param in opt.buffers.values():
            assert all(b.dtype == F32 for b in per_param.values())
        for layer in model.layers:
            assert all(b.dtype == F32 for b in layer._buffers.values()), layer.label


def test_every_layer_keeps_float32_and_float64():
    for dtype in (np.float32, np.float64):
        model = _every_layer_model(dtype)
        X = np.random.default_rng(2).standard_normal((4, 5))
        out = model.forward(X)
        dX = model.backward(np.ones((4, 3)))
        assert out.dtype == dtype and dX.dtype == dtype
        for layer in model.layers:
            assert all(b.dtype == dtype for b in layer._buffers.values()), layer.label
        assert all(p.grad.dtype == dtype for p in model.parameters())


def test_reused_buffers_give_the_results_of_a_fresh_model():
    """A model that has seen other batch sizes (the last, shorter batch of an epoch) and
    other data computes exactly what a fresh model computes."""
    rng = np.random.default_rng(3)
    X = rng.standard_normal((8, 6)).astype(np.float32)
    y = rng.integers(0, 3, size=8)
    used, fresh = _classifier(seed=4), _classifier(seed=4)
    loss_used, loss_fresh = cr.SoftmaxCrossEntropy(), cr.SoftmaxCrossEntropy()
    for n in (8, 3, 5):
        Xo, yo = rng.standard_normal((n, 6)).astype(np.float32), rng.integers(0, 3, size=n)
        loss_used.forward(used.forward(Xo), yo)
        used.backward(loss_used.backward())
    v1 = loss_used.forward(used.forward(X), y)
    d1 = used.backward(loss_used.backward())
    v2 = loss_fresh.forward(fresh.forward(X), y)
    d2 = fresh.backward(loss_fresh.backward())
    assert v1 == v2
    np.testing.assert_array_equal(d1, d2)
    for (name, p), (_, q) in zip(used.named_parameters(), fresh.named_parameters(), strict=True):
        np.testing.assert_array_equal(p.grad, q.grad, err_msg=name)


def test_softmax_cross_entropy_gradient_is_recomputed_for_new_labels():
    loss = cr.SoftmaxCrossEntropy()
    z = np.array([[2.0, 0.0, -1.0], [0.5, 0.5, 0.5]])
    loss.forward(z, np.array([0, 1]))
    loss.forward(z, np.array([2, 0]))
    p = np.exp(z - z.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    p[[0, 1], [2, 0]] -= 1
    np.testing.assert_allclose(loss.backward(), p / 2, rtol=1e-15, atol=1e-17)
    # a batch of another size after that
    value = loss.forward(z[:1], np.array([1]))
    assert value == pytest.approx(np.log(np.exp(z[0]).sum()) - z[0, 1], rel=1e-15)
    assert loss.backward().shape == (1, 3)


def test_loss_gradient_stays_valid_until_the_next_forward_of_that_loss():
    rng = np.random.default_rng(5)
    out, y = rng.standard_normal((4, 2)), rng.standard_normal((4, 2))
    a, b = cr.MeanSquaredError(), cr.MeanSquaredError()
    a.forward(out, y)
    g = a.backward()
    keep = g.copy()
    b.forward(out + 1, y)  # another loss object never touches a's gradient
    np.testing.assert_array_equal(g, keep)
    np.testing.assert_array_equal(a.backward(), keep)
    np.testing.assert_allclose(keep, 2 * (out - y) / 4, rtol=1e-15)


def test_a_copied_or_pickled_loss_carries_no_buffers():
    loss = cr.SoftmaxCrossEntropy()
    loss.forward(np.zeros((3, 4)), np.array([0, 1, 2]))
    for other in (copy.deepcopy(loss), pickle.loads(pickle.dumps(loss))):
        assert other._buffers == {}
        assert other.forward(np.zeros((2, 4)), np.array([3, 3])) == pytest.approx(np.log(4))


def test_l2_backward_adds_two_lambda_w_to_weights_of_equal_shapes():
    model = cr.Sequential(
        [cr.Linear(3, 3), cr.ReLU(), cr.Linear(3, 3), cr.ReLU(), cr.Linear(3, 1)],
        dtype=np.float64,
        seed=6,
    )
    model.forward(np.ones((2, 3)))
    model.backward(np.ones((2, 1)))
    before = {k: p.grad.copy() for k, p in model.named_parameters()}
    reg = cr.L2(0.25)
    reg.backward(model)
    reg.backward(model)  # adds, as documented: twice gives 2 * (2 lam W)
    for name, p in model.named_parameters():
        expected = before[name] + (p.value if name.startswith("W") else 0.0)
        np.testing.assert_allclose(p.grad, expected, rtol=1e-15, err_msg=name)


def test_bias_gradient_is_the_column_sum():
    model = cr.Sequential([cr.Linear(3, 4)], dtype=np.float64, seed=0)
    G = np.random.default_rng(7).standard_normal((5, 4))
    model.forward(np.ones((5, 3)))
    model.backward(G)
    np.testing.assert_allclose(dict(model.named_parameters())["b1"].grad, G.sum(axis=0))
    model.forward(np.ones((2, 3)))  # another batch size: another vector of ones
    model.backward(G[:2])
    np.testing.assert_allclose(dict(model.named_parameters())["b1"].grad, G[:2].sum(axis=0))


def test_input_check_accepts_huge_finite_values_and_finds_bad_ones():
    model = cr.Sequential([cr.Linear(3, 1)], dtype=np.float32, seed=0)
    X = np.full((4, 3), 3e38, dtype=np.float32)  # the sum overflows, the data is finite
    assert model.check_input(X) is X
    X[2, 1] = -np.inf
    with pytest.raises(cr.DataError, match=r"row 2, column 1"):
        model.check_input(X)


@pytest.mark.parametrize("loss", [cr.MeanSquaredError(), cr.HalfSquaredError()])
@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_non_finite_targets_are_still_refused(loss, bad):
    out = np.zeros((3, 2))
    y = np.zeros((3, 2))
    y[1, 0] = bad
    with pytest.raises(cr.DataError, match="NaN or Inf"):
        loss.forward(out, y)
    # finite targets with a non-finite output are the network's problem, not the data's
    assert not np.isfinite(loss.forward(np.full((3, 2), np.inf), np.zeros((3, 2))))
