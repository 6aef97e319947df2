"""Computations off the event loop, fenced in.

`await compute(request, fn, *args)` runs `fn(*args, cancelled=flag)` in the thread pool
and encodes its answer as JSON (and gzip, when the client takes it) in that thread too,
so the event loop only moves bytes; `await computed(request, fn, *args)` returns what fn
returns, for callers that shape the answer themselves.  Around both:

- at most `max_concurrent_per_client` computations in flight per client address, HTTP
  and WebSocket together (`SLOTS`); one more is refused at once with a 429 that names
  the limit (`TooBusy`), before any work;
- the client going away (`http.disconnect`) raises the flag, which the engine's loops
  read every few steps: a closed tab leaves no orphan work behind;
- at most `max_computations` of them running at once in this worker (`GATE`): the
  rest wait in their threads, so a burst of requests queues instead of multiplying the
  worker's memory and splitting two cores forty ways;
- the engine's own deadline (`compute_budget_s`) cuts whatever would run longer (a 422
  that says the budget, see errors.py).

The client address is the peer of the socket, or the one uvicorn takes from
X-Forwarded-For when it runs with --proxy-headers behind a trusted proxy.
"""

from __future__ import annotations

import asyncio
import threading
from typing import Any, Callable

from fastapi import Request, Response
from starlette.concurrency import run_in_threadpool
from starlette.types import Receive, Scope

from ..cache import GZIP_MIN, gzip_bytes
from ..config import env_name, settings
from ..engine.errors import Cancelled
from .responses import dumps

# The status of an answer nobody is left to read (nginx's "client closed request").
CLIENT_GONE = 499


class TooBusy(Exception):
    """The client already has `limit` computations in flight."""

    def __init__(self, limit: int):
        super().__init__(f"too many computations at once from this address: the limit "
                         f"is {limit} at a time ({env_name('max_concurrent_per_client')})")
        self.limit = limit

    def detail(self) -> list[dict]:
        return [{"loc": [], "msg": str(self), "type": "limit", "limit": self.limit}]


class ClientSlots:
    """Computations in flight, counted per client address."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.counts: dict[str, int] = {}

    def acquire(self, key: str, limit: int) -> bool:
        with self._lock:
            n = self.counts.get(key, 0)
            if n >= limit:
                return False
            self.counts[key] = n + 1
            return True

    def release(self, key: str) -> None:
        with self._lock:
            n = self.counts.get(key, 0) - 1
            if n > 0:
                self.counts[key] = n
            else:
                self.counts.pop(key, None)

    def in_flight(self, key: str) -> int:
        return self.counts.get(key, 0)


SLOTS = ClientSlots()


class WorkerGate:
    """How many computations run at once in this process.  A waiting thread looks at
    its cancel flag every few milliseconds, so a client that leaves the queue leaves."""

    POLL_S = 0.005

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._semaphore: threading.BoundedSemaphore | None = None

    def semaphore(self) -> threading.BoundedSemaphore:
        with self._lock:
            if self._semaphore is None:
                self._semaphore = threading.BoundedSemaphore(max(1, settings().max_computations))
            return self._semaphore

    def run(self, fn: Callable[..., Any], *args: Any, cancelled: Callable[[], bool],
            **kwargs: Any) -> Any:
        """fn(*args, cancelled=cancelled, **kwargs) once a place is free (in the worker
        thread); Cancelled if the flag rises while it waits."""
        gate = self.semaphore()
        while not gate.acquire(timeout=self.POLL_S):
            if cancelled():
                raise Cancelled()
        try:
            return fn(*args, cancelled=cancelled, **kwargs)
        finally:
            gate.release()


GATE = WorkerGate()


def client_key(scope: Scope) -> str:
    client = scope.get("client")
    return str(client[0]) if client else "-"


def acquire(scope: Scope) -> str:
    """Take a slot for the scope's client, or raise TooBusy; returns the key to release."""
    key = client_key(scope)
    limit = settings().max_concurrent_per_client
    if not SLOTS.acquire(key, limit):
        raise TooBusy(limit)
    return key


async def _until_disconnect(receive: Receive, stop: threading.Event) -> None:
    # The body has been read by now: the next message is the client going away (or
    # the server closing the cycle after the answer, by which time nobody waits).
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            stop.set()
            return


async def computed(request: Request, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """`fn(*args, cancelled=..., **kwargs)` in a worker thread, under the per-client
    limit; the flag is raised when the client goes away (then fn raises Cancelled)."""
    key = acquire(request.scope)
    stop = threading.Event()
    watcher = asyncio.ensure_future(_until_disconnect(request.receive, stop))
    try:
        return await run_in_threadpool(GATE.run, fn, *args, cancelled=stop.is_set, **kwargs)
    finally:
        watcher.cancel()
        SLOTS.release(key)


def accepts_gzip(request: Request) -> bool:
    return "gzip" in request.headers.get("accept-encoding", "")


def packed(body: bytes, gzip: bool) -> tuple[bytes, dict[str, str]]:
    """(body, headers): gzip-compressed when the client takes it and it is large enough
    to gain.  Called in the worker thread: GZipMiddleware would compress on the event
    loop, and a 400 x 400 grid (3 MB) or a CSV export (15 MB) takes 50-400 ms."""
    if gzip and len(body) >= GZIP_MIN:
        return gzip_bytes(body), {"Content-Encoding": "gzip", "Vary": "Accept-Encoding"}
    return body, {}


async def compute(request: Request, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Response:
    """The JSON answer of `fn(*args, cancelled=..., **kwargs)`, computed, encoded and
    compressed in a worker thread under the per-client limit; 499 (unread) if the client
    left meanwhile."""
    gzip = accepts_gzip(request)

    def work(cancelled: Callable[[], bool]) -> tuple[bytes, dict[str, str]]:
        return packed(dumps(fn(*args, cancelled=cancelled, **kwargs)), gzip)

    try:
        body, headers = await computed(request, work)
    except Cancelled:
        return Response(status_code=CLIENT_GONE)
    return Response(body, media_type="application/json", headers=headers)
