"""POST /api/v1/run: a whole scene, computed off the event loop, once per distinct
request (app/cache.py); GET /api/v1/run?q= the same answer for embeds and links."""

from __future__ import annotations

from fastapi import APIRouter, Query, Request

from ..engine.request import RunRequest
from ..engine.scene import execute
from . import cached
from .responses import FastJSONResponse
from .routing import OrjsonRoute
from .schemas import UNPROCESSABLE, RunResponse

router = APIRouter(prefix="/api/v1", tags=["run"], route_class=OrjsonRoute)


@router.post("/run", response_model=RunResponse, response_class=FastJSONResponse,
             responses=UNPROCESSABLE)
async def run(req: RunRequest, request: Request):
    """Race the runs on the surface: paths, losses and learning rates per step."""
    return await cached.answer(request, "run", req, execute)


@router.get("/run", response_model=RunResponse, response_class=FastJSONResponse,
            responses={**UNPROCESSABLE, **cached.NOT_MODIFIED})
async def run_get(request: Request, q: str = Query(description=cached.QUERY_DOC)):
    """POST /api/v1/run's answer to the request in `q`, cacheable by browsers and proxies
    (ETag, Cache-Control: public; 304 on If-None-Match)."""
    req = cached.decode_query(q, RunRequest)
    return await cached.answer(request, "run", req, execute, public=True)
