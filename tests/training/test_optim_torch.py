"""Every optimizer variant PyTorch has: 100 float64 steps on a fixed gradient sequence agree
with torch.optim to 1e-12."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr

torch = pytest.importorskip("torch", reason="PyTorch 2.13 CPU not installed: parity tests skipped")


class _Param:
    def __init__(self, value: np.ndarray) -> None:
        self.value = value.copy()
        self.grad = np.zeros_like(value)


class _Model:
    """Two parameters of different shapes, as a stand-in for a Sequential."""

    def __init__(self, rng: np.random.Generator) -> None:
        self.params = {"W1": _Param(rng.normal(size=(3, 4))), "b1": _Param(rng.normal(size=3))}

    def named_parameters(self):
        return iter(self.params.items())


def _gradients(rng: np.random.Generator, model: _Model, steps: int) -> list[dict]:
    # Gradients depend on nothing we update, so both libraries see the same sequence;
    # scales vary by step so that the RMS and Adam denominators move.
    return [
        {k: rng.normal(scale=0.1 + (t % 7), size=p.value.shape) for k, p in model.params.items()}
        for t in range(steps)
    ]


def _run_pair(ours_factory, torch_factory, steps: int = 100, lr_change=None):
    rng = np.random.default_rng(1234)
    model = _Model(rng)
    grads = _gradients(rng, model, steps)
    tparams = {k: torch.tensor(p.value, dtype=torch.float64) for k, p in model.params.items()}
    for t in tparams.values():
        t.requires_grad_(True)
    ours = ours_factory(model)
    theirs = torch_factory(list(tparams.values()))
    for step, g in enumerate(grads):
        if lr_change is not None and step == 50:
            ours.lr = lr_change
            for group in theirs.param_groups:
                group["lr"] = lr_change
        for k, p in model.params.items():
            p.grad[...] = g[k]
            tparams[k].grad = torch.tensor(g[k], dtype=torch.float64)
        ours.step()
        theirs.step()
    assert ours.t == steps
    for k, p in model.params.items():
        expected = tparams[k].detach().numpy()
        np.testing.assert_allclose(p.value, expected, rtol=1e-12, atol=1e-12)
        # and the run moved the weights a long way, so agreement is not trivial
        assert np.max(np.abs(p.value - _Model(np.random.default_rng(1234)).params[k].value)) > 0.01
    return ours, theirs


CASES = {
    "sgd": (lambda m: cr.SGD(m, lr=0.01), lambda p: torch.optim.SGD(p, lr=0.01)),
    "sgd-weight-decay": (
        lambda m: cr.SGD(m, lr=0.01, weight_decay=0.1),
        lambda p: torch.optim.SGD(p, lr=0.01, weight_decay=0.1),
    ),
    "momentum": (
        lambda m: cr.Momentum(m, lr=0.01, momentum=0.9),
        lambda p: torch.optim.SGD(p, lr=0.01, momentum=0.9),
    ),
    "momentum-dampening-wd": (
        lambda m: cr.Momentum(m, lr=0.02, momentum=0.8, dampening=0.3, weight_decay=0.05),
        lambda p: torch.optim.SGD(p, lr=0.02, momentum=0.8, dampening=0.3, weight_decay=0.05),
    ),
    "nesterov": (
        lambda m: cr.Momentum(m, lr=0.01, momentum=0.9, nesterov=True, weight_decay=0.01),
        lambda p: torch.optim.SGD(p, lr=0.01, momentum=0.9, nesterov=True, weight_decay=0.01),
    ),
    "rmsprop": (
        lambda m: cr.RMSProp(m, lr=0.01),
        lambda p: torch.optim.RMSprop(p, lr=0.01),
    ),
    "rmsprop-centered-momentum-wd": (
        lambda m: cr.RMSProp(
            m, lr=0.005, alpha=0.9, eps=1e-6, centered=True, momentum=0.5, weight_decay=0.01
        ),
        lambda p: torch.optim.RMSprop(
            p, lr=0.005, alpha=0.9, eps=1e-6, centered=True, momentum=0.5, weight_decay=0.01
        ),
    ),
    "rmsprop-centered": (
        lambda m: cr.RMSProp(m, lr=0.01, centered=True),
        lambda p: torch.optim.RMSprop(p, lr=0.01, centered=True),
    ),
    "adam": (lambda m: cr.Adam(m, lr=0.01), lambda p: torch.optim.Adam(p, lr=0.01)),
    "adam-betas-eps-wd": (
        lambda m: cr.Adam(m, lr=0.003, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.1),
        lambda p: torch.optim.Adam(p, lr=0.003, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.1),
    ),
    "adamw": (
        lambda m: cr.AdamW(m, lr=0.01, weight_decay=0.1),
        lambda p: torch.optim.AdamW(p, lr=0.01, weight_decay=0.1),
    ),
    "adamw-default-decay": (lambda m: cr.AdamW(m), lambda p: torch.optim.AdamW(p)),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_100_steps_match_torch(case):
    ours, theirs = CASES[case]
    _run_pair(ours, theirs)


@pytest.mark.parametrize("case", ["momentum", "adam", "rmsprop-centered-momentum-wd"])
def test_learning_rate_changed_mid_run_matches_torch(case):
    ours, theirs = CASES[case]
    _run_pair(ours, theirs, lr_change=0.002)


@pytest.mark.parametrize(
    ("ours", "theirs", "epochs"),
    [
        (cr.optim.StepLR(3, gamma=0.5), lambda o: torch.optim.lr_scheduler.StepLR(o, 3, 0.5), 12),
        (cr.optim.ExponentialLR(0.9), lambda o: torch.optim.lr_scheduler.ExponentialLR(o, 0.9), 12),
        (
            cr.optim.CosineLR(8, lr_min=0.001),
            lambda o: torch.optim.lr_scheduler.CosineAnnealingLR(o, 8, eta_min=0.001),
            8,
        ),
        (
            cr.optim.LinearWarmup(4, start_factor=0.25),
            lambda o: torch.optim.lr_scheduler.LinearLR(o, start_factor=0.25, total_iters=4),
            10,
        ),
    ],
)
def test_schedules_match_torch(ours, theirs, epochs):
    p = torch.zeros(1, requires_grad=True)
    opt = torch.optim.SGD([p], lr=0.1)
    sched = theirs(opt)
    for epoch in range(epochs):
        assert ours(epoch, 0.1) == pytest.approx(opt.param_groups[0]["lr"], rel=1e-12)
        p.grad = torch.zeros(1)
        opt.step()
        sched.step()
