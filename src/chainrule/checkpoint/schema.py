"""The manifest's schema: every key, type and shape checked before any value is used.

A manifest is JSON that anyone can edit (and recompute its SHA-256). So nothing in it is
trusted: :func:`check_arrays_table` checks the part every checkpoint has, and
:func:`check_model_manifest` the part :func:`chainrule.save` writes, down to the shape each
weight must have for the architecture the manifest describes, computed from the layer spec
without building anything. Every lie is a :class:`~chainrule.errors.CheckpointError`
naming the key, the value seen and what was expected.
"""

from __future__ import annotations

import math
import re
from typing import Any

from chainrule.checkpoint.checks import (
    MAX_WIDTH,
    Where,
    is_int,
    is_number,
    is_scalar,
    is_width,
    need,
    need_dict,
)
from chainrule.checkpoint.extra import check_known_extra
from chainrule.errors import CheckpointError

__all__ = [
    "FORMAT",
    "FORMAT_VERSION",
    "MAX_DIMENSIONS",
    "MAX_LAYERS",
    "MAX_WIDTH",
    "READABLE_VERSIONS",
    "check_arrays_table",
    "check_model_manifest",
    "parameter_shapes",
]

FORMAT = "chainrule-checkpoint"
#: 2 adds ``manifest.sha256``; version 1 files (no manifest digest) are still read.
FORMAT_VERSION = 2
READABLE_VERSIONS = (1, 2)
MAX_DIMENSIONS = 32
#: Bounds on what a manifest may describe (a layer wider than this is a lie, not a model).
MAX_LAYERS = 10_000
NAME_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.\-]*$")
_DTYPE_RE = re.compile(r"^[<>|=][biufc][0-9]{1,2}$")
_SHA_RE = re.compile(r"^[0-9a-f]{64}$")
_MODEL_KEYS = frozenset(
    {"format", "format_version", "kind", "arrays", "model", "loss", "optimizer", "extra"}
    | {"extra_arrays"}
)


def check_arrays_table(path: Any, manifest: Any) -> dict[str, Any]:
    """Check the keys every checkpoint has; return the manifest.

    ``format`` is :data:`FORMAT`, ``format_version`` one of :data:`READABLE_VERSIONS`,
    ``kind`` a string, and ``arrays`` maps names to ``{"shape": [int, ...], "dtype":
    dtype.str, "sha256": hex}`` with at most :data:`MAX_DIMENSIONS` dimensions.
    """
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise CheckpointError(f"checkpoint {path}: manifest.json does not describe a {FORMAT}")
    version = manifest.get("format_version")
    if not is_int(version) or version not in READABLE_VERSIONS:
        raise CheckpointError(
            f"checkpoint {path}: format version {version!r} is not supported "
            f"(this chainrule reads versions {', '.join(map(str, READABLE_VERSIONS))})"
        )
    w = Where(path)
    need(w, "kind", manifest.get("kind"), lambda v: isinstance(v, str), "a string")
    if not isinstance(manifest.get("arrays"), dict):
        raise CheckpointError(f"checkpoint {path}: manifest.json has no 'arrays' table")
    for name, entry in manifest["arrays"].items():
        key = f"arrays.{name}"
        need(w, key, name, lambda v: bool(NAME_RE.match(v)), "letters, digits, '_', '.', '-'")
        need_dict(w, key, entry, frozenset({"shape", "dtype", "sha256"}))
        shape = need(
            w,
            f"{key}.shape",
            entry.get("shape"),
            lambda v: (
                isinstance(v, list)
                and len(v) <= MAX_DIMENSIONS
                and all(is_int(s) and 0 <= s < 2**62 for s in v)
            ),
            f"a list of at most {MAX_DIMENSIONS} sizes >= 0",
        )
        need(w, f"{key}.shape", math.prod(shape), lambda v: v < 2**62, "a size that fits")
        need(
            w,
            f"{key}.dtype",
            entry.get("dtype"),
            lambda v: isinstance(v, str) and bool(_DTYPE_RE.match(v)),
            "a bool, integer, float or complex dtype such as '<f4'",
        )
        need(
            w,
            f"{key}.sha256",
            entry.get("sha256"),
            lambda v: isinstance(v, str) and bool(_SHA_RE.match(v)),
            "64 lowercase hex digits",
        )
    return manifest


def parameter_shapes(w: Where, spec: Any) -> dict[str, tuple[int, ...]]:
    """``{"W1": (d_out, d_in), "b1": (d_out,), ...}`` from a layer spec, without building it."""
    need(
        w,
        "model.spec",
        spec,
        lambda v: isinstance(v, list) and 0 < len(v) <= MAX_LAYERS,
        f"a list of 1 to {MAX_LAYERS} layers",
    )
    from chainrule.layers import LAYER_TYPES

    shapes: dict[str, tuple[int, ...]] = {}
    for i, layer in enumerate(spec):
        key = f"model.spec[{i}]"
        need_dict(w, key, layer)
        need(w, f"{key}.type", layer.get("type"), lambda v: v in LAYER_TYPES, "a layer type")
        for field, value in layer.items():
            need(w, f"{key}.{field}", value, is_scalar, "a string, number, bool or null")
        if layer["type"] != "Linear":
            continue
        d_in, d_out = (
            need(w, f"{key}.{k}", layer.get(k), is_width, f"an integer in 1..{MAX_WIDTH}")
            for k in ("d_in", "d_out")
        )
        n = sum(1 for s in shapes if s.startswith("W")) + 1
        shapes[f"W{n}"] = (d_out, d_in)
        bias = need(w, f"{key}.bias", layer.get("bias", True), lambda v: type(v) is bool, "bool")
        if bias:
            shapes[f"b{n}"] = (d_out,)
    return shapes


def _check_shapes(w: Where, arrays: dict, prefix: str, shapes: dict, dtype: str | None) -> None:
    for name, shape in shapes.items():
        entry = arrays.get(f"{prefix}{name}")
        if entry is None:
            raise w.fail("arrays", f"lacks {prefix}{name}, which the architecture needs")
        if tuple(entry["shape"]) != shape:
            raise CheckpointError(
                f"checkpoint {w.path}: {prefix.rstrip('.')} array {name!r} has shape "
                f"{tuple(entry['shape'])}, the architecture needs {shape} "
                "(a checkpoint of another network?)"
            )
        if dtype is not None and entry["dtype"] != dtype:
            raise CheckpointError(
                f"checkpoint {w.path}: weight {name!r} is {entry['dtype']}, the manifest says "
                f"the model is {dtype}"
            )


def check_model_manifest(path: Any, manifest: dict[str, Any]) -> dict[str, tuple[int, ...]]:
    """Check a manifest written by :func:`chainrule.save`; return the parameter shapes.

    Runs after :func:`check_arrays_table` and before any array is read: the weights'
    shapes and dtype must fit the architecture, the optimizer's buffers the parameters,
    and every array must belong to the model, the optimizer or ``extra_arrays``.
    """
    w = Where(path)
    if manifest.get("kind") != "model":
        raise CheckpointError(
            f"checkpoint {path} holds {manifest.get('kind')!r} data, not a chainrule model"
        )
    need_dict(w, "(top level)", manifest, _MODEL_KEYS)
    model = need_dict(w, "model", manifest.get("model"), frozenset({"spec", "dtype"}))
    dtype = need(
        w, "model.dtype", model.get("dtype"), lambda v: v in ("float32", "float64"), "float32/64"
    )
    shapes = parameter_shapes(w, model.get("spec"))
    arrays = manifest["arrays"]
    _check_shapes(w, arrays, "model.", shapes, "<f4" if dtype == "float32" else "<f8")
    owned = {f"model.{n}" for n in shapes}
    if manifest.get("loss") is not None:
        loss = need_dict(w, "loss", manifest["loss"])
        for field, value in loss.items():
            need(w, f"loss.{field}", value, is_scalar, "a string, number, bool or null")
    owned |= _check_optimizer(w, manifest.get("optimizer"), arrays, shapes)
    owned |= _check_extra(w, manifest, arrays)
    unexpected = sorted(set(arrays) - owned)
    if unexpected:
        raise w.fail("arrays", f"lists {unexpected}, which no part of the model owns")
    check_known_extra(w, manifest["extra"], shapes)
    return shapes


def _check_optimizer(w: Where, info: Any, arrays: dict, shapes: dict) -> set[str]:
    if info is None:
        return set()
    allowed = frozenset({"name", "hyper", "step", "lr", "buffers"})
    need_dict(w, "optimizer", info, allowed)
    need(w, "optimizer.name", info.get("name"), lambda v: isinstance(v, str), "a string")
    hyper = need_dict(w, "optimizer.hyper", info.get("hyper"))
    for field, value in hyper.items():
        need(
            w,
            f"optimizer.hyper.{field}",
            value,
            lambda v: is_scalar(v) or (isinstance(v, list) and all(map(is_number, v))),
            "a number, string, bool, null or list of numbers",
        )
    need(w, "optimizer.step", info.get("step"), lambda v: is_int(v) and v >= 0, "an int >= 0")
    if "lr" in info:
        need(w, "optimizer.lr", info["lr"], is_number, "a finite number")
    owned = set()
    for buffer, names in need_dict(w, "optimizer.buffers", info.get("buffers", {})).items():
        key = f"optimizer.buffers.{buffer}"
        need(w, key, buffer, lambda v: bool(NAME_RE.match(v)), "a name")
        need(
            w,
            key,
            names,
            lambda v: isinstance(v, list) and all(isinstance(n, str) and n in shapes for n in v),
            f"a list of parameter names from {sorted(shapes)}",
        )
        per = {n: shapes[n] for n in names}
        _check_shapes(w, arrays, f"optimizer.{buffer}.", per, None)
        owned |= {f"optimizer.{buffer}.{n}" for n in names}
    return owned


def _check_extra(w: Where, manifest: dict, arrays: dict) -> set[str]:
    manifest.setdefault("extra", {})
    need_dict(w, "extra", manifest["extra"])
    names = manifest.setdefault("extra_arrays", [])
    need(
        w,
        "extra_arrays",
        names,
        lambda v: (
            isinstance(v, list) and all(isinstance(k, str) and f"extra.{k}" in arrays for k in v)
        ),
        "a list of keys whose arrays extra.KEY the checkpoint holds",
    )
    return {f"extra.{k}" for k in names}
