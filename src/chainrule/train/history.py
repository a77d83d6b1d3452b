"""What :func:`~chainrule.train.fit` returns: the per-epoch values of a run."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["History"]


@dataclass(repr=False)
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

    def add_epoch(self, epoch: int, logs: Mapping[str, float]) -> None:
        """Record the values ``logs`` of epoch number ``epoch`` (1-based)."""
        for key, value in logs.items():
            self.history.setdefault(key, []).append(value)
        self.epoch.append(epoch)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able data."""
        return {
            "history": {k: list(v) for k, v in self.history.items()},
            "epoch": list(self.epoch),
            "notes": list(self.notes),
            "stopped_early": self.stopped_early,
        }

    def __repr__(self) -> str:
        """``History(15 epochs; loss 2.1 -> 0.08; val_accuracy 0.61 -> 0.98)``."""
        parts = [f"{len(self.epoch)} epoch{'s' if len(self.epoch) != 1 else ''}"]
        for key in ("loss", "val_loss", "accuracy", "val_accuracy"):
            values = self.history.get(key)
            if values:
                parts.append(f"{key} {values[0]:.4g} -> {values[-1]:.4g}")
        if self.stopped_early:
            parts.append("stopped early")
        return f"History({'; '.join(parts)})"

    def rows(self, last: int | None = None) -> tuple[list[str], list[list[Any]]]:
        """The table of the run, one row an epoch (the ``last`` ones only, if given):
        the column names (``epoch`` first) and the rows."""
        keys = list(self.history)
        rows = []
        for i, epoch in enumerate(self.epoch):
            row: list[Any] = [epoch]
            for k in keys:
                values = self.history[k]
                value = values[i] if i < len(values) else None
                row.append(
                    "" if value is None else (f"{value:g}" if k == "lr" else round(value, 4))
                )
            rows.append(row)
        return ["epoch", *keys], rows[-last:] if last else rows

    def _repr_html_(self) -> str:
        from chainrule.notebook import html_table

        headers, rows = self.rows(last=10)
        shown = "" if len(rows) == len(self.epoch) else f", the last {len(rows)} shown"
        footer = " ".join(self.notes) or None
        return html_table(headers, rows, caption=f"{self!r}{shown}", footer=footer)

    def plot(self, path: str | os.PathLike[str] | None = None, *, title: str | None = None) -> Any:
        """The learning curves (loss, and accuracy where there is one, per epoch): a
        matplotlib ``Figure`` (a notebook shows it), or written to the PNG ``path``, whose
        :class:`~pathlib.Path` is returned."""
        from chainrule import plot

        if path is not None:
            return Path(plot.learning_curves(self, path, title=title))
        return plot.learning_curves_figure(self, title=title)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> History:
        return cls(
            {k: [float(x) for x in v] for k, v in data.get("history", {}).items()},
            [int(e) for e in data.get("epoch", [])],
            list(data.get("notes", [])),
            bool(data.get("stopped_early", False)),
        )
