"""How many cores other programs are using, read from Linux's ``/proc``.

The machine's busy time (``/proc/stat``) less the time of the processes one counts as
one's own (``/proc/<pid>/stat``), over the wall time between two samples:

.. math:: \\text{foreign cores} = \\frac{\\Delta\\,\\text{busy} -
          \\Delta\\,\\text{own}}{\\text{ticks per second} \\cdot \\Delta t}

Both are counted in clock ticks (``SC_CLK_TCK``, usually 100 a second), so a reading over
less than about 0.2 s is coarse. Elsewhere than Linux there is no reading: :func:`sample`
gives None, and :class:`ForeignLoad` reads None.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence

__all__ = [
    "ForeignLoad",
    "foreign_cores",
    "machine_ticks",
    "process_ticks",
    "sample",
    "supported",
]

_STAT = "/proc/stat"


def supported() -> bool:
    """Whether this system has the counters (Linux's ``/proc/stat``)."""
    return os.path.exists(_STAT)


def machine_ticks() -> int:
    """Clock ticks the whole machine has been busy since boot (every core together)."""
    with open(_STAT) as f:
        user, nice, system, _idle, _iowait, irq, softirq, steal = map(
            int, f.readline().split()[1:9]
        )
    return user + nice + system + irq + softirq + steal


def process_ticks(pid: int) -> int:
    """Clock ticks process ``pid`` has run (user and system, all its threads)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


def sample(pids: Sequence[int] | None = None) -> tuple[int, int] | None:
    """``(machine busy ticks, ticks of pids)``, ``pids`` this process by default; None
    where the counters are missing (not Linux) or a process has ended."""
    try:
        own = sum(process_ticks(p) for p in (pids or [os.getpid()]))
        return machine_ticks(), own
    except (OSError, ValueError, IndexError):
        return None


def foreign_cores(before: tuple[int, int], after: tuple[int, int], seconds: float) -> float:
    """Cores used by processes other than the sampled ones between two samples."""
    ticks = (after[0] - before[0]) - (after[1] - before[1])
    return max(0.0, ticks / os.sysconf("SC_CLK_TCK") / max(seconds, 1e-9))


class ForeignLoad:
    """Cores used by other programs since the last reading.

        ``read()`` gives the cores used since the previous ``read()`` (or since it was made),
        or None where there are no counters or less than ``min_seconds`` have passed (a
        shorter reading would be coarser than the ticks allow: over 0.1 s at 100 ticks a second,
    a core's use is read to about a tenth).
    """

    def __init__(
        self, min_seconds: float = 0.1, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.min_seconds = min_seconds
        self._clock = clock
        self._last = sample() if supported() else None
        self._at = clock()

    def read(self) -> float | None:
        if self._last is None:
            return None
        now = self._clock()
        if now - self._at < self.min_seconds:
            return None
        current = sample()
        if current is None:
            self._last = None
            return None
        cores = foreign_cores(self._last, current, now - self._at)
        self._last, self._at = current, now
        return cores
