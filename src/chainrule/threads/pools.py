"""The BLAS libraries' thread pools of this process, read and set through threadpoolctl."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

__all__ = ["blas_controller"]


class Pools:
    """The BLAS libraries' thread counts, read and set together (threadpoolctl)."""

    def __init__(self, controllers: Sequence[Any]) -> None:
        self.controllers = list(controllers)

    def get(self) -> int:
        return max((c.num_threads for c in self.controllers), default=1)

    def set(self, n: int) -> None:
        for c in self.controllers:
            c.set_num_threads(n)


_POOLS: Pools | None = None


def blas_controller() -> Pools:
    """The BLAS thread pools of this process (found once; an empty set without
    threadpoolctl or a BLAS it knows, where every count is then 1 and setting does
    nothing)."""
    global _POOLS
    if _POOLS is None:
        import numpy  # noqa: F401  (loads the BLAS that threadpoolctl then finds)

        try:
            from threadpoolctl import ThreadpoolController
        except ImportError:  # pragma: no cover - a core dependency
            _POOLS = Pools([])
        else:
            found = ThreadpoolController().select(user_api="blas")
            _POOLS = Pools(found.lib_controllers)
    return _POOLS
