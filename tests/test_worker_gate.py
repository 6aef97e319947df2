"""The worker's gate: at most max_computations run at once; a waiter that is cancelled
leaves the queue at once and never runs."""

from __future__ import annotations

import threading
import time

import pytest

from app.api.compute import WorkerGate
from app.engine.errors import Cancelled


def gate_of(n: int) -> WorkerGate:
    g = WorkerGate()
    g._semaphore = threading.BoundedSemaphore(n)
    return g


def test_no_more_than_the_limit_run_at_once():
    gate, lock = gate_of(2), threading.Lock()
    running, peak = [0], [0]

    def work(cancelled):
        with lock:
            running[0] += 1
            peak[0] = max(peak[0], running[0])
        time.sleep(0.02)
        with lock:
            running[0] -= 1
        return "done"

    results = []
    threads = [threading.Thread(target=lambda: results.append(
        gate.run(work, cancelled=lambda: False))) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(5)
    assert results == ["done"] * 8
    assert peak[0] == 2


def test_a_cancelled_waiter_leaves_without_running():
    gate, release, ran = gate_of(1), threading.Event(), []
    holder = threading.Thread(target=gate.run, args=(lambda cancelled: release.wait(5),),
                              kwargs={"cancelled": lambda: False})
    holder.start()
    time.sleep(0.05)
    flag = threading.Event()
    threading.Timer(0.05, flag.set).start()
    t0 = time.monotonic()
    with pytest.raises(Cancelled):
        gate.run(lambda cancelled: ran.append(1), cancelled=flag.is_set)
    assert time.monotonic() - t0 < 1.0
    assert ran == []
    release.set()
    holder.join(5)
    # the place the holder had is free again
    assert gate.run(lambda cancelled: "next", cancelled=lambda: False) == "next"


def test_an_error_gives_the_place_back():
    gate = gate_of(1)

    def boom(cancelled):
        raise ValueError("boom")

    with pytest.raises(ValueError):
        gate.run(boom, cancelled=lambda: False)
    assert gate.run(lambda cancelled: 1, cancelled=lambda: False) == 1
