"""The number of BLAS threads, chosen by measuring the training steps themselves.

Two threads that must meet at every matrix product pay off on large products and a quiet
machine; on small products, or when another program holds a core, they lose, sometimes
by a factor of 50 (the second thread waits for a core the scheduler gives elsewhere). No
rule of thumb knows which case a run is in, so :class:`ThreadChooser` times it: it runs a
few steps with each candidate count (blocks of :data:`BLOCK` steps, alternating, the
first step of each block not counted) and keeps the count with the smallest median step
time. It looks again

- when the median of the last :data:`WINDOW` steps moves by more than a factor
  :data:`DRIFT` from what the choice was made on;
- at once when one step with more than one thread takes :data:`GIVE_UP_FIRST` times that
  (another program took a core);
- when the number of cores other programs take (:mod:`chainrule.cpuload`, Linux; a core
  counts as taken from :data:`TAKEN_AT` of its time on) changes: a program that gives a
  core back leaves a one-thread step's time as it was, so only this reading tells that
  two threads may pay again;
- :data:`RECHECK_S` seconds after the last look in any case.

A look tries only the counts that fit the cores other programs leave free, where the load
is read: with one of two cores taken a second thread's steps are a lottery (from as fast
as one thread to 50 times slower) that a few timed steps cannot judge. Looking is bounded:
a candidate whose steps are :data:`GIVE_UP` times slower than the best
is dropped at once (after its first, uncounted step where that one is
:data:`GIVE_UP_FIRST` times slower), and the time looking loses (its steps' time beyond
what the count it chose would have taken) stays under :data:`MAX_PROBE_SHARE` of the run.

What the choice changes in the results (OpenBLAS 0.3, measured in
``tests/training/test_threads.py``): rounding only. A threaded matrix product splits the
rows and columns of its result between the threads, but for some inner sizes (784 here,
not 1024 or 3072) it also cuts the sum that forms one entry into other pieces than the
one-thread product does, so an entry may differ in its last bit (relative 4e-7 in
float32, 1e-16 in float64). Over training such differences behave as any rounding: after
40 Adam steps of a 784-100-10 network the weights of 1 and 2 threads agreed to 5e-7
(float32) and 1e-15 (float64) relative; the test (20 steps) allows 1e-5 and 1e-12. Networks whose
products are cut alike (784-64-10, 3072-100-10) came out identical bit for bit.

The counts are set through ``threadpoolctl`` (the BLAS libraries loaded in the process),
and the count found on entry is put back on exit. The largest candidate is the count the
BLAS runs with on entry (``OPENBLAS_NUM_THREADS`` or the number of cores), so a user who
asked for one thread gets one.
"""

from __future__ import annotations

import math
import os
import statistics
import time
from collections.abc import Callable, Sequence
from typing import Any

from chainrule.cpuload import ForeignLoad

__all__ = ["ThreadChooser", "blas_controller", "for_setting"]

#: Steps per candidate and block while looking; the first of each block is not counted.
BLOCK = 3
#: Blocks per candidate while looking.
ROUNDS = 2
#: Steps whose median is compared with the one the choice was made on.
WINDOW = 8
#: Factor by which that median must move to look again.
DRIFT = 1.5
#: Seconds after which the choice is looked at again in any case.
RECHECK_S = 20.0
#: Seconds after which a look that dropped a count on its first step alone, with the
#: cores free for it, is done again; doubled at each such look, up to :data:`RECHECK_S`
#: (one slow step is weak evidence: a stall of the scheduler looks the same).
RETRY_S = 2.0
#: A candidate whose median is this many times the best one's is dropped while looking.
GIVE_UP = 3.0
#: A count whose first step of a look (uncounted: it pays for the switch) takes this many
#: times the best median so far is dropped without another step.
GIVE_UP_FIRST = 10.0
#: Share of a core's time other programs must use for it to count as taken. A program
#: competing with our threads gets less than a whole core, so a spinning one reads as
#: 0.4-1.0 cores; a quiet machine reads 0.0-0.15.
TAKEN_AT = 0.3
#: Age (seconds) beyond which a load reading no longer decides which counts a look tries.
LOAD_FRESH_S = 1.0
#: More threads must be faster by this share to be chosen (ties go to fewer threads).
MARGIN = 0.05
#: Most of the run's time that looking may lose: the time its steps took beyond what they
#: would have taken with the count chosen (a look's steps train as any other).
MAX_PROBE_SHARE = 0.05


class _Pools:
    """The BLAS libraries' thread counts, read and set together (threadpoolctl)."""

    def __init__(self, controllers: Sequence[Any]) -> None:
        self.controllers = list(controllers)

    def get(self) -> int:
        return max((c.num_threads for c in self.controllers), default=1)

    def set(self, n: int) -> None:
        for c in self.controllers:
            c.set_num_threads(n)


_POOLS: _Pools | None = None


def _taken(cores: float) -> int:
    """Whole cores taken by other programs that use ``cores`` of them (:data:`TAKEN_AT`)."""
    # rounded first: 1.3 - 0.3 is 0.9999999999999999 in binary floating point
    return max(0, math.floor(round(cores - TAKEN_AT, 9)) + 1)


def _cores() -> int:
    """The cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


class _NoLoad:
    """No reading of other programs' load."""

    @staticmethod
    def read() -> None:
        return None


def blas_controller() -> _Pools:
    """The BLAS thread pools of this process (found once; an empty set without
    threadpoolctl or a BLAS it knows, where every count is then 1 and setting does
    nothing)."""
    global _POOLS
    if _POOLS is None:
        import numpy  # noqa: F401  (loads the BLAS that threadpoolctl then finds)

        try:
            from threadpoolctl import ThreadpoolController
        except ImportError:  # pragma: no cover - a core dependency
            _POOLS = _Pools([])
        else:
            found = ThreadpoolController().select(user_api="blas")
            _POOLS = _Pools(found.lib_controllers)
    return _POOLS


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
                self._load = ForeignLoad() if real else _NoLoad()
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
        if self.choice > 1 and seconds > GIVE_UP_FIRST * self._reference:
            # threads that wait for a core another program took: look now, not after a
            # window of such steps (the look runs the fewest threads first)
            self._window.clear()
            self._start_look()
            return
        affordable = self._looking_s <= MAX_PROBE_SHARE * (now - self._started)
        if self._load_moved() and affordable:
            self._window.clear()
            self._start_look()
            return
        self._window.append(seconds)
        if len(self._window) < WINDOW:
            return
        median = statistics.median(self._window)
        self._window.clear()
        moved = median > self._reference * DRIFT or median * DRIFT < self._reference
        stale = now - self._last_look > (self._retry or RECHECK_S)
        if (moved or stale) and affordable:
            self._start_look()

    def _load_moved(self) -> bool:
        """Whether the cores other programs take (:func:`_taken`) changed since the reading
        the choice was made under (a program that gives a core back does not change a
        one-thread step's time, so only this reading tells that more threads may pay
        again)."""
        cores = self._reading()
        if cores is None:
            return False
        if self._load_ref is None:
            self._load_ref = cores
            return False
        return _taken(cores) != _taken(self._load_ref)

    def _reading(self) -> float | None:
        """A new reading of the load (None when it is too soon for one), kept as the latest."""
        cores = self._load.read()
        if cores is not None:
            self._load_last, self._load_at = cores, self._clock()
        return cores

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
        self._plan = [(c, k > 0) for _ in range(ROUNDS) for c in counts for k in range(BLOCK)]

    def _fresh(self) -> bool:
        """Whether the latest reading is recent enough to go by (:data:`LOAD_FRESH_S`)."""
        return self._load_last is not None and self._clock() - self._load_at <= LOAD_FRESH_S

    def _fitting(self) -> list[int]:
        """The candidates that fit the cores other programs leave free (all of them without
        a reading): a thread beyond them waits for a core the scheduler gives elsewhere, and
        its steps are a lottery that a few timed ones cannot judge."""
        if not self._fresh():
            return self._candidates
        free = max(1, _cores() - _taken(self._load_last))
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
        slow = {c for c, m in timed.items() if m > GIVE_UP * best}
        others = [m for c, m in timed.items() if c != count]
        if others and seconds > GIVE_UP_FIRST * min(others):
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
            if medians[c] * (1 - MARGIN) <= medians[choice]:
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
            return RETRY_S if self._retry is None else min(RECHECK_S, 2 * self._retry)
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
