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
