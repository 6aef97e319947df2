"""Maps: POST /api/v1/map (the whole answer), GET /api/v1/map?q= (the same, cacheable),
and WebSocket /api/v1/map/stream (rows as they are computed).

The stream: the client sends a map request (with an optional "id"); the server answers

    {"id", "kind", "shape": [ny, nx], "x", "y", "surface", "minima", "tol", "steps", ...,
     "progress": 0}                                   the grid, before any cell
    {"id", "rows": [j0, j1], "progress": j1 / ny,
     "final", "final_loss", "minimum", "steps_to_min", "diverged"}   rows j0 <= j < j1
    ...
    {"id", "done": true, "cached": bool}

A new message on the socket cancels the map in flight (its thread stops within
milliseconds); rate, size and per-client limits and errors as app/api/wsjobs.py says.
A map computed once (by either route) is answered from the cache.
"""

from __future__ import annotations

from typing import Any, Optional

import orjson
from fastapi import APIRouter, Query, Request, WebSocket
from pydantic import BaseModel, Field

from .. import cache
from ..engine.errors import Cancelled
from ..engine.map_request import MapRequest
from ..engine.maps import MapPlan, answer, block_rows, cells, header, plan, run_map
from . import cached, wsjobs
from .responses import FastJSONResponse, dumps
from .routing import OrjsonRoute
from .schemas import UNPROCESSABLE, SurfaceAnswer

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
    surface: SurfaceAnswer
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


def validate(body: dict) -> tuple[MapRequest, MapPlan]:
    """The request and its plan (PyTorch's checks at the corners included)."""
    req = MapRequest.model_validate(body)
    return req, plan(req)


def start(prepared: tuple[MapRequest, MapPlan]):
    req, p = prepared
    key = cache.key_of("map", req)

    def compute(job: wsjobs.Job) -> bool:
        """Header, rows, and the whole answer into the cache.  True if from the cache."""
        ny, nx = p.shape
        entry = cache.cache().get(key)
        if entry is not None:
            whole = orjson.loads(entry.body)
            job.post({k: v for k, v in whole.items() if k not in CELL_FIELDS} |
                     {"progress": 0})
            step = block_rows(nx, ny)
            for j0 in range(0, ny, step):
                if job.stop.is_set():
                    raise Cancelled()
                j1 = min(ny, j0 + step)
                job.post({"rows": [j0, j1], "progress": j1 / ny,
                          **{k: whole[k][j0 * nx:j1 * nx] for k in CELL_FIELDS}})
            return True
        job.post({**header(p), "progress": 0})

        def on_rows(j0: int, j1: int, res) -> None:
            job.post({"rows": [j0, j1], "progress": j1 / ny, **cells(res, j0 * nx, j1 * nx)})

        res = run_map(p, cancelled=job.stop.is_set, on_rows=on_rows)
        cache.cache().put(key, cache.make_entry(dumps(answer(p, res))))
        return False

    def last(from_cache: bool) -> dict[str, Any]:
        return {"done": True, "cached": from_cache}

    return compute, last


@router.websocket("/map/stream")
async def map_stream(ws: WebSocket) -> None:
    await wsjobs.serve(ws, validate, start)
