"""The optimizers the page offers, each a preset of :mod:`chainrule.optim` with its
convention spelled out (seed 004's forms included)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["PRESETS", "Preset", "make_optimizer"]


@dataclass(frozen=True)
class Preset:
    """An optimizer by name with fixed hyper-parameters; ``rule`` is its update in LaTeX."""

    label: str
    name: str
    rule: str
    args: dict[str, Any] = field(default_factory=dict)
    lr: float = 0.1


PRESETS: dict[str, Preset] = {
    "sgd": Preset("SGD", "sgd", r"W \leftarrow W - \eta\, g"),
    "momentum": Preset(
        "Momentum, classical (PyTorch)",
        "momentum",
        r"v \leftarrow \mu v + g,\quad W \leftarrow W - \eta v",
        {"momentum": 0.9},
        0.05,
    ),
    "momentum-ema": Preset(
        "Momentum, seed 004 (exponential average)",
        "momentum",
        r"V \leftarrow \beta V + (1-\beta)\, g,\quad W \leftarrow W - \alpha V",
        {"momentum": 0.9, "convention": "ema"},
        0.5,
    ),
    "rmsprop": Preset(
        "RMSProp, eps outside the root (PyTorch)",
        "rmsprop",
        r"s \leftarrow \alpha s + (1-\alpha) g^2,\quad W \leftarrow W - \eta \frac{g}{\sqrt{s}+\epsilon}",
        {"alpha": 0.99, "eps": 1e-8},
        0.01,
    ),
    "rmsprop-seed004": Preset(
        "RMSProp, seed 004 (eps inside the root)",
        "rmsprop",
        r"S \leftarrow \beta S + (1-\beta) g^2,\quad W \leftarrow W - \alpha \frac{g}{\sqrt{S+\epsilon}}",
        {"alpha": 0.9, "eps": 1e-8, "eps_inside": True},
        0.01,
    ),
    "adam": Preset(
        "Adam (bias correction 1 - beta^t)",
        "adam",
        r"W \leftarrow W - \eta \frac{\hat m}{\sqrt{\hat v}+\epsilon},\quad "
        r"\hat m = \frac{m}{1-\beta_1^t},\ \hat v = \frac{v}{1-\beta_2^t}",
        {},
        0.01,
    ),
    "adamw": Preset(
        "AdamW (decoupled weight decay 0.01)",
        "adamw",
        r"W \leftarrow W - \eta \left(\frac{\hat m}{\sqrt{\hat v}+\epsilon} + \lambda W\right)",
        {"weight_decay": 0.01},
        0.01,
    ),
}


def make_optimizer(preset: str, model: Any, lr: float) -> Any:
    """The optimizer of ``preset`` (a key of :data:`PRESETS`, which
    :meth:`~chainrule.explore.session.Session.train` checks) for ``model`` at rate ``lr``."""
    from chainrule.optim import make_optimizer as build

    p = PRESETS[preset]
    return build(p.name, model, lr=lr, **p.args)
