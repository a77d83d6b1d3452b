"""How :class:`~chainrule.threads.ThreadChooser` looks: block sizes, thresholds and the
share of a run that looking may lose."""

from __future__ import annotations

__all__ = [
    "BLOCK",
    "DRIFT",
    "GIVE_UP",
    "GIVE_UP_FIRST",
    "LOAD_FRESH_S",
    "MARGIN",
    "MAX_PROBE_SHARE",
    "RECHECK_S",
    "RETRY_S",
    "ROUNDS",
    "TAKEN_AT",
    "WINDOW",
]

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
