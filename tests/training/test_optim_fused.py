"""Adam's compiled one-pass update (chainrule.optim.fused) gives the NumPy blocks' values
bit for bit; the L2 gradient folded into any optimizer's update gives the values of
``L2.backward`` followed by ``step``; numba is never loaded by ``import chainrule``."""

from __future__ import annotations

import sys

import numpy as np
import pytest

import chainrule as cr
from chainrule.optim import fused
from tests.helpers import run_python

OPTIMIZERS = {
    "sgd": lambda m: cr.SGD(m, lr=0.1, weight_decay=0.01),
    "momentum": lambda m: cr.Momentum(m, lr=0.1, nesterov=True),
    "rmsprop": lambda m: cr.RMSProp(m, lr=0.01, centered=True, momentum=0.5),
    "adam": lambda m: cr.Adam(m, lr=0.01),
    "adam+wd": lambda m: cr.Adam(m, lr=0.01, weight_decay=0.01),
    "adamw": lambda m: cr.AdamW(m, lr=0.01),
}


@pytest.fixture(autouse=True)
def _compiled_pass_enabled(monkeypatch):
    # the pass is on by default; CHAINRULE_NUMBA=0 in the environment must not decide here
    monkeypatch.delenv("CHAINRULE_NUMBA", raising=False)
    monkeypatch.setattr(fused, "_KERNEL", None)


def _model(dtype):
    # 36,483 entries: above fused.MIN_ENTRIES
    return cr.Sequential([cr.Linear(300, 120), cr.ReLU(), cr.Linear(120, 3)], dtype=dtype, seed=0)


def _train(make, dtype, *, fold, compiled, steps=6):
    model = _model(dtype)
    opt = make(model)
    if not compiled:
        opt._fused = False
    reg = cr.L2(1e-2)
    rng = np.random.default_rng(1)
    for _ in range(steps):
        for p in model.parameters():
            p.grad[...] = rng.standard_normal(p.grad.shape)
        if fold:
            opt.step(penalty=reg)
        else:
            reg.backward(model)
            opt.step()
    if compiled:
        assert opt._fused is True  # the compiled pass really ran
    return model.state_dict(), opt.state_dict()["buffers"]


def _assert_same(a, b):
    for k in a[0]:
        np.testing.assert_array_equal(a[0][k], b[0][k], err_msg=k)
    for name, per in a[1].items():
        for k, v in per.items():
            np.testing.assert_array_equal(v, b[1][name][k], err_msg=f"{name} {k}")


@pytest.mark.parametrize("name", list(OPTIMIZERS))
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_l2_folded_into_the_update_is_l2_backward_then_step(name, dtype):
    folded = _train(OPTIMIZERS[name], dtype, fold=True, compiled=False)
    separate = _train(OPTIMIZERS[name], dtype, fold=False, compiled=False)
    _assert_same(folded, separate)


@pytest.mark.parametrize("name", ["adam", "adam+wd", "adamw"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("fold", [True, False], ids=["l2 folded", "no l2 fold"])
def test_compiled_adam_is_the_numpy_adam_bit_for_bit(name, dtype, fold):
    pytest.importorskip("numba", reason="numba is not installed: only the NumPy path runs")
    compiled = _train(OPTIMIZERS[name], dtype, fold=fold, compiled=True)
    numpy_path = _train(OPTIMIZERS[name], dtype, fold=fold, compiled=False)
    _assert_same(compiled, numpy_path)


def test_compiled_path_runs_for_a_large_model_or_once_numba_is_loaded(monkeypatch):
    pytest.importorskip("numba", reason="numba is not installed: only the NumPy path runs")
    big = cr.Adam(_model(np.float32))
    big.step()
    assert big._fused is True
    small = cr.Adam(cr.Sequential([cr.Linear(4, 3)], dtype=np.float32, seed=0))
    small.step()
    assert small._fused is True  # numba is loaded in this process now
    monkeypatch.delitem(sys.modules, "numba")
    small = cr.Adam(cr.Sequential([cr.Linear(4, 3)], dtype=np.float32, seed=0))
    small.step()
    assert small._fused is False


def test_import_and_a_small_model_never_load_numba():
    code = (
        "import sys, numpy as np, chainrule as cr\n"
        "m = cr.Sequential([cr.Linear(64, 100), cr.ReLU(), cr.Linear(100, 10)], seed=0)\n"
        "opt = cr.Adam(m); opt.step()\n"
        "print('numba' in sys.modules)\n"
    )
    out = run_python(code)
    assert out.strip() == "False"
    assert fused.MIN_ENTRIES > 64 * 100 + 100 + 100 * 10 + 10
