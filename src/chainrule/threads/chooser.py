"""The chooser of the BLAS thread count of a loop of alike steps (see
:mod:`chainrule.threads` for how it looks and what the choice changes)."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Sequence
from typing import Any

from chainrule.cpuload import ForeignLoad
from chainrule.threads import cores, settings
from chainrule.threads.pools import blas_controller

__all__ = ["ThreadChooser", "for_setting"]


class ThreadChooser:
    """Choose the BLAS thread count of a loop of alike steps by timing them.

    Use it around the loop and mark each step::

        with ThreadChooser() as threads:
            for batch in batches:
                threads.begin()
                step(batch)
                threads.end()

    Parameters
    ----------
    candidates : sequence of int, optional
        Thread counts to try; default 1, 2 and the count found on entry, none above it.
        One count is simply set for the loop; an empty sequence leaves the count alone.
    pools : object, optional
        With ``get() -> int`` and ``set(n)``; default :func:`blas_controller`.
    clock : callable, optional
        Seconds as a float; default ``time.perf_counter``.
    load : object, optional
        With ``read() -> float | None``: the cores other programs used since the last
        reading (None: no reading now). Default :class:`chainrule.cpuload.ForeignLoad`
        with the default clock, none with a clock of the caller's own.

    Attributes
    ----------
    choice : int
        The count in use outside of looking.
    looks : list of dict
        One entry per look: ``{"step", "tried", "medians", "dropped", "choice",
        "foreign_cores"}``: the counts the look set out to try, the median seconds of each
        count timed, the first-step seconds of each count dropped on that one step, the
        cores other programs used (None without a reading).
    """

    def __init__(
        self,
        candidates: Sequence[int] | None = None,
        *,
        pools: Any = None,
        clock: Callable[[], float] = time.perf_counter,
        load: Any = None,
    ) -> None:
        self._given = None if candidates is None else [int(c) for c in candidates]
        self._pools = pools
        self._clock = clock
        self._load = load
        self._load_ref: float | None = None  # the reading the choice was made under
        self._load_last: float | None = None  # the latest reading, taken at _load_at
        self._load_at = 0.0
        self.choice = 1
        self.looks: list[dict[str, Any]] = []
        self._entry = 1
        self._candidates: list[int] = [1]
        self._times: dict[int, list[float]] = {}
        self._window: list[float] = []
        self._reference = 0.0
        self._steps = 0
        self._t0 = 0.0
        self._started = 0.0
        self._look_seconds: list[float] = []
        self._looking_s = 0.0
        self._last_look = 0.0
        self._active = False
        self._current = -1
        self._plan: list[tuple[int, bool]] = []
        self._dropped: dict[int, float] = {}
        self._tried: list[int] = []
        self._retry: float | None = None  # seconds to a sooner look; None: RECHECK_S

    # -- context -----------------------------------------------------------------------
    def __enter__(self) -> ThreadChooser:
        if self._pools is None:
            self._pools = blas_controller()
        self._entry = self._pools.get()
        given = self._given if self._given is not None else [1, 2, self._entry]
        if not given:  # leave the count as it is
            given = [self._entry]
        self._candidates = sorted({min(c, self._entry) for c in given if c >= 1}) or [1]
        self.choice = self._candidates[0]
        self._started = self._clock()
        self._current = self._entry
        self._active = len(self._candidates) > 1
        if self._active:
            if self._load is None:
                # a clock of the caller's own (a test's) has no machine behind it
                real = self._clock is time.perf_counter
                self._load = ForeignLoad() if real else cores.NoLoad()
            self._start_look()
        else:
            self._set(self.choice)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._pools is not None:
            self._set(self._entry)

    def claim(self) -> None:
        """Set this chooser's count again, where something else may have changed it (a
        second chooser in the same process, as in the benchmark's worker)."""
        if self._pools is not None:
            self._current = -1
            self._set(self._plan[0][0] if self._plan else self.choice)
        if self._load is not None:
            self._load.read()  # the next reading covers this loop's steps only
        self._load_last = None
        self._window.clear()

    # -- steps -------------------------------------------------------------------------
    def begin(self) -> None:
        """Mark the start of a step (and set the count it runs with)."""
        if self._active:
            if self._plan:
                self._set(self._plan[0][0])
            self._t0 = self._clock()

    def end(self) -> None:
        """Mark the end of the step begun last."""
        if not self._active:
            return
        now = self._clock()
        seconds = now - self._t0
        self._steps += 1
        if self._plan:
            count, counted = self._plan.pop(0)
            if self._steps > 1:  # the first step of all pays for what starts lazily
                self._look_seconds.append(seconds)  # (caches, numba): not a look's loss
            if counted:
                self._times[count].append(seconds)
            self._drop_hopeless(count, seconds)
            if self._plan and self._plan[0][0] != count:
                self._drop_unfitting()
            if not self._plan:
                self._decide(now)
            return
        if self.choice > 1 and seconds > settings.GIVE_UP_FIRST * self._reference:
            # threads that wait for a core another program took: look now, not after a
            # window of such steps (the look runs the fewest threads first)
            self._window.clear()
            self._start_look()
            return
        affordable = self._looking_s <= settings.MAX_PROBE_SHARE * (now - self._started)
        if self._load_moved() and affordable:
            self._window.clear()
            self._start_look()
            return
        self._window.append(seconds)
        if len(self._window) < settings.WINDOW:
            return
        median = statistics.median(self._window)
        self._window.clear()
        moved = (
            median > self._reference * settings.DRIFT or median * settings.DRIFT < self._reference
        )
        stale = now - self._last_look > (self._retry or settings.RECHECK_S)
        if (moved or stale) and affordable:
            self._start_look()

    def _load_moved(self) -> bool:
        """Whether the whole cores other programs take (:func:`~chainrule.threads.cores.taken`)
        changed since the reading the choice was made under (a program that gives a core
        back does not change a one-thread step's time, so only this reading tells that more
        threads may pay again)."""
        reading = self._reading()
        if reading is None:
            return False
        if self._load_ref is None:
            self._load_ref = reading
            return False
        return cores.taken(reading) != cores.taken(self._load_ref)

    def _reading(self) -> float | None:
        """A new reading of the load (None when it is too soon for one), kept as the latest."""
        reading = self._load.read()
        if reading is not None:
            self._load_last, self._load_at = reading, self._clock()
        return reading

    # -- looking -------------------------------------------------------------------------
    def _set(self, n: int) -> None:
        if n != self._current:
            self._pools.set(n)
            self._current = n

    def _start_look(self) -> None:
        self._look_seconds = []
        self._reading()  # and the next reading covers the look
        counts = self._fitting()
        self._load_ref = self._load_last if self._fresh() else None
        self._times = {c: [] for c in counts}
        self._tried = counts
        self._dropped = {}
        # blocks of BLOCK steps per count, alternating; a block's first step pays for the
        # switch of count and is not counted
        self._plan = [
            (c, k > 0)
            for _ in range(settings.ROUNDS)
            for c in counts
            for k in range(settings.BLOCK)
        ]

    def _fresh(self) -> bool:
        """Whether the latest reading is recent enough to go by (:data:`LOAD_FRESH_S`)."""
        return (
            self._load_last is not None and self._clock() - self._load_at <= settings.LOAD_FRESH_S
        )

    def _fitting(self) -> list[int]:
        """The candidates that fit the cores other programs leave free (all of them without
        a reading): a thread beyond them waits for a core the scheduler gives elsewhere, and
        its steps are a lottery that a few timed ones cannot judge."""
        if not self._fresh():
            return self._candidates
        free = max(1, cores.usable() - cores.taken(self._load_last))
        return [c for c in self._candidates if c <= free] or self._candidates[:1]

    def _drop_hopeless(self, count: int, seconds: float) -> None:
        """Drop from the look every count whose median is :data:`GIVE_UP` times the best
        one's, and the count just run at once where even its uncounted first step took
        :data:`GIVE_UP_FIRST` times the best median: with a core taken by another program a
        step with two threads can take 50 times as long, and each one more is lost time."""
        timed = {c: statistics.median(t) for c, t in self._times.items() if t}
        if not timed:
            return
        best = min(timed.values())
        slow = {c for c, m in timed.items() if m > settings.GIVE_UP * best}
        others = [m for c, m in timed.items() if c != count]
        if others and seconds > settings.GIVE_UP_FIRST * min(others):
            slow.add(count)
            if not self._times[count]:
                self._dropped[count] = seconds
        if slow:
            self._plan = [item for item in self._plan if item[0] not in slow]

    def _drop_unfitting(self) -> None:
        """Between two blocks of a look: drop the counts that a new reading says no longer
        fit the free cores (a look begun without a fresh reading, or before another
        program took a core, would otherwise time a lottery)."""
        if self._reading() is None:
            return
        fitting = set(self._fitting())
        self._plan = [item for item in self._plan if item[0] in fitting]
        for count in [c for c in self._times if c not in fitting]:
            del self._times[count]  # timed under a load that is gone
        self._load_ref = self._load_last  # the reading the rest of the look goes by

    def _decide(self, now: float) -> None:
        medians = {c: statistics.median(t) for c, t in self._times.items() if t}
        choice = min(medians, key=medians.__getitem__)
        # fewer threads unless more are clearly faster
        for c in sorted(medians):
            if medians[c] * (1 - settings.MARGIN) <= medians[choice]:
                choice = c
                break
        self.choice = choice
        self._reference = medians[choice]
        self._reading()
        if self._load_ref is None and self._fresh():
            self._load_ref = self._load_last  # the look's own reading, where it had none before
        self._set(choice)
        self._window.clear()
        self._retry = self._next_retry(choice)
        lost = sum(self._look_seconds) - len(self._look_seconds) * medians[choice]
        self._looking_s += max(0.0, lost)
        self._last_look = now
        self.looks.append(
            {
                "step": self._steps,
                "tried": list(self._tried),
                "medians": dict(sorted(medians.items())),
                "dropped": dict(sorted(self._dropped.items())),
                "choice": choice,
                "foreign_cores": self._load_last,
            }
        )

    def _next_retry(self, choice: int) -> float | None:
        """Seconds to a look sooner than :data:`RECHECK_S` (:data:`RETRY_S`, doubling at
        each such look), where a count that fits the free cores and might beat ``choice``
        was dropped on one step; None otherwise."""
        if any(c > choice for c in self._dropped if c in self._fitting()):
            return (
                settings.RETRY_S
                if self._retry is None
                else min(settings.RECHECK_S, 2 * self._retry)
            )
        return None


def for_setting(setting: int | str | None) -> ThreadChooser:
    """The chooser for :func:`~chainrule.train.fit`'s ``threads`` argument: ``"auto"``
    chooses by timing, a whole number ``n >= 1`` runs with at most ``n`` threads, None
    leaves the BLAS as it is."""
    from chainrule.errors import ConfigError

    if setting == "auto":
        return ThreadChooser()
    if setting is None:
        return ThreadChooser(())
    if isinstance(setting, bool) or not isinstance(setting, int) or setting < 1:
        raise ConfigError(f"threads must be 'auto', None or a whole number >= 1, got {setting!r}")
    return ThreadChooser([setting])
