"""Maps: POST /api/v1/map (the whole answer), GET /api/v1/map?q= (the same, cacheable),
and WebSocket /api/v1/map/stream (rows as they are computed).

The stream: the client sends a map request (with an optional "id"); the server answers

    {"id", "kind", "shape": [ny, nx], "x", "y", "surface", "minima", "tol", "steps", ...,
     "progress": 0}                                   the grid, before any cell
    {"id", "rows": [j0, j1], "progress": j1 / ny,
     "final", "final_loss", "minimum", "steps_to_min", "diverged"}   rows j0 <= j < j1
    ...
    {"id", "done": true, "cached": bool}

A new message on the socket cancels the map in flight (its thread stops within a few
optimizer steps); a bad request gets {"id", "error": {"detail": [...]}} and the socket
stays open.  A map computed once (by either route) is answered from the cache.
"""

from __future__ import annotations

import asyncio
import threading
from typing import Any, Optional

import orjson
from fastapi import APIRouter, Query, Request, WebSocket, WebSocketDisconnect
from pydantic import BaseModel, Field, ValidationError

from .. import cache
from ..config import settings
from ..engine.errors import Cancelled, ComputationTimeout, RequestError
from ..engine.map_request import MapRequest
from ..engine.maps import MapPlan, answer, block_rows, cells, header, plan, run_map
from . import cached
from .compute import SLOTS, TooBusy, client_key
from .errors import UNEXPECTED, error_detail, unexpected_detail
from .responses import FastJSONResponse, dumps
from .routing import OrjsonRoute
from .schemas import UNPROCESSABLE, SurfaceInfo
from .stream import RateLimit, error_message

router = APIRouter(prefix="/api/v1", tags=["maps"], route_class=OrjsonRoute)

Point = tuple[float, float]
CELL_FIELDS = ("final", "final_loss", "minimum", "steps_to_min", "diverged")


class MapAnswer(BaseModel):
    """Per-cell arrays are row-major: cell k = j * nx + i is at x[i], y[j]."""

    kind: str
    shape: tuple[int, int] = Field(description="[ny, nx]")
    x: list[float] = Field(description="axis values of the columns (start x, or the "
                                       "swept hyperparameter)")
    y: list[float] = Field(description="axis values of the rows")
    surface: SurfaceInfo
    minima: list[Point] = Field(description="the points `minimum` indexes")
    tol: float = Field(description="distance within which a minimum counts as reached")
    steps: int
    optimizer: str
    start: Optional[Point] = Field(None, description="sweep: the start of every cell")
    x_param: Optional[str] = Field(None, description="sweep: e.g. lr, or betas[1]")
    y_param: Optional[str] = None
    final: list[Point] = Field(description="the last finite point of each cell's run")
    final_loss: list[Optional[float]] = Field(description="the loss there (null only if "
                                                          "the start itself was not finite)")
    minimum: list[int] = Field(description="index into minima of the first minimum the "
                                           "run came within tol of; -1 for none")
    steps_to_min: list[int] = Field(description="the step at which it did; -1 if never")
    diverged: list[bool] = Field(description="the point or loss stopped being finite")


def compute_map(req: MapRequest, cancelled=None) -> dict:
    p = plan(req)
    return answer(p, run_map(p, cancelled=cancelled))


@router.post("/map", response_model=MapAnswer, response_class=FastJSONResponse,
             responses=UNPROCESSABLE)
async def map_post(req: MapRequest, request: Request):
    """A basin map (a start per cell) or a sweep map (two hyperparameters per cell) of one
    run spec: per cell the final point and loss, the minimum reached and when, and
    whether the run diverged."""
    return await cached.answer(request, "map", req, compute_map)


@router.get("/map", response_model=MapAnswer, response_class=FastJSONResponse,
            responses={**UNPROCESSABLE, **cached.NOT_MODIFIED})
async def map_get(request: Request, q: str = Query(description=cached.QUERY_DOC)):
    """POST /api/v1/map's answer to the request in `q`, cacheable by browsers and proxies
    (ETag, Cache-Control: public; 304 on If-None-Match)."""
    req = cached.decode_query(q, MapRequest)
    return await cached.answer(request, "map", req, compute_map, public=True)


class MapJob:
    """One map computing in a worker thread (or replayed from the cache), its rows sent
    as they come.  Holds one of the client's computation slots until the thread ends."""

    def __init__(self, ws: WebSocket, p: MapPlan, key: bytes, rid: Any, slot: str):
        self.ws, self.plan, self.key, self.rid, self.slot = ws, p, key, rid, slot
        self.stop = threading.Event()
        self.queue: asyncio.Queue = asyncio.Queue()
        self.loop = asyncio.get_running_loop()
        self.work = self.loop.run_in_executor(None, self.compute)
        self.work.add_done_callback(self._finished)
        self.task = asyncio.create_task(self.pump())

    def _finished(self, work: asyncio.Future) -> None:
        SLOTS.release(self.slot)
        if not work.cancelled():
            work.exception()

    def cancel(self) -> None:
        self.stop.set()
        self.task.cancel()

    async def ended(self, timeout: float) -> None:
        await asyncio.wait({self.work}, timeout=timeout)

    def post(self, body: dict) -> None:
        """From the worker thread: encode there, queue the text for the socket."""
        if self.rid is not None:
            body = {"id": self.rid, **body}
        text = dumps(body).decode()
        self.loop.call_soon_threadsafe(self.queue.put_nowait, text)

    def compute(self) -> bool:
        """Header, rows, and the whole answer into the cache.  True if from the cache."""
        p = self.plan
        ny, nx = p.shape
        entry = cache.cache().get(self.key)
        if entry is not None:
            whole = orjson.loads(entry.body)
            self.post({k: v for k, v in whole.items() if k not in CELL_FIELDS} |
                      {"progress": 0})
            step = block_rows(nx, ny)
            for j0 in range(0, ny, step):
                if self.stop.is_set():
                    raise Cancelled()
                j1 = min(ny, j0 + step)
                self.post({"rows": [j0, j1], "progress": j1 / ny,
                           **{k: whole[k][j0 * nx:j1 * nx] for k in CELL_FIELDS}})
            return True
        self.post({**header(p), "progress": 0})

        def on_rows(j0: int, j1: int, res) -> None:
            self.post({"rows": [j0, j1], "progress": j1 / ny, **cells(res, j0 * nx, j1 * nx)})

        res = run_map(p, cancelled=self.stop.is_set, on_rows=on_rows)
        cache.cache().put(self.key, cache.make_entry(dumps(answer(p, res))))
        return False

    async def send(self, text: str) -> None:
        await self.ws.send_text(text)

    async def pump(self) -> None:
        work = self.work
        getter: asyncio.Future | None = None
        try:
            while True:
                getter = asyncio.ensure_future(self.queue.get())
                done, _ = await asyncio.wait({getter, work}, return_when=asyncio.FIRST_COMPLETED)
                if getter in done:
                    await self.send(getter.result())
                    continue
                break
            while not self.queue.empty():
                await self.send(self.queue.get_nowait())
            try:
                from_cache = work.result()
            except Cancelled:
                return
            except (RequestError, ValidationError, ComputationTimeout) as e:
                await self.send(error_message(self.rid, error_detail(e)))
                return
            except UNEXPECTED as e:
                await self.send(error_message(self.rid, unexpected_detail(e)[1]))
                return
            done_msg: dict = {"done": True, "cached": from_cache}
            await self.send(dumps({"id": self.rid, **done_msg} if self.rid is not None
                                  else done_msg).decode())
        except asyncio.CancelledError:
            self.stop.set()
            raise
        except (WebSocketDisconnect, RuntimeError):
            self.stop.set()
        finally:
            if getter is not None and not getter.done():
                getter.cancel()


def parse(text: str | bytes) -> tuple[Any, MapRequest | None, MapPlan | None, list | None]:
    """(id, request, plan, None) or (id, None, None, error detail)."""
    limit = settings().max_body_bytes
    size = len(text) if isinstance(text, bytes) else len(text.encode("utf-8", "surrogatepass"))
    if size > limit:
        return None, None, None, [{"loc": ["message"], "msg": f"message of {size} bytes is "
                                   f"over the limit of {limit} bytes (max_body_bytes)",
                                   "type": "limit"}]
    try:
        body = orjson.loads(text)
    except orjson.JSONDecodeError as e:
        return None, None, None, [{"loc": ["message"], "msg": f"not JSON: {e}", "type": "json"}]
    if not isinstance(body, dict):
        return None, None, None, [{"loc": ["message"], "msg": "a request must be a JSON "
                                   "object", "type": "json"}]
    rid = body.pop("id", None)
    if not isinstance(rid, (str, int, float, type(None))) or isinstance(rid, bool):
        rid = None
    try:
        req = MapRequest.model_validate(body)
        return rid, req, plan(req), None
    except (ValidationError, RequestError) as e:
        return rid, None, None, error_detail(e)
    except UNEXPECTED as e:
        return rid, None, None, unexpected_detail(e)[1]


@router.websocket("/map/stream")
async def map_stream(ws: WebSocket) -> None:
    await ws.accept()
    limit = RateLimit(settings().ws_messages_per_second)
    slot = client_key(ws.scope)
    job: MapJob | None = None
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
            rid, req, p, detail = parse(text)
            if detail is not None:
                await ws.send_text(error_message(rid, detail))
                continue
            max_jobs = settings().max_concurrent_per_client
            if not SLOTS.acquire(slot, max_jobs):
                await ws.send_text(error_message(rid, TooBusy(max_jobs).detail()))
                continue
            job = MapJob(ws, p, cache.key_of("map", req), rid, slot)
    except WebSocketDisconnect:
        pass
    finally:
        if job is not None:
            job.cancel()
