"""POST /api/v1/grid: a surface's values on a grid, for the contour plot (and the live
check of a typed formula: a malformed one answers 422 with what and where)."""

from __future__ import annotations

import math
import time
from typing import Callable

import numpy as np
from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field, StrictInt, model_validator
from pydantic_core import PydanticCustomError

from ..config import env_name, settings
from ..engine import budget
from ..engine.request import SurfaceSpec, resolve_surface
from ..engine.runner import Fence
from ..engine.surfaces import Surface
from .bodies import Checked
from .compute import compute
from .responses import FastJSONResponse
from .routing import OrjsonRoute
from .schemas import UNPROCESSABLE, GridAnswer

router = APIRouter(prefix="/api/v1", tags=["surfaces"], route_class=OrjsonRoute)

# A log colour scale when a quarter of the plot would sit in the lowest of ~20 linear
# contour levels: Rosenbrock's valley floor is invisible on a linear scale up to 3,600.
LOG_SCALE_LEVELS = 20.0
# Points evaluated between two looks at the clock and the cancel flag.
GRID_BLOCK = 8192


class GridRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    surface: SurfaceSpec
    n: StrictInt = Field(120, ge=2, description="points per side (≤ max_grid)")

    @model_validator(mode="after")
    def _limit(self):
        limit = settings().max_grid
        if self.n > limit:
            raise PydanticCustomError("limit", "n: {n} is over the limit of {limit} ({env})",
                                      {"n": self.n, "limit": limit,
                                       "env": env_name("max_grid")})
        return self


def grid(surface: Surface, n: int, *, cancelled: Callable[[], bool] | None = None) -> dict:
    """The values over the domain, row block by row block: between blocks the clock
    (compute_budget_s) and `cancelled()` are looked at."""
    seconds = settings().compute_budget_s
    fence = budget.current() or Fence(time.monotonic() + seconds, seconds, cancelled)
    (x0, x1), (y0, y1) = surface.domain
    xs, ys = np.linspace(x0, x1, n), np.linspace(y0, y1, n)
    Z = np.empty((n, n))
    rows = max(1, GRID_BLOCK // n)
    with np.errstate(all="ignore"):
        for j in range(0, n, rows):
            fence.check()
            Y = np.repeat(ys[j:j + rows], n)
            X = np.tile(xs, len(ys[j:j + rows]))
            Z[j:j + rows] = surface.formula.value(X, Y, check=fence.check).reshape(-1, n)
    finite = Z[np.isfinite(Z)]
    zmin = float(finite.min()) if finite.size else None
    zmax = float(finite.max()) if finite.size else None
    log_scale = False
    if finite.size:
        low_quarter = float(np.quantile(finite, 0.25)) - zmin
        log_scale = bool(low_quarter < (zmax - zmin) / LOG_SCALE_LEVELS)
    rows = [[v if math.isfinite(v) else None for v in row] for row in Z.tolist()] \
        if finite.size != Z.size else Z.tolist()
    return {"surface": surface.to_dict(), "x": xs.tolist(), "y": ys.tolist(), "z": rows,
            "zmin": zmin, "zmax": zmax, "log_scale": log_scale}


@router.post("/grid", response_model=GridAnswer, response_class=FastJSONResponse,
             responses=UNPROCESSABLE)
async def surface_grid(body: Checked[GridRequest], request: Request):
    """The surface's values on an n × n grid over its domain."""
    return await compute(request, checked_grid, body)


def checked_grid(body: dict, cancelled: Callable[[], bool] | None = None) -> dict:
    """The grid of a request body, validated here (in the worker: the formula compiles)."""
    req = GridRequest.model_validate(body)
    return grid(resolve_surface(req.surface), req.n, cancelled=cancelled)
