"""The BLAS thread count chosen by timing (chainrule.threads): the choice follows the
measured step times, looking stays cheap, and the count never changes results beyond
rounding (the tolerance documented in the module). No test here reads a real clock."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr
from chainrule import threads
from chainrule.threads import ThreadChooser


class FakePools:
    """Thread pools that only remember what they were told."""

    def __init__(self, entry: int = 2) -> None:
        self.n = entry
        self.sets: list[int] = []

    def get(self) -> int:
        return self.n

    def set(self, n: int) -> None:
        self.n = n
        self.sets.append(n)


class Machine:
    """A clock that a step advances by the cost (milliseconds) of the current count;
    ``lost`` sums what each step took beyond the cheapest count's cost (seconds);
    ``stalls[n]`` milliseconds are added to the next step with ``n`` threads, once."""

    def __init__(self, pools: FakePools, cost: dict[int, float]) -> None:
        self.pools, self.cost, self.now = pools, dict(cost), 0.0
        self.steps_at: dict[int, int] = {}
        self.lost = 0.0
        self.stalls: dict[int, float] = {}

    def clock(self) -> float:
        return self.now

    def run(self, chooser: ThreadChooser, steps: int) -> None:
        for _ in range(steps):
            chooser.begin()
            n = self.pools.n
            self.now += (self.cost[n] + self.stalls.pop(n, 0.0)) * 1e-3
            self.lost += (self.cost[n] - min(self.cost.values())) * 1e-3
            self.steps_at[n] = self.steps_at.get(n, 0) + 1
            chooser.end()


def _chooser(cost, entry=2, candidates=None, load=None):
    pools = FakePools(entry)
    machine = Machine(pools, cost)
    chooser = ThreadChooser(candidates, pools=pools, clock=machine.clock, load=load)
    return chooser, machine, pools


@pytest.mark.parametrize(
    "cost, expected",
    [({1: 1.0, 2: 0.5}, 2), ({1: 0.5, 2: 2.0}, 1), ({1: 1.0, 2: 0.98}, 1)],
    ids=["two faster", "one faster", "tie goes to fewer threads"],
)
def test_keeps_the_faster_count(cost, expected):
    chooser, machine, pools = _chooser(cost)
    with chooser:
        machine.run(chooser, 100)
        assert chooser.choice == expected
        assert pools.n == expected
        assert len(chooser.looks) == 1
        assert chooser.looks[0]["medians"] == pytest.approx({n: c * 1e-3 for n, c in cost.items()})
    assert pools.n == 2  # the entry count is put back


def test_a_hopeless_count_is_dropped_after_one_timed_step():
    chooser, machine, _ = _chooser({1: 1.0, 2: 5.0})
    with chooser:
        machine.run(chooser, 40)
    assert chooser.choice == 1
    assert machine.steps_at[2] == 2  # the uncounted switch step and one timed step


def test_a_count_starved_by_another_program_costs_one_step():
    # a second thread waiting for a core the scheduler gives elsewhere: 50 times slower
    chooser, machine, _ = _chooser({1: 1.0, 2: 50.0})
    with chooser:
        machine.run(chooser, 40)
    assert chooser.choice == 1
    assert machine.steps_at[2] == 1  # only the uncounted switch step


def test_a_core_taken_away_costs_two_slow_steps():
    # two threads chosen on a quiet machine; then another program takes a core and every
    # step with two threads takes 20 times as long
    chooser, machine, pools = _chooser({1: 1.0, 2: 0.5})
    with chooser:
        machine.run(chooser, 400)
        assert chooser.choice == 2
        machine.cost = {1: 1.1, 2: 20.0}
        before = machine.steps_at[2]
        machine.run(chooser, 200)
        assert chooser.choice == 1 and pools.n == 1
        assert [look["choice"] for look in chooser.looks] == [2, 1]
        # the step that showed it and the uncounted first step of the look
        assert machine.steps_at[2] - before == 2


def test_a_count_dropped_on_one_stalled_step_is_tried_again_soon():
    # the first step with two threads meets a stall of the scheduler (30 ms, 30 times a
    # step): two threads are dropped on that one step, and tried again after RETRY_S
    chooser, machine, pools = _chooser({1: 1.0, 2: 0.5})
    machine.stalls[2] = 30.0
    with chooser:
        machine.run(chooser, 200)
        assert chooser.choice == 1
        assert chooser.looks[0]["dropped"] == {2: pytest.approx(30.5e-3)}
        machine.run(chooser, int(threads.RETRY_S * 1000) + 2 * threads.WINDOW)
        assert chooser.choice == 2 and pools.n == 2  # long before RECHECK_S
        assert [look["choice"] for look in chooser.looks] == [1, 2]


def test_a_count_that_keeps_stalling_is_retried_ever_less_often():
    chooser, machine, _ = _chooser({1: 1.0, 2: 0.5})
    with chooser:
        for _ in range(400):  # every look's first two-thread step stalls
            machine.stalls[2] = 30.0
            machine.run(chooser, 100)  # 40 s of steps in all
    gaps = np.diff([look["step"] for look in chooser.looks])
    assert all(look["choice"] == 1 for look in chooser.looks)
    # retries after about 2, 4, 8 and 16 s, then every RECHECK_S (20 s): 6-7 looks
    assert 5 <= len(chooser.looks) <= 7
    assert (np.diff(gaps) >= 0).all()


def test_looking_loses_a_bounded_share_of_the_time():
    # step times that keep jumping would trigger a look at every window; each look runs
    # two steps with the count that is five times slower
    chooser, machine, _ = _chooser({1: 1.0, 2: 5.0})
    phase = 5 * threads.WINDOW
    with chooser:
        for k in range(100):
            machine.cost = {1: 1.0, 2: 5.0} if k % 2 else {1: 3.0, 2: 15.0}
            machine.run(chooser, phase)
    one_look = 2 * 15e-3  # the most one look can lose here
    assert len(chooser.looks) > 3
    assert machine.lost <= threads.MAX_PROBE_SHARE * machine.now + one_look


def test_never_above_the_entry_count_and_a_single_count_is_just_set():
    chooser, machine, pools = _chooser({1: 1.0, 2: 0.1}, entry=1)
    with chooser:
        machine.run(chooser, 50)
    assert pools.sets == [] and chooser.looks == []
    chooser, machine, pools = _chooser({1: 1.0, 2: 0.1}, entry=2, candidates=[1])
    with chooser:
        machine.run(chooser, 50)
        assert pools.n == 1
    assert pools.sets == [1, 2] and chooser.looks == []


def _train(n_threads, dtype):
    """20 Adam steps of a 784-100-10 network (its 784-long products are cut differently
    by 1 and 2 OpenBLAS threads) with the BLAS at ``n_threads``."""
    model = cr.Sequential([cr.Linear(784, 100), cr.ReLU(), cr.Linear(100, 10)], dtype=dtype, seed=0)
    rng = np.random.default_rng(0)
    X = rng.standard_normal((640, 784)).astype(dtype)
    y = rng.integers(0, 10, 640)
    loss, reg, opt = cr.SoftmaxCrossEntropy(), cr.L2(1e-3), cr.Adam(model, lr=1e-3)
    values = []
    with ThreadChooser([n_threads]):
        for i in range(0, 640, 32):
            out = model.forward(X[i : i + 32])
            value = loss.forward(out, y[i : i + 32]) + reg.forward(model)
            model.backward(loss.backward(), input_grad=False)
            reg.backward(model)
            opt.step()
            values.append(value)
    return model.state_dict(), np.array(values)


@pytest.mark.parametrize("dtype, rtol", [(np.float32, 1e-5), (np.float64, 1e-12)])
def test_thread_count_changes_results_by_rounding_at_most(dtype, rtol):
    if threads.blas_controller().get() < 2:
        pytest.skip("the BLAS runs with one thread here (OPENBLAS_NUM_THREADS=1 or one core)")
    one, loss_one = _train(1, dtype)
    two, loss_two = _train(2, dtype)
    for name, value in one.items():
        scale = np.max(np.abs(value))
        np.testing.assert_allclose(two[name], value, rtol=0, atol=rtol * scale, err_msg=name)
    np.testing.assert_allclose(loss_two, loss_one, rtol=rtol)


@pytest.mark.parametrize("bad", [0, -1, 1.5, "two", True])
def test_fit_refuses_a_thread_setting_it_cannot_use(bad):
    model = cr.Sequential([cr.Linear(2, 2)], dtype=np.float64, seed=0)
    X, y = np.zeros((4, 2)), np.array([0, 1, 0, 1])
    with pytest.raises(cr.ConfigError, match="threads must be 'auto', None or a whole number"):
        cr.fit(model, cr.SoftmaxCrossEntropy(), cr.SGD(model), (X, y), 1, 2, verbose=0,
               threads=bad)  # fmt: skip


class FakeLoad:
    """The cores other programs use, as the test sets them; ``queue`` holds readings to
    give first (None: too soon for one)."""

    def __init__(self) -> None:
        self.cores = 0.0
        self.queue: list[float | None] = []

    def read(self) -> float | None:
        return self.queue.pop(0) if self.queue else self.cores


def _two_cores_with_load(monkeypatch, queue=(), cores=0.0):
    """A chooser on a machine of two cores whose load reading the test sets; two threads
    take half the time of one."""
    monkeypatch.setattr(threads.cores, "usable", lambda: 2)
    load = FakeLoad()
    load.queue, load.cores = list(queue), cores
    chooser, machine, pools = _chooser({1: 1.0, 2: 0.5}, load=load)
    return chooser, machine, pools, load


def test_two_threads_come_back_when_another_program_gives_its_core_back():
    # the one-thread step takes as long whether the other program runs or not: only the
    # load reading tells that the second core is free again
    load = FakeLoad()
    chooser, machine, pools = _chooser({1: 1.0, 2: 0.5}, load=load)
    with chooser:
        machine.run(chooser, 2000)  # 1 s: long enough for looking to stay a small share
        assert chooser.choice == 2
        machine.cost, load.cores = {1: 1.0, 2: 25.0}, 1.0
        machine.run(chooser, 50)
        assert chooser.choice == 1
        machine.cost, load.cores = {1: 1.0, 2: 0.5}, 0.0
        machine.run(chooser, 50)  # well before RECHECK_S
        assert chooser.choice == 2 and pools.n == 2
        assert [look["choice"] for look in chooser.looks] == [2, 1, 2]


def test_foreign_load_reads_the_cores_of_other_programs():
    from chainrule import cpuload

    if not cpuload.supported():
        pytest.skip("no /proc/stat on this system: there is no load reading")
    before = cpuload.sample()
    after = cpuload.sample()
    assert before is not None and after is not None
    assert after[0] >= before[0] and after[1] >= before[1]
    # 4 busy ticks of the machine of which 1 was ours, over 0.5 s
    hz = __import__("os").sysconf("SC_CLK_TCK")
    assert cpuload.foreign_cores((0, 0), (4, 1), 0.5) == pytest.approx(3 / hz / 0.5)
    assert cpuload.foreign_cores((0, 0), (1, 2), 0.5) == 0.0  # never below zero
    now = [0.0]
    meter = cpuload.ForeignLoad(min_seconds=0.25, clock=lambda: now[0])
    assert meter.read() is None  # too soon for a reading
    now[0] = 0.3
    assert meter.read() >= 0.0


def test_a_look_tries_only_the_counts_that_fit_the_free_cores(monkeypatch):
    chooser, machine, _, load = _two_cores_with_load(monkeypatch)
    with chooser:
        machine.run(chooser, 2000)
        assert chooser.choice == 2
        # another program takes a core; its second thread is sometimes fast, so timing
        # a few steps could pick it: the load reading keeps the look to one thread
        machine.cost, load.cores = {1: 1.0, 2: 0.4}, 1.0
        before = machine.steps_at[2]
        machine.run(chooser, 200)
        assert chooser.choice == 1
        assert machine.steps_at[2] - before <= threads.WINDOW  # until the load was read
        assert chooser.looks[-1]["medians"].keys() == {1}
        assert chooser.looks[-1]["foreign_cores"] == 1.0


@pytest.mark.parametrize(
    ("cores", "taken"), [(0.0, 0), (0.29, 0), (0.3, 1), (0.6, 1), (1.0, 1), (1.3, 2)]
)
def test_a_core_counts_as_taken_from_a_share_of_its_time(cores, taken):
    assert threads.TAKEN_AT == 0.3
    assert threads.cores.taken(cores) == taken


def test_a_look_begun_without_a_reading_drops_a_count_once_one_says_it_does_not_fit(
    monkeypatch,
):
    # as in the benchmark's worker: claim() when another program has just taken a core,
    # then a slow two-thread step starts a look before any reading; two threads time
    # well in a few steps (a lottery), but the reading between the look's blocks says the
    # second core is taken, so two threads are never timed
    chooser, machine, pools, load = _two_cores_with_load(monkeypatch)
    with chooser:
        machine.run(chooser, 2000)
        assert chooser.choice == 2
        machine.cost, load.cores, load.queue = {1: 1.0, 2: 0.8}, 1.0, [None, None]
        machine.stalls[2] = 30.0
        chooser.claim()
        before = machine.steps_at[2]
        machine.run(chooser, 200)
        assert chooser.choice == 1 and pools.n == 1
        look = chooser.looks[-1]
        assert look["tried"] == [1, 2] and look["medians"].keys() == {1}
        assert machine.steps_at[2] - before == 1  # the stalled step that started the look


def test_two_threads_come_back_after_a_look_cut_short_by_a_reading(monkeypatch):
    # the reading that cut the busy look short is the one its choice goes by: when the
    # other program stops, the next reading starts a look and two threads come back
    chooser, machine, pools, load = _two_cores_with_load(monkeypatch)
    with chooser:
        machine.run(chooser, 2000)
        machine.cost, load.cores, load.queue = {1: 1.0, 2: 0.8}, 1.0, [None, None]
        machine.stalls[2] = 30.0
        chooser.claim()
        # no reading at the end of the look: it was just taken between its blocks
        load.queue = [None] * 3 + [1.0] + [None] * 10
        machine.run(chooser, 200)
        assert chooser.choice == 1
        machine.cost, load.cores = {1: 1.0, 2: 0.5}, 0.0
        chooser.claim()
        machine.run(chooser, 50)
        assert chooser.choice == 2 and pools.n == 2


def test_timings_made_before_another_program_took_a_core_do_not_decide(monkeypatch):
    # two threads are timed on a quiet machine; then, between two blocks of the look,
    # the reading says another program took a core: those timings no longer hold
    chooser, machine, pools, _ = _two_cores_with_load(monkeypatch, [0.0, 0.0, 1.0], 1.0)
    with chooser:
        machine.run(chooser, 3 * threads.BLOCK * threads.ROUNDS)
        assert chooser.looks[0]["tried"] == [1, 2]
        assert chooser.looks[0]["medians"].keys() == {1}
        assert chooser.choice == 1 and pools.n == 1


def test_the_first_steps_one_off_cost_is_not_counted_against_looking():
    # the first step of a run loads what starts lazily (numba: 0.8 s); were it counted as
    # time lost to the first look, the look budget would refuse looks for many seconds
    load = FakeLoad()
    chooser, machine, pools = _chooser({1: 1.0, 2: 0.5}, load=load)
    machine.stalls[1] = 800.0
    with chooser:
        machine.run(chooser, 300)
        assert chooser.choice == 2
        # another program takes a core: two threads are 8 times slower, not so slow that
        # one step starts a look; the load reading does, where the budget allows
        machine.cost, load.cores = {1: 1.0, 2: 4.0}, 1.0
        machine.run(chooser, 50)
        assert chooser.choice == 1 and pools.n == 1
