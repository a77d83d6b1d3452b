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

The bar has two rows, ``epoch 3/30`` (the bar: epochs finished of the whole run, so a resumed
run starts part-way) and ``batch 17/45``, each with a bar of fixed width; the metrics of the
last finished epoch follow and are cut with an ellipsis where the terminal is narrow, so that
at 80 columns the bars and counts always show. Interrupted (Ctrl-C), the bar is erased and
the lines printed through :meth:`EpochProgress.log` stay.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Mapping
from typing import IO, Any

__all__ = ["EpochProgress", "format_metrics"]


#: Short names of the bar's metrics, in the order they are shown (the most telling first).
_SHORT = {"loss": "loss", "val_loss": "val_loss", "val_accuracy": "val_acc", "accuracy": "acc"}


def format_metrics(metrics: Mapping[str, float], *, short: bool = False) -> str:
    """``{"loss": 0.25, "lr": 0.001}`` -> ``"loss 0.2500  lr 0.001"`` (lr in %g).

    ``short=True`` is the bar's form: validation first, short names, single spaces
    (``"loss 0.2500 val_loss 0.5000 lr 0.001"``)."""
    items = [(k, v) for k, v in metrics.items() if v is not None]
    if short:
        order = list(_SHORT)
        items.sort(key=lambda kv: order.index(kv[0]) if kv[0] in order else len(order))
    parts = []
    for key, value in items:
        text = f"{value:g}" if key == "lr" else f"{value:.4f}"
        parts.append(f"{_SHORT.get(key, key) if short else key} {text}")
    return (" " if short else "  ").join(parts)


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
    console : rich.console.Console, optional
        Draw the bar on this console (its width, its terminal) instead of one on ``stream``.
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
        console: Any = None,
    ) -> None:
        self.epochs = int(epochs)
        self.steps = int(steps)
        self.verbose = int(verbose)
        self.stream = sys.stderr if stream is None else stream
        self.description = description
        self.first_epoch = int(first_epoch)
        self.console = console
        self._rich: Any = None
        self._epoch_task: Any = None
        self._step_task: Any = None
        self._t0 = 0.0
        self._steps_done = 0

    # -- context ---------------------------------------------------------------------
    def __enter__(self) -> EpochProgress:
        if self.verbose == 1 and (self.console is not None or _is_terminal(self.stream)):
            self._rich = _rich_progress(self.console, self.stream)
            self._rich.start()
            done = self.first_epoch - 1
            self._epoch_task = self._rich.add_task(
                self._label(self.first_epoch),
                total=self.epochs,
                completed=done,
                metrics="",
                count="",
            )
            self._step_task = self._rich.add_task(
                "  batch", total=self.steps, metrics="", count=self._count(0)
            )
        return self

    def __exit__(self, exc_type: Any, *exc: object) -> None:
        if self._rich is not None:
            if exc_type is not None:
                # an interrupted or failed run: erase the bar, so that the last lines on the
                # terminal are the messages that say what happened, each drawn once
                self._rich.live.transient = True
            self._rich.stop()
            self._rich = None

    def _label(self, epoch: int) -> str:
        name = "epoch" if self.description == "train" else f"{self.description} epoch"
        return f"{name} {epoch}/{self.epochs}"

    def _count(self, steps: int) -> str:
        width = len(str(self.steps))
        return f"{steps:>{width}}/{self.steps}"

    # -- events ----------------------------------------------------------------------
    def start_epoch(self, epoch: int) -> None:
        """Mark the start of epoch ``epoch`` (1-based)."""
        self._t0 = time.perf_counter()
        self._steps_done = 0
        if self._rich is not None:
            self._rich.reset(self._step_task, total=self.steps, metrics="", count=self._count(0))
            self._rich.update(self._epoch_task, description=self._label(epoch))

    def advance(self, steps: int = 1) -> None:
        """Count ``steps`` finished mini-batch steps."""
        self._steps_done += steps
        if self._rich is not None:
            self._rich.update(self._step_task, advance=steps, count=self._count(self._steps_done))

    def end_epoch(self, epoch: int, metrics: Mapping[str, float]) -> None:
        """Show the metrics of a finished epoch."""
        seconds = time.perf_counter() - self._t0
        text = format_metrics(metrics)
        if self._rich is not None:
            short = format_metrics(metrics, short=True)
            self._rich.update(self._epoch_task, completed=epoch, metrics=short)
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


def _rich_progress(console: Any, stream: IO[str]) -> Any:
    """The two-row rich display: label, a 16-character bar, the step count, then the
    metrics, which alone give way (an ellipsis) on a narrow terminal."""
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn
    from rich.table import Column

    return Progress(
        TextColumn("{task.description}", table_column=Column(no_wrap=True)),
        BarColumn(bar_width=16),
        TextColumn("{task.fields[count]}", table_column=Column(no_wrap=True)),
        TextColumn(
            "{task.fields[metrics]}",
            table_column=Column(no_wrap=True, overflow="ellipsis", ratio=1),
        ),
        console=console if console is not None else Console(file=stream),
        transient=False,
        expand=True,
    )


def _is_terminal(stream: IO[str]) -> bool:
    isatty = getattr(stream, "isatty", None)
    try:
        return bool(isatty and isatty())
    except ValueError:  # closed stream
        return False
