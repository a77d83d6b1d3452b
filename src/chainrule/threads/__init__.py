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

from chainrule.threads import cores, settings
from chainrule.threads.chooser import ThreadChooser, for_setting
from chainrule.threads.pools import blas_controller
from chainrule.threads.settings import *  # noqa: F403  (the settings, as before)

__all__ = [
    *settings.__all__,
    "ThreadChooser",
    "blas_controller",
    "cores",
    "for_setting",
]
