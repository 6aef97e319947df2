"""WebSocket /api/v1/stream: paths in chunks as they are computed.

One job at a time per socket: a new request cancels the one in flight (its thread stops
at its next check, within runner.CHECK_EVERY steps).  A bad request gets an error
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

from ..config import settings
from ..engine.errors import Cancelled, ComputationTimeout, RequestError
from ..engine.request import RunRequest
from ..engine.scene import execute, validate_all
from .errors import error_detail
from .responses import dumps

router = APIRouter(prefix="/api/v1", tags=["stream"])

# Fields of a finished run that the "done" message repeats (the path came in chunks).
SUMMARY_FIELDS = ("optimizer", "status", "steps_done", "escaped_at", "label", "color",
                  "state", "grad")


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
    """One request computing in a worker thread, its chunks sent as they come."""

    def __init__(self, ws: WebSocket, req: RunRequest, rid: Any):
        self.ws, self.req, self.rid = ws, req, rid
        self.stop = threading.Event()
        self.queue: asyncio.Queue = asyncio.Queue()
        self.task = asyncio.create_task(self.pump())

    def cancel(self) -> None:
        self.stop.set()
        self.task.cancel()

    def message(self, body: dict) -> str:
        if self.rid is not None:
            body = {"id": self.rid, **body}
        return dumps(body).decode()

    async def pump(self) -> None:
        loop = asyncio.get_running_loop()

        def on_chunk(i: int, chunk: dict) -> None:
            loop.call_soon_threadsafe(self.queue.put_nowait, {"run": i, **chunk})

        work = loop.run_in_executor(None, lambda: execute(
            self.req, cancelled=self.stop.is_set, on_chunk=on_chunk))
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
            runs = [{k: r[k] for k in SUMMARY_FIELDS if k in r} for r in answer["runs"]]
            await self.ws.send_text(self.message({"done": True, "surface": answer["surface"],
                                                  "runs": runs}))
        except asyncio.CancelledError:
            self.stop.set()
            # The thread ends with Cancelled at its next check: collect it quietly.
            work.add_done_callback(lambda f: f.cancelled() or f.exception())
            raise
        except (WebSocketDisconnect, RuntimeError):
            self.stop.set()


def parse(text: str | bytes) -> tuple[Any, RunRequest | None, list | None]:
    """(id, request, None) or (id, None, error detail)."""
    limit = settings().max_body_bytes
    if len(text) > limit:
        return None, None, [{"loc": ["message"], "msg": f"message of {len(text)} bytes is "
                             f"over the limit of {limit}", "type": "limit"}]
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
    try:
        req = RunRequest.model_validate(body)
        validate_all(req)
    except (ValidationError, RequestError) as e:
        return rid, None, error_detail(e)
    return rid, req, None


@router.websocket("/stream")
async def stream(ws: WebSocket) -> None:
    await ws.accept()
    limit = RateLimit(settings().ws_messages_per_second)
    job: Job | None = None
    try:
        while True:
            msg = await ws.receive()
            if msg["type"] == "websocket.disconnect":
                break
            text = msg.get("text") if msg.get("text") is not None else msg.get("bytes") or b""
            if not limit.allow():
                await ws.send_text(dumps({"error": {"detail": [{
                    "loc": ["message"], "msg": "too many requests: slow down",
                    "type": "rate_limit"}]}}).decode())
                continue
            if job is not None:
                job.cancel()
                job = None
            rid, req, detail = parse(text)
            if detail is not None:
                body = {"error": {"detail": detail}}
                await ws.send_text(dumps({"id": rid, **body} if rid is not None else body).decode())
                continue
            job = Job(ws, req, rid)
    except WebSocketDisconnect:
        pass
    finally:
        if job is not None:
            job.cancel()
