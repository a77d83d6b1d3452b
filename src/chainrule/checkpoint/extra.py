"""The schema of the ``extra`` keys that chainrule itself writes and reads back.

``fit`` stores ``training`` (where a run stopped) and ``history``; ``chainrule train``
stores ``settings``, ``preprocessing`` and ``data``. Resume, ``evaluate`` and ``predict``
read them, so each is checked here when present: a user's own extra keys stay free-form.
"""

from __future__ import annotations

from typing import Any

from chainrule.checkpoint.checks import (
    is_int,
    is_number,
    is_width,
    list_of,
    need,
    need_dict,
)
from chainrule.errors import CheckpointError

__all__ = ["check_known_extra"]


def _check_training(w: Any, info: Any) -> None:
    fields = {
        "epoch": (lambda v: is_int(v) and v >= 0, "an int >= 0"),
        "position": (lambda v: is_int(v) and v >= 0, "an int >= 0"),
        "step": (lambda v: is_int(v) and v >= 0, "an int >= 0"),
        "seed": (lambda v: v is None or is_int(v), "an int or null"),
        "batch_size": (lambda v: is_int(v) and v >= 1, "an int >= 1"),
        "n_train": (lambda v: is_int(v) and v >= 0, "an int >= 0"),
        "l2": (lambda v: is_number(v) and v >= 0, "a number >= 0"),
        "rng_state": (_is_rng_state, "a PCG64 generator state"),
        "partial": (
            lambda v: isinstance(v, dict) and all(map(is_number, v.values())),
            "an object of numbers",
        ),
    }
    need_dict(w, "extra.training", info, frozenset(fields))
    for field, (test, expected) in fields.items():
        need(w, f"extra.training.{field}", info.get(field), test, expected)


def _is_rng_state(value: Any) -> bool:
    import numpy as np

    if not isinstance(value, dict) or value.get("bit_generator") != "PCG64":
        return False
    try:
        np.random.PCG64().state = value
    except Exception:
        return False
    return True


def _check_history(w: Any, history: Any) -> None:
    allowed = frozenset({"history", "epoch", "notes", "stopped_early"})
    need_dict(w, "extra.history", history, allowed)
    curves = need_dict(w, "extra.history.history", history.get("history", {}))
    for name, values in curves.items():
        list_of(w, f"extra.history.history.{name}", values, is_number, "a list of numbers")
    list_of(w, "extra.history.epoch", history.get("epoch", []), is_int, "a list of ints")
    notes = history.get("notes", [])
    list_of(w, "extra.history.notes", notes, lambda v: isinstance(v, str), "a list of strings")
    need(
        w,
        "extra.history.stopped_early",
        history.get("stopped_early", False),
        lambda v: type(v) is bool,
        "a bool",
    )


def _check_preprocessing(w: Any, stats: Any, n_inputs: int) -> None:
    need_dict(w, "extra.preprocessing", stats, frozenset({"type", "mean", "scale"}))
    need(
        w,
        "extra.preprocessing.type",
        stats.get("type"),
        lambda v: v == "Standardizer",
        "'Standardizer'",
    )
    for part in ("mean", "scale"):
        values = list_of(
            w,
            f"extra.preprocessing.{part}",
            stats.get(part),
            lambda v, part=part: is_number(v) and (part == "mean" or v > 0),
            f"a list of {n_inputs} finite numbers" + (" > 0" if part == "scale" else ""),
        )
        if len(values) != n_inputs:
            raise w.fail(
                f"extra.preprocessing.{part}",
                f"has {len(values)} values, the model takes {n_inputs} inputs",
            )


def _check_data(w: Any, data: Any) -> None:
    fields = {
        "source": (lambda v: isinstance(v, str), "a string"),
        "name": (lambda v: isinstance(v, str), "a string"),
        "n_classes": (lambda v: is_int(v) and v >= 1, "an int >= 1"),
        "n_features": (lambda v: is_int(v) and v >= 1, "an int >= 1"),
        "image_shape": (
            lambda v: v is None or (isinstance(v, list) and all(map(is_width, v))),
            "null or a list of sizes",
        ),
        "class_names": (
            lambda v: v is None or (isinstance(v, list) and all(isinstance(n, str) for n in v)),
            "null or a list of strings",
        ),
    }
    need_dict(w, "extra.data", data, frozenset(fields))
    for field, (test, expected) in fields.items():
        if field in data:
            need(w, f"extra.data.{field}", data[field], test, expected)


def check_known_extra(w: Any, extra: dict[str, Any], shapes: dict[str, tuple[int, ...]]) -> None:
    """Check ``extra.training``, ``history``, ``preprocessing``, ``data`` and ``settings``."""
    if "training" in extra:
        _check_training(w, extra["training"])
    if "history" in extra:
        _check_history(w, extra["history"])
    if "preprocessing" in extra:
        if "W1" not in shapes:
            raise CheckpointError(f"checkpoint {w.path}: preprocessing for a model without inputs")
        _check_preprocessing(w, extra["preprocessing"], shapes["W1"][1])
    if "data" in extra:
        _check_data(w, extra["data"])
    if "settings" in extra:
        need_dict(w, "extra.settings", extra["settings"])
