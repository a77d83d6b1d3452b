"""Every layer's and loss's formula trees equal its own NumPy code, in every layout.

The printed math and the computing code cannot drift: each class's forward tree is
evaluated with chainrule.expr on the input, and each backward tree on the values its
forward kept, and compared with the class's NumPy forward and backward (float64, 1e-12).
"""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr
from chainrule.formulas import LAYOUT_STORAGE, LAYOUTS, Names, Quantity

N, D_IN, D_OUT = 5, 3, 4  # pairwise distinct, so a wrong transpose cannot fit by luck


def _layer_names(layout: str, d_in: int, d_out: int, bias: bool, weights: bool) -> Names:
    store = LAYOUT_STORAGE[layout]
    batch = store["batch"]
    q = {
        "in": Quantity("X", ("n", d_in), batch),
        "out": Quantity("Z", ("n", d_out), batch),
        "grad": Quantity("G", ("n", d_out), batch),
        "d_in": Quantity("dX", ("n", d_in), batch),
    }
    if weights:
        q["W"] = Quantity("W", (d_out, d_in), store["weight"])
        q["d_W"] = Quantity("dW", (d_out, d_in), store["weight"])
    if bias:
        q["b"] = Quantity("b", (d_out,), store["bias"])
        q["d_b"] = Quantity("db", (d_out,), store["bias"])
    return Names(q, batch="n", ones="u" if layout == "column" else None)


def _close(tree_value, engine_value) -> None:
    got = np.asarray(tree_value, dtype=float)
    want = np.asarray(engine_value, dtype=float)
    assert got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


LAYERS = [
    lambda: cr.Linear(D_IN, D_OUT),
    lambda: cr.Linear(D_IN, D_OUT, bias=False),
    cr.ReLU,
    lambda: cr.LeakyReLU(0.1),
    cr.Sigmoid,
    cr.Tanh,
    cr.Identity,
    cr.Softmax,
]


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("make", LAYERS, ids=lambda m: repr(m()))
def test_layer_trees_equal_numpy(make, layout):
    layer = make()
    rng = np.random.default_rng(7)
    layer.build(rng, np.float64)
    linear = isinstance(layer, cr.Linear)
    d_in = D_IN if linear else D_OUT
    names = _layer_names(layout, d_in, D_OUT, linear and layer.bias, linear)
    if linear:
        layer.b is not None and layer.b.value.__setitem__(..., rng.standard_normal(D_OUT))
    X = rng.standard_normal((N, d_in))
    out = layer.forward(X).copy()
    G = rng.standard_normal((N, D_OUT))
    dX = layer.backward(G).copy()
    engine = {"in": X, "out": out, "grad": G, "d_in": dX}
    for p in layer.parameters():
        engine[p.name] = p.value
        engine[f"d_{p.name}"] = p.grad
    values = {names[r].name: names[r].from_engine(a) for r, a in engine.items()}
    values["u"] = np.ones((1, N))
    f = layer.formulas(names)
    forward_values = {k: v for k, v in values.items() if k not in ("Z", "G", "dX")}
    _close(f.forward.evaluate(forward_values), values["Z"])
    assert set(f.backward) == {"in", *(p.name for p in layer.parameters())}
    for role, tree in f.backward.items():
        _close(tree.evaluate(values), values[names[f"d_{role}"].name])


def _loss_case(loss, rng):
    if isinstance(loss, cr.SoftmaxCrossEntropy):
        f = rng.standard_normal((N, D_OUT))
        labels = rng.integers(0, D_OUT, size=N)
        return f, labels, np.eye(D_OUT)[labels]
    if isinstance(loss, cr.BinaryCrossEntropy):
        f = (
            rng.standard_normal((N, D_OUT))
            if loss.from_logits
            else rng.uniform(0.1, 0.9, (N, D_OUT))
        )
        y = rng.integers(0, 2, size=(N, D_OUT)).astype(float)
        return f, y, y
    f, y = rng.standard_normal((N, D_OUT)), rng.standard_normal((N, D_OUT))
    return f, y, y


LOSSES = [
    cr.HalfSquaredError,
    lambda: cr.HalfSquaredError(reduction="sum"),
    cr.MeanSquaredError,
    lambda: cr.MeanSquaredError(per="element"),
    cr.BinaryCrossEntropy,
    lambda: cr.BinaryCrossEntropy(from_logits=True),
    cr.SoftmaxCrossEntropy,
    lambda: cr.SoftmaxCrossEntropy(reduction="sum"),
]


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("make", LOSSES, ids=lambda m: repr(m().spec()))
def test_loss_trees_equal_numpy(make, layout):
    loss = make()
    f, y, target = _loss_case(loss, np.random.default_rng(3))
    value = loss.forward(f, y)
    grad = loss.backward().copy()
    batch = LAYOUT_STORAGE[layout]["batch"]
    names = Names(
        {
            "out": Quantity("f", ("n", D_OUT), batch),
            "target": Quantity("y", ("n", D_OUT), batch),
            "loss": Quantity("L", ()),
            "d_out": Quantity("df", ("n", D_OUT), batch),
        }
    )
    trees = loss.formulas(names)
    values = {"f": names["out"].from_engine(f), "y": names["target"].from_engine(target)}
    _close(trees.forward.evaluate(values), value)
    _close(trees.backward["out"].evaluate(values), names["d_out"].from_engine(grad))


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("half", [False, True])
def test_l2_trees_equal_numpy(layout, half):
    model = cr.Sequential(
        [cr.Linear(D_IN, D_OUT), cr.ReLU(), cr.Linear(D_OUT, 2)], dtype=np.float64, seed=1
    )
    reg = cr.L2(0.3, half=half)
    weight = LAYOUT_STORAGE[layout]["weight"]
    q = {"lambda": Quantity("\\lambda", ()), "loss": Quantity("R", ())}
    for name, p in model.named_parameters():
        p.grad[...] = 0.0
        if name.startswith("W"):
            q[name] = Quantity(name, p.value.shape, weight)
            q[f"d_{name}"] = Quantity(f"d{name}", p.value.shape, weight)
    names = Names(q)
    trees = reg.formulas(names)
    values = {"\\lambda": 0.3}
    params = dict(model.named_parameters())
    values.update({n: q[n].from_engine(params[n].value) for n in ("W1", "W2")})
    _close(trees.forward.evaluate(values), reg.forward(model))
    reg.backward(model)
    for role, tree in trees.backward.items():
        _close(tree.evaluate(values), q[f"d_{role}"].from_engine(params[role].grad))


def test_layer_without_formulas_is_a_clear_error():
    class Cube(cr.layers.Activation):
        kind = "Cube"

        def _forward(self, Z):
            return Z**3

    layer = Cube()
    with pytest.raises(cr.ConfigError, match="Cube gives no formulas"):
        layer.formulas(_layer_names("row", D_OUT, D_OUT, False, False))
