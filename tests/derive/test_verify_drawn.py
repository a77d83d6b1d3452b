"""Every printed formula, on hypothesis-drawn networks, equals the engine and central
differences (relative error < 1e-9, float64), in every layout and preset notation.

Architectures: depth 1-5, every activation, every loss, bias on and off, L2 on and off,
single example and batch, sizes pairwise distinct (so that a wrong transpose cannot pass by
luck). Each step's LaTeX parses back to an equal tree. The number of derivations verified is
printed at the end of the module (run with ``-s``); CHAINRULE_DERIVE_EXAMPLES sets how many
are drawn (default 40, the suite's budget) and CHAINRULE_DERIVE_COUNT_FILE, if set, receives
the count.
"""

from __future__ import annotations

import os

import numpy as np
import pytest
from hypothesis import HealthCheck, Phase, assume, given, settings
from hypothesis import strategies as st

import chainrule as cr
from chainrule.derivation import presets
from chainrule.derivation.compare import relative_error
from chainrule.formulas import LAYOUTS

EXAMPLES = int(os.environ.get("CHAINRULE_DERIVE_EXAMPLES", "40"))
HIDDEN = ["relu", "leaky", "sigmoid", "tanh", "identity", "softmax", None]
LOSSES = ["half", "mse", "mse-element", "bce", "bce-logits", "softmax-ce"]
VERIFIED = {"derivations": 0}


def _activation(name):
    return {
        "relu": cr.ReLU,
        "leaky": lambda: cr.LeakyReLU(0.1),
        "sigmoid": cr.Sigmoid,
        "tanh": cr.Tanh,
        "identity": cr.Identity,
        "softmax": cr.Softmax,
    }[name]()


@st.composite
def problems(draw):
    depth = draw(st.integers(1, 5))
    loss = draw(st.sampled_from(LOSSES))
    batch = draw(st.booleans())
    sizes = draw(st.permutations(list(range(2, 9))))
    n = sizes[-1] if batch else 1
    widths = sizes[: depth + 1]
    acts = [draw(st.sampled_from(HIDDEN)) for _ in range(depth)]
    last = {"bce": "sigmoid", "bce-logits": None, "softmax-ce": None}.get(loss, acts[-1])
    acts[-1] = last
    if loss in ("bce", "bce-logits"):
        widths[-1] = 1 if 1 not in widths else widths[-1]
    biases = [draw(st.booleans()) for _ in range(depth)]
    return {
        "widths": widths,
        "acts": acts,
        "biases": biases,
        "loss": loss,
        "batch": batch,
        "n": n,
        "l2": draw(st.sampled_from([None, 0.3])),
        "layout": draw(st.sampled_from(LAYOUTS)),
        "notation": draw(st.sampled_from(presets())),
        "seed": draw(st.integers(0, 10_000)),
    }


def _build(p):
    layers = []
    for k in range(len(p["acts"])):
        layers.append(cr.Linear(p["widths"][k], p["widths"][k + 1], bias=p["biases"][k]))
        if p["acts"][k] is not None:
            layers.append(_activation(p["acts"][k]))
    model = cr.Sequential(layers, dtype=np.float64, seed=p["seed"])
    rng = np.random.default_rng(p["seed"] + 1)
    for name, param in model.named_parameters():
        # scaled like an initialisation, so that no layer saturates: central differences
        # then resolve every gradient entry to 1e-9 of the largest
        scale = 1 / np.sqrt(param.value.shape[-1]) if name.startswith("W") else 0.5
        param.value[...] = scale * rng.standard_normal(param.value.shape)
    loss = {
        "half": cr.HalfSquaredError,
        "mse": cr.MeanSquaredError,
        "mse-element": lambda: cr.MeanSquaredError(per="element"),
        "bce": cr.BinaryCrossEntropy,
        "bce-logits": lambda: cr.BinaryCrossEntropy(from_logits=True),
        "softmax-ce": cr.SoftmaxCrossEntropy,
    }[p["loss"]]()
    n, d, c = p["n"], p["widths"][0], p["widths"][-1]
    X = rng.standard_normal((n, d))
    if p["loss"] == "softmax-ce":
        y = rng.integers(0, c, size=n)
    elif p["loss"].startswith("bce"):
        y = rng.integers(0, 2, size=(n, c)).astype(float)
    else:
        y = rng.standard_normal((n, c))
    return model, loss, X, y


def _loss_value(model, loss, reg, X, y):
    value = loss.forward(model.forward(X), y)
    return value + (reg.forward(model) if reg is not None else 0.0)


def _central_differences(model, loss, reg, X, y, h=1e-3):
    """Fourth-order central differences of the loss for every parameter entry."""
    grads = {}
    for name, p in model.named_parameters():
        g = np.zeros_like(p.value)
        for idx in np.ndindex(p.value.shape):
            keep = p.value[idx]
            f = []
            for step in (2 * h, h, -h, -2 * h):
                p.value[idx] = keep + step
                f.append(_loss_value(model, loss, reg, X, y))
            p.value[idx] = keep
            g[idx] = (8 * (f[1] - f[2]) - (f[0] - f[3])) / (12 * h)
        grads[name] = g
    return grads


def _away_from_kinks(model, X):
    out = X
    for layer in model.layers:
        if isinstance(layer, cr.ReLU | cr.LeakyReLU) and np.min(np.abs(out)) < 1e-2:
            return False
        out = layer.forward(out)
    return True


@pytest.fixture(scope="module", autouse=True)
def _report_count():
    yield
    count = VERIFIED["derivations"]
    print(f"\nderivations verified (engine, central differences, LaTeX round trip): {count}")
    path = os.environ.get("CHAINRULE_DERIVE_COUNT_FILE")
    if path:
        with open(path, "a", encoding="utf-8") as fh:
            fh.write(f"{count}\n")


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    phases=[Phase.explicit, Phase.reuse, Phase.generate],  # a failure is reported unshrunk
    derandomize=os.environ.get("CHAINRULE_DERIVE_EXAMPLES") is None,  # the suite: fixed draws
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
@given(problems())
def test_drawn_derivations_equal_engine_and_central_differences(p):
    model, loss, X, y = _build(p)
    assume(_away_from_kinks(model, X))
    d = cr.derive(
        model, loss, l2=p["l2"], layout=p["layout"], notation=p["notation"], batch=p["batch"]
    )
    report = d.verify(X, y)
    assert report.ok, (p, {k: v for k, v in report.errors.items() if v >= 1e-9})
    values = d.values(X, y)
    reg = cr.L2(p["l2"]) if p["l2"] else None
    numeric = _central_differences(model, loss, reg, X, y)
    formula = {n: d.plan.q[f"d{n}"].to_engine(d.step(n).expr.evaluate(values)) for n in numeric}
    # normwise over the whole gradient: central differences resolve an entry to ~1e-14
    # absolute, which is 1e-9 of the gradient's size, not always of a vanishing layer's
    flat = np.concatenate([formula[n].ravel() for n in numeric])
    fd = np.concatenate([numeric[n].ravel() for n in numeric])
    assert relative_error(flat, fd) < 1e-9, (p, relative_error(flat, fd))
    for step in d.steps:
        assert cr.expr.parse(step.latex, d.symbols) == step.equation, step.latex
    VERIFIED["derivations"] += 1
