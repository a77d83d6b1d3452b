"""chainrule: backpropagation you can read and trust.

Every layer and loss has a hand-written NumPy forward and backward, every gradient is
checked numerically and against PyTorch in the tests, and the mathematics explains itself.

>>> import numpy as np, chainrule as cr
>>> model = cr.Sequential([cr.Linear(4, 3), cr.ReLU(), cr.Linear(3, 1)], dtype=np.float64, seed=0)
>>> [name for name, _ in model.named_parameters()]
['W1', 'b1', 'W2', 'b2']

Heavy or optional parts (``expr``, ``scalar``, ``rbm``, ``data``, ``plot``) load on first use,
so ``import chainrule`` stays fast.
"""

from __future__ import annotations

import importlib
from typing import Any

from chainrule.errors import (
    ChainruleError,
    CheckFailedError,
    CheckpointError,
    ConfigError,
    DataError,
    ExpressionError,
    ShapeError,
    StateError,
    TrainingError,
)

__version__ = "0.1.0"

# Public names that come from submodules, imported on first attribute access (PEP 562).
_LAZY_ATTRS: dict[str, str] = {
    # engine
    "Parameter": "chainrule.layers",
    "Layer": "chainrule.layers",
    "Linear": "chainrule.layers",
    "ReLU": "chainrule.layers",
    "LeakyReLU": "chainrule.layers",
    "Sigmoid": "chainrule.layers",
    "Tanh": "chainrule.layers",
    "Identity": "chainrule.layers",
    "Softmax": "chainrule.layers",
    "Loss": "chainrule.losses",
    "HalfSquaredError": "chainrule.losses",
    "MeanSquaredError": "chainrule.losses",
    "BinaryCrossEntropy": "chainrule.losses",
    "SoftmaxCrossEntropy": "chainrule.losses",
    "L2": "chainrule.losses",
    "Sequential": "chainrule.model",
    "gradcheck": "chainrule.gradient_check",
    "GradcheckReport": "chainrule.gradient_check",
    # training
    "SGD": "chainrule.optim",
    "Momentum": "chainrule.optim",
    "RMSProp": "chainrule.optim",
    "Adam": "chainrule.optim",
    "AdamW": "chainrule.optim",
    "fit": "chainrule.train",
    "History": "chainrule.train",
    "train_step": "chainrule.train",
    "save": "chainrule.checkpoint",
    "load": "chainrule.checkpoint",
    # explaining
    "derive": "chainrule.derivation",
}
_LAZY_MODULES = (
    "zoo",
    "expr",
    "derivation",
    "check",
    "scalar",
    "rbm",
    "data",
    "plot",
    "optim",
    "train",
    "checkpoint",
)

__all__ = [
    "ChainruleError",
    "CheckFailedError",
    "CheckpointError",
    "ConfigError",
    "DataError",
    "ExpressionError",
    "ShapeError",
    "StateError",
    "TrainingError",
    "__version__",
    *_LAZY_ATTRS,
    *_LAZY_MODULES,
]


def __getattr__(name: str) -> Any:
    if name in _LAZY_ATTRS:
        value = getattr(importlib.import_module(_LAZY_ATTRS[name]), name)
    elif name in _LAZY_MODULES:
        value = importlib.import_module(f"chainrule.{name}")
    else:
        raise AttributeError(f"module 'chainrule' has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
