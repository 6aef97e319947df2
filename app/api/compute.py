"""Computations off the event loop, fenced in.

Whatever a request computes (its validation included: formulas are compiled there, and
schedules replayed) runs in the thread pool through `computed(request, fn, *args)`,
which returns `fn(*args, cancelled=flag)`; `compute(...)` also encodes the answer as
JSON (and gzip, when the client takes it) in that thread, so the event loop only moves
bytes.  Around both:

- at most `max_concurrent_per_client` requests in flight per client address, HTTP and
  WebSocket together (`SLOTS`); one more is refused at once with a 429 that names the
  limit (`TooBusy`), before any work;
- the client going away (`http.disconnect`) raises the flag, which the engine's loops
  read every few steps: a closed tab leaves no orphan work behind;
- at most `max_computations` of them running at once in this worker (`GATE`), and at
  most one fewer for any one address, so that a client flooding the worker always
  leaves a place for everybody else; a free place goes to the waiting client that runs
  the fewest, then to the one that came first.  The rest wait in their threads, so a
  burst of requests queues instead of multiplying the worker's memory and splitting two
  cores forty ways;
- the request's compute budget (`compute_budget_s`): the gate runs each piece of work
  inside a Fence (app/engine/budget.py) whose deadline is what is left of the budget,
  and every loop of the engine looks at it (a 422 that says the budget, see errors.py).

The client address is the peer of the socket, or the one uvicorn takes from
X-Forwarded-For when it runs with --proxy-headers behind a trusted proxy.
"""

from __future__ import annotations

import asyncio
import threading
import time
from contextlib import asynccontextmanager, contextmanager
from typing import Any, AsyncIterator, Callable, Iterator

from fastapi import Request, Response
from starlette.concurrency import run_in_threadpool
from starlette.types import Receive, Scope

from ..cache import GZIP_MIN, gzip_bytes
from ..config import env_name, settings
from ..engine import budget
from ..engine.errors import Cancelled
from ..engine.fence import Fence
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


class Ticket:
    """One request's claim on the worker: its client's address (`key`, whose slot it
    holds), its cancel flag, and the compute time it has used so far (a request computed
    in several pieces, validation then work, has one budget)."""

    def __init__(self, key: str, stop: threading.Event | None = None):
        self.key = key
        self.stop = stop or threading.Event()
        self.spent = 0.0
        self.holding = False          # a place at the gate, now

    def cancelled(self) -> bool:
        return self.stop.is_set()


class _Waiter:
    """A thread waiting at the gate.  Compared by identity (list.remove finds this one,
    never another waiter of the same address)."""

    __slots__ = ("key",)

    def __init__(self, key: str):
        self.key = key


class WorkerGate:
    """How many computations run at once in this process, and for whom.  A waiting
    thread looks at its cancel flag every few milliseconds, so a client that leaves the
    queue leaves."""

    POLL_S = 0.005

    def __init__(self, places: int | None = None) -> None:
        self._places = places
        self._cond = threading.Condition()
        self._running: dict[str, int] = {}
        self._total = 0
        self._waiting: list[_Waiter] = []       # in order of arrival

    @property
    def places(self) -> int:
        if self._places is None:
            self._places = max(1, settings().max_computations)
        return self._places

    @property
    def per_client(self) -> int:
        """Places one address may hold: all but one (when there is more than one)."""
        return max(1, self.places - 1)

    def running(self, key: str) -> int:
        return self._running.get(key, 0)

    def _may_run(self, key: str) -> bool:
        return self._total < self.places and self._running.get(key, 0) < self.per_client

    def _next(self) -> _Waiter | None:
        """The waiter whose turn it is: of those that may run, the one whose client runs
        the fewest computations, the earliest among equals."""
        best = None
        for w in self._waiting:
            if self._may_run(w.key) and (best is None or
                                         self.running(w.key) < self.running(best.key)):
                best = w
        return best

    def enter(self, key: str, cancelled: Callable[[], bool]) -> None:
        """Take a place for `key` (Cancelled if the flag rises while waiting)."""
        me = _Waiter(key)
        with self._cond:
            self._waiting.append(me)
            try:
                while self._next() is not me:
                    if cancelled():
                        raise Cancelled()
                    self._cond.wait(self.POLL_S)
                self._running[key] = self._running.get(key, 0) + 1
                self._total += 1
            finally:
                # by identity: another waiter of the same address is another entry
                self._waiting.remove(me)
                self._cond.notify_all()

    def leave(self, key: str) -> None:
        with self._cond:
            n = self._running[key] - 1
            if n:
                self._running[key] = n
            else:
                del self._running[key]
            self._total -= 1
            self._cond.notify_all()

    def run(self, ticket: Ticket, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """fn(*args, cancelled=ticket.cancelled, **kwargs) once a place is free (in the
        worker thread), inside the ticket's budget (budget.current() is its Fence)."""
        self.enter(ticket.key, ticket.cancelled)
        ticket.holding = True
        started = time.monotonic()
        seconds = settings().compute_budget_s
        fence = Fence(started + seconds - ticket.spent, seconds, ticket.cancelled)
        try:
            with budget.within(fence):
                return fn(*args, cancelled=ticket.cancelled, **kwargs)
        finally:
            ticket.spent += time.monotonic() - started
            if ticket.holding:
                ticket.holding = False
                self.leave(ticket.key)

    @contextmanager
    def away(self, ticket: Ticket) -> Iterator[None]:
        """Give the ticket's place back for the block (work that waits for its client, not
        for the CPU), and take one again after it; the budget keeps running."""
        self.leave(ticket.key)
        ticket.holding = False
        yield
        self.enter(ticket.key, ticket.cancelled)
        ticket.holding = True


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


@asynccontextmanager
async def admitted(request: Request) -> AsyncIterator[Ticket]:
    """A ticket for the request: one of its client's slots (TooBusy if none is left),
    and a cancel flag raised when the client goes away."""
    ticket = Ticket(acquire(request.scope))
    watcher = asyncio.ensure_future(_until_disconnect(request.receive, ticket.stop))
    try:
        yield ticket
    finally:
        watcher.cancel()
        SLOTS.release(ticket.key)


async def in_worker(ticket: Ticket, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """`fn(*args, cancelled=..., **kwargs)` in a worker thread, through the gate."""
    return await run_in_threadpool(GATE.run, ticket, fn, *args, **kwargs)


async def computed(request: Request, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """`fn(*args, cancelled=..., **kwargs)` in a worker thread, under the per-client
    limit, the gate and the budget; the flag is raised when the client goes away (then
    fn raises Cancelled)."""
    async with admitted(request) as ticket:
        return await in_worker(ticket, fn, *args, **kwargs)


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
