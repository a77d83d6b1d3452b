"""A diagnosis before it is scored and put into words."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["Verdict"]


@dataclass
class Verdict:
    """A diagnosis before scoring: codes (main first) and their facts."""

    codes: list[str]
    details: dict[str, Any] = field(default_factory=dict)
    message: str | None = None
    hint: str | None = None
    counterexample: dict[str, Any] | None = None
