"""POST /api/v1/run: a whole scene, computed off the event loop."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.concurrency import run_in_threadpool

from ..engine.request import RunRequest
from ..engine.scene import execute
from .responses import FastJSONResponse
from .routing import OrjsonRoute
from .schemas import RunResponse, UNPROCESSABLE

router = APIRouter(prefix="/api/v1", tags=["run"], route_class=OrjsonRoute)


@router.post("/run", response_model=RunResponse, response_class=FastJSONResponse,
             responses=UNPROCESSABLE)
async def run(req: RunRequest):
    """Race the runs on the surface: paths, losses and learning rates per step."""
    return FastJSONResponse(await run_in_threadpool(execute, req))
