"""Load: requests per second and latency of POST /api/v1/run on the page's default scene.

    python bench/load.py [--seconds 60] [--clients 32] [--workers 2]

Starts `uvicorn app.main:app --workers 2` on a free loopback port (or uses --url, which
must be a loopback address), then runs two phases of --seconds each, with --clients
concurrent keep-alive clients, each sending its next request when its answer is in:

  uncached  every request differs (the start point moves by 1e-9 per request), so every
            one is computed;
  cached    every client sends the same scene, so after the first each is a cache hit.

Clients send Accept-Encoding: gzip, as browsers do, and open a new connection every
--per-connection requests (100; nginx's keepalive_requests is 1000, browsers drop idle
ones): with `uvicorn --workers N` all workers accept on one shared socket, and 32
connections opened in one burst and kept for the whole run can all land on one worker
(seen here: 32 and 0, half the throughput); reconnecting lets the less busy worker take
its share, as a load balancer in front would.  Each client connects from its own
loopback address (127.0.0.2, 127.0.0.3, ...), as a classroom of students would from
theirs, so the per-address computation limit (max_concurrent_per_client) applies per
client, not to the whole load.  The client is a small asyncio HTTP/1.1 loop (uvloop when
installed): on a 2-core machine it shares the cores with the server, and a lighter
client leaves more of them to the server.

Prints, per phase: requests, requests/s, p50, p90, p99 and max latency, errors.
Targets (2 workers, 32 clients, 60 s): uncached >= 300 req/s with p99 < 100 ms;
cached >= 2,000 req/s; zero errors.
"""

from __future__ import annotations

import argparse
import asyncio
import ipaddress
import os
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

import orjson

REPO = Path(__file__).resolve().parent.parent

# The page's default scene (static/js/state.js: DEFAULT_ROWS, DEFAULT_STEPS, PALETTE).
SCENE = {"surface": "rosenbrock", "steps": 200,
         "runs": [{"optimizer": "sgd", "params": {"lr": 0.002}, "color": "#e8453c"},
                  {"optimizer": "sgd", "params": {"lr": 0.001, "momentum": 0.9},
                   "color": "#1f77d0"},
                  {"optimizer": "adam", "params": {"lr": 0.1}, "color": "#f2a900"},
                  {"optimizer": "rmsprop", "params": {"lr": 0.01}, "color": "#7b3fd1"}]}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(workers: int) -> tuple[subprocess.Popen, str]:
    port = free_port()
    cmd = [sys.executable, "-m", "uvicorn", "app.main:app", "--host", "127.0.0.1",
           "--port", str(port), "--workers", str(workers), "--no-access-log",
           "--log-level", "warning"]
    proc = subprocess.Popen(cmd, cwd=REPO, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("uvicorn exited early")
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=1) as r:
                if r.status == 200:
                    return proc, url
        except OSError:
            time.sleep(0.2)
    stop_server(proc)
    raise RuntimeError("uvicorn did not answer /healthz within 60 s")


def stop_server(proc: subprocess.Popen) -> None:
    """End the uvicorn we started (its own process group: the workers go with it)."""
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


class Client:
    """One keep-alive HTTP/1.1 connection from its own loopback address."""

    def __init__(self, host: str, port: int, source: str):
        self.host, self.port, self.source = host, port, source
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def connect(self) -> None:
        self.reader, self.writer = await asyncio.open_connection(
            self.host, self.port, local_addr=(self.source, 0))

    async def post(self, path: str, body: bytes) -> tuple[int, bytes]:
        if self.writer is None:
            await self.connect()
        head = (f"POST {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n"
                f"Content-Type: application/json\r\nAccept-Encoding: gzip\r\n"
                f"Content-Length: {len(body)}\r\n\r\n").encode()
        self.writer.write(head + body)
        status_line = await self.reader.readline()
        if not status_line:
            raise ConnectionError("connection closed")
        status = int(status_line.split()[1])
        length, close = None, False
        while True:
            line = await self.reader.readline()
            if line in (b"\r\n", b""):
                break
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            if name == b"content-length":
                length = int(value)
            elif name == b"connection" and value.strip().lower() == b"close":
                close = True
            elif name == b"transfer-encoding":
                raise ValueError("chunked answers are not expected here")
        data = await self.reader.readexactly(length or 0)
        if close:
            self.close()
        return status, data

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


async def phase(url: str, clients: int, seconds: float, cached: bool,
                warmup: float, per_connection: int) -> dict:
    u = urllib.parse.urlsplit(url)
    host, port = u.hostname, u.port or 80
    counter = 0
    latencies: list[float] = []
    errors: dict[str, int] = {}
    stop_at = time.monotonic() + warmup + seconds
    count_from = time.monotonic() + warmup
    same = orjson.dumps(SCENE)

    def next_body() -> bytes:
        nonlocal counter
        if cached:
            return same
        counter += 1
        return orjson.dumps({**SCENE, "start": [-1.2 + 1e-9 * counter, 1.0]})

    async def one(k: int) -> None:
        c = Client(host, port, f"127.0.0.{2 + k}")
        await asyncio.sleep(0.01 * k)          # not all in one burst
        sent = 0
        while True:
            t0 = time.monotonic()
            if t0 >= stop_at:
                break
            if sent and per_connection and sent % per_connection == 0:
                c.close()
            sent += 1
            try:
                status, _ = await c.post("/api/v1/run", next_body())
                ok = status == 200
                what = f"HTTP {status}"
            except (OSError, ValueError, asyncio.IncompleteReadError) as e:
                ok, what = False, type(e).__name__
                c.close()
            t1 = time.monotonic()
            if t0 >= count_from:
                if ok:
                    latencies.append(t1 - t0)
                else:
                    errors[what] = errors.get(what, 0) + 1
        c.close()

    await asyncio.gather(*(one(k) for k in range(clients)))
    lat = sorted(latencies)

    def pct(p: float) -> float:
        return lat[min(len(lat) - 1, int(p / 100 * len(lat)))] * 1e3 if lat else float("nan")

    return {"requests": len(lat), "rps": len(lat) / seconds, "p50": pct(50), "p90": pct(90),
            "p99": pct(99), "max": lat[-1] * 1e3 if lat else float("nan"),
            "mean": statistics.fmean(lat) * 1e3 if lat else float("nan"),
            "errors": sum(errors.values()), "error_kinds": errors}


def loopback(url: str) -> bool:
    host = urllib.parse.urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=60.0, help="measured seconds per phase")
    ap.add_argument("--warmup", type=float, default=3.0, help="unmeasured seconds first")
    ap.add_argument("--clients", type=int, default=32)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--url", help="a running server on a loopback address instead")
    ap.add_argument("--phases", default="uncached,cached")
    ap.add_argument("--per-connection", type=int, default=100,
                    help="requests per keep-alive connection (0: one connection per client)")
    args = ap.parse_args()
    if args.url and not loopback(args.url):
        sys.exit("--url must be a loopback address (127.0.0.0/8, ::1, localhost)")
    try:
        import uvloop
        uvloop.install()
        loop_name = "uvloop"
    except ImportError:
        loop_name = "asyncio"

    proc = None
    url = args.url
    if url is None:
        proc, url = start_server(args.workers)
    try:
        print(f"POST /api/v1/run, default scene (4 runs x 200 steps on Rosenbrock); "
              f"{url}; {args.workers} workers; {args.clients} clients ({loop_name}); "
              f"{args.per_connection or 'all'} requests per connection; "
              f"{args.seconds:g} s per phase after {args.warmup:g} s warm-up; "
              f"{os.cpu_count()} CPUs shared by server and clients")
        for name in args.phases.split(","):
            r = asyncio.run(phase(url, args.clients, args.seconds, name == "cached",
                                  args.warmup, args.per_connection))
            print(f"  {name:<9} {r['requests']:7d} requests  {r['rps']:8.0f} req/s   "
                  f"p50 {r['p50']:6.1f} ms  p90 {r['p90']:6.1f} ms  p99 {r['p99']:6.1f} ms  "
                  f"max {r['max']:6.1f} ms   errors {r['errors']}"
                  + (f" {r['error_kinds']}" if r["errors"] else ""))
    finally:
        if proc is not None:
            stop_server(proc)


if __name__ == "__main__":
    main()
