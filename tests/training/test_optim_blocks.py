"""The optimizers' blocked update: same result bit for bit, no subnormals left, and a
parameter whose arrays are replaced is followed."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr
import chainrule.optim.blocks as optim

OPTIMIZERS = {
    "sgd": lambda m: cr.SGD(m, lr=0.1, weight_decay=0.01),
    "momentum": lambda m: cr.Momentum(m, lr=0.1, nesterov=True),
    "rmsprop": lambda m: cr.RMSProp(m, lr=0.01, centered=True, momentum=0.5),
    "adam": lambda m: cr.Adam(m, lr=0.01, weight_decay=0.01),
    "adamw": lambda m: cr.AdamW(m, lr=0.01),
}


def _train(make, dtype, steps=5):
    model = cr.Sequential([cr.Linear(300, 120), cr.ReLU(), cr.Linear(120, 3)], dtype=dtype, seed=0)
    opt = make(model)
    rng = np.random.default_rng(1)
    for _ in range(steps):
        for p in model.parameters():
            p.grad[...] = rng.standard_normal(p.grad.shape)
        opt.step()
    return model.state_dict(), opt.state_dict()


@pytest.mark.parametrize("name", list(OPTIMIZERS))
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_blocks_change_nothing_bit_for_bit(name, dtype, monkeypatch):
    blocked_w, blocked_s = _train(OPTIMIZERS[name], dtype)
    assert 300 * 120 * np.dtype(dtype).itemsize > optim.BLOCK_BYTES  # W1 really is split
    monkeypatch.setattr(optim, "BLOCK_BYTES", 1 << 40)
    whole_w, whole_s = _train(OPTIMIZERS[name], dtype)
    for k in whole_w:
        np.testing.assert_array_equal(blocked_w[k], whole_w[k])
    for b, per in whole_s["buffers"].items():
        for k, v in per.items():
            np.testing.assert_array_equal(blocked_s["buffers"][b][k], v)


def _dead_unit_state(steps):
    model = cr.Sequential([cr.Linear(4, 2)], dtype=np.float32, seed=0)
    opt = cr.Adam(model, lr=1e-3)
    W = model.parameters()[0]
    W.grad[...] = 1.0
    opt.step()
    W.grad[...] = 0.0  # a unit that went dead: m decays by 0.9 a step, forever
    for _ in range(steps - 1):
        opt.step()
    return opt.buffers["exp_avg"]["W1"]


def test_state_of_a_dead_unit_is_flushed_to_zero_not_left_subnormal(monkeypatch):
    tiny = np.finfo(np.float32).tiny
    steps = 13 * optim.FLUSH_EVERY  # 832: 0.1 * 0.9^831 is about 1e-39, a float32 subnormal
    assert np.all(_dead_unit_state(steps) == 0)
    monkeypatch.setattr(optim, "FLUSH_EVERY", 10**9)
    m = _dead_unit_state(steps)
    assert np.all((m != 0) & (np.abs(m) < tiny))  # without the flush: subnormals


def test_a_replaced_gradient_array_is_followed():
    model = cr.Sequential([cr.Linear(3, 2, bias=False)], dtype=np.float64, seed=0)
    opt = cr.SGD(model, lr=1.0)
    W = model.parameters()[0]
    before = W.value.copy()
    W.grad[...] = 1.0
    opt.step()
    W.grad = np.full_like(W.value, 2.0)  # rebinding, not writing in place
    opt.step()
    np.testing.assert_allclose(W.value, before - 3.0)


def test_non_contiguous_parameters_are_refused():
    class Holder:
        def __init__(self):
            self.value = np.zeros((4, 4))[:, ::2]
            self.grad = np.zeros((4, 2))

        def named_parameters(self):
            return iter([("W", self)])

    with pytest.raises(cr.ConfigError, match="C-contiguous"):
        cr.SGD(Holder(), lr=0.1)


def _train_small(make, dtype, steps=6):
    layers = [cr.Linear(4, 3), cr.ReLU(), cr.Linear(3, 2), cr.ReLU(), cr.Linear(2, 1)]
    model = cr.Sequential(layers, dtype=dtype, seed=0)
    opt = make(model)
    penalty = cr.L2(0.01)
    rng = np.random.default_rng(1)
    for t in range(steps):
        for p in model.parameters():
            p.grad[...] = rng.standard_normal(p.grad.shape)
        opt.step(penalty=penalty if t % 2 else None)
    return model.state_dict(), opt.state_dict(), len(opt._current_jobs())


@pytest.mark.parametrize("name", list(OPTIMIZERS))
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_small_parameters_packed_change_nothing_bit_for_bit(name, dtype, monkeypatch):
    packed_w, packed_s, packed_jobs = _train_small(OPTIMIZERS[name], dtype)
    monkeypatch.setattr(optim, "PACK_ENTRIES", 0)
    plain_w, plain_s, plain_jobs = _train_small(OPTIMIZERS[name], dtype)
    assert packed_jobs == 1 and plain_jobs == 6  # six parameters, one pack
    for k in plain_w:
        np.testing.assert_array_equal(packed_w[k], plain_w[k])
    for b, per in plain_s["buffers"].items():
        for k, v in per.items():
            np.testing.assert_array_equal(packed_s["buffers"][b][k], v)


def test_a_pack_holds_only_neighbours_with_one_penalty_factor():
    model = cr.Sequential([cr.Linear(4, 3), cr.ReLU(), cr.Linear(3, 2)], dtype=np.float64, seed=0)
    opt = cr.Adam(model, lr=0.1)
    jobs = opt._current_jobs({"W1": 0.02, "W2": 0.02})  # W1 b1 W2 b2: the factor alternates
    assert [job[0] for job in jobs] == ["W1", "b1", "W2", "b2"]
    assert all(job[4] is None for job in jobs)
    jobs = opt._current_jobs()
    assert [job[0] for job in jobs] == ["W1"] and jobs[0][4] is not None


def test_a_replaced_gradient_array_in_a_pack_is_followed():
    model = cr.Sequential([cr.Linear(3, 2, bias=False), cr.Linear(2, 2, bias=False)], seed=0)
    opt = cr.SGD(model, lr=1.0)
    W1, W2 = model.parameters()
    before = W1.value.copy(), W2.value.copy()
    W1.grad[...], W2.grad[...] = 1.0, 1.0
    opt.step()
    W2.grad = np.full_like(W2.value, 2.0)  # rebinding, not writing in place
    opt.step()
    np.testing.assert_allclose(W1.value, before[0] - 2.0)
    np.testing.assert_allclose(W2.value, before[1] - 3.0)
