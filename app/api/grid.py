"""POST /api/v1/grid: a surface's values on a grid, for the contour plot (and the live
check of a typed formula: a malformed one answers 422 with what and where)."""

from __future__ import annotations

import math

import numpy as np
from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field, StrictInt, model_validator
from pydantic_core import PydanticCustomError
from starlette.concurrency import run_in_threadpool

from ..config import settings
from ..engine.request import SurfaceSpec, resolve_surface
from ..engine.surfaces import Surface
from .responses import FastJSONResponse
from .routing import OrjsonRoute
from .schemas import UNPROCESSABLE, GridAnswer

router = APIRouter(prefix="/api/v1", tags=["surfaces"], route_class=OrjsonRoute)

# A log colour scale when a quarter of the plot would sit in the lowest of ~20 linear
# contour levels: Rosenbrock's valley floor is invisible on a linear scale up to 3,600.
LOG_SCALE_LEVELS = 20.0


class GridRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    surface: SurfaceSpec
    n: StrictInt = Field(120, ge=2, description="points per side (≤ max_grid)")

    @model_validator(mode="after")
    def _limit(self):
        limit = settings().max_grid
        if self.n > limit:
            raise PydanticCustomError("limit", "n: {n} is over the limit of {limit}",
                                      {"n": self.n, "limit": limit})
        return self


def grid(surface: Surface, n: int) -> dict:
    (x0, x1), (y0, y1) = surface.domain
    xs, ys = np.linspace(x0, x1, n), np.linspace(y0, y1, n)
    X, Y = np.meshgrid(xs, ys)
    with np.errstate(all="ignore"):
        Z = surface.formula.value(np.column_stack([X.ravel(), Y.ravel()])).reshape(n, n)
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
async def surface_grid(req: GridRequest):
    """The surface's values on an n × n grid over its domain."""
    surface = resolve_surface(req.surface)
    return FastJSONResponse(await run_in_threadpool(grid, surface, req.n))
