"""The bounds of ``chainrule explore``: every size a request can ask for, checked before any
array is allocated or any loop runs.

The page is a teaching tool for networks a student can look at: the largest accepted network
(50,000 parameters) is five times the 10,000-parameter network of the round-trip benchmark,
and a column of more than 1,024 units could not be drawn anyway.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from chainrule.errors import ConfigError

__all__ = [
    "MAX_BODY_BYTES",
    "MAX_EXAMPLES",
    "MAX_FORMULA_CHARS",
    "MAX_HISTORY",
    "MAX_LAYERS",
    "MAX_PARAMETERS",
    "MAX_SPEC_CHARS",
    "MAX_TRAIN_STEPS",
    "MAX_WIDTH",
    "check_network_size",
    "count_parameters",
]

#: Largest request body the server reads (bytes); a longer one is refused unread.
MAX_BODY_BYTES = 64 * 1024
#: Largest network, in parameters (weights and biases).
MAX_PARAMETERS = 50_000
#: Most layers (linear and activation layers together).
MAX_LAYERS = 32
#: Most units in one column (input width included).
MAX_WIDTH = 1024
#: Most examples kept in the session's batch (rows of X).
MAX_EXAMPLES = 64
#: Most optimizer steps one request may take.
MAX_TRAIN_STEPS = 1000
#: Loss values kept for the curve (the oldest are dropped beyond this).
MAX_HISTORY = 10_000
#: Longest formula of the scalar mode, and longest ``--layers`` string (characters).
MAX_FORMULA_CHARS = 2000
MAX_SPEC_CHARS = 200


def count_parameters(spec: Iterable[Mapping[str, Any]]) -> int:
    """Parameters of a model spec (``Sequential.spec()`` form) without building it:
    ``d_out * d_in`` weights plus ``d_out`` biases for every ``Linear`` layer."""
    total = 0
    for layer in spec:
        if layer.get("type") == "Linear":
            d_in, d_out = int(layer["d_in"]), int(layer["d_out"])
            total += d_in * d_out + (d_out if layer.get("bias", True) else 0)
    return total


def check_network_size(spec: list[Mapping[str, Any]], where: str) -> int:
    """Refuse a model spec over the bounds; return its parameter count.

    Raises
    ------
    ConfigError
        Naming ``where``, the size seen and the bound: too many layers, a column wider than
        :data:`MAX_WIDTH`, or more than :data:`MAX_PARAMETERS` parameters.
    """
    if len(spec) > MAX_LAYERS:
        raise ConfigError(
            f"{where}: the network has {len(spec)} layers, explore draws at most {MAX_LAYERS}"
        )
    for i, layer in enumerate(spec):
        if layer.get("type") != "Linear":
            continue
        for key in ("d_in", "d_out"):
            width = int(layer[key])
            if width > MAX_WIDTH:
                raise ConfigError(
                    f"{where}: layer {i + 1} has {key} = {width} units, explore draws at most "
                    f"{MAX_WIDTH} in a column"
                )
    total = count_parameters(spec)
    if total > MAX_PARAMETERS:
        raise ConfigError(
            f"{where}: the network has {total:,} parameters, explore takes at most "
            f"{MAX_PARAMETERS:,}; hint: a smaller hidden width, or --data with fewer features"
        )
    return total
