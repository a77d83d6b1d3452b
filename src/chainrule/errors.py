"""The one exception family of chainrule.

Every error a user can cause is a :class:`ChainruleError`. Its message names the place
(a layer such as ``Linear 2``, a file and byte offset, a config key, a column in a formula),
what was seen and what was expected, and a hint where a common mistake fits.

Each class carries the exit code the command line uses for it, its ``exit_code``, and no
other place writes these numbers: 1 a failure of the job, 2 a usage or config error, 3 a
check that failed, 4 bad data or a bad checkpoint, 130 (:class:`Interrupted`) Ctrl-C. A job
that succeeds exits with 0.
"""

from __future__ import annotations

__all__ = [
    "ChainruleError",
    "CheckFailedError",
    "CheckpointError",
    "ConfigError",
    "DataError",
    "ExpressionError",
    "Interrupted",
    "ShapeError",
    "StateError",
    "Terminated",
    "TrainingError",
]


class ChainruleError(Exception):
    """Base class of every error chainrule raises on purpose."""

    exit_code: int = 1


class ShapeError(ChainruleError, ValueError):
    """An array has a shape that does not fit the layer, loss or formula it meets."""

    exit_code = 4


class DataError(ChainruleError, ValueError):
    """Input data is unusable: NaN/Inf, bad labels, an empty batch, a corrupt data file."""

    exit_code = 4


class CheckpointError(ChainruleError):
    """A checkpoint is missing, truncated, corrupted or from another architecture."""

    exit_code = 4


class ConfigError(ChainruleError, ValueError):
    """A configuration value, command-line option or model spec is invalid."""

    exit_code = 2


class StateError(ChainruleError, RuntimeError):
    """An operation was called out of order, such as a backward before any forward."""

    exit_code = 1


class TrainingError(ChainruleError, RuntimeError):
    """Training could not go on, for example a value became NaN or Inf."""

    exit_code = 1


class CheckFailedError(ChainruleError):
    """A verification (gradient check, formula check) ran and found a mismatch."""

    exit_code = 3


class ExpressionError(ChainruleError, ValueError):
    """A formula could not be parsed, resolved, shape-checked or evaluated.

    ``line`` and ``column`` (1-based) point into ``text`` where known; ``str(err)`` then
    shows the line with a caret under the place.
    """

    exit_code = 2

    def __init__(
        self,
        message: str,
        *,
        text: str | None = None,
        line: int | None = None,
        column: int | None = None,
    ) -> None:
        self.message = message
        self.text = text
        self.line = line
        self.column = column
        super().__init__(self._render())

    def _render(self) -> str:
        if self.text is None or self.line is None or self.column is None:
            return self.message
        lines = self.text.splitlines() or [""]
        shown = lines[self.line - 1] if 0 < self.line <= len(lines) else ""
        if len(shown) > 120:
            start = max(0, self.column - 60)
            shown_cut = shown[start : start + 120]
            caret_col = self.column - start
        else:
            shown_cut, caret_col = shown, self.column
        where = f"line {self.line}, column {self.column}"
        return f"{self.message} ({where})\n  {shown_cut}\n  {' ' * (caret_col - 1)}^"


class Interrupted(KeyboardInterrupt):
    """Ctrl-C: not a :class:`ChainruleError` (an ``except ChainruleError`` must not swallow
    it), but the command line gives it, and any ``KeyboardInterrupt``, this exit code."""

    exit_code = 130


class Terminated(Interrupted):
    """SIGTERM (a batch system or ``kill`` ending the job), handled like Ctrl-C: training
    saves its state first. 128 + 15, the code shells and batch systems expect."""

    exit_code = 143
