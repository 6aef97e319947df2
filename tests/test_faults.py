"""Faults against a real uvicorn on a loopback port: clients that leave mid-computation,
200 WebSockets at once, slow and silent sockets, giant frames, too many computations
from one address.  Whatever they do, the work they started stops, and /healthz and other
clients keep their normal latency.

The server's CPU time is read per thread from /proc/<pid>/task/<tid>/schedstat, so a
client leaving is judged by the worker thread that computed for it: how much CPU it
spent after the client left, and when it stopped (within 100 ms, as the issue asks).
"Another client" connects from 127.0.0.2 (all of 127/8 is loopback), so the per-address
limit (max_concurrent_per_client) of the crowd from 127.0.0.1 does not apply to it.
"""

from __future__ import annotations

import asyncio
import http.client
import json
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from .conftest import LiveServer, run_async
from .rawws import never_reading_socket

websockets = pytest.importorskip("websockets")
from websockets.asyncio.client import connect  # noqa: E402

pytestmark = pytest.mark.skipif(not Path("/proc/self/schedstat").exists(),
                                reason="reads CPU time from /proc")

OTHER = "127.0.0.2"
WS_MAX = 2 * 256 * 1024
# ~125 µs per evaluation with its gradient: a run of 10,000 steps takes seconds.
HEAVY = "+".join(f"sin(x*y+{i})*exp(-x*x)" for i in range(90))
HEAVY_SURFACE = {"expr": HEAVY, "domain": [[-2, 2], [-2, 2]]}
# Near the length limit, products of many factors: 512-point chunks of a map's batch
# take ~3 ms an evaluation, a whole 4,096-run step ~25 ms.
LONG = "+".join(f"x*{i}.5*y" for i in range(160))


def long_run(seed: int, runs: int = 16) -> dict:
    """A request that would compute for the whole budget (10 s) if nobody stopped it."""
    return {"surface": HEAVY_SURFACE, "start": [0.5, 0.25 + seed * 1e-6], "steps": 10_000,
            "runs": [{"optimizer": "adam", "params": {"lr": 1e-3}}] * runs}


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


@pytest.fixture(scope="module")
def server():
    s = LiveServer(env={"UVICORN_WS_MAX_SIZE": str(WS_MAX)})
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(
        ln.decode(errors="replace") for ln in s.proc.stdout), daemon=True)
    reader.start()
    s.log = lines
    yield s
    s.stop()
    reader.join(timeout=5)
    log = "".join(lines)
    assert "Traceback" not in log and "ERROR" not in log, log[-4000:]


def post(server, path: str, body: dict, source: str = "127.0.0.1", timeout: float = 30):
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=timeout,
                                      source_address=(source, 0))
    try:
        data = json.dumps(body).encode()
        conn.request("POST", path, data, {"content-type": "application/json"})
        r = conn.getresponse()
        return r.status, r.read()
    finally:
        conn.close()


def healthz_ms(server, n: int, source: str = OTHER, pause: float = 0.01) -> list[float]:
    out = []
    for _ in range(n):
        t0 = time.perf_counter()
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10,
                                          source_address=(source, 0))
        conn.request("GET", "/healthz")
        r = conn.getresponse()
        r.read()
        conn.close()
        assert r.status == 200
        out.append((time.perf_counter() - t0) * 1000)
        time.sleep(pause)
    return out


def p(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


def thread_cpu(pid: int) -> dict[int, float]:
    """CPU seconds of each thread of the process, from /proc/<pid>/task/<tid>/schedstat
    (nanoseconds on the CPU, brought up to date at every tick and context switch)."""
    out = {}
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            out[int(task.name)] = int((task / "schedstat").read_text().split()[0]) / 1e9
        except (FileNotFoundError, ProcessLookupError):
            pass                                # a thread that has just ended
    return out


# What the issue asks: the computation stops within 100 ms of the client leaving (the
# figure: bench/hostile.py).  The test allows three times that: on a shared, loaded
# 2-core machine the event loop can wait a few hundred ms for a core before it sees the
# client go.  A computation that does not look at its cancel flag computes for seconds
# (long_run: its whole budget), through the whole OBSERVE_S, and fails every try.
STOP_S = 0.100
TEST_STOP_S = 3 * STOP_S
OBSERVE_S = 1.5


def busy_workers(pid: int, since: dict[int, float], timeout: float = 20.0) -> list[int]:
    """The threads that compute for the client: every thread but the event loop's (the
    process's main thread) that has spent 50 ms of CPU since `since` was taken.  On a
    loaded machine the request may wait a while for a core: up to `timeout` s."""
    deadline = time.monotonic() + timeout
    while True:
        now = thread_cpu(pid)
        busy = [t for t in now if t != pid and now[t] - since.get(t, 0.0) >= 0.05]
        if busy or time.monotonic() > deadline:
            return busy
        time.sleep(0.02)


def settled(pid: int, timeout: float = 10.0) -> dict[int, float]:
    """thread_cpu() once no thread but the event loop's computes (a computation of an
    earlier try, still ending, would be taken for this one's)."""
    deadline = time.monotonic() + timeout
    prev = thread_cpu(pid)
    while True:
        time.sleep(0.1)
        now = thread_cpu(pid)
        if all(now[t] - prev.get(t, 0.0) < 0.005 for t in now if t != pid) \
                or time.monotonic() > deadline:
            return now
        prev = now


def stop_figures(pid: int, leave, since: dict[int, float]) -> tuple[float, float]:
    """The server computes for a client in a worker thread; `leave()` drops the client.
    Returns (CPU seconds the worker threads spent after leave(), seconds from leave() to
    the last moment their CPU time grew), polling every ~2 ms for OBSERVE_S.  `since`:
    the threads' CPU times before the client asked (thread_cpu())."""
    try:
        workers = busy_workers(pid, since)
        assert workers, f"the computation was not running: {since} -> {thread_cpu(pid)}"
    except BaseException:
        leave()                       # no computation left behind for the next test
        raise
    before = thread_cpu(pid)
    t_leave = time.perf_counter()
    leave()
    last_growth, seen = t_leave, dict(before)
    while (now_t := time.perf_counter()) - t_leave < OBSERVE_S:
        now = thread_cpu(pid)
        for t in workers:
            if now.get(t, 0.0) > seen[t]:         # a thread that ended keeps its last
                seen[t], last_growth = now[t], now_t
        time.sleep(0.002)
    return sum(seen[t] - before[t] for t in workers), last_growth - t_leave


def assert_stops_when_left(attempt) -> None:
    """`attempt()` starts a computation, drops its client and returns stop_figures():
    the worker stopped within TEST_STOP_S, having spent at most that much CPU meanwhile.
    Both figures include the time the server takes to notice the client left: on a
    loaded machine three tries are allowed."""
    for k in (1, 2, 3):
        orphan_cpu, stopped_after = attempt()
        report = (f"worker CPU after the client left {orphan_cpu * 1000:.1f} ms, its last "
                  f"growth {stopped_after * 1000:.1f} ms after (try {k})")
        print(report)
        if orphan_cpu <= TEST_STOP_S and stopped_after <= TEST_STOP_S:
            return
    raise AssertionError(report)


def ws_url(server, path: str = "/api/v1/stream") -> str:
    return f"ws://127.0.0.1:{server.port}{path}"


# --- clients that leave ---------------------------------------------------------------

SEEDS = iter(range(1000, 10**6))        # a new request each try: never from the cache


@pytest.mark.parametrize("how", ["close", "abort"])
def test_stream_stops_when_the_client_leaves(server, how):
    async def scenario():
        since = settled(server.proc.pid)
        ws = await connect(ws_url(server), proxy=None, max_size=None)
        await ws.send(json.dumps({"id": 1, **long_run(next(SEEDS))}))
        first = json.loads(await ws.recv())
        assert first.get("run") == 0, first

        def leave():
            if how == "close":       # a close frame (the handshake ends in the background)
                asyncio.run_coroutine_threadsafe(ws.close(), loop)
            else:                     # the TCP connection torn down, no close frame
                loop.call_soon_threadsafe(ws.transport.abort)

        loop = asyncio.get_running_loop()
        return await asyncio.to_thread(stop_figures, server.proc.pid, leave, since)

    assert_stops_when_left(lambda: run_async(scenario()))


def http_client_leaves(server, path: str, body: dict) -> tuple[float, float]:
    since = settled(server.proc.pid)
    sock = socket.create_connection(("127.0.0.1", server.port))
    data = json.dumps(body).encode()
    sock.sendall(f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n".encode()
                 + b"Content-Type: application/json\r\nContent-Length: "
                 + str(len(data)).encode() + b"\r\n\r\n" + data)

    def leave():
        try:                          # the answer must not have come: still computing
            early = sock.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT)
        except BlockingIOError:
            early = b""
        sock.close()
        assert not early, "the computation ended before the client left"

    return stop_figures(server.proc.pid, leave, since)


def test_run_stops_when_the_client_leaves(server):
    assert_stops_when_left(lambda: http_client_leaves(server, "/api/v1/run",
                                                      long_run(next(SEEDS))))
    assert post(server, "/api/v1/run", {"surface": "bowl", "steps": 5,
                                        "runs": [{"optimizer": "sgd"}]})[0] == 200


def _map_body(seed: int, expr: str = HEAVY) -> dict:
    return {"kind": "basin", "surface": {"expr": expr, "domain": [[-2, 2], [-2, 2]]},
            "steps": 2000 + seed % 1000, "run": {"optimizer": "adam", "params": {
                "lr": 0.01 + seed * 1e-9}}, "x": {"n": 128}, "y": {"n": 128}}


@pytest.mark.parametrize("expr", [HEAVY, LONG], ids=["heavy", "long"])
def test_map_stops_when_the_client_leaves(server, expr):
    assert_stops_when_left(lambda: http_client_leaves(server, "/api/v1/map",
                                                      _map_body(next(SEEDS), expr)))


def test_grid_stops_when_the_client_leaves(server):
    # One grid of 400 x 400 points of a long formula: about a second of work.
    def attempt():
        body = {"surface": {"expr": HEAVY, "domain": [[-2, 2], [-2, 2 + next(SEEDS) * 1e-6]]},
                "n": 400}
        return http_client_leaves(server, "/api/v1/grid", body)
    assert_stops_when_left(attempt)


def test_map_stream_stops_when_the_client_leaves(server):
    async def scenario():
        since = settled(server.proc.pid)
        ws = await connect(ws_url(server, "/api/v1/map/stream"), proxy=None, max_size=None)
        await ws.send(json.dumps({"id": 1, **_map_body(next(SEEDS))}))
        first = json.loads(await ws.recv())
        assert "error" not in first, first
        loop = asyncio.get_running_loop()
        return await asyncio.to_thread(stop_figures, server.proc.pid,
                                       lambda: loop.call_soon_threadsafe(ws.transport.abort),
                                       since)

    assert_stops_when_left(lambda: run_async(scenario()))


def test_a_long_lbfgs_step_stops_when_the_client_leaves(server):
    # One optimizer.step() of 1,000 iterations over a history of 1,000 pairs, per run.
    lbfgs = {"optimizer": "lbfgs", "params": {"max_iter": 1000, "history_size": 1000,
                                              "tolerance_grad": 0.0, "tolerance_change": 0.0,
                                              "lr": 1e-4}}

    def attempt():
        body = {**long_run(next(SEEDS)), "steps": 100, "runs": [lbfgs] * 16}
        return http_client_leaves(server, "/api/v1/run", body)
    assert_stops_when_left(attempt)


# --- crowds and slow sockets ----------------------------------------------------------

WS_CROWD = r'''
import asyncio, json, random, sys, time
from websockets.asyncio.client import connect

async def chatter(url, i, until, stats):
    try:
        async with connect(url, proxy=None, max_size=None) as ws:
            stats["open"] += 1
            n = 0
            while time.monotonic() < until:
                n += 1
                await ws.send(json.dumps({"id": n, "surface": "rosenbrock", "steps": 300,
                    "runs": [{"optimizer": "adam", "params": {"lr": 0.001 + i * 1e-6 + n * 1e-9}}]}))
                while True:
                    msg = json.loads(await ws.recv())
                    if msg.get("done"):
                        stats["done"] += 1
                        break
                    if "error" in msg:
                        kind = msg["error"]["detail"][0]["type"]
                        stats[kind] = stats.get(kind, 0) + 1
                        break
                await asyncio.sleep(random.uniform(0.1, 0.4))
    except Exception as e:
        stats["failed"] += 1
        stats.setdefault("errors", []).append(repr(e)[:200])

async def main(url, n, seconds):
    stats = {"open": 0, "done": 0, "failed": 0}
    until = time.monotonic() + seconds
    tasks = []
    for i in range(n):
        tasks.append(asyncio.create_task(chatter(url, i, until, stats)))
        await asyncio.sleep(0.002)
    await asyncio.gather(*tasks)
    stats["errors"] = stats.get("errors", [])[:5]
    print(json.dumps(stats))

asyncio.run(main(sys.argv[1], int(sys.argv[2]), float(sys.argv[3])))
'''


def test_200_websockets_leave_healthz_and_others_fast(server):
    """200 sockets from one address, each sending a request every 0.1-0.4 s (about 1,000
    a second in all; four compute at a time, the rest are refused with the limit), while
    another client checks /healthz and runs small requests.  On 2 cores shared with the
    crowd's own process: /healthz p50 ~1 ms before, ~10 ms during (p99 ~50 ms); the
    other client's run ~2 ms before, a few ms during."""
    small = {"surface": "rosenbrock", "steps": 100, "runs": [{"optimizer": "adam"}]}

    def measure(n: int, tag: float) -> tuple[list[float], list[float]]:
        health, runs = [], []
        for k in range(n):
            health += healthz_ms(server, 1)
            if k % 10 == 0:
                t0 = time.perf_counter()
                status, _ = post(server, "/api/v1/run", {**small, "start": [-1.2, tag + k * 1e-3]},
                                 source=OTHER)
                runs.append((time.perf_counter() - t0) * 1000)
                assert status == 200
        return health, runs

    measure(20, 0.5)                                        # warm
    before, runs_before = measure(100, 1.0)
    crowd = subprocess.Popen([sys.executable, "-c", WS_CROWD, ws_url(server), "200", "8"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        time.sleep(2.5)                                     # all 200 open and chattering
        during, runs_during = measure(150, 2.0)
        out, err = crowd.communicate(timeout=60)
    finally:
        crowd.kill()
    stats = json.loads(out.decode().strip().splitlines()[-1])
    report = (f"healthz p50/p99 before {p(before, .5):.1f}/{p(before, .99):.1f} ms, during "
              f"{p(during, .5):.1f}/{p(during, .99):.1f} ms; a run from another client "
              f"p50 before {p(runs_before, .5):.1f} ms, during {p(runs_during, .5):.1f} ms; "
              f"crowd {stats}")
    print(report)
    assert stats["open"] == 200 and stats["failed"] == 0, report
    assert stats["done"] > 200 and stats.get("limit", 0) > 0, report
    # A blocked server would take seconds; these bounds leave room for a shared, noisy
    # machine (the figures themselves are printed above and belong to bench/).
    assert p(during, .5) <= 250.0 and p(during, .99) <= 1500.0, report
    assert p(runs_during, .5) <= max(500.0, 10 * p(runs_before, .5)), report


def test_slow_and_silent_sockets_block_nobody(server):
    silent = [socket.create_connection(("127.0.0.1", server.port)) for _ in range(50)]
    partial = []
    for _ in range(10):
        s = socket.create_connection(("127.0.0.1", server.port))
        s.sendall(b"POST /api/v1/run HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Le")
        partial.append(s)
    body = json.dumps({"surface": "bowl", "steps": 5, "runs": [{"optimizer": "sgd"}]}).encode()
    answers: list[bytes] = []

    def trickle():
        s = socket.create_connection(("127.0.0.1", server.port))
        s.sendall(b"POST /api/v1/run HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
                  b"Content-Type: application/json\r\nContent-Length: "
                  + str(len(body)).encode() + b"\r\n\r\n")
        for i in range(len(body)):
            s.sendall(body[i:i + 1])
            time.sleep(0.03)
        data = b""
        while chunk := s.recv(65536):
            data += chunk
        answers.append(data)
        s.close()

    slow = [threading.Thread(target=trickle) for _ in range(5)]
    try:
        for t in slow:
            t.start()
        time.sleep(0.3)
        lat = healthz_ms(server, 100)
        t0 = time.perf_counter()
        status, _ = post(server, "/api/v1/run", {"surface": "bowl", "steps": 50,
                                                 "runs": [{"optimizer": "adam"}]}, source=OTHER)
        run_ms = (time.perf_counter() - t0) * 1000
        assert status == 200
        # A loop blocked by the trickling bodies would answer after them (~2 s); these
        # bounds leave a shared, loaded 2-core machine its scheduling delays.
        assert p(lat, .5) <= 50.0 and p(lat, .99) <= 1000.0, sorted(lat)[-5:]
        assert run_ms <= 1500.0, run_ms
        for t in slow:
            t.join(timeout=30)
        assert len(answers) == 5 and all(a.startswith(b"HTTP/1.1 200") for a in answers), answers
    finally:
        for s in silent + partial:
            s.close()


def test_a_client_that_does_not_read_blocks_nobody(server):
    big = {"surface": "bowl", "steps": 10_000, "runs": [{"optimizer": "adam"}] * 16}
    s = socket.create_connection(("127.0.0.1", server.port))
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    data = json.dumps(big).encode()
    s.sendall(b"POST /api/v1/run HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: "
              b"application/json\r\nContent-Length: " + str(len(data)).encode() + b"\r\n\r\n"
              + data)
    try:
        s.settimeout(60)                 # computed (seconds on a busy machine) ...
        assert s.recv(1, socket.MSG_PEEK) == b"H"
        time.sleep(0.2)                  # ... and now stuck writing ~11 MB to us
        lat = healthz_ms(server, 50)
        # Blocked behind the write it would take seconds; a shared 2-core machine adds
        # the odd 100 ms of waiting for a core to any one request.
        assert p(lat, .5) <= 50.0 and p(lat, .99) <= 1000.0, sorted(lat)[-5:]
    finally:
        s.close()


# --- limits seen from outside -------------------------------------------------------

def test_one_address_gets_four_computations_at_a_time(server):
    results: list[int] = []

    def one(k: int, source: str = "127.0.0.1"):
        results.append(post(server, "/api/v1/run", long_run(100 + k, runs=1) | {"steps": 4000},
                            source=source)[0])

    threads = [threading.Thread(target=one, args=(k,)) for k in range(8)]
    for t in threads:
        t.start()
    time.sleep(0.3)
    other = post(server, "/api/v1/run", {"surface": "bowl", "steps": 5,
                                         "runs": [{"optimizer": "sgd"}]}, source=OTHER)
    for t in threads:
        t.join(timeout=60)
    assert other[0] == 200
    assert sorted(results) == [200] * 4 + [429] * 4, results


def test_giant_websocket_frames_are_dropped_unread(server):
    async def scenario():
        async with connect(ws_url(server), proxy=None, max_size=None) as ws:
            await ws.send("x" * (300 * 1024))        # over the app's limit: an error
            msg = json.loads(await ws.recv())
            assert "OPTPLAY_MAX_BODY_BYTES" in msg["error"]["detail"][0]["msg"], msg
            await ws.send(json.dumps({"surface": "bowl", "steps": 3,
                                      "runs": [{"optimizer": "sgd"}]}))
            while not json.loads(await ws.recv()).get("done"):
                pass
        rss0 = rss_mb(server.proc.pid)
        async with connect(ws_url(server), proxy=None, max_size=None) as ws:
            await ws.send("x" * (8 * 1024 * 1024))   # over uvicorn's ws-max-size: closed
            with pytest.raises(websockets.ConnectionClosed) as closed:
                await ws.recv()
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 1009
        assert rss_mb(server.proc.pid) - rss0 < 16

    run_async(scenario())
    assert healthz_ms(server, 3)


# --- fairness and bounds (issue #13) ----------------------------------------------------

def test_another_address_is_answered_within_a_second_while_one_floods(server):
    """127.0.0.1 keeps its four slots full of the heaviest runs it may send (each would
    compute for the whole budget), again and again; meanwhile 127.0.0.2's small run
    answers within a second, as it does when nobody floods: one address never holds
    every place at the worker's gate."""
    stop = threading.Event()
    statuses: list[int] = []
    seeds = iter(range(50_000, 60_000))

    def flood():
        while not stop.is_set():
            statuses.append(post(server, "/api/v1/run", long_run(next(seeds)), timeout=60)[0])

    flooders = [threading.Thread(target=flood) for _ in range(4)]
    for t in flooders:
        t.start()
    try:
        since = settled(server.proc.pid)
        assert busy_workers(server.proc.pid, since)                 # the flood computes
        time.sleep(0.5)
        times = []
        for k in range(8):
            small = {"surface": "rosenbrock", "steps": 50, "start": [-1.2, 1.0 + k * 1e-3],
                     "runs": [{"optimizer": "adam"}]}
            t0 = time.perf_counter()
            status, _ = post(server, "/api/v1/run", small, source=OTHER)
            times.append(time.perf_counter() - t0)
            assert status == 200
            time.sleep(0.2)
        print(f"the other address's small run during the flood: p50 {p(times, .5) * 1000:.0f} "
              f"ms, max {max(times) * 1000:.0f} ms; flood answers {sorted(set(statuses))}")
        assert p(times, .5) < 1.0 and max(times) < 4.0, times      # was 9 s
    finally:
        stop.set()
        for t in flooders:
            t.join(timeout=60)
    assert set(statuses) <= {200, 422, 429}, statuses


def test_sockets_that_never_read_keep_the_server_bounded(server):
    """36 map sockets from one address each ask for a 512 x 512 map (~16 MB of rows) and
    never read: the rows wait in bounded outboxes that count against the address, whose
    jobs keep their slots until sent, so memory stays flat and others are answered."""
    def big_map(k: int) -> dict:
        return {"id": k, "kind": "basin", "surface": "bowl", "steps": 5 + k,
                "run": {"optimizer": "sgd", "params": {"lr": 0.01}},
                "x": {"n": 512}, "y": {"n": 512}}

    pid = server.proc.pid
    # settled first: one such map computed and read (imports, pools, the allocator)
    async def warm():
        async with connect(ws_url(server, "/api/v1/map/stream"), proxy=None,
                           max_size=None) as ws:
            await ws.send(json.dumps(big_map(100)))
            while not (msg := json.loads(await ws.recv())).get("done"):
                assert "error" not in msg, msg
    run_async(warm())
    time.sleep(1.0)
    rss0 = rss_mb(pid)
    sockets = [never_reading_socket(server.port, "/api/v1/map/stream", big_map(k))
               for k in range(36)]
    try:
        peak = rss0
        t_end = time.monotonic() + 12
        while time.monotonic() < t_end:
            peak = max(peak, rss_mb(pid))
            time.sleep(0.2)
        lat = healthz_ms(server, 20)
        status, _ = post(server, "/api/v1/run", {"surface": "bowl", "steps": 20,
                                                 "runs": [{"optimizer": "adam"}]}, source=OTHER)
        print(f"RSS before {rss0:.0f} MB, peak with 36 never-reading sockets {peak:.0f} MB; "
              f"healthz p50 {p(lat, .5):.1f} ms")
        assert status == 200 and p(lat, .5) < 50
        assert peak - rss0 < 100, (rss0, peak)
    finally:
        for s in sockets:
            s.close()
    # the sockets gone, their address computes again
    time.sleep(1.0)
    assert post(server, "/api/v1/run", {"surface": "bowl", "steps": 5,
                                        "runs": [{"optimizer": "sgd"}]})[0] == 200


def test_a_class_behind_one_address_shares_one_computation(server):
    """Twelve students behind one school address open the same scene at once: one
    computes, the others wait for it with no slot of their own (no 429)."""
    body = long_run(next(SEEDS), runs=2) | {"steps": 3000}
    results: list[int] = []
    threads = [threading.Thread(target=lambda: results.append(post(server, "/api/v1/run",
                                                                   body)[0]))
               for _ in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert results == [200] * 12, results


@pytest.fixture(scope="module")
def small_outbox():
    """A server whose clients may have only 100 KB of WebSocket messages waiting, and
    whose computations have 3 s."""
    s = LiveServer(env={"OPTPLAY_WS_QUEUE_BYTES_PER_CLIENT": "100000",
                        "OPTPLAY_COMPUTE_BUDGET_S": "3"})
    # A fresh server compresses its static files in a thread: on a loaded machine that
    # would eat into the first job's 3 s, which these tests need for the job itself.
    settled(s.proc.pid)
    yield s
    s.stop()


BIG_STREAM = {"surface": "bowl", "steps": 10_000, "runs": [{"optimizer": "adam"}] * 16}


async def slow_socket(server):
    """A WebSocket client that takes one message at a time (its receive buffer 4 KiB),
    so the server's sends wait for it."""
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.connect(("127.0.0.1", server.port))
    s.setblocking(False)
    return await connect(ws_url(server), sock=s, proxy=None, max_size=None, max_queue=1)


def test_a_slow_reader_gets_everything_its_job_waits_for(small_outbox):
    """The job pauses while its 100 KB are waiting (its place at the gate free for
    others) and goes on as the client reads: the whole answer arrives, in order."""
    async def scenario():
        ws = await slow_socket(small_outbox)
        # ~2 MB of paths, 20 outboxes full: the budget (3 s) runs while the job waits, so
        # a loaded machine needs some room to read it all
        await ws.send(json.dumps({"id": 7, **BIG_STREAM, "steps": 3000}))
        points = [0] * 16
        while True:
            msg = json.loads(await ws.recv())
            assert "error" not in msg, msg
            if msg.get("done"):
                break
            assert msg["start"] == points[msg["run"]]
            points[msg["run"]] += len(msg["path"])
        await ws.close()
        return points, msg

    points, done = run_async(scenario())
    assert points == [3_001] * 16 and len(done["runs"]) == 16


def test_a_reader_that_stops_ends_its_job_at_the_budget(small_outbox):
    async def scenario():
        ws = await slow_socket(small_outbox)
        await ws.send(json.dumps({"id": 8, **BIG_STREAM, "start": [0.5, 0.25]}))
        first = json.loads(await ws.recv())
        await asyncio.sleep(5.0)             # not reading: the job waits, then its budget ends
        while True:
            msg = json.loads(await ws.recv())
            if "error" in msg or msg.get("done"):
                break
        await ws.close()
        return first, msg

    first, last = run_async(scenario())
    assert first["run"] == 0
    detail = last["error"]["detail"][0]
    assert "OPTPLAY_WS_QUEUE_BYTES_PER_CLIENT" in detail["msg"] and detail["limit_s"] == 3
