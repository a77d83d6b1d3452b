"""Optimizers without PyTorch: the seed conventions, explicit state, in-place updates."""

from __future__ import annotations

import math

import numpy as np
import pytest

import chainrule as cr
from chainrule.errors import CheckpointError, ConfigError
from chainrule.optim import make_optimizer, make_schedule, optimizer_from_state


class _Param:
    def __init__(self, value) -> None:
        self.value = np.array(value, dtype=np.float64)
        self.grad = np.zeros_like(self.value)


class _Model:
    def __init__(self, w=(1.0, -2.0, 0.5)) -> None:
        self.w = _Param(w)

    def named_parameters(self):
        yield "w", self.w


GRADS = [np.array([0.5, -1.0, 2.0]) * (1 + 0.3 * k) * (-1) ** k for k in range(10)]


def _adam_correct(w, grads, lr, b1, b2, eps):
    m = np.zeros_like(w)
    v = np.zeros_like(w)
    for t, g in enumerate(grads, start=1):
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        w = w - lr * (m / (1 - b1**t)) / (np.sqrt(v / (1 - b2**t)) + eps)
    return w


def _adam_seed004(w, grads, lr, b1, b2, eps, stored):
    """Seed 004 read literally: V and S divided by (1 - beta)^t, the corrected values kept
    as the new V and S (``stored``) or used for the step only."""
    m = np.zeros_like(w)
    v = np.zeros_like(w)
    for t, g in enumerate(grads, start=1):
        m_new, v_new = b1 * m + (1 - b1) * g, b2 * v + (1 - b2) * g * g
        m_hat, v_hat = m_new / (1 - b1) ** t, v_new / (1 - b2) ** t
        m, v = (m_hat, v_hat) if stored else (m_new, v_new)
        w = w - lr * m_hat / (np.sqrt(v_hat) + eps)
    return w


def _run(opt, model, grads):
    for g in grads:
        model.w.grad[...] = g
        opt.step()
    return model.w.value


def test_adam_uses_one_minus_beta_to_the_t_not_seed004_formula():
    w0 = np.array([1.0, -2.0, 0.5])
    model = _Model(w0)
    ours = _run(cr.Adam(model, lr=0.01), model, GRADS)
    np.testing.assert_allclose(ours, _adam_correct(w0, GRADS, 0.01, 0.9, 0.999, 1e-8), rtol=1e-13)
    # A constant gradient: bias-corrected Adam moves every weight by exactly lr a step.
    const = [np.array([0.5, -1.0, 2.0])] * 10
    model = _Model(w0)
    ours = _run(cr.Adam(model, lr=0.01), model, const)
    np.testing.assert_allclose(ours, w0 - 10 * 0.01 * np.sign(const[0]), rtol=1e-7)
    for stored in (True, False):
        seed = _adam_seed004(w0, const, 0.01, 0.9, 0.999, 1e-8, stored)
        # (1 - beta)^t equals 1 - beta^t at t = 1 only; afterwards the seed formula stalls.
        assert np.all(np.abs(ours - seed) > 0.05)


def test_adam_first_step_moves_each_weight_by_lr():
    model = _Model()
    opt = cr.Adam(model, lr=0.1)
    model.w.grad[...] = [3.0, -0.01, 100.0]
    opt.step()
    np.testing.assert_allclose(model.w.value, [0.9, -1.9, 0.4], rtol=1e-7)
    assert opt.t == 1


def test_momentum_ema_is_seed004_exponential_average():
    model = _Model()
    w = model.w.value.copy()
    beta, lr = 0.9, 0.1
    v = np.zeros(3)
    for g in GRADS:
        v = beta * v + (1 - beta) * g
        w = w - lr * v
    ours = _run(cr.Momentum(model, lr=lr, momentum=beta, convention="ema"), model, GRADS)
    np.testing.assert_allclose(ours, w, rtol=1e-14)


def test_momentum_classical_is_velocity_form():
    model = _Model()
    w = model.w.value.copy()
    mu, lr = 0.9, 0.05
    u = np.zeros(3)
    for g in GRADS:
        u = mu * u - lr * g
        w = w + u
    ours = _run(cr.Momentum(model, lr=lr, momentum=mu), model, GRADS)
    np.testing.assert_allclose(ours, w, rtol=1e-13)


@pytest.mark.parametrize("inside", [False, True])
def test_rmsprop_epsilon_inside_or_outside_sqrt(inside):
    model = _Model()
    w = model.w.value.copy()
    alpha, lr, eps = 0.9, 0.01, 0.5  # a large eps makes the two placements differ visibly
    s = np.zeros(3)
    for g in GRADS:
        s = alpha * s + (1 - alpha) * g * g
        w = w - lr * g / (np.sqrt(s + eps) if inside else np.sqrt(s) + eps)
    opt = cr.RMSProp(model, lr=lr, alpha=alpha, eps=eps, eps_inside=inside)
    np.testing.assert_allclose(_run(opt, model, GRADS), w, rtol=1e-14)


def test_float32_parameters_stay_float32_and_are_updated_in_place():
    model = _Model()
    model.w.value = model.w.value.astype(np.float32)
    model.w.grad = np.ones(3, np.float32)
    before = model.w.value
    for opt in (
        cr.SGD(model),
        cr.Momentum(model, nesterov=True),
        cr.RMSProp(model, centered=True, momentum=0.5),
        cr.Adam(model, weight_decay=0.1),
        cr.AdamW(model),
    ):
        opt.step()
        assert model.w.value is before
        assert model.w.value.dtype == np.float32
        assert all(b.dtype == np.float32 for d in opt.buffers.values() for b in d.values())


def test_state_dict_round_trip_continues_identically():
    a, b = _Model(), _Model()
    opt_a = cr.Adam(a, lr=0.01, weight_decay=0.01)
    _run(opt_a, a, GRADS[:5])
    state = opt_a.state_dict()
    assert state["step"] == 5
    assert set(state["buffers"]) == {"exp_avg", "exp_avg_sq"}
    assert set(state["buffers"]["exp_avg"]) == {"w"}
    b.w.value[...] = a.w.value
    opt_b = optimizer_from_state(b, state)
    assert opt_b.t == 5
    _run(opt_a, a, GRADS[5:])
    _run(opt_b, b, GRADS[5:])
    np.testing.assert_array_equal(a.w.value, b.w.value)


def test_state_dict_is_a_copy():
    model = _Model()
    opt = cr.Momentum(model)
    state = opt.state_dict()
    state["buffers"]["velocity"]["w"][...] = 99.0
    assert not np.any(opt.buffers["velocity"]["w"] == 99.0)


def test_load_state_dict_rejects_other_optimizer_and_shapes():
    model = _Model()
    with pytest.raises(CheckpointError, match="for Adam, not SGD"):
        cr.SGD(model).load_state_dict(cr.Adam(model).state_dict())
    bigger = _Model((1.0, 2.0, 3.0, 4.0))
    with pytest.raises(CheckpointError, match=r"shape \(4,\)"):
        cr.Adam(model).load_state_dict(cr.Adam(bigger).state_dict())
    with pytest.raises(CheckpointError, match="hyper-parameters"):
        cr.Adam(model, lr=0.5).load_state_dict(cr.Adam(model).state_dict())


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda m: cr.SGD(m, lr=0.0), "lr must be a positive"),
        (lambda m: cr.SGD(m, lr=float("nan")), "lr must be a positive"),
        (lambda m: cr.Adam(m, betas=(0.9, 1.0)), r"betas\[1\] must be in \[0, 1\)"),
        (lambda m: cr.Momentum(m, convention="ema", nesterov=True), "nesterov=True needs"),
        (lambda m: cr.Momentum(m, convention="polyak"), "convention must be"),
        (lambda m: make_optimizer("adma", m), "did you mean 'adam'"),
        (lambda m: make_optimizer("adam", m, momentum=0.9), "unexpected keyword"),
    ],
)
def test_bad_hyper_parameters_are_config_errors(build, message):
    with pytest.raises(ConfigError, match=message):
        build(_Model())


def test_schedules_by_name_and_values():
    assert make_schedule("constant")(7, 0.1) == 0.1
    step = make_schedule({"name": "step", "step_size": 2, "gamma": 0.5})
    assert [step(e, 1.0) for e in range(5)] == [1.0, 1.0, 0.5, 0.5, 0.25]
    cos = make_schedule({"name": "cosine", "t_max": 4})
    assert cos(0, 1.0) == 1.0 and cos(2, 1.0) == pytest.approx(0.5) and cos(9, 1.0) == 0.0
    warm = make_schedule(
        {
            "name": "warmup",
            "warmup": 2,
            "start_factor": 0.5,
            "after": {"name": "exponential", "gamma": 0.5},
        }
    )
    assert [warm(e, 1.0) for e in range(5)] == [0.5, 0.75, 1.0, 0.5, 0.25]
    assert make_schedule(warm.spec()).spec() == warm.spec()
    with pytest.raises(ConfigError, match="did you mean 'cosine'"):
        make_schedule("cosin")
    assert math.isclose(cr.optim.ExponentialLR(0.5)(3, 8.0), 1.0)
