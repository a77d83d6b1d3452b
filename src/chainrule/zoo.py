"""The networks of the seed notes, ready made, by descriptive name.

>>> import chainrule as cr
>>> net = cr.zoo.build("seed003-relu-sigmoid-2-2-1")
>>> net.model.spec()[0]
{'type': 'Linear', 'd_in': 2, 'd_out': 2, 'bias': True, 'init': 'he'}

Each :class:`Network` carries the model, its loss, the L2 strength its seed uses and a small
example batch (the seed's own numbers where it gives them, else seeded random data), so that
``chainrule gradcheck`` and the tests can run every seed network as written.

Every parameter of a built network has a nonzero gradient on its example batch and no ReLU
input lies on its kink: where the weights drawn from ``seed`` leave a ReLU layer inactive on
every example (so that some gradients are exactly 0 and a gradient check of them would prove
nothing) or put a ReLU input at 0 (an example on which every unit of the layer before is
off), :func:`build` draws weights and batch again from the next generator of ``seed``
(``Network.seed`` says which was used).

>>> net = cr.zoo.build("seed001-4-3-2-1", seed=0)
>>> cr.zoo.silent_parameters(net.model, net.loss, net.X, net.y)
[]
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from chainrule.errors import ConfigError
from chainrule.layers import Identity, Linear, ReLU, Sigmoid
from chainrule.losses import (
    BinaryCrossEntropy,
    HalfSquaredError,
    Loss,
    MeanSquaredError,
    SoftmaxCrossEntropy,
)
from chainrule.model import Sequential
from chainrule.suggest import did_you_mean

__all__ = ["Network", "build", "describe", "names", "silent_parameters"]


@dataclass
class Network:
    """A seed network: ``model``, ``loss``, ``l2`` strength, an example batch ``(X, y)``."""

    name: str
    model: Sequential
    loss: Loss
    l2: float
    X: np.ndarray
    y: np.ndarray
    description: str
    source: str
    seed: int = 0


#: Draws of initial weights and example batch :func:`build` tries (see the module docstring).
MAX_DRAWS = 50
#: A ReLU input closer than this to 0 on the example batch makes :func:`build` draw again:
#: a gradient check's probe (step 1e-6) would cross the kink there and be skipped.
KINK_MARGIN = 1e-4


@dataclass(frozen=True)
class _Entry:
    build: Callable[..., Network]
    description: str
    source: str


def _data(rng, n, d_in, d_out, kind, dtype):
    X = rng.standard_normal((n, d_in)).astype(dtype)
    if kind == "labels":
        y = rng.integers(0, d_out, size=n)
    elif kind == "binary":
        y = rng.integers(0, 2, size=(n, d_out)).astype(dtype)
    else:
        y = rng.standard_normal((n, d_out)).astype(dtype)
    return X, y


def _relu_regressor(name, dtype, seed, n_inputs, n_outputs, hidden):
    d_in, d_out = n_inputs or 4, n_outputs or 1
    h1, h2 = hidden or (3, 2)
    model = Sequential(
        [Linear(d_in, h1), ReLU(), Linear(h1, h2), ReLU(), Linear(h2, d_out), Identity()],
        dtype=dtype,
        seed=seed,
    )
    X, y = _data(np.random.default_rng(seed + 1), 5, d_in, d_out, "values", dtype)
    return model, HalfSquaredError(), 0.0, X, y


def _relu_autoencoder(name, dtype, seed, n_inputs, n_outputs, hidden):
    d = n_inputs or 64
    if n_outputs not in (None, d):
        raise ConfigError(f"zoo {name}: an autoencoder's output width equals its input width {d}")
    (h,) = hidden or (16,)
    model = Sequential([Linear(d, h), ReLU(), Linear(h, d), ReLU()], dtype=dtype, seed=seed)
    rng = np.random.default_rng(seed + 1)
    X = rng.uniform(0, 1, size=(6, d)).astype(dtype)
    return model, MeanSquaredError(), 0.0, X, X.copy()


def _seed001(name, dtype, seed, n_inputs, n_outputs, hidden):
    if (n_inputs, n_outputs, hidden) != (None, None, None):
        raise ConfigError(f"zoo {name}: the homework fixes the sizes 4-3-2-1")
    model = Sequential(
        [
            Linear(4, 3, bias=False),
            ReLU(),
            Linear(3, 2, bias=False),
            ReLU(),
            Linear(2, 1, bias=False),
        ],
        dtype=dtype,
        seed=seed,
    )
    X, y = _data(np.random.default_rng(seed + 1), 2, 4, 1, "values", dtype)
    return model, HalfSquaredError(), 0.0, X, y


def _seed002(name, dtype, seed, n_inputs, n_outputs, hidden):
    d, c = n_inputs or 3072, n_outputs or 10
    (h,) = hidden or (100,)
    model = Sequential([Linear(d, h), ReLU(), Linear(h, c)], dtype=dtype, seed=seed)
    X, y = _data(np.random.default_rng(seed + 1), 8, d, c, "labels", dtype)
    return model, SoftmaxCrossEntropy(), 1e-3, X, y


def _seed003(name, dtype, seed, n_inputs, n_outputs, hidden):
    if (n_inputs, n_outputs, hidden) != (None, None, None):
        raise ConfigError(f"zoo {name}: the worked example fixes the sizes 2-2-1")
    model = Sequential([Linear(2, 2), ReLU(), Linear(2, 1), Sigmoid()], dtype=dtype, seed=seed)
    p = dict(model.named_parameters())
    p["W1"].value[...] = [[0.75, 0.5], [-1.0, 1.0]]
    p["b1"].value[...] = [0.0, 0.0]
    p["W2"].value[...] = [[1.0, 1.0]]  # the seed's column W^(2) = [1, 1]^T, used as (W^(2))^T a
    p["b2"].value[...] = [-1.0]
    X = np.array([[1.0, 0.5]], dtype=dtype)
    y = np.array([[1.0]], dtype=dtype)
    return model, HalfSquaredError(), 0.0, X, y


def _logistic(name, dtype, seed, n_inputs, n_outputs, hidden):
    d = n_inputs or 3
    model = Sequential([Linear(d, 1), Sigmoid()], dtype=dtype, seed=seed)
    X, y = _data(np.random.default_rng(seed + 1), 4, d, 1, "binary", dtype)
    return model, BinaryCrossEntropy(), 0.0, X, y


def _seed004_mlp(name, dtype, seed, n_inputs, n_outputs, hidden):
    if (n_inputs, n_outputs, hidden) != (None, None, None):
        raise ConfigError(f"zoo {name}: the notes fix the sizes 4-2-1")
    model = Sequential([Linear(4, 2), Sigmoid(), Linear(2, 1)], dtype=dtype, seed=seed)
    X, y = _data(np.random.default_rng(seed + 1), 3, 4, 1, "values", dtype)
    return model, MeanSquaredError(), 0.0, X, y


_ZOO: dict[str, _Entry] = {
    "seed000-relu-regressor": _Entry(
        _relu_regressor,
        "two ReLU hidden layers, linear output, half squared error (sizes not given by the "
        "seed: 4-3-2-1 by default)",
        "seed 000",
    ),
    "seed000-relu-autoencoder": _Entry(
        _relu_autoencoder,
        "autoencoder x -> relu(W1 x + b1) -> relu(W2 h + b2), mean squared error summed over "
        "pixels (D=64, H=16 by default; the seed names them only D and H)",
        "seed 000",
    ),
    "seed001-4-3-2-1": _Entry(
        _seed001,
        "4-3-2-1, ReLU hidden layers, linear output, no biases, half squared error",
        "seed 001",
    ),
    "seed002-two-layer-softmax": _Entry(
        _seed002,
        "X -> relu(X W1 + b1) -> softmax, cross-entropy + L2 (3072 inputs, 100 hidden, 10 "
        "classes by default)",
        "seed 002",
    ),
    "seed003-relu-sigmoid-2-2-1": _Entry(
        _seed003,
        "2-2-1, ReLU hidden layer, sigmoid output, half squared error; the worked example's "
        "weights and input",
        "seed 003",
    ),
    "seed004-logistic-regression": _Entry(
        _logistic,
        "logistic regression sigma(w^T x + b) with binary cross-entropy (3 inputs by default)",
        "seed 004",
    ),
    "seed004-4-2-1-sigmoid": _Entry(
        _seed004_mlp,
        "4-2-1, sigmoid hidden layer, linear output, L = 1/3 ||y_hat - y||^2 on a batch of 3",
        "seed 004",
    ),
}


def names() -> list[str]:
    """The names :func:`build` takes, in seed order."""
    return list(_ZOO)


def describe(name: str) -> str:
    """One line on a zoo network."""
    return _entry(name).description


def _entry(name: str) -> _Entry:
    if name not in _ZOO:
        hint = did_you_mean(name, _ZOO, sentence=True)
        raise ConfigError(f"unknown zoo network {name!r}; known: {', '.join(_ZOO)}.{hint}")
    return _ZOO[name]


def build(
    name: str,
    *,
    dtype=np.float64,
    seed: int = 0,
    n_inputs: int | None = None,
    n_outputs: int | None = None,
    hidden: tuple[int, ...] | None = None,
) -> Network:
    """Build the seed network ``name`` (see :func:`names`).

    ``n_inputs``, ``n_outputs`` and ``hidden`` override sizes the seed leaves open (e.g. the
    seed 002 classifier on 64-pixel digits: ``n_inputs=64``); a network whose seed fixes its
    sizes refuses them.
    """
    entry = _entry(name)
    if hidden is not None:
        hidden = tuple(int(h) for h in hidden)
    for draw in range(MAX_DRAWS):
        used = seed if draw == 0 else _redrawn_seed(seed, draw)
        model, loss, l2, X, y = entry.build(name, dtype, used, n_inputs, n_outputs, hidden)
        if not silent_parameters(model, loss, X, y):
            break
    return Network(name, model, loss, l2, X, y, entry.description, entry.source, used)


def _redrawn_seed(seed: int, draw: int) -> int:
    return int(np.random.SeedSequence([seed, draw]).generate_state(1)[0])


def silent_parameters(model: Sequential, loss: Loss, X: np.ndarray, y: np.ndarray) -> list[str]:
    """Names of the parameters whose gradient on ``(X, y)`` is exactly zero everywhere
    (typically: every unit of a ReLU layer inactive on every example), or, as ``"kink"``,
    an input of a kinked activation at (or within ``KINK_MARGIN`` of) its kink, where a
    finite difference means nothing. The model's gradients are left at zero and nothing of
    the pass is kept."""
    out = model.check_input(X)
    near_kink = False
    for layer in model.layers:
        if getattr(layer, "has_kink", False):
            near_kink = near_kink or bool(np.min(np.abs(out)) < KINK_MARGIN)
        out = layer.forward(out)
    loss.forward(model.forward(X), y)
    model.backward(loss.backward(), input_grad=False)
    silent = [name for name, p in model.named_parameters() if not np.any(p.grad)]
    silent += ["kink"] if near_kink else []
    for p in model.parameters():
        p.grad[...] = 0
    model.forget()
    return silent
