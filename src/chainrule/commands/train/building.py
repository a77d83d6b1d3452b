"""The pieces ``chainrule train`` builds from its settings beyond those of
:mod:`chainrule.specs`: a learning-rate schedule by name and the run directory."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from chainrule.commands.runs import fresh_run_folder

__all__ = ["build_schedule", "run_directory"]


def build_schedule(spec: Any, epochs: int) -> Any:
    """A schedule from its name with defaults fitted to ``epochs`` (None: constant)."""
    from chainrule.optim import make_schedule

    if spec in (None, "constant"):
        return None
    if spec == "cosine":
        spec = {"name": "cosine", "t_max": epochs}
    elif spec == "step":
        spec = {"name": "step", "step_size": max(1, epochs // 3), "gamma": 0.1}
    elif spec == "exponential":
        spec = {"name": "exponential", "gamma": 0.95}
    elif spec == "warmup":
        spec = {"name": "warmup", "warmup": max(1, epochs // 10), "start_factor": 0.1}
    return make_schedule(spec)


def run_directory(out: str | None) -> Path:
    """``runs/NAME`` for a bare name, the path itself otherwise, or a new timestamped one."""
    if out:
        path = Path(out)
        return path if (os.sep in out or "/" in out or path.is_absolute()) else Path("runs") / out
    return fresh_run_folder()
