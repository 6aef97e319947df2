"""The worker's gate: at most max_computations run at once, at most one fewer for one
address, a free place to the client running the fewest; a waiter that is cancelled
leaves the queue at once and never runs; the work runs inside its request's budget."""

from __future__ import annotations

import threading
import time

import pytest

from app.api.compute import Ticket, WorkerGate
from app.engine import budget
from app.engine.errors import Cancelled, ComputationTimeout


def run_all(gate: WorkerGate, keys: list[str], work) -> list:
    results = []
    threads = [threading.Thread(target=lambda k=k: results.append(gate.run(Ticket(k), work)))
               for k in keys]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    return results


def until(condition, timeout: float = 5.0) -> None:
    """Wait for `condition()` (threads reach their places in their own time on a loaded
    machine: no test here depends on how long they take)."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.002)


def peak_counter():
    lock, running, peak = threading.Lock(), [0], [0]

    def work(cancelled):
        with lock:
            running[0] += 1
            peak[0] = max(peak[0], running[0])
        time.sleep(0.02)
        with lock:
            running[0] -= 1
        return "done"
    return work, peak


def test_no_more_than_the_limit_run_at_once():
    work, peak = peak_counter()
    assert run_all(WorkerGate(2), [f"10.0.0.{i}" for i in range(8)], work) == ["done"] * 8
    assert peak[0] == 2


def test_one_address_never_holds_every_place():
    work, peak = peak_counter()
    gate = WorkerGate(4)
    assert run_all(gate, ["10.0.0.1"] * 10, work) == ["done"] * 10
    assert peak[0] == 3 and gate.per_client == 3
    work, peak = peak_counter()
    # with one place there is nothing to keep back
    assert run_all(WorkerGate(1), ["10.0.0.1"] * 3, work) == ["done"] * 3
    assert peak[0] == 1


def test_a_free_place_goes_to_the_client_running_the_fewest():
    gate, order = WorkerGate(3), []
    release = {k: threading.Event() for k in ("a1", "a2", "c1")}

    def hold(name):
        def work(cancelled):
            order.append(name)
            if name in release:
                release[name].wait(5)
        return work

    def start(key, name):
        t = threading.Thread(target=gate.run, args=(Ticket(key), hold(name)))
        t.start()
        return t

    threads = [start("A", "a1"), start("A", "a2"), start("C", "c1")]     # the gate is full
    until(lambda: len(order) == 3)
    threads += [start("A", "a3")]
    until(lambda: len(gate._waiting) == 1)
    threads += [start("C", "c2")]
    until(lambda: len(gate._waiting) == 2)
    threads += [start("B", "b1")]                                          # came last
    until(lambda: len(gate._waiting) == 3)
    assert order == ["a1", "a2", "c1"]
    release["a1"].set()               # A and C run one each now, B none: B's turn first
    until(lambda: len(order) >= 4)
    assert order[3] == "b1", order
    release["a2"].set()
    release["c1"].set()
    for t in threads:
        t.join(5)
    assert sorted(order[4:]) == ["a3", "c2"]


def test_a_cancelled_waiter_leaves_without_running():
    gate, release, ran = WorkerGate(1), threading.Event(), []
    holder = threading.Thread(target=gate.run, args=(Ticket("10.0.0.1"),
                                                     lambda cancelled: release.wait(5)))
    holder.start()
    time.sleep(0.05)
    ticket = Ticket("10.0.0.2")
    threading.Timer(0.05, ticket.stop.set).start()
    t0 = time.monotonic()
    with pytest.raises(Cancelled):
        gate.run(ticket, lambda cancelled: ran.append(1))
    assert time.monotonic() - t0 < 1.0
    assert ran == []
    release.set()
    holder.join(5)
    # the place the holder had is free again
    assert gate.run(Ticket("10.0.0.2"), lambda cancelled: "next") == "next"


def test_an_error_gives_the_place_back():
    gate = WorkerGate(1)

    def boom(cancelled):
        raise ValueError("boom")

    with pytest.raises(ValueError):
        gate.run(Ticket("k"), boom)
    assert gate.run(Ticket("k"), lambda cancelled: 1) == 1


def test_the_work_runs_inside_its_budget(monkeypatch):
    from app.config import settings
    monkeypatch.setattr(settings(), "compute_budget_s", 1.0)
    gate, ticket = WorkerGate(2), Ticket("k")

    def spend(cancelled):
        time.sleep(0.3)
        budget.check()                # within: nothing
        return budget.current().deadline

    t0 = time.monotonic()
    deadline = gate.run(ticket, spend)
    assert t0 + 1.0 - 0.05 <= deadline <= time.monotonic() + 1.0
    # a second piece of the same request gets what is left of the budget, not a new one
    with pytest.raises(ComputationTimeout):
        gate.run(ticket, lambda cancelled: (time.sleep(0.8), budget.check()))
    stopped = Ticket("k")
    stopped.stop.set()                # the client has gone: the work's next look stops it
    with pytest.raises(Cancelled):
        gate.run(stopped, lambda cancelled: budget.check())
    assert budget.current() is None   # outside the gate, no fence


def test_away_gives_the_place_back_while_it_waits():
    gate, ran = WorkerGate(1), []
    other = threading.Event()

    def waits_for_its_client(cancelled):
        with gate.away(ticket):
            threading.Thread(target=lambda: (ran.append(gate.run(Ticket("other"),
                                                                 lambda cancelled: "other")),
                                             other.set())).start()
            assert other.wait(5)      # meanwhile the only place served somebody else
        return "mine"

    ticket = Ticket("k")
    assert gate.run(ticket, waits_for_its_client) == "mine"
    assert ran == ["other"]
    assert gate.run(Ticket("x"), lambda cancelled: 2) == 2      # no place was lost


def test_a_waiter_that_leaves_takes_only_its_own_place_in_the_queue():
    """Two requests of one address wait; the later one's client goes away.  Its place in
    the queue goes with it, not the earlier one's: when the gate frees, the earlier one
    runs.  (The queue's entries were equal lists [key], and list.remove took the first
    equal one: the leaver removed the other's entry and left its own behind, which then
    stood first in the queue for ever, nobody to take the turn; a soak of 16 users
    stalled every computation in under a minute.)"""
    gate, release, ran = WorkerGate(1), threading.Event(), []
    holder = threading.Thread(target=gate.run, args=(Ticket("10.0.0.9"),
                                                     lambda cancelled: release.wait(5)))
    holder.start()
    until(lambda: gate._total == 1)
    first = threading.Thread(target=lambda: ran.append(gate.run(Ticket("10.0.0.1"),
                                                                lambda cancelled: "first")))
    first.start()
    until(lambda: len(gate._waiting) == 1)
    leaver = Ticket("10.0.0.1")
    gone = threading.Thread(target=lambda: pytest.raises(Cancelled, gate.run, leaver,
                                                         lambda cancelled: "never"))
    gone.start()
    until(lambda: len(gate._waiting) == 2)
    leaver.stop.set()
    gone.join(5)
    until(lambda: len(gate._waiting) == 1)
    release.set()
    holder.join(5)
    first.join(5)
    assert ran == ["first"], "the earlier waiter never got its turn"
    assert gate._waiting == [] and gate._total == 0
