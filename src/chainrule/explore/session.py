"""The state of one exploring student: a network, its batch, the example shown, the optimizer
and the loss curve; every change answered by a fresh forward and backward pass.

Every method validates its arguments (names, indices, finite numbers, step counts) and raises
:class:`~chainrule.errors.ConfigError` naming the field, the value seen and the one expected;
the server turns that into a JSON error the page shows. A lock serialises the requests, so
two tabs on the same session never interleave a pass with an edit.
"""

from __future__ import annotations

import base64
import math
import threading
from typing import Any

import numpy as np

from chainrule.errors import ConfigError
from chainrule.explore.engine import Pass, columns_of, run_pass, train_steps
from chainrule.explore.limits import MAX_HISTORY, MAX_TRAIN_STEPS
from chainrule.explore.network import Setup
from chainrule.explore.optimizers import PRESETS, make_optimizer

__all__ = ["MAX_EDIT", "Session", "number", "packed"]

#: Largest magnitude an edited weight or input may take.
MAX_EDIT = 1e6


def number(value: Any, field: str, bound: float = MAX_EDIT) -> float:
    """``value`` as a finite float of magnitude at most ``bound``, else a ConfigError."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ConfigError(f"{field}: expected a number, got {type(value).__name__} {value!r:.40}")
    value = float(value)
    if not math.isfinite(value) or abs(value) > bound:
        raise ConfigError(
            f"{field}: expected a finite number of magnitude <= {bound:g}, got {value}"
        )
    return value


def packed(a: np.ndarray) -> dict[str, Any]:
    """An array for the wire: ``{"shape", "f64"}``, its float64 values little-endian in
    base64. Exact, and some forty times faster to write and read than a JSON list of
    10,000 numbers, which is what keeps an edit of a 10,000-parameter network quick."""
    data = np.ascontiguousarray(a, dtype="<f8").tobytes()
    return {"shape": list(a.shape), "f64": base64.b64encode(data).decode("ascii")}


def _index(value: Any, shape: tuple[int, ...], field: str) -> tuple[int, ...]:
    if not isinstance(value, list) or len(value) != len(shape):
        raise ConfigError(
            f"{field}: expected a list of {len(shape)} indices for shape {shape}, got {value!r:.60}"
        )
    out = []
    for k, (i, n) in enumerate(zip(value, shape, strict=True)):
        if isinstance(i, bool) or not isinstance(i, int) or not 0 <= i < n:
            raise ConfigError(f"{field}[{k}]: expected an integer in 0..{n - 1}, got {i!r:.40}")
        out.append(i)
    return tuple(out)


class Session:
    """One network being explored; see the module docstring."""

    def __init__(self, setup: Setup) -> None:
        self.lock = threading.RLock()
        self._load(setup)

    def _load(self, setup: Setup) -> None:
        self.setup = setup
        # The seed's own notation for a seed network, derive's default otherwise; the
        # layout None means the notation's own.
        self.notation = setup.notation or "default"
        self.layout: str | None = None
        self.cache: dict[Any, Any] = {}
        self.model, self.loss = setup.model, setup.loss
        self.X = np.array(setup.X, dtype=np.float64)
        self.y = setup.y
        self.columns = columns_of(self.model)
        self.n_parameters = int(sum(p.value.size for p in self.model.parameters()))
        self._initial = (self.model.state_dict(), self.X.copy())
        self.example = 0
        self.preset = "sgd"
        self.lr = PRESETS["sgd"].lr
        self.optimizer: Any = None
        self.history: list[float] = []
        self.steps_taken = 0
        self.refresh()

    # -- changes ----------------------------------------------------------------------------
    def refresh(self) -> Pass:
        """A forward and backward pass at the current weights and inputs."""
        self.current = run_pass(self.model, self.loss, self.setup.l2, self.X, self.y)
        return self.current

    def replace(self, setup: Setup) -> None:
        """Explore another network (its optimizer and loss curve start afresh)."""
        self._load(setup)

    def reset(self) -> None:
        """The initial weights and inputs back; the optimizer and loss curve start afresh."""
        state, X = self._initial
        self.model.load_state_dict(state)
        self.X[...] = X
        self.optimizer, self.history, self.steps_taken = None, [], 0
        self.refresh()

    def select_example(self, row: Any) -> None:
        self.example = _index([row], (self.X.shape[0],), "example")[0]

    def set_parameter(self, name: Any, index: Any, value: Any) -> float:
        """``W[index] = value`` (``index`` a list, ``[i, j]`` for a weight, ``[i]`` a bias);
        returns the value stored."""
        params = dict(self.model.named_parameters())
        if name not in params:
            raise ConfigError(f"parameter: expected one of {', '.join(params)}, got {name!r:.40}")
        p = params[name]
        where = _index(index, p.value.shape, f"{name} index")
        p.value[where] = number(value, f"{name} value")
        self.refresh()
        return float(p.value[where])

    def set_input(self, column: Any, value: Any) -> None:
        """Input ``column`` of the example shown becomes ``value``."""
        j = _index([column], (self.X.shape[1],), "input column")[0]
        self.X[self.example, j] = number(value, f"input x{j + 1}")
        self.refresh()

    def set_notation(self, notation: Any, layout: Any) -> None:
        """The notation (a preset name; empty: unchanged) and layout (empty: the
        notation's own) of the formulas."""
        from chainrule.explore.formulas import check_choice

        for field, v in (("notation", notation), ("layout", layout)):
            if v is not None and (not isinstance(v, str) or len(v) > 40):
                raise ConfigError(f"{field}: expected a short name, got {v!r:.40}")
        notation = notation or self.notation
        layout = layout or None
        check_choice(notation, layout)
        self.notation, self.layout = notation, layout

    def train(self, steps: Any, preset: Any, lr: Any) -> list[float]:
        """Take ``steps`` optimizer steps of ``preset`` at rate ``lr``; the optimizer keeps its
        state from call to call while the preset and rate stay the same."""
        if (
            isinstance(steps, bool)
            or not isinstance(steps, int)
            or not 1 <= steps <= MAX_TRAIN_STEPS
        ):
            raise ConfigError(
                f"steps: expected an integer in 1..{MAX_TRAIN_STEPS}, got {steps!r:.40}"
            )
        if preset not in PRESETS:
            raise ConfigError(
                f"optimizer: expected one of {', '.join(PRESETS)}, got {preset!r:.40}"
            )
        lr = number(lr, "learning rate", bound=100.0)
        if lr <= 0:
            raise ConfigError(f"learning rate: expected a positive number, got {lr}")
        if self.optimizer is None or preset != self.preset:
            self.optimizer = make_optimizer(preset, self.model, lr)
        self.optimizer.lr = lr
        self.preset, self.lr = preset, lr
        losses = train_steps(
            self.model, self.loss, self.setup.l2, self.optimizer, self.X, self.y, steps
        )
        self.steps_taken += len(losses)
        self.history.extend(losses)
        del self.history[:-MAX_HISTORY]
        self.refresh()
        return losses

    # -- what the page receives ---------------------------------------------------------------
    def snapshot(self, weights: bool = True) -> dict[str, Any]:
        """The numbers of the example shown, every gradient, the loss and, with ``weights``,
        the network's structure and weights: the JSON the page draws from. Parameter arrays
        travel :func:`packed`; the units' values as plain lists."""
        P, r = self.current, self.example
        out: dict[str, Any] = {
            "ok": True,
            "example": r,
            "n_examples": int(self.X.shape[0]),
            "loss": P.loss,
            "data_loss": P.data_loss,
            "penalty": P.penalty,
            "units": [self._column_values(P, c, r) for c in self.columns],
            "target": np.asarray(self.y[r]).tolist(),
            "grads": {name: packed(g) for name, g in P.params.items()},
            "train": {
                "steps": self.steps_taken,
                "optimizer": self.preset,
                "lr": self.lr,
                "history": self.history[-2000:],
                "history_start": max(0, len(self.history) - 2000),
            },
        }
        if weights:
            out["notation"], out["layout"] = self.notation, self.layout or ""
            out["network"] = self.describe()
            out["weights"] = {name: packed(p.value) for name, p in self.model.named_parameters()}
        return out

    def _column_values(self, P: Pass, c: Any, r: int) -> dict[str, Any]:
        if c.linear is None:
            z, dz = P.X[r], P.input_grad[r]
        else:
            z, dz = P.outputs[c.linear][r], P.grads[c.linear][r]
        h = z if c.last is None else P.outputs[c.last][r]
        dh = dz if c.last is None else P.grads[c.last][r]
        return {"z": z.tolist(), "dz": dz.tolist(), "h": h.tolist(), "dh": dh.tolist()}

    def describe(self) -> dict[str, Any]:
        """The structure: columns (width, activations), parameters (name, shape, column)."""
        s = self.setup
        widths = [int(self.X.shape[1])] + [lin.d_out for lin in self.model.linear_layers]
        return {
            "title": s.title,
            "description": s.description,
            "zoo": s.zoo_name,
            "spec": self.model.spec(),
            "loss": self.loss.spec(),
            "l2": s.l2,
            "n_parameters": self.n_parameters,
            "columns": [
                {"number": c.number, "width": widths[c.number], "activations": list(c.activations)}
                for c in self.columns
            ],
            "parameters": [
                {"name": name, "shape": list(p.value.shape), "column": int(name[1:])}
                for name, p in self.model.named_parameters()
            ],
        }
