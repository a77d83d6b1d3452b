"""A model with its loss, optimizer and training position, on top of the array files."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from chainrule.checkpoint.read import read_checkpoint
from chainrule.checkpoint.schema import check_model_manifest
from chainrule.checkpoint.write import write_checkpoint
from chainrule.errors import CheckpointError

__all__ = ["Checkpoint", "load", "save"]


@dataclass
class Checkpoint:
    """What :func:`load` returns.

    Attributes
    ----------
    path : pathlib.Path
        The file read.
    model : Sequential
        The model rebuilt from its spec with the stored weights.
    loss : Loss or None
        The loss rebuilt from its spec, when one was saved.
    optimizer : dict or None
        ``{"name", "hyper", "step", "lr", "buffers"}`` as :meth:`Optimizer.state_dict` gives;
        pass it to :meth:`Optimizer.load_state_dict` or use :meth:`make_optimizer`.
    extra : dict
        Everything else given to :func:`save` (epoch, position, rng state, preprocessing...).
    manifest : dict
        The raw manifest.
    """

    path: Path
    model: Any
    loss: Any = None
    optimizer: dict[str, Any] | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    manifest: dict[str, Any] = field(default_factory=dict)

    def __repr__(self) -> str:
        """One line: the file, the network, the loss, the optimizer and the epoch."""
        return f"Checkpoint({str(self.path)!r}, {'; '.join(self._facts())})"

    def _facts(self) -> list[str]:
        facts = [self.model.describe(), f"{self.model.dtype.name}"]
        if self.loss is not None:
            facts.append(f"loss {type(self.loss).__name__}")
        if self.optimizer is not None:
            name, step = self.optimizer.get("name"), self.optimizer.get("step")
            facts.append(f"optimizer {name} at step {step}")
        training = self.extra.get("training")
        if isinstance(training, dict) and "epoch" in training:
            facts.append(f"epoch {training['epoch']}")
        data = self.extra.get("data")
        if isinstance(data, dict) and data.get("name"):
            facts.append(f"data {data['name']}")
        return facts

    def _repr_html_(self) -> str:
        from chainrule.notebook import html_table

        rows = [list(r) for r in self.model.summary_rows()]
        footer = "; ".join(self._facts()[2:]) or None
        return html_table(
            ["layer", "output", "parameters", "count"],
            rows,
            caption=f"checkpoint {self.path}",
            footer=footer,
        )

    def make_optimizer(self, model: Any = None) -> Any:
        """Build the saved optimizer for ``model`` (default: :attr:`model`) with its state."""
        if self.optimizer is None:
            raise CheckpointError(f"checkpoint {self.path} holds no optimizer state")
        from chainrule.optim import optimizer_from_state

        return optimizer_from_state(self.model if model is None else model, self.optimizer)


def save(
    model: Any,
    path: str | os.PathLike[str],
    optimizer: Any = None,
    *,
    loss: Any = None,
    **extra: Any,
) -> Path:
    """Save ``model`` (spec and weights), optionally its optimizer and loss, atomically.

    Parameters
    ----------
    model : Sequential
        Anything with ``spec()``, ``state_dict()`` and ``dtype``.
    path : str or PathLike
        Destination file; the file it replaces is kept as ``<path>.prev``.
    optimizer : Optimizer, optional
        Its name, hyper-parameters, step count and per-parameter buffers are saved.
    loss : Loss, optional
        Its ``spec()`` is saved so that :func:`load` can rebuild it.
    **extra
        JSON-serialisable metadata (epoch, position, rng state, preprocessing statistics,
        history...). NumPy arrays given here are stored as arrays, not in the JSON.

    Returns
    -------
    pathlib.Path
    """
    arrays = {f"model.{name}": np.asarray(v) for name, v in model.state_dict().items()}
    manifest: dict[str, Any] = {
        "kind": "model",
        "model": {"spec": model.spec(), "dtype": np.dtype(model.dtype).name},
        "loss": None if loss is None else loss.spec(),
        "optimizer": None,
    }
    if optimizer is not None:
        state = optimizer.state_dict()
        for buffer, per_param in state["buffers"].items():
            for pname, value in per_param.items():
                arrays[f"optimizer.{buffer}.{pname}"] = np.asarray(value)
        manifest["optimizer"] = {
            "name": state["name"],
            "hyper": state["hyper"],
            "step": state["step"],
            "lr": state["lr"],
            "buffers": {b: sorted(p) for b, p in state["buffers"].items()},
        }
    manifest["extra"] = {k: v for k, v in extra.items() if not isinstance(v, np.ndarray)}
    manifest["extra_arrays"] = [k for k, v in extra.items() if isinstance(v, np.ndarray)]
    arrays.update({f"extra.{k}": extra[k] for k in manifest["extra_arrays"]})
    return write_checkpoint(path, arrays, manifest)


def load(path: str | os.PathLike[str], *, dtype: Any = None) -> Checkpoint:
    """Load a checkpoint written by :func:`save`, validating it before building anything.

    The manifest is checked against the schema (:mod:`chainrule.checkpoint.schema`),
    including the shape every weight and optimizer buffer must have for the architecture,
    before any array is read; then the model, loss and optimizer are rebuilt.

    Parameters
    ----------
    path : str or PathLike
    dtype : numpy dtype, optional
        Build the model in this dtype instead of the saved one.

    Returns
    -------
    Checkpoint

    Raises
    ------
    CheckpointError
        For every problem: see :func:`read_checkpoint`, plus a manifest that does not
        describe a model, or weights that do not fit the architecture in the manifest.
    """
    path = Path(path)
    arrays, manifest = read_checkpoint(path, check=check_model_manifest)
    model = _build_model(path, manifest["model"], arrays, dtype)
    loss = _build_loss(path, manifest.get("loss"))
    optimizer = _optimizer_state(path, manifest.get("optimizer"), arrays, model)
    extra = dict(manifest["extra"])
    for key in manifest["extra_arrays"]:
        extra[key] = arrays[f"extra.{key}"]
    return Checkpoint(path, model, loss, optimizer, extra, manifest)


def _build_model(path: Path, info: dict[str, Any], arrays: dict, dtype: Any) -> Any:
    from chainrule.model import Sequential

    try:
        model = Sequential.from_spec(info["spec"], dtype=np.dtype(dtype or info["dtype"]), seed=0)
        weights = {k[len("model.") :]: v for k, v in arrays.items() if k.startswith("model.")}
        model.load_state_dict(weights)
    except CheckpointError:
        raise
    except Exception as err:  # the layers' own checks (widths that do not chain, ...)
        raise CheckpointError(f"checkpoint {path}: its model spec is invalid: {err}") from None
    return model


def _build_loss(path: Path, spec: Any) -> Any:
    if spec is None:
        return None
    from chainrule.losses import loss_from_spec

    try:
        return loss_from_spec(spec)
    except Exception as err:
        raise CheckpointError(f"checkpoint {path}: its loss spec is invalid: {err}") from None


def _optimizer_state(path: Path, info: Any, arrays: dict, model: Any) -> dict[str, Any] | None:
    """The optimizer's state dict, proven usable by rebuilding it for ``model`` once."""
    if info is None:
        return None
    buffers = {
        buffer: {p: arrays[f"optimizer.{buffer}.{p}"] for p in names}
        for buffer, names in info.get("buffers", {}).items()
    }
    state = {
        "name": info["name"],
        "hyper": info["hyper"],
        "step": info["step"],
        "lr": info.get("lr", info["hyper"].get("lr")),
        "buffers": buffers,
    }
    from chainrule.optim import optimizer_from_state

    try:
        optimizer_from_state(model, state)
    except CheckpointError as err:
        raise CheckpointError(f"checkpoint {path}: {err}") from None
    except Exception as err:
        raise CheckpointError(
            f"checkpoint {path}: its optimizer state is invalid ({type(err).__name__}: {err})"
        ) from None
    return state
