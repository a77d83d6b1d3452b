"""Every layer and loss against PyTorch autograd, float64, to 1e-10 relative.

Tolerance: the largest entry-wise difference over the largest entry of PyTorch's array,
at most 1e-10 (both compute in float64; they differ by rounding only).

Saturation: both engines take tanh' = 1 - h^2 and sigma' = h (1 - h) from the output h. Where
a unit saturates (h within 1e-9 of 1, say), one rounding unit of h, in which NumPy's and
PyTorch's tanh may differ, moves that derivative by 1e-16 / (1 - h^2) relative. Random
architectures therefore skip draws whose derivatives fall below 1e-4 (amplification above
1e4); the fixed-input tests below cover the layers without that filter.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

import chainrule as cr

from .torch_mirror import max_rel, torch_loss, torch_twin

torch = pytest.importorskip("torch", reason="PyTorch 2.13 CPU not installed: parity tests skipped")

REL = 1e-10
ACTIVATIONS = {
    "ReLU": cr.ReLU,
    "LeakyReLU": lambda: cr.LeakyReLU(0.1),
    "Sigmoid": cr.Sigmoid,
    "Tanh": cr.Tanh,
    "Identity": cr.Identity,
    "Softmax": cr.Softmax,
}


def _losses():
    return {
        "half": (cr.HalfSquaredError(), "values", None),
        "half-sum": (cr.HalfSquaredError(reduction="sum"), "values", None),
        "mse": (cr.MeanSquaredError(), "values", None),
        "mse-element": (cr.MeanSquaredError(per="element"), "values", None),
        "bce": (cr.BinaryCrossEntropy(), "binary", "Sigmoid"),
        "bce-logits": (cr.BinaryCrossEntropy(from_logits=True), "binary", "none"),
        "softmax-ce": (cr.SoftmaxCrossEntropy(), "labels", "none"),
        "softmax-ce-sum": (cr.SoftmaxCrossEntropy(reduction="sum"), "labels", "none"),
    }


def _targets(kind, rng, n, d):
    if kind == "labels":
        return rng.integers(0, d, size=n)
    if kind == "binary":
        return rng.integers(0, 2, size=(n, d)).astype(np.float64)
    return rng.standard_normal((n, d))


def _compare(model, loss, X, y, l2=0.0):
    """Run both engines; return the worst relative difference over loss, grads and dX."""
    out = model.forward(X)
    value = loss.forward(out, y)
    if l2:
        reg = cr.L2(l2)
        value += reg.forward(model)
    dX = model.backward(loss.backward())
    if l2:
        reg.backward(model)

    twin = torch_twin(model, torch)
    Xt = torch.tensor(X, dtype=torch.float64, requires_grad=True)
    yt = torch.tensor(y) if y.dtype.kind in "iu" else torch.tensor(y, dtype=torch.float64)
    out_t = twin(Xt)
    value_t = torch_loss(loss, out_t, yt, torch)
    if l2:
        value_t = value_t + l2 * sum((m.weight**2).sum() for m in twin if hasattr(m, "weight"))
    value_t.backward()

    errors = {"output": max_rel(out, out_t.detach().numpy())}
    errors["loss"] = abs(value - value_t.item()) / max(abs(value_t.item()), 1e-300)
    errors["dX"] = max_rel(dX, Xt.grad.numpy())
    lin = [m for m in twin if isinstance(m, torch.nn.Linear)]
    params = dict(model.named_parameters())
    for k, m in enumerate(lin, start=1):
        errors[f"W{k}"] = max_rel(params[f"W{k}"].grad, m.weight.grad.numpy())
        if m.bias is not None:
            errors[f"b{k}"] = max_rel(params[f"b{k}"].grad, m.bias.grad.numpy())
    return errors


@pytest.mark.parametrize("name", list(ACTIVATIONS))
def test_each_activation_matches_torch(name):
    rng = np.random.default_rng(1)
    model = cr.Sequential([cr.Linear(5, 4), ACTIVATIONS[name]()], dtype=np.float64, seed=3)
    X = rng.standard_normal((7, 5)) * 3
    errors = _compare(model, cr.HalfSquaredError(), X, rng.standard_normal((7, 4)))
    assert max(errors.values()) < REL, errors


@pytest.mark.parametrize("key", list(_losses()))
def test_each_loss_matches_torch(key):
    loss, target_kind, output = _losses()[key]
    rng = np.random.default_rng(2)
    layers = [cr.Linear(6, 3)]
    if output == "Sigmoid":
        layers.append(cr.Sigmoid())
    model = cr.Sequential(layers, dtype=np.float64, seed=4)
    X = rng.standard_normal((9, 6))
    errors = _compare(model, loss, X, _targets(target_kind, rng, 9, 3))
    assert max(errors.values()) < REL, errors


def test_l2_matches_torch():
    rng = np.random.default_rng(5)
    model = cr.Sequential([cr.Linear(8, 5), cr.ReLU(), cr.Linear(5, 3)], dtype=np.float64, seed=6)
    X = rng.standard_normal((10, 8))
    errors = _compare(model, cr.SoftmaxCrossEntropy(), X, rng.integers(0, 3, 10), l2=0.05)
    assert max(errors.values()) < REL, errors


def test_softmax_layer_before_a_loss_is_the_full_jacobian_product():
    # Softmax followed by squared error uses the whole Jacobian diag(s) - s s^T, not s(1-s).
    rng = np.random.default_rng(7)
    model = cr.Sequential([cr.Linear(4, 5), cr.Softmax()], dtype=np.float64, seed=8)
    X = rng.standard_normal((6, 4)) * 2
    errors = _compare(model, cr.MeanSquaredError(), X, rng.uniform(0, 1, (6, 5)))
    assert max(errors.values()) < REL, errors


def _well_conditioned(model, X) -> bool:
    """No tanh or sigmoid unit so saturated that its derivative is below 1e-4."""
    model.forward(X)
    for layer in model.layers:
        if layer.kind == "Tanh" and np.min(1 - layer._h**2) < 1e-4:
            return False
        if layer.kind == "Sigmoid" and np.min(layer._h * (1 - layer._h)) < 1e-4:
            return False
    return True


@st.composite
def architectures(draw):
    depth = draw(st.integers(1, 5))
    widths = [draw(st.integers(1, 6)) for _ in range(depth + 1)]
    loss_key = draw(st.sampled_from(sorted(_losses())))
    loss, target_kind, output = _losses()[loss_key]
    if target_kind == "labels":
        widths[-1] = max(widths[-1], 2)
    layers = []
    for i in range(depth):
        layers.append(cr.Linear(widths[i], widths[i + 1], bias=draw(st.booleans())))
        if i < depth - 1:
            layers.append(ACTIVATIONS[draw(st.sampled_from(sorted(ACTIVATIONS)))]())
    if output == "Sigmoid":
        layers.append(cr.Sigmoid())
    elif output is None:
        out_act = draw(st.sampled_from(["none", *sorted(ACTIVATIONS)]))
        if out_act != "none":
            layers.append(ACTIVATIONS[out_act]())
    seed = draw(st.integers(0, 2**16))
    n = draw(st.integers(1, 5))
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, widths[0]))
    y = _targets(target_kind, rng, n, widths[-1])
    model = cr.Sequential(layers, dtype=np.float64, seed=seed)
    return model, loss, X, y


@given(architectures())
def test_random_architectures_match_torch(arch):
    model, loss, X, y = arch
    assume(_well_conditioned(model, X))
    errors = _compare(model, loss, X, y)
    assert max(errors.values()) < REL, (model, loss.spec(), errors)
