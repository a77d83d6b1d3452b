"""Epoch progress on stderr: a rich bar on a terminal, one plain line per epoch otherwise.

>>> import io
>>> out = io.StringIO()
>>> with EpochProgress(epochs=2, steps=3, verbose=2, stream=out) as bar:
...     for epoch in (1, 2):
...         bar.start_epoch(epoch)
...         for _ in range(3):
...             bar.advance()
...         bar.end_epoch(epoch, {"loss": 0.5, "accuracy": 0.9})
>>> print(out.getvalue(), end="")  # doctest: +ELLIPSIS
epoch 1/2  loss 0.5000  accuracy 0.9000  ...s
epoch 2/2  loss 0.5000  accuracy 0.9000  ...s

``verbose=0`` prints nothing; ``verbose=1`` draws a rich bar when ``stream`` is a terminal and
falls back to plain lines when it is not (a log file, a CI job, a pipe); ``verbose=2`` always
prints plain lines. rich is imported only when a bar is actually drawn.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Mapping
from typing import IO, Any

__all__ = ["EpochProgress", "format_metrics"]


def format_metrics(metrics: Mapping[str, float]) -> str:
    """``{"loss": 0.25, "lr": 0.001}`` -> ``"loss 0.2500  lr 0.001"`` (lr in %g)."""
    parts = []
    for key, value in metrics.items():
        if value is None:
            continue
        text = f"{value:g}" if key == "lr" else f"{value:.4f}"
        parts.append(f"{key} {text}")
    return "  ".join(parts)


class EpochProgress:
    """Progress of a training run, used as a context manager.

    Parameters
    ----------
    epochs : int
        Number of epochs the run will do (the last epoch's number).
    steps : int
        Mini-batch steps per epoch.
    verbose : {0, 1, 2}
        0 silent, 1 a bar on a terminal (plain lines otherwise), 2 plain lines.
    stream : text file, optional
        Where to write; ``sys.stderr`` by default.
    description : str
        Label of the bar, e.g. ``"train"`` or ``"rbm"``.
    first_epoch : int
        Number of the first epoch shown (a resumed run starts later).
    """

    def __init__(
        self,
        epochs: int,
        steps: int,
        *,
        verbose: int = 1,
        stream: IO[str] | None = None,
        description: str = "train",
        first_epoch: int = 1,
    ) -> None:
        self.epochs = int(epochs)
        self.steps = int(steps)
        self.verbose = int(verbose)
        self.stream = sys.stderr if stream is None else stream
        self.description = description
        self.first_epoch = int(first_epoch)
        self._rich: Any = None
        self._epoch_task: Any = None
        self._step_task: Any = None
        self._t0 = 0.0

    # -- context ---------------------------------------------------------------------
    def __enter__(self) -> EpochProgress:
        if self.verbose == 1 and _is_terminal(self.stream):
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeElapsedColumn,
            )

            console = Console(file=self.stream)
            self._rich = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                TextColumn("{task.fields[metrics]}"),
                console=console,
                transient=False,
            )
            self._rich.start()
            total = self.epochs - self.first_epoch + 1
            self._epoch_task = self._rich.add_task(self.description, total=total, metrics="")
            self._step_task = self._rich.add_task("  batch", total=self.steps, metrics="")
        return self

    def __exit__(self, *exc: object) -> None:
        if self._rich is not None:
            self._rich.stop()
            self._rich = None

    # -- events ----------------------------------------------------------------------
    def start_epoch(self, epoch: int) -> None:
        """Mark the start of epoch ``epoch`` (1-based)."""
        self._t0 = time.perf_counter()
        if self._rich is not None:
            self._rich.reset(self._step_task, total=self.steps, metrics="")
            self._rich.update(self._epoch_task, description=f"{self.description} {epoch}")

    def advance(self, steps: int = 1) -> None:
        """Count ``steps`` finished mini-batch steps."""
        if self._rich is not None:
            self._rich.advance(self._step_task, steps)

    def end_epoch(self, epoch: int, metrics: Mapping[str, float]) -> None:
        """Show the metrics of a finished epoch."""
        seconds = time.perf_counter() - self._t0
        text = format_metrics(metrics)
        if self._rich is not None:
            self._rich.update(self._epoch_task, advance=1, metrics=text)
        elif self.verbose >= 1:
            width = len(str(self.epochs))
            print(
                f"epoch {epoch:>{width}}/{self.epochs}  {text}  {seconds:.2f}s",
                file=self.stream,
                flush=True,
            )

    def log(self, message: str) -> None:
        """Print a message (a warning, a note) above the bar; silent with ``verbose=0``."""
        if self.verbose == 0:
            return
        if self._rich is not None:
            self._rich.console.print(message, markup=False, highlight=False)
        else:
            print(message, file=self.stream, flush=True)


def _is_terminal(stream: IO[str]) -> bool:
    isatty = getattr(stream, "isatty", None)
    try:
        return bool(isatty and isatty())
    except ValueError:  # closed stream
        return False
