"""The WebSocket loop that /api/v1/stream and /api/v1/map/stream share: one job at a time
per socket, computed in a worker thread, its messages sent as they come.

A handshake from another site's page is refused (headers.websocket_origin_allowed).
For each message the socket receives, in order:

- over `ws_messages_per_second` (a token bucket, bursts of twice that): an error, and
  the message is dropped unread;
- the job in flight, if any, is cancelled, and the new one waits (at most a second)
  for its thread to end, so a socket never has two computations running;
- over `max_body_bytes`, not JSON, not an object: an error;
- the client address's computation slots (compute.SLOTS, shared with HTTP) all taken:
  an error naming the limit;
- the route's `validate(body)` (in a worker thread when the message is large), then its
  `start(prepared)`, which says what the job computes and what its last message says.

Every message echoes the request's "id" (if it had one), so a page can drop replies to
requests it has since replaced.  A bad request gets {"id", "error": {"detail": [...]}}
and the socket stays open.  A job holds its slot until its thread has really ended.
"""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any, Callable

import orjson
from fastapi import WebSocket, WebSocketDisconnect
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from ..config import env_name, settings
from ..engine.errors import Cancelled, ComputationTimeout, RequestError
from ..headers import websocket_origin_allowed
from .compute import GATE, SLOTS, TooBusy, client_key
from .errors import UNEXPECTED, error_detail, unexpected_detail
from .responses import dumps

# Messages up to this size are validated on the event loop (well under a millisecond).
INLINE_VALIDATION_BYTES = 8 * 1024

# validate(body) -> what start() takes; raises ValidationError or RequestError.
Validate = Callable[[dict], Any]
# start(prepared) -> (compute(job) -> result, in the worker thread; last(result) -> the
# body of the job's last message, on the event loop).
Start = Callable[[Any], tuple[Callable[["Job"], Any], Callable[[Any], dict]]]


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


def checked(validate: Validate, body: dict) -> tuple[Any, list | None]:
    """(prepared, None) or (None, error detail)."""
    try:
        return validate(body), None
    except (ValidationError, RequestError) as e:
        return None, error_detail(e)
    except UNEXPECTED as e:
        return None, unexpected_detail(e)[1]


class Job:
    """One request computing in a worker thread.  `compute(job)` runs there: it reads
    `job.stop.is_set` as its cancel flag and hands messages to `job.post`, which encodes
    them in that thread; the event loop only sends the text."""

    def __init__(self, ws: WebSocket, rid: Any, slot: str, compute: Callable[["Job"], Any],
                 last: Callable[[Any], dict]):
        self.ws, self.rid, self.slot, self.last = ws, rid, slot, last
        self.stop = threading.Event()
        self.queue: asyncio.Queue = asyncio.Queue()
        self.loop = asyncio.get_running_loop()
        self.work = self.loop.run_in_executor(
            None, lambda: GATE.run(lambda cancelled: compute(self), cancelled=self.stop.is_set))
        self.work.add_done_callback(self._finished)
        self.task = asyncio.create_task(self.pump())

    def _finished(self, work: asyncio.Future) -> None:
        SLOTS.release(self.slot)
        if not work.cancelled():
            work.exception()          # retrieved here, whoever else looks

    def post(self, body: dict) -> None:
        """From the worker thread: encode there, queue the text for the socket."""
        text = with_id(self.rid, body)
        self.loop.call_soon_threadsafe(self.queue.put_nowait, text)

    def cancel(self) -> None:
        self.stop.set()
        self.task.cancel()

    async def ended(self, timeout: float) -> None:
        """Wait (at most `timeout` s) for the worker thread to notice it was cancelled."""
        await asyncio.wait({self.work}, timeout=timeout)

    async def pump(self) -> None:
        work = self.work
        getter: asyncio.Future | None = None
        try:
            while True:
                getter = asyncio.ensure_future(self.queue.get())
                done, _ = await asyncio.wait({getter, work}, return_when=asyncio.FIRST_COMPLETED)
                if getter in done:
                    await self.ws.send_text(getter.result())
                    continue
                break
            while not self.queue.empty():
                await self.ws.send_text(self.queue.get_nowait())
            try:
                result = work.result()
            except Cancelled:
                return
            except (RequestError, ValidationError, ComputationTimeout) as e:
                await self.ws.send_text(error_message(self.rid, error_detail(e)))
                return
            except UNEXPECTED as e:
                await self.ws.send_text(error_message(self.rid, unexpected_detail(e)[1]))
                return
            await self.ws.send_text(with_id(self.rid, self.last(result)))
        except asyncio.CancelledError:
            self.stop.set()
            # the thread ends with Cancelled at its next check, and _finished collects it
            raise
        except (WebSocketDisconnect, RuntimeError):
            self.stop.set()
        finally:
            if getter is not None and not getter.done():
                getter.cancel()           # else it is destroyed pending, with a warning


async def serve(ws: WebSocket, validate: Validate, start: Start) -> None:
    """Answer the socket's messages until it closes (see the module's docstring)."""
    if not websocket_origin_allowed(ws.scope):
        await ws.close(code=1008)        # before accept: the handshake gets a 403
        return
    await ws.accept()
    limit = RateLimit(settings().ws_messages_per_second)
    slot = client_key(ws.scope)
    job: Job | None = None
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
                job.cancel()
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
            # A large message is validated in a worker thread (tens of ms at 256 KiB),
            # holding the slot: the event loop stays free for everyone else meanwhile.
            # A small one costs less than the hop to a thread and back.
            try:
                if len(text) > INLINE_VALIDATION_BYTES:
                    prepared, detail = await run_in_threadpool(checked, validate, body)
                else:
                    prepared, detail = checked(validate, body)
                if detail is None:
                    compute, last = start(prepared)
            except BaseException:
                SLOTS.release(slot)
                raise
            if detail is not None:
                SLOTS.release(slot)
                await ws.send_text(error_message(rid, detail))
                continue
            job = Job(ws, rid, slot, compute, last)
    except WebSocketDisconnect:
        pass
    finally:
        if job is not None:
            job.cancel()
