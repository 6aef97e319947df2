"""POST /api/v1/tune: each run of a scene at its own best lr, then the race at those lrs;
validated and computed in the worker pool (the client's slot, the gate, the budget) and
answered through the cache, as POST /api/v1/run is.  The race's diverged runs are
explained, as /run's are, inside the same budget."""

from __future__ import annotations

from typing import Callable

from fastapi import APIRouter, Request

from ..engine.tune import tune
from ..engine.tune_request import TuneRequest
from ..teach.divergence import explained
from . import cached
from .bodies import Checked
from .responses import FastJSONResponse
from .routing import OrjsonRoute
from .schemas import UNPROCESSABLE, TuneResponse

router = APIRouter(prefix="/api/v1", tags=["tune"], route_class=OrjsonRoute)


@router.post("/tune", response_model=TuneResponse, response_class=FastJSONResponse,
             responses=UNPROCESSABLE)
async def tune_post(body: Checked[TuneRequest], request: Request):
    """For each run, the lr on a log grid around its PyTorch default with the lowest final
    loss (or the fewest steps to a minimum) over the scene's steps, with its scheduler and
    gradient noise; then the race at those lrs.  A run the batch engine cannot take
    (lbfgs; groups, zero_grad, events) is tuned one run per value over a quarter of the
    grid."""
    return await cached.answer(request, "tune", TuneRequest, body, tuned)


def tuned(req: TuneRequest, cancelled: Callable[[], bool] | None = None) -> dict:
    """The tuning, its race explained (in the worker, inside the request's fence)."""
    return tune(req, cancelled=cancelled, race=explained)
