"""Soak: mixed load against one uvicorn worker for a long while; memory, errors, the log.

    python bench/soak.py [--duration 600] [--warmup 120] [--users 16]

Starts `python -m uvicorn app.main:app` (one worker, so "the worker" is that process) on
a free loopback port, its log in a temporary file, and runs --users simulated users for
--duration seconds, each from its own loopback address (127.0.0.2, 127.0.0.3, ...) so
that the per-address limit counts users, as it would count students:

  run      POST /api/v1/run: a random scene (1-6 runs of random optimizers and
           schedulers, 50-3,000 steps, a random start); one in five repeats a scene
           (a cache hit); one in ten through GET /api/v1/run?q=
  stream   WS /api/v1/stream: 1-20 requests in a row as a slider drags (each cancels the
           last); one session in four is dropped mid-stream without a close frame
  grid     POST /api/v1/grid: a built-in surface or a typed formula, n = 40-200
  tune     POST /api/v1/tune: 1-3 runs, 100-500 steps, 8-32 lr values
           (one scene in ten, of run, stream and tune, is a surface from data: a built-in
           data set or 20-400 points of the user's own, mini-batches one time in two)
  map      POST /api/v1/map and WS /api/v1/map/stream (when the build has them): basin
           and sweep maps of 16-64 cells a side, dropped mid-way one time in four
  bad      the bodies of tests/hostile/bodies, hostile formulas, a 1 MB body, a 1 MB
           WebSocket frame, 6 requests at once from one address (the 5th and 6th: 429)
  attack   issue #13's: a map socket that never reads (held 2-8 s), diverging runs
           on a 1,990-character formula (the explanation), /api/v1/code whose validation
           replays long schedule chains, WebSocket messages that do the same, a chunked
           body over the limit (413), a q over 60,000 characters (414), a formula with
           an integer too large to fold (422), HEAD /, 10,000 points of inline data
           (OPTPLAY_MAX_DATA_POINTS) in mini-batches for 16 runs of 10,000 steps
  read     /healthz, the catalogues, the page, /embed, a static file

Every few seconds it samples the worker's resident memory (VmRSS of /proc/<pid>/status)
and CPU time.  At the end it prints: RSS at start, after --warmup (the baseline: imports,
caches, the thread pool and the answer cache filling have settled), at the end and the
highest after the warm-up; answers by kind and status; which answers were unexpected (a
5xx, a 4xx to a good request, a 2xx to a bad one, a connection error); and every line of
the server log that holds a traceback or an error.  Exit status 1 on any unexpected
answer, any traceback or error in the log, or the end RSS more than --max-growth-mb
(50) above the baseline.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import random
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
HOSTILE = REPO / "tests" / "hostile"

OPTIMIZERS = [("sgd", {"lr": 0.001, "momentum": 0.9}), ("sgd", {"lr": 0.002, "nesterov": True,
                                                               "momentum": 0.5}),
              ("adam", {"lr": 0.05}), ("adamw", {"lr": 0.05, "amsgrad": True}),
              ("rmsprop", {"lr": 0.01}), ("adagrad", {"lr": 0.3}), ("adadelta", {"lr": 1.0}),
              ("nadam", {"lr": 0.02}), ("radam", {"lr": 0.05}), ("adamax", {"lr": 0.05}),
              ("asgd", {"lr": 0.01}), ("rprop", {"lr": 0.01}), ("lion", {"lr": 0.005}),
              ("adabelief", {"lr": 0.05}), ("yogi", {"lr": 0.05}), ("lbfgs", {"lr": 0.5}),
              ("lbfgs", {"line_search_fn": "strong_wolfe"}), ("adafactor", {"lr": 0.05}),
              ("lookahead", {"k": 5, "optimizer": {"optimizer": "sgd", "params": {"lr": 0.003}}})]
SCHEDULERS = [None, None, {"name": "StepLR", "params": {"step_size": 50, "gamma": 0.5}},
              {"name": "CosineAnnealingLR", "params": {"T_max": 100}},
              {"name": "ReduceLROnPlateau", "params": {"patience": 5}},
              {"name": "ExponentialLR", "params": {"gamma": 0.99}}]
SURFACES = ["rosenbrock", "himmelblau", "bowl", "ravine", "beale", "saddle"]
DATASETS = ["line", "pass-fail", "rent", "sleep"]
FORMULAS = ["x**2 + 3*sin(y)", "(x**2 + y - 11)**2 + (x + y**2 - 7)**2", "abs(x) + abs(y)",
            "log(1 + x**2 + y**2)", "sin(x)*cos(y) + 0.1*(x**2 + y**2)", "x**x**x**x + y"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def cpu_s(pid: int) -> float:
    f = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(f[11]) + int(f[12])) / os.sysconf("SC_CLK_TCK")


# --- a small HTTP/1.1 client: one connection per request, from a chosen address -------

async def http(port: int, source: str, method: str, path: str, body: bytes | None = None,
               *, drop_after: float | None = None, timeout: float = 60,
               gzip: bool = True) -> tuple[int, bytes]:
    """(status, body); status 0 when the client dropped the connection on purpose."""
    reader, writer = await asyncio.wait_for(asyncio.open_connection(
        "127.0.0.1", port, local_addr=(source, 0)), timeout)
    try:
        head = f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n" \
            + ("Accept-Encoding: gzip\r\n" if gzip else "")
        if body is not None:
            head += f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
        writer.write(head.encode() + b"\r\n" + (body or b""))
        await writer.drain()
        if drop_after is not None:
            await asyncio.sleep(drop_after)
            writer.transport.abort()
            return 0, b""
        data = await asyncio.wait_for(reader.read(), timeout)
    finally:
        writer.close()
    status = int(data.split(b" ", 2)[1]) if data.startswith(b"HTTP/1.1 ") else -1
    return status, data.partition(b"\r\n\r\n")[2]


class Soak:
    def __init__(self, args):
        self.args = args
        self.rng = random.Random(args.seed)
        self.counts: dict[str, Counter] = defaultdict(Counter)
        self.unexpected: list[str] = []
        self.latency: dict[str, list[float]] = defaultdict(list)
        self.repeat_pool: list[dict] = []
        self.has_map = False
        self.bad_bodies = [(p.name.split("-", 1)[0], p.read_bytes())
                           for p in sorted((HOSTILE / "bodies").glob("*.json"))]
        self.bad_formulas = [line.split(" |", 1)[1].strip() for line in
                             (HOSTILE / "formulas.txt").read_text().splitlines()
                             if line.startswith("refuse | ") and "\\" not in line]

    # -- bookkeeping ---------------------------------------------------------------------

    def note(self, kind: str, status, ok: bool, t0: float | None = None) -> None:
        self.counts[kind][status] += 1
        if t0 is not None:
            self.latency[kind].append(time.perf_counter() - t0)
        if not ok:
            self.unexpected.append(f"{kind}: {status}")

    # -- what users send -----------------------------------------------------------------

    def scene(self) -> dict:
        rng = self.rng
        if self.repeat_pool and rng.random() < 0.2:
            return rng.choice(self.repeat_pool)
        runs = []
        for _ in range(rng.randint(1, 6)):
            name, params = rng.choice(OPTIMIZERS)
            run = {"optimizer": name, "params": dict(params)}
            sched = rng.choice(SCHEDULERS)
            if sched and name != "lookahead":
                run["scheduler"] = sched
            if rng.random() < 0.2:
                run["noise"] = {"std": 0.1, "seed": rng.randint(0, 1000)}
            runs.append(run)
        batch = None
        r = rng.random()
        if r < 0.1:
            surface, batch = self.data_surface()
            start = [rng.uniform(-1, 1), rng.uniform(-1, 1)]
        elif r < 0.3:
            surface = {"expr": rng.choice(FORMULAS), "domain": [[-3, 3], [-3, 3]]}
            start = [rng.uniform(-2, 2), rng.uniform(-2, 2)]
        else:
            surface = rng.choice(SURFACES)
            start = [rng.uniform(-1.5, 1.5), rng.uniform(-0.5, 1.5)]
        body = {"surface": surface, "start": start, "steps": rng.choice([50, 200, 500, 1000, 3000]),
                "runs": runs, "state": rng.random() < 0.05}
        if batch is not None:
            body["batch"] = batch
        if len(self.repeat_pool) < 50:
            self.repeat_pool.append(body)
        return body

    def data_surface(self, n: int | None = None) -> tuple[dict, dict | None]:
        """A surface from data (a built-in set, or n points of the user's own) and,
        one time in two, its mini-batches."""
        rng = self.rng
        if n is None and rng.random() < 0.5:
            surface = {"data": rng.choice(DATASETS)}
            size = 8
        else:
            n = n or rng.randint(20, 400)
            xs = [round(rng.uniform(-3, 3), 3) for _ in range(n)]
            model = rng.choice(["linear", "logistic"])
            ys = [round(2 * x + 1 + rng.gauss(0, 0.5), 3) for x in xs] if model == "linear" \
                else [float(x + rng.gauss(0, 1) > 0) for x in xs]
            surface = {"data": {"x": xs, "y": ys}, "model": model}
            size = max(1, n // 10)
        batch = {"size": size, "seed": rng.randint(0, 99)} if rng.random() < 0.5 else None
        return surface, batch

    def tune_body(self) -> dict:
        rng = self.rng
        body = self.scene()
        body = {**body, "runs": body["runs"][:3], "steps": rng.choice([100, 200, 500]),
                "n": rng.choice([8, 16, 32]), "state": False}
        return body

    def map_body(self) -> dict:
        rng = self.rng
        n = rng.choice([16, 32, 48, 64])
        if rng.random() < 0.5:
            return {"kind": "basin", "surface": rng.choice(["himmelblau", "rosenbrock", "bowl"]),
                    "steps": rng.choice([50, 100, 300]), "x": {"n": n}, "y": {"n": n},
                    "run": {"optimizer": "adam", "params": {"lr": rng.choice([0.01, 0.05, 0.1])}}}
        return {"kind": "sweep", "surface": "rosenbrock", "steps": rng.choice([100, 300]),
                "run": {"optimizer": "sgd", "params": {"lr": 0.001, "momentum": 0.9}},
                "x": {"param": "lr", "range": [1e-5, rng.choice([1e-3, 1e-2])], "n": n,
                      "scale": "log"},
                "y": {"param": "momentum", "range": [0, 0.99], "n": n}}

    # -- users ---------------------------------------------------------------------------

    async def user(self, i: int, until: float) -> None:
        source = f"127.0.0.{i + 2}"
        kinds = ["run"] * 5 + ["stream"] * 3 + ["grid"] * 2 + ["map"] * 2 + ["bad"] * 3 \
            + ["read"] * 2 + ["attack"] * 2 + ["tune"]
        port = self.args.port
        while time.monotonic() < until:
            kind = self.rng.choice(kinds)
            try:
                await getattr(self, f"do_{kind}")(port, source)
            except Exception as e:                      # a refused or broken connection
                self.note(kind, f"exception {type(e).__name__}", False)
            await asyncio.sleep(self.rng.uniform(0.05, 0.5))

    async def do_run(self, port, source):
        body = self.scene()
        t0 = time.perf_counter()
        if self.rng.random() < 0.1:
            q = base64.urlsafe_b64encode(json.dumps(body).encode()).decode().rstrip("=")
            status, _ = await http(port, source, "GET", f"/api/v1/run?q={q}")
        else:
            status, answer = await http(port, source, "POST", "/api/v1/run",
                                        json.dumps(body).encode())
            if self.budget_spent("run", status, answer):
                return
        # A typed formula may have no finite value at a random start: a 422 saying so.
        ok = status == 200 or (status == 422 and isinstance(body["surface"], dict))
        self.note("run", status, ok, t0)

    async def do_tune(self, port, source):
        body = self.tune_body()
        t0 = time.perf_counter()
        status, answer = await http(port, source, "POST", "/api/v1/tune",
                                    json.dumps(body).encode())
        if self.budget_spent("tune", status, answer):
            return
        # a typed formula without a finite value at the start; lbfgs alone at a
        # logistic surface's grid end PyTorch refuses: 422s that say so
        ok = status == 200 or (status == 422 and (isinstance(body["surface"], dict)
                                                  or b"tuning range" in answer))
        self.note("tune", status, ok, t0)
        if not ok:
            self.unexpected[-1] += f" {answer[:300]!r}"

    def budget_spent(self, kind: str, status: int, answer: bytes) -> bool:
        """A 422 because the wall-clock budget ran out (the machine is shared by every
        user and by this script): refused as designed, counted apart."""
        if status == 422 and b'"limit_s"' in answer:
            self.note(kind, "422 budget", True)
            return True
        return False

    async def do_stream(self, port, source, path="/api/v1/stream", make=None):
        from websockets.asyncio.client import connect
        make = make or self.scene
        drop = self.rng.random() < 0.25
        async with connect(f"ws://127.0.0.1:{port}{path}", proxy=None, max_size=None,
                           local_addr=(source, 0), compression="deflate") as ws:
            n = self.rng.randint(1, 20)
            for k in range(n):
                await ws.send(json.dumps({"id": k, **make()}))
                await asyncio.sleep(self.rng.uniform(0.01, 0.08))   # a slider drags
            if drop:
                await asyncio.sleep(self.rng.uniform(0.0, 0.3))
                ws.transport.abort()
                self.note(path, "dropped", True)
                return
            t0 = time.perf_counter()
            while True:
                msg = json.loads(await asyncio.wait_for(ws.recv(), 60))
                if msg.get("id") != n - 1:
                    continue
                if msg.get("done"):
                    self.note(path, "done", True, t0)
                    return
                if "error" in msg:
                    kind = msg["error"]["detail"][0]["type"]
                    self.note(path, f"error {kind}", kind in ("rate_limit", "limit")
                              or "finite value" in msg["error"]["detail"][0]["msg"])
                    return

    async def do_grid(self, port, source):
        rng = self.rng
        surface = rng.choice(SURFACES) if rng.random() < 0.6 else \
            {"expr": rng.choice(FORMULAS), "domain": [[-3, 3], [-3, 3]]}
        t0 = time.perf_counter()
        status, _ = await http(port, source, "POST", "/api/v1/grid", json.dumps(
            {"surface": surface, "n": rng.choice([40, 80, 120, 200])}).encode())
        self.note("grid", status, status == 200, t0)

    async def do_map(self, port, source):
        if not self.has_map:
            return await self.do_run(port, source)
        r = self.rng.random()
        if r < 0.4:
            await self.do_stream(port, source, "/api/v1/map/stream", self.map_body)
            return
        body = json.dumps(self.map_body()).encode()
        t0 = time.perf_counter()
        if r < 0.55:                                     # dropped mid-way
            status, _ = await http(port, source, "POST", "/api/v1/map", body,
                                   drop_after=self.rng.uniform(0.05, 0.5))
            self.note("map", "dropped", True)
            return
        status, answer = await http(port, source, "POST", "/api/v1/map", body)
        if not self.budget_spent("map", status, answer):
            self.note("map", status, status == 200, t0)

    async def do_bad(self, port, source):
        rng = self.rng
        r = rng.random()
        if r < 0.5:
            route, raw = rng.choice(self.bad_bodies)
            if route == "map" and not self.has_map:
                route = "run"
            status, _ = await http(port, source, "POST", f"/api/v1/{route}", raw)
            self.note("bad body", status, status in (413, 422))
        elif r < 0.7:
            expr = rng.choice(self.bad_formulas)
            status, _ = await http(port, source, "POST", "/api/v1/grid", json.dumps(
                {"surface": {"expr": expr, "domain": [[-1, 1], [-1, 1]]}}).encode())
            self.note("bad formula", status, status == 422)
        elif r < 0.8:
            try:
                status, _ = await http(port, source, "POST", "/api/v1/run",
                                       b'{"surface": "' + b"x" * (1 << 20) + b'"}')
            except ConnectionResetError:
                # the 413 went out as soon as Content-Length was read, and the server
                # closed the socket under the rest of the body: the reset can beat it
                status = "413 or reset"
            self.note("bad 1 MB body", status, status in (413, "413 or reset"))
        elif r < 0.9:
            from websockets.asyncio.client import connect
            async with connect(f"ws://127.0.0.1:{port}/api/v1/stream", proxy=None,
                               max_size=None, local_addr=(source, 0)) as ws:
                await ws.send("x" * (1 << 20))
                try:
                    await asyncio.wait_for(ws.recv(), 10)
                    self.note("bad 1 MB frame", "answered", False)
                except Exception:                       # closed: 1009, message too big
                    code = ws.close_code
                    self.note("bad 1 MB frame", f"closed {code}", code == 1009)
        else:
            # one address, six at once: the limit lets four compute and refuses two
            body = {"surface": "rosenbrock", "steps": 1000,
                    "runs": [{"optimizer": "lbfgs", "params": {"lr": 0.1}}] * 2}
            many = [http(port, source, "POST", "/api/v1/run", json.dumps(
                {**body, "start": [rng.uniform(-1, 1), rng.uniform(0, 1)]}).encode())
                for _ in range(6)]
            for status, _ in await asyncio.gather(*many):
                self.note("too many at once", status, status in (200, 429))

    async def do_attack(self, port, source):
        rng = self.rng
        r = rng.random()
        cyclic = {"name": "CyclicLR", "params": {"base_lr": 0.001, "max_lr": 0.01,
                                                 "mode": "triangular2", "step_size_up": 5,
                                                 "step_size_down": 5}}
        chain = {"name": "ChainedScheduler", "params": {"schedulers": [cyclic] * 12}}
        replaying = {"surface": "bowl", "steps": 10_000, "runs": [
            {"optimizer": "sgd", "params": {"lr": rng.uniform(0.001, 0.01), "momentum": 0.9},
             "scheduler": chain}] * 4}
        if r < 0.2:
            await self.never_reading_map(port, source)
        elif r < 0.35:
            body = {"surface": {"expr": "-x**2-y**2" + "+0*sin(x*y)" * 180,
                                "domain": [[-2, 2], [-2, 2]]},
                    "start": [1, rng.uniform(0.9, 1.1)], "steps": rng.choice([2000, 5000]),
                    "runs": [{"optimizer": "sgd", "params": {"lr": 0.04}}] * 2}
            t0 = time.perf_counter()
            status, answer = await http(port, source, "POST", "/api/v1/run",
                                        json.dumps(body).encode())
            if not self.budget_spent("diverging", status, answer):
                self.note("diverging", status, status == 200, t0)
        elif r < 0.5:
            t0 = time.perf_counter()
            status, answer = await http(port, source, "POST", "/api/v1/code",
                                        json.dumps(replaying).encode())
            if not self.budget_spent("code of chains", status, answer):
                self.note("code of chains", status, status == 200, t0)
        elif r < 0.6:
            await self.do_stream(port, source, make=lambda: {
                **replaying, "runs": replaying["runs"][:2], "steps": rng.choice([2000, 10_000])})
        elif r < 0.7:
            status = await self.chunked_over_limit(port, source)
            self.note("chunked 300 KB", status, status in (413, "413 or reset"))
        elif r < 0.8:
            status, _ = await http(port, source, "GET", "/api/v1/run?q=" + "A" * 61_000)
            self.note("q of 61,000", status, status == 414)
        elif r < 0.9:
            status, _ = await http(port, source, "POST", "/api/v1/grid", json.dumps(
                {"surface": {"expr": "x*(9**9**9 - 9**9**9 + 1)", "domain": [[-1, 1], [-1, 1]]}}
            ).encode())
            self.note("integer too large", status, status == 422)
        elif r < 0.95:
            status, _ = await http(port, source, "HEAD", "/")
            self.note("HEAD /", status, status == 200)
        else:
            surface, _ = self.data_surface(n=10_000)
            body = {"surface": surface, "steps": 10_000, "batch": {"size": 1000},
                    "runs": [{"optimizer": "adam", "params": {"lr": 0.01}}] * 16}
            t0 = time.perf_counter()
            status, answer = await http(port, source, "POST", "/api/v1/run",
                                        json.dumps(body).encode())
            if not self.budget_spent("10,000 points", status, answer):
                self.note("10,000 points", status, status == 200, t0)

    async def never_reading_map(self, port, source):
        """A map socket with a 4 KiB receive buffer that asks for 512 x 512 cells and
        reads nothing (its rows wait in the server's bounded outbox), for a few seconds."""
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.bind((source, 0))
        sock.setblocking(False)
        loop = asyncio.get_running_loop()
        await loop.sock_connect(sock, ("127.0.0.1", port))
        key = base64.b64encode(os.urandom(16)).decode()
        await loop.sock_sendall(sock, (
            f"GET /api/v1/map/stream HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
            f"Sec-WebSocket-Version: 13\r\n\r\n").encode())
        head = b""
        while b"\r\n\r\n" not in head:
            head += await loop.sock_recv(sock, 1)
        payload = json.dumps({"kind": "basin", "surface": "bowl",
                              "steps": self.rng.randint(5, 40), "run": {"optimizer": "sgd"},
                              "x": {"n": 512}, "y": {"n": 512}}).encode()
        mask = os.urandom(4)
        frame = bytes([0x81, 0x80 | 126]) + len(payload).to_bytes(2, "big") + mask + \
            bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        await loop.sock_sendall(sock, frame)
        await asyncio.sleep(self.rng.uniform(2, 8))
        sock.close()
        self.note("never-reading map", "held", head.startswith(b"HTTP/1.1 101"))

    async def chunked_over_limit(self, port, source):
        reader, writer = await asyncio.open_connection("127.0.0.1", port,
                                                       local_addr=(source, 0))
        try:
            writer.write(b"POST /api/v1/run HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                         b"Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n"
                         b"Connection: close\r\n\r\n")
            chunk = b" " * 16384
            try:
                for _ in range(20):                      # 320 KB
                    writer.write(b"4000\r\n" + chunk + b"\r\n")
                    await writer.drain()
                writer.write(b"0\r\n\r\n")
                await writer.drain()
            except (ConnectionResetError, BrokenPipeError):
                pass                     # the 413 went out and the server closed
            data = await asyncio.wait_for(reader.read(), 30)
        except (ConnectionResetError, BrokenPipeError):
            return "413 or reset"
        finally:
            writer.close()
        return int(data.split(b" ", 2)[1]) if data.startswith(b"HTTP/1.1 ") else -1

    async def do_read(self, port, source):
        path = self.rng.choice(["/healthz", "/api/v1/optimizers", "/api/v1/schedulers",
                                "/api/v1/surfaces", "/api/v1/datasets", "/",
                                "/embed?s=rosenbrock",
                                "/static/js/main.js", "/openapi.json"])
        t0 = time.perf_counter()
        status, _ = await http(port, source, "GET", path)
        self.note("read", status, status == 200, t0)

    # -- the run ---------------------------------------------------------------------------

    async def main(self, pid: int) -> list[tuple[float, float, float]]:
        status, body = await http(self.args.port, "127.0.0.1", "GET", "/openapi.json",
                                  gzip=False)
        self.has_map = b'"/api/v1/map"' in body
        print(f"maps: {'yes' if self.has_map else 'not in this build'}", flush=True)
        start = time.monotonic()
        until = start + self.args.duration
        samples = [(0.0, rss_mb(pid), cpu_s(pid))]
        users = [asyncio.create_task(self.user(i, until)) for i in range(self.args.users)]
        next_report = start + self.args.report_every
        while time.monotonic() < until:
            await asyncio.sleep(2)
            t = time.monotonic() - start
            samples.append((t, rss_mb(pid), cpu_s(pid)))
            if not self.args.quiet and time.monotonic() >= next_report:
                next_report += self.args.report_every
                total = sum(sum(c.values()) for c in self.counts.values())
                print(f"  {t:5.0f} s  RSS {samples[-1][1]:6.1f} MB  answers {total}  "
                      f"unexpected {len(self.unexpected)}", flush=True)
        await asyncio.gather(*users)
        samples.append((time.monotonic() - start, rss_mb(pid), cpu_s(pid)))
        return samples


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--duration", type=float, default=600, help="seconds of load (600)")
    ap.add_argument("--warmup", type=float, default=120,
                    help="seconds after which the baseline RSS is taken (120: the answer "
                         "cache, 64 MB by default, has filled by then)")
    ap.add_argument("--users", type=int, default=16, help="simulated users (16)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--max-growth-mb", type=float, default=50.0)
    ap.add_argument("--report-every", type=float, default=60,
                    help="seconds between progress lines (60)")
    ap.add_argument("--quiet", action="store_true")
    args = ap.parse_args()
    args.port = free_port()

    log = tempfile.NamedTemporaryFile(prefix="optplay-soak-", suffix=".log", delete=False)
    # As the Dockerfile runs it: uvicorn drops WebSocket frames over 512 KiB unread, and
    # glibc's malloc keeps two arenas and gives blocks of 128 KiB and more back to the
    # system when freed (answers are megabytes: kept in the heap, they fragment it).
    env = {"UVICORN_WS_MAX_SIZE": str(512 * 1024), "MALLOC_ARENA_MAX": "2",
           "MALLOC_MMAP_THRESHOLD_": "131072", **os.environ}
    server = subprocess.Popen([sys.executable, "-m", "uvicorn", "app.main:app", "--host",
                               "127.0.0.1", "--port", str(args.port), "--log-level", "warning"],
                              cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", args.port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    print("the server did not start; log:", Path(log.name).read_text())
                    return 2
                time.sleep(0.1)
        print(f"soak: {args.duration:.0f} s, {args.users} users, server pid {server.pid} "
              f"on 127.0.0.1:{args.port}, log {log.name}", flush=True)
        soak = Soak(args)
        wall0 = time.monotonic()
        samples = asyncio.run(soak.main(server.pid))
        wall = time.monotonic() - wall0
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()

    text = Path(log.name).read_text(errors="replace")
    bad_lines = [ln for ln in text.splitlines()
                 if re.search(r"Traceback|ERROR|Exception|CRITICAL|destroyed but it is pending", ln)]
    start_rss = samples[0][1]
    base = next((s for s in samples if s[0] >= args.warmup), samples[-1])
    after = [s[1] for s in samples if s[0] >= args.warmup]
    end = samples[-1]
    growth = end[1] - base[1]
    total = sum(sum(c.values()) for c in soak.counts.values())

    print(f"\nworker RSS: start {start_rss:.1f} MB, after {args.warmup:.0f} s warm-up "
          f"{base[1]:.1f} MB, end {end[1]:.1f} MB (end - baseline {growth:+.1f} MB), "
          f"max after warm-up {max(after):.1f} MB")
    print(f"worker CPU: {end[2] - samples[0][2]:.0f} s in {wall:.0f} s")
    print(f"answers: {total} ({total / wall:.1f}/s)")
    for kind in sorted(soak.counts):
        c = soak.counts[kind]
        lat = sorted(soak.latency.get(kind, []))
        figures = f"  p50 {lat[len(lat) // 2] * 1000:.0f} ms, p99 " \
                  f"{lat[min(len(lat) - 1, int(len(lat) * 0.99))] * 1000:.0f} ms" if lat else ""
        print(f"  {kind:18s} " + ", ".join(f"{s}: {n}" for s, n in sorted(
            c.items(), key=lambda kv: str(kv[0]))) + figures)
    print(f"unexpected answers: {len(soak.unexpected)}"
          + (f" ({Counter(soak.unexpected).most_common(8)})" if soak.unexpected else ""))
    print(f"server log: {len(text.splitlines())} lines, {len(bad_lines)} with a traceback "
          f"or an error")
    for ln in bad_lines[:20]:
        print("  " + ln)
    failed = bool(soak.unexpected) or bool(bad_lines) or growth > args.max_growth_mb
    print("FAIL" if failed else "OK")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
