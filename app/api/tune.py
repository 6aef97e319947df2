"""POST /api/v1/tune: each run of a scene at its own best lr, then the race at those lrs;
computed off the event loop and answered through the cache, as POST /api/v1/run is."""

from __future__ import annotations

from fastapi import APIRouter, Request

from ..engine.tune import tune
from ..engine.tune_request import TuneRequest
from . import cached
from .responses import FastJSONResponse
from .routing import OrjsonRoute
from .schemas import UNPROCESSABLE, TuneResponse

router = APIRouter(prefix="/api/v1", tags=["tune"], route_class=OrjsonRoute)


@router.post("/tune", response_model=TuneResponse, response_class=FastJSONResponse,
             responses=UNPROCESSABLE)
async def tune_post(req: TuneRequest, request: Request):
    """For each run, the lr on a log grid around its PyTorch default with the lowest final
    loss (or the fewest steps to a minimum) over the scene's steps, with its scheduler and
    gradient noise; then the race at those lrs.  A run the batch engine cannot take
    (lbfgs; groups, zero_grad, events) is tuned one run per value over a quarter of the
    grid."""
    return await cached.answer(request, "tune", req, tune)
