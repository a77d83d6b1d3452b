"""What :func:`~chainrule.train.fit` returns: the per-epoch values of a run."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["History"]


@dataclass
class History:
    """What :func:`fit` returns.

    Attributes
    ----------
    history : dict of str to list of float
        One value per epoch: ``loss``, ``val_loss`` (with validation data), ``accuracy`` and
        ``val_accuracy`` (classifiers), ``lr`` (the learning rate of the epoch).
    epoch : list of int
        The epoch numbers (1-based) the values belong to.
    notes : list of str
        What the run said on the way (a batch size cut to the data size, early stopping).
    stopped_early : bool
        Whether a callback ended the run before ``epochs``.
    """

    history: dict[str, list[float]] = field(default_factory=dict)
    epoch: list[int] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    stopped_early: bool = False

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able data."""
        return {
            "history": {k: list(v) for k, v in self.history.items()},
            "epoch": list(self.epoch),
            "notes": list(self.notes),
            "stopped_early": self.stopped_early,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> History:
        return cls(
            {k: [float(x) for x in v] for k, v in data.get("history", {}).items()},
            [int(e) for e in data.get("epoch", [])],
            list(data.get("notes", [])),
            bool(data.get("stopped_early", False)),
        )
