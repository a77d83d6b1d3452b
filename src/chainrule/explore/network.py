"""The network a session explores: a zoo network, a ``--layers`` string or a checkpoint, with
a small batch of examples, always in float64 (the math tools' precision).

Sizes are checked against :mod:`chainrule.explore.limits` before a ``--layers`` network is
allocated; zoo networks and checkpoints have sizes fixed by their source and are checked
right after they are built, before anything else touches them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from chainrule.errors import ConfigError
from chainrule.explore.limits import MAX_EXAMPLES, MAX_SPEC_CHARS, MAX_WIDTH, check_network_size

__all__ = ["DEFAULT_MODEL", "Examples", "Setup", "build_setup", "load_examples"]

#: The network explore opens with: seed 003's worked example, small enough to read at once.
DEFAULT_MODEL = "seed003-relu-sigmoid-2-2-1"
#: The notation preset of each seed, for its zoo networks (as ``cr.derive`` picks it).
_SEED_NOTATIONS = {f"seed {k:03d}": f"seed{k:03d}" for k in range(5)}
#: Rows of the made-up batch of a ``--layers`` network without ``--data``.
_SYNTHETIC_ROWS = 4


@dataclass
class Examples:
    """Examples from a data set: ``X`` (n, d) float64 standardised, integer ``labels`` (n,),
    ``raw`` the inputs as loaded (a checkpoint applies its own saved standardisation)."""

    name: str
    X: np.ndarray
    labels: np.ndarray
    n_classes: int
    raw: np.ndarray


@dataclass
class Setup:
    """What a session explores: ``model`` (float64), ``loss``, ``l2``, a batch ``(X, y)``."""

    title: str
    description: str
    model: Any
    loss: Any
    l2: float
    X: np.ndarray
    y: np.ndarray
    zoo_name: str | None = None
    source: dict[str, Any] = field(default_factory=dict)
    data: Examples | None = None
    notation: str | None = None


def load_examples(source: str, rows: int = 16) -> Examples:
    """The first ``rows`` training examples of a data source (``chainrule.data.load``),
    standardised with the statistics of the whole training part."""
    from chainrule.data import Standardizer, load

    if not 1 <= rows <= MAX_EXAMPLES:
        raise ConfigError(f"--rows {rows}: explore takes 1 to {MAX_EXAMPLES} examples")
    ds = load(source, seed=0)
    if ds.n_features > MAX_WIDTH:
        raise ConfigError(
            f"--data {source}: {ds.n_features} features, explore draws at most {MAX_WIDTH} inputs"
        )
    scaler = Standardizer().fit(ds.X_train)
    raw = np.asarray(ds.X_train[:rows])
    X = scaler.transform(raw).astype(np.float64)
    return Examples(ds.name, X, np.asarray(ds.y_train[:rows]), int(ds.n_classes), raw)


def build_setup(
    *,
    model: str | None = None,
    layers: str | None = None,
    loss: str | None = None,
    inputs: int | None = None,
    checkpoint: str | None = None,
    data: Examples | None = None,
    seed: int = 0,
) -> Setup:
    """Build the network of one of the three sources (at most one of ``model``, ``layers``,
    ``checkpoint``; none means :data:`DEFAULT_MODEL`) on ``data`` or the source's own batch.

    Raises
    ------
    ConfigError
        Two sources at once, an unknown name, a malformed ``--layers`` string, or a network
        over the size bounds.
    """
    given = [
        name for name, v in (("model", model), ("layers", layers), ("checkpoint", checkpoint)) if v
    ]
    if len(given) > 1:
        raise ConfigError(f"give one network source, not {' and '.join(given)}")
    if layers:
        return _from_layers(layers, loss, inputs, data, seed)
    if checkpoint:
        return _from_checkpoint(checkpoint, loss, data)
    return _from_zoo(model or DEFAULT_MODEL, loss, data, seed)


def _from_zoo(name: str, loss_name: str | None, data: Examples | None, seed: int) -> Setup:
    from chainrule import zoo

    if data is None:
        net = zoo.build(name, dtype=np.float64, seed=seed)
    else:
        net = zoo.build(
            name, dtype=np.float64, seed=seed, n_inputs=data.X.shape[1], n_outputs=data.n_classes
        )
    check_network_size(net.model.spec(), f"zoo network {name}")
    loss = _loss(loss_name) if loss_name else net.loss
    X, y = (net.X, net.y) if data is None else (data.X, _targets(loss, data))
    return Setup(
        name,
        net.description,
        net.model,
        loss,
        float(net.l2),
        np.asarray(X, np.float64),
        y,
        zoo_name=name if loss_name is None else None,
        source={"model": name, "loss": loss_name},
        data=data,
        notation=_SEED_NOTATIONS.get(net.source),
    )


def _from_layers(
    spec: str, loss_name: str | None, inputs: int | None, data: Examples | None, seed: int
) -> Setup:
    import chainrule as cr
    from chainrule.specs import parse_layers

    if not isinstance(spec, str) or len(spec) > MAX_SPEC_CHARS:
        raise ConfigError(f"--layers: expected a string of at most {MAX_SPEC_CHARS} characters")
    loss = _loss(loss_name or ("softmax-cross-entropy" if data else "half-squared-error"))
    if data is not None:
        if inputs is not None and inputs != data.X.shape[1]:
            raise ConfigError(f"--inputs {inputs}: the data has {data.X.shape[1]} features")
        n_in = data.X.shape[1]
    else:
        n_in = 2 if inputs is None else int(inputs)
        if not 1 <= n_in <= MAX_WIDTH:
            raise ConfigError(f"--inputs {n_in}: expected 1 to {MAX_WIDTH} input units")
    last = spec.strip().split("-")[-1].strip()
    n_out = int(last) if last.isdigit() else 1
    if data is not None:
        n_out = data.n_classes
    layer_spec = parse_layers(spec, n_in, n_out)
    check_network_size(layer_spec, f"--layers {spec!r}")
    model = cr.Sequential.from_spec(layer_spec, dtype=np.float64, seed=seed)
    if data is not None:
        X, y = data.X, _targets(loss, data)
    else:
        X, y = _synthetic(loss, n_in, n_out, seed)
    widths = "-".join([str(n_in), *spec.strip().split("-")])
    return Setup(
        f"layers {widths}",
        f"{widths} network, {loss.kind}",
        model,
        loss,
        0.0,
        X,
        y,
        source={"layers": spec, "loss": loss_name, "inputs": n_in},
        data=data,
    )


def _from_checkpoint(path: str, loss_name: str | None, data: Examples | None) -> Setup:
    import chainrule as cr

    ckpt = cr.load(path, dtype=np.float64)
    model = ckpt.model
    check_network_size(model.spec(), f"checkpoint {path}")
    loss = _loss(loss_name) if loss_name else (ckpt.loss or cr.SoftmaxCrossEntropy())
    settings = ckpt.extra.get("settings") or {}
    l2 = float(settings.get("l2") or 0.0)
    if data is None:
        X, y = _synthetic(loss, model.n_inputs or 1, model.n_outputs or 1, 0)
    else:
        X, y = data.X, _targets(loss, data)
        if "preprocessing" in ckpt.extra:  # the standardisation the network was trained with
            from chainrule.data import Standardizer

            scaler = Standardizer.from_dict(ckpt.extra["preprocessing"])
            X = scaler.transform(data.raw).astype(np.float64)
    return Setup(
        f"checkpoint {path}",
        f"network saved in {path}",
        model,
        loss,
        l2,
        X,
        y,
        source={"checkpoint": path},
        data=data,
    )


def _loss(name: str) -> Any:
    from chainrule.specs import build_loss

    return build_loss(name)


def _targets(loss: Any, data: Examples) -> np.ndarray:
    from chainrule.specs import targets_for

    y = targets_for(loss, data.labels, data.n_classes)
    return y if y.dtype.kind in "iu" else np.asarray(y, np.float64)


def _synthetic(loss: Any, d_in: int, d_out: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """A made-up batch for a network without data: standard normal inputs and targets of the
    loss's kind (labels, 0/1 values or real values)."""
    rng = np.random.default_rng(seed + 1)
    X = rng.standard_normal((_SYNTHETIC_ROWS, d_in))
    kind = loss.kind
    if kind == "SoftmaxCrossEntropy":
        y = rng.integers(0, d_out, size=_SYNTHETIC_ROWS)
    elif kind == "BinaryCrossEntropy":
        y = rng.integers(0, 2, size=(_SYNTHETIC_ROWS, d_out)).astype(np.float64)
    else:
        y = rng.standard_normal((_SYNTHETIC_ROWS, d_out))
    return X, y
