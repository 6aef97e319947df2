"""The WebSocket loop that /api/v1/stream and /api/v1/map/stream share: one job at a time
per socket, validated and computed in a worker thread, its messages sent as they come.

A handshake from another site's page is refused (headers.websocket_origin_allowed), and
the protocol's own limit on a frame is lowered to twice `max_body_bytes` (when uvicorn's
protocol is reachable) so that a giant frame is dropped before it is buffered.  For each
message the socket receives, in order:

- over `ws_messages_per_second` (a token bucket, bursts of twice that): an error, and
  the message is dropped unread;
- the job in flight, if any, is replaced: its thread is cancelled and the new one waits
  (at most a second) for it to end, so a socket never has two computations running;
  what it computed is dropped, but a refusal of its request (a 422's detail) is still
  sent, so every bad request gets its error;
- over `max_body_bytes`, not JSON, not an object: an error (on the event loop: these
  cost a parse at most);
- the client address's computation slots (compute.SLOTS, shared with HTTP) all taken:
  an error naming the limit;
- a Job: in a worker thread, under the gate and the budget, the route's
  `validate(body)`, then its `start(prepared)`, which says what the job computes and
  what its last message says.

The messages a job computes wait for the socket in its outbox.  The bytes waiting, over
all of a client's sockets, are held to `ws_queue_bytes_per_client` (OUTBOX): a job that
would go over it pauses until its socket has sent enough (giving its place at the gate to
others meanwhile; its budget keeps running, so a client that never reads ends it at the
budget), and a job keeps its client's slot until its last message is sent, so a client
that does not read cannot start more jobs than its slots.

Every message echoes the request's "id" (if it had one), so a page can drop replies to
requests it has since replaced.  A bad request gets {"id", "error": {"detail": [...]}}
and the socket stays open.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections import deque
from typing import Any, Callable

import orjson
from fastapi import WebSocket, WebSocketDisconnect
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from ..config import env_name, settings
from ..engine import budget
from ..engine.errors import Cancelled, ComputationTimeout, RequestError
from ..headers import websocket_origin_allowed
from .compute import GATE, SLOTS, Ticket, TooBusy, client_key
from .errors import UNEXPECTED, error_detail, unexpected_detail
from .responses import dumps

# validate(body) -> what start() takes; raises ValidationError or RequestError.
Validate = Callable[[dict], Any]
# start(prepared) -> (compute(job) -> result, in the worker thread; last(result) -> the
# body of the job's last message, on the event loop).
Start = Callable[[Any], tuple[Callable[["Job"], Any], Callable[[Any], dict]]]

# How often a paused job looks at its cancel flag and its budget.
PAUSE_POLL_S = 0.05


class RateLimit:
    """Token bucket: `rate` messages a second on average, bursts of twice that."""

    def __init__(self, rate: float):
        self.rate, self.capacity = rate, 2 * rate
        self.tokens, self.last = self.capacity, time.monotonic()

    def allow(self) -> bool:
        now = time.monotonic()
        self.tokens = min(self.capacity, self.tokens + (now - self.last) * self.rate)
        self.last = now
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        return False


def with_id(rid: Any, body: dict) -> str:
    return dumps({"id": rid, **body} if rid is not None else body).decode()


def error_message(rid: Any, detail: list) -> str:
    return with_id(rid, {"error": {"detail": detail}})


def decode(text: str | bytes) -> tuple[Any, dict | None, list | None]:
    """(id, body, None) or (id, None, error detail): the size, the JSON and the id (fast,
    on the event loop)."""
    limit = settings().max_body_bytes
    size = len(text) if isinstance(text, bytes) else len(text.encode("utf-8", "surrogatepass"))
    if size > limit:
        return None, None, [{"loc": ["message"], "msg": f"message of {size} bytes is over "
                             f"the limit of {limit} bytes ({env_name('max_body_bytes')})",
                             "type": "limit", "limit": limit}]
    try:
        body = orjson.loads(text)
    except orjson.JSONDecodeError as e:
        return None, None, [{"loc": ["message"], "msg": f"not JSON: {e}", "type": "json"}]
    if not isinstance(body, dict):
        return None, None, [{"loc": ["message"], "msg": "a request must be a JSON object",
                             "type": "json"}]
    rid = body.pop("id", None)
    if not isinstance(rid, (str, int, float, type(None))) or isinstance(rid, bool):
        rid = None
    return rid, body, None


class SlowReader(ComputationTimeout):
    """A job's budget ran out while it waited for its socket to take its messages."""

    def __init__(self, budget_s: float, queued: int):
        super().__init__(budget_s)
        self.args = (f"this socket took its messages more slowly than they were computed: "
                     f"{queued} bytes waited unsent ({env_name('ws_queue_bytes_per_client')}) "
                     f"until the compute budget of {budget_s:g} s ran out "
                     f"({env_name('compute_budget_s')})",)


class Outbox:
    """Bytes of computed messages not yet sent, per client address, over its sockets."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self.bytes: dict[str, int] = {}

    def queued(self, key: str) -> int:
        return self.bytes.get(key, 0)

    def add(self, job: "Job", n: int) -> None:
        with self._cond:
            job.queued += n
            self.bytes[job.ticket.key] = self.bytes.get(job.ticket.key, 0) + n

    def sent(self, job: "Job", n: int) -> None:
        with self._cond:
            job.queued -= n
            left = self.bytes.get(job.ticket.key, 0) - n
            if left > 0:
                self.bytes[job.ticket.key] = left
            else:
                self.bytes.pop(job.ticket.key, None)
            self._cond.notify_all()

    def full(self, job: "Job", n: int, limit: int) -> bool:
        """Whether `n` more bytes would take the client over `limit`.  A socket with
        nothing waiting may always queue one message, however large."""
        return job.queued > 0 and self.queued(job.ticket.key) + n > limit

    def wait_for_room(self, job: "Job", n: int, limit: int) -> None:
        """Block (in the worker thread) until the client has room for `n` bytes; Cancelled
        or SlowReader when the job's flag rises or its budget runs out meanwhile."""
        fence = budget.current()
        with self._cond:
            while self.full(job, n, limit):
                if job.stop.is_set():
                    raise Cancelled()
                if fence is not None and fence.deadline is not None \
                        and time.monotonic() > fence.deadline:
                    raise SlowReader(fence.budget, self.queued(job.ticket.key))
                self._cond.wait(PAUSE_POLL_S)


OUTBOX = Outbox()


class Job:
    """One request validated and computed in a worker thread.  `compute(job)` runs
    there: it reads `job.stop.is_set` as its cancel flag and hands messages to
    `job.post`, which encodes them in that thread; the event loop only sends the text.
    The client's slot (the ticket's) is given back once the thread has ended and the
    last message has been sent, or the socket is gone."""

    def __init__(self, ws: WebSocket, rid: Any, ticket: Ticket, body: dict,
                 validate: Validate, start: Start):
        self.ws, self.rid, self.ticket = ws, rid, ticket
        self.stop = ticket.stop
        self.last: Callable[[Any], dict] | None = None
        self.replaced = False
        self.outbox: deque[tuple[str, int]] = deque()
        self.queued = 0                   # bytes in the outbox (OUTBOX keeps it)
        self.wake = asyncio.Event()
        self.loop = asyncio.get_running_loop()
        self._open = 2                    # the thread and the pump, until both end
        # The pool HTTP computations use (starlette's, 40 threads), not the loop's
        # default executor (6 threads on 2 cores: a few paused jobs would stall all).
        self.work = asyncio.ensure_future(run_in_threadpool(GATE.run, ticket, self._compute,
                                                            body, validate, start))
        self.work.add_done_callback(self._work_done)
        self.task = asyncio.create_task(self.pump())
        self.task.add_done_callback(self._ended)

    def _compute(self, body: dict, validate: Validate, start: Start, cancelled) -> Any:
        compute, self.last = start(validate(body))
        return compute(self)

    def _work_done(self, work: asyncio.Future) -> None:
        if not work.cancelled():
            work.exception()              # retrieved here, whoever else looks
        self.wake.set()
        self._ended()

    def _ended(self, _: Any = None) -> None:
        self._open -= 1
        if self._open == 0:
            SLOTS.release(self.ticket.key)

    def post(self, body: dict) -> None:
        """From the worker thread: encode there, queue the text for the socket (waiting
        first, off the gate, while the client's outbox is full)."""
        data = dumps({"id": self.rid, **body} if self.rid is not None else body)
        n = len(data)
        limit = settings().ws_queue_bytes_per_client
        if OUTBOX.full(self, n, limit):
            with GATE.away(self.ticket):
                OUTBOX.wait_for_room(self, n, limit)
        OUTBOX.add(self, n)
        self.outbox.append((data.decode(), n))
        self.loop.call_soon_threadsafe(self.wake.set)

    def replace(self) -> None:
        """A newer request came: stop computing, drop what was computed, and send only a
        refusal, if the request turns out to be one."""
        self.replaced = True
        self.stop.set()
        self.wake.set()

    def cancel(self) -> None:
        """The socket is gone: stop everything."""
        self.stop.set()
        self.task.cancel()

    async def ended(self, timeout: float) -> None:
        """Wait (at most `timeout` s) for the worker thread to notice it was cancelled."""
        await asyncio.wait({self.work}, timeout=timeout)

    async def _send_queued(self) -> None:
        while self.outbox:
            text, n = self.outbox.popleft()
            try:
                if not self.replaced:
                    await self.ws.send_text(text)
            finally:
                OUTBOX.sent(self, n)

    async def pump(self) -> None:
        work = self.work
        try:
            while True:
                await self._send_queued()
                if work.done():
                    break
                self.wake.clear()
                if not self.outbox and not work.done():
                    await self.wake.wait()
            await self._send_queued()
            try:
                result = work.result()
            except Cancelled:
                return
            except (RequestError, ValidationError) as e:
                await self.ws.send_text(error_message(self.rid, error_detail(e)))
                return
            except ComputationTimeout as e:
                if not self.replaced:
                    await self.ws.send_text(error_message(self.rid, error_detail(e)))
                return
            except UNEXPECTED as e:
                if not self.replaced:
                    await self.ws.send_text(error_message(self.rid, unexpected_detail(e)[1]))
                return
            if not self.replaced:
                await self.ws.send_text(with_id(self.rid, self.last(result)))
        except asyncio.CancelledError:
            self.stop.set()
            # the thread ends with Cancelled at its next check, and _work_done collects it
            raise
        except (WebSocketDisconnect, RuntimeError):
            self.stop.set()
        finally:
            while self.outbox:            # never to be sent: no longer the client's
                OUTBOX.sent(self, self.outbox.popleft()[1])


def limit_frames(ws: WebSocket, limit: int) -> None:
    """Lower the server protocol's limit on an incoming message to `limit` bytes, so a
    larger frame is refused (close 1009) before it is buffered, whatever uvicorn was
    started with (its default is 16 MiB).  uvicorn's ASGI receive is a method of its
    protocol object: websockets' sans-I/O connection (uvicorn's default) reads
    `max_message_size` per frame, its legacy protocol `max_size`.  Elsewhere (another
    server, the test client) nothing is changed."""
    protocol = getattr(getattr(ws, "_receive", None), "__self__", None)
    for holder in (getattr(protocol, "conn", None), protocol):
        for name in ("max_message_size", "max_size"):
            current = getattr(holder, name, None)
            if isinstance(current, int) and not isinstance(current, bool) and current > limit:
                setattr(holder, name, limit)


async def serve(ws: WebSocket, validate: Validate, start: Start) -> None:
    """Answer the socket's messages until it closes (see the module's docstring)."""
    if not websocket_origin_allowed(ws.scope):
        await ws.close(code=1008)        # before accept: the handshake gets a 403
        return
    # Between the app's limit and twice it, the app answers with an error naming it.
    limit_frames(ws, 2 * settings().max_body_bytes)
    await ws.accept()
    limit = RateLimit(settings().ws_messages_per_second)
    slot = client_key(ws.scope)
    job: Job | None = None
    replaced: set[Job] = set()            # still sending a refusal, maybe
    try:
        while True:
            msg = await ws.receive()
            if msg["type"] == "websocket.disconnect":
                break
            text = msg.get("text") if msg.get("text") is not None else msg.get("bytes") or b""
            if not limit.allow():
                await ws.send_text(error_message(None, [{
                    "loc": ["message"], "msg": f"too many requests: the limit is "
                    f"{limit.rate:g} a second per socket "
                    f"({env_name('ws_messages_per_second')})",
                    "type": "rate_limit", "limit": limit.rate}]))
                continue
            if job is not None:
                job.replace()
                replaced.add(job)
                job.task.add_done_callback(lambda _, old=job: replaced.discard(old))
                await job.ended(timeout=1.0)
                job = None
            rid, body, detail = decode(text)
            if detail is not None:
                await ws.send_text(error_message(rid, detail))
                continue
            max_jobs = settings().max_concurrent_per_client
            if not SLOTS.acquire(slot, max_jobs):
                await ws.send_text(error_message(rid, TooBusy(max_jobs).detail()))
                continue
            job = Job(ws, rid, Ticket(slot), body, validate, start)
    except WebSocketDisconnect:
        pass
    finally:
        for j in [*replaced, *([job] if job is not None else [])]:
            j.cancel()
