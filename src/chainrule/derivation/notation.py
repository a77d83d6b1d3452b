"""Notations: plain data (a TOML file) naming every quantity of a derivation.

A notation gives a LaTeX name, or a template with ``{l}`` for the number of the linear
layer, for each kind of quantity. The presets in ``notations/`` reproduce each seed's own
names (``seed000`` ... ``seed004``), plus ``cs231n``, ``deeplearning-ai`` and chainrule's
``default``; a user writes their own file with the same keys (all optional but the
description; a missing key takes the default's value).

=============  ==========================================================================
key            meaning (``{l}`` is replaced by the layer number, ``{loss}``/``{q}`` below)
=============  ==========================================================================
layout         ``row`` (``X W^T + b``), ``xw`` (``X W + b``) or ``column`` (``W X + b u``)
single         true: one example by default (``batch=False``), as the seed writes it
batch          the name of the batch size (``n``, ``m``)
input          the input batch (``X``); ``input_single`` for one example (``x``)
weight, bias   weight and bias of linear layer l (``W^{[{l}]}``, ``b^{[{l}]}``)
pre, act       the pre-activation and activation of layer l (``Z^{[{l}]}``, ``A^{[{l}]}``)
output         the network's output (``f``, ``\\hat{y}``); empty: the layer's own name
target         the targets (``y``); ``onehot`` the one-hot labels of a classifier (``Y``)
probs          the softmax of the logits for a fused softmax cross-entropy (``p``)
loss           the loss (``L``, ``J``, ``\\mathcal{L}``, ``l``)
delta          dL/d(pre-activation l) (``\\delta^{[{l}]}``); empty: written as a derivative
output_grad    dL/d(output) (seed 001's ``\\delta``); empty: the delta or the derivative
gradient       how a gradient is named, from ``{loss}`` and the quantity ``{q}``:
               ``\\frac{\\partial {loss}}{\\partial {q}}`` or ``d{q}``
ones           a row of ones ``u`` (1 x n) to write a bias as ``b u`` in the column layout
lambda         the L2 strength (``\\lambda``)
transposed     numbers of the weights the notation stores transposed (seed 003: ``[2]``)
=============  ==========================================================================
"""

from __future__ import annotations

import re
from dataclasses import dataclass, fields
from importlib import resources
from pathlib import Path
from typing import Any

from chainrule.errors import ConfigError
from chainrule.formulas import LAYOUTS
from chainrule.suggest import did_you_mean

__all__ = ["Notation", "load_notation", "presets"]

MAX_NOTATION_BYTES = 64_000
MAX_NAME = 120


@dataclass(frozen=True)
class Notation:
    """Every name a derivation writes; see the module docstring for the keys."""

    name: str
    description: str = ""
    layout: str = "row"
    single: bool = False
    batch: str = "n"
    input: str = "X"
    input_single: str = "x"
    weight: str = "W_{{l}}"
    bias: str = "b_{{l}}"
    pre: str = "z_{{l}}"
    act: str = "h_{{l}}"
    output: str = "f"
    target: str = "y"
    onehot: str = "Y"
    probs: str = "P"
    loss: str = "L"
    delta: str = "\\delta_{{l}}"
    output_grad: str = ""
    gradient: str = "\\frac{\\partial {loss}}{\\partial {q}}"
    ones: str = ""
    lam: str = "\\lambda"
    transposed: tuple[int, ...] = ()

    def layer(self, template: str, k: int | str) -> str:
        """A template for layer ``k``: ``W^{[{l}]}`` -> ``W^{[2]}``, ``w_{l}`` -> ``w_{12}``
        (braced right after ``_`` or ``^``, so that ``w_{l+1}`` is not ``w_l + 1``)."""
        braced = re.sub(r"(?<=[_^])\{l\}", lambda _: "{" + str(k) + "}", template)
        return braced.replace("{l}", str(k))

    def grad(self, q: str) -> str:
        """The name of dL/dq: ``\\frac{\\partial L}{\\partial q}`` or ``dq``."""
        return self.gradient.replace("{loss}", self.loss).replace("{q}", q)


_KEYS = {f.name for f in fields(Notation)} - {"name", "lam"} | {"lambda"}


def presets() -> list[str]:
    """The names of the preset notations."""
    folder = resources.files("chainrule.derivation").joinpath("notations")
    return sorted(p.name[: -len(".toml")] for p in folder.iterdir() if p.name.endswith(".toml"))


def load_notation(spec: str | Notation | None) -> Notation:
    """A preset by name (``"seed004"``), a TOML file by path, or a Notation as is.

    Raises
    ------
    ConfigError
        An unknown preset (with a did-you-mean), a file that is not TOML, an unknown key
        (with a did-you-mean) or a value of the wrong kind, naming the file and key.
    """
    if isinstance(spec, Notation):
        return spec
    if spec is None:
        spec = "default"
    if not isinstance(spec, str):
        raise ConfigError(f"notation must be a preset name or a TOML path, got {spec!r}")
    if spec in presets():
        folder = resources.files("chainrule.derivation").joinpath("notations")
        text = folder.joinpath(f"{spec}.toml").read_text("utf-8")
        return _from_text(text, spec, f"preset {spec}")
    path = Path(spec)
    if spec.endswith(".toml") or path.exists():
        return _from_file(path)
    hint = did_you_mean(spec, presets(), sentence=True)
    raise ConfigError(
        f"unknown notation {spec!r}; the presets are {', '.join(presets())}, or give the "
        f"path of a TOML file.{hint}"
    )


def _from_file(path: Path) -> Notation:
    try:
        size = path.stat().st_size
        if size > MAX_NOTATION_BYTES:
            raise ConfigError(f"{path}: a notation file of {size} bytes is too large")
        text = path.read_text("utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise ConfigError(f"{path}: cannot read the notation file: {err}") from None
    return _from_text(text, path.stem, str(path))


def _from_text(text: str, name: str, where: str) -> Notation:
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        import tomli as tomllib  # type: ignore[no-redef]
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(f"{where}: not valid TOML: {err}") from None
    return _from_data(raw, name, where)


def _from_data(raw: dict[str, Any], name: str, where: str) -> Notation:
    values: dict[str, Any] = {"name": name}
    for key, value in raw.items():
        if key not in _KEYS:
            hint = did_you_mean(key, sorted(_KEYS), sentence=True)
            raise ConfigError(f"{where}: unknown key {key!r}.{hint}")
        field = "lam" if key == "lambda" else key
        values[field] = _checked(field, value, f"{where}, key {key!r}")
    if values.get("layout", "row") not in LAYOUTS:
        raise ConfigError(
            f"{where}, key 'layout': {values['layout']!r} is not one of {', '.join(LAYOUTS)}"
        )
    return Notation(**values)


def _checked(field: str, value: Any, where: str) -> Any:
    if field == "single":
        if not isinstance(value, bool):
            raise ConfigError(f"{where}: expected true or false, got {value!r}")
        return value
    if field == "transposed":
        ok = isinstance(value, list) and all(
            isinstance(k, int) and not isinstance(k, bool) and 1 <= k <= 1000 for k in value
        )
        if not ok:
            raise ConfigError(
                f"{where}: expected a list of layer numbers such as [2], got {value!r}"
            )
        return tuple(value)
    if not isinstance(value, str) or len(value) > MAX_NAME or "\n" in value:
        raise ConfigError(
            f"{where}: expected a name of at most {MAX_NAME} characters, got {value!r}"
        )
    return value
