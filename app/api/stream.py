"""WebSocket /api/v1/stream: paths in chunks as they are computed.

One job at a time per socket: a new request cancels the one in flight (its thread stops
at its next check, within runner.CLOCK_EVERY steps), and a client's jobs over all its
sockets count against max_concurrent_per_client with its HTTP computations.  A bad request gets an error
message and the socket stays open.  Every message echoes the request's "id" (if it had
one), so a page can drop replies to requests it has since replaced.
"""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any

import orjson
from fastapi import APIRouter, WebSocket, WebSocketDisconnect
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from ..config import settings
from ..engine.errors import Cancelled, ComputationTimeout, RequestError
from ..engine.request import RunRequest
from ..engine.scene import execute, validate_all
from .compute import SLOTS, TooBusy, client_key
from .errors import UNEXPECTED, error_detail, unexpected_detail
from .responses import dumps

router = APIRouter(prefix="/api/v1", tags=["stream"])

# Messages up to this size are validated on the event loop (well under a millisecond).
INLINE_VALIDATION_BYTES = 8 * 1024

# Fields of a finished run that the "done" message repeats (the path came in chunks).
SUMMARY_FIELDS = ("optimizer", "status", "steps_done", "escaped_at", "label", "color",
                  "state", "grad", "diverged_reason")


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


class Job:
    """One request computing in a worker thread, its chunks sent as they come.

    It holds one of its client's computation slots (compute.SLOTS) until the thread has
    really ended, cancelled or not: a socket that sends request after request never has
    more than one computation running."""

    def __init__(self, ws: WebSocket, req: RunRequest, rid: Any, key: str):
        self.ws, self.req, self.rid, self.key = ws, req, rid, key
        self.stop = threading.Event()
        self.queue: asyncio.Queue = asyncio.Queue()
        loop = asyncio.get_running_loop()

        def on_chunk(i: int, chunk: dict) -> None:
            loop.call_soon_threadsafe(self.queue.put_nowait, {"run": i, **chunk})

        self.work = loop.run_in_executor(None, lambda: execute(
            self.req, cancelled=self.stop.is_set, on_chunk=on_chunk))
        self.work.add_done_callback(self._finished)
        self.task = asyncio.create_task(self.pump())

    def _finished(self, work: asyncio.Future) -> None:
        SLOTS.release(self.key)
        if not work.cancelled():
            work.exception()          # retrieved here, whoever else looks

    def cancel(self) -> None:
        self.stop.set()
        self.task.cancel()

    async def ended(self, timeout: float) -> None:
        """Wait (at most `timeout` s) for the worker thread to notice it was cancelled."""
        await asyncio.wait({self.work}, timeout=timeout)

    def message(self, body: dict) -> str:
        if self.rid is not None:
            body = {"id": self.rid, **body}
        return dumps(body).decode()

    async def pump(self) -> None:
        work = self.work
        getter: asyncio.Future | None = None
        try:
            while True:
                getter = asyncio.ensure_future(self.queue.get())
                done, _ = await asyncio.wait({getter, work}, return_when=asyncio.FIRST_COMPLETED)
                if getter in done:
                    await self.ws.send_text(self.message(getter.result()))
                    continue
                getter.cancel()
                break
            while not self.queue.empty():
                await self.ws.send_text(self.message(self.queue.get_nowait()))
            try:
                answer = work.result()
            except Cancelled:
                return
            except (RequestError, ValidationError, ComputationTimeout) as e:
                await self.ws.send_text(self.message({"error": {"detail": error_detail(e)}}))
                return
            except UNEXPECTED as e:
                _, detail = unexpected_detail(e)
                await self.ws.send_text(self.message({"error": {"detail": detail}}))
                return
            runs = [{k: r[k] for k in SUMMARY_FIELDS if k in r} for r in answer["runs"]]
            await self.ws.send_text(self.message({"done": True, "surface": answer["surface"],
                                                  "runs": runs}))
        except asyncio.CancelledError:
            self.stop.set()
            # the thread ends with Cancelled at its next check, and _finished collects it
            raise
        except (WebSocketDisconnect, RuntimeError):
            self.stop.set()
        finally:
            if getter is not None and not getter.done():
                getter.cancel()           # else it is destroyed pending, with a warning


def decode(text: str | bytes) -> tuple[Any, dict | None, list | None]:
    """(id, body, None) or (id, None, error detail): the size, the JSON and the id (fast,
    on the event loop)."""
    limit = settings().max_body_bytes
    size = len(text) if isinstance(text, bytes) else len(text.encode("utf-8", "surrogatepass"))
    if size > limit:
        return None, None, [{"loc": ["message"], "msg": f"message of {size} bytes is over "
                             f"the limit of {limit} bytes (max_body_bytes)", "type": "limit"}]
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


def validate(body: dict) -> tuple[RunRequest | None, list | None]:
    """(request, None) or (None, error detail): the whole check, optimizers and
    schedulers built once (in a worker thread: a big message takes tens of ms)."""
    try:
        req = RunRequest.model_validate(body)
        validate_all(req)
    except (ValidationError, RequestError) as e:
        return None, error_detail(e)
    except UNEXPECTED as e:
        return None, unexpected_detail(e)[1]
    return req, None


def parse(text: str | bytes) -> tuple[Any, RunRequest | None, list | None]:
    """(id, request, None) or (id, None, error detail)."""
    rid, body, detail = decode(text)
    if detail is not None:
        return rid, None, detail
    req, detail = validate(body)
    return rid, req, detail


def error_message(rid: Any, detail: list) -> str:
    body = {"error": {"detail": detail}}
    return dumps({"id": rid, **body} if rid is not None else body).decode()


@router.websocket("/stream")
async def stream(ws: WebSocket) -> None:
    await ws.accept()
    limit = RateLimit(settings().ws_messages_per_second)
    key = client_key(ws.scope)
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
                    f"{limit.rate:g} a second per socket (ws_messages_per_second)",
                    "type": "rate_limit"}]))
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
            if not SLOTS.acquire(key, max_jobs):
                await ws.send_text(error_message(rid, TooBusy(max_jobs).detail()))
                continue
            # A large message is validated in a worker thread (tens of ms at 256 KiB),
            # holding the slot: the event loop stays free for everyone else meanwhile.
            # A small one costs less than the hop to a thread and back.
            try:
                if len(text) > INLINE_VALIDATION_BYTES:
                    req, detail = await run_in_threadpool(validate, body)
                else:
                    req, detail = validate(body)
            except BaseException:
                SLOTS.release(key)
                raise
            if detail is not None:
                SLOTS.release(key)
                await ws.send_text(error_message(rid, detail))
                continue
            job = Job(ws, req, rid, key)
    except WebSocketDisconnect:
        pass
    finally:
        if job is not None:
            job.cancel()
