"""POST /api/v1/grid: a surface's values on a grid, for the contour plot (and the live
check of a typed formula: a malformed one answers 422 with what and where)."""

from __future__ import annotations

from typing import Callable, Optional

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field, StrictInt, model_validator
from pydantic_core import PydanticCustomError

from ..config import env_name, settings
from ..engine.grid import grid
from ..engine.request import SurfaceSpec, resolve_surface
from . import cached
from .bodies import Checked
from .compute import compute
from .responses import FastJSONResponse
from .routing import OrjsonRoute
from .schemas import UNPROCESSABLE, GridAnswer

router = APIRouter(prefix="/api/v1", tags=["surfaces"], route_class=OrjsonRoute)


class GridRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    surface: SurfaceSpec
    n: StrictInt = Field(120, ge=2, description="points per side (≤ max_grid)")
    digits: Optional[StrictInt] = Field(
        None, ge=3, le=17, description="significant digits of x, y and z (left out: all a "
        "float64 has), never rounded onto a tie of a shorter rounding; the page asks for 5, "
        "which draws the same contour and the same 4-digit hover values in a third of the "
        "bytes")

    @model_validator(mode="after")
    def _limit(self):
        limit = settings().max_grid
        if self.n > limit:
            raise PydanticCustomError("limit", "n: {n} is over the limit of {limit} ({env})",
                                      {"n": self.n, "limit": limit,
                                       "env": env_name("max_grid")})
        return self


@router.post("/grid", response_model=GridAnswer, response_class=FastJSONResponse,
             responses=UNPROCESSABLE)
async def surface_grid(body: Checked[GridRequest], request: Request):
    """The surface's values on an n × n grid over its domain."""
    if isinstance(body.get("surface"), str):
        # A built-in surface: the same answer for every visitor, kept (and made smaller).
        return await cached.answer(request, "grid", GridRequest, body, grid_of, best=True)
    return await compute(request, checked_grid, body)


def grid_of(req: GridRequest, cancelled: Callable[[], bool] | None = None) -> dict:
    return grid(resolve_surface(req.surface), req.n, req.digits, cancelled=cancelled)


def checked_grid(body: dict, cancelled: Callable[[], bool] | None = None) -> dict:
    """The grid of a request body, validated here (in the worker: the formula compiles)."""
    return grid_of(GridRequest.model_validate(body), cancelled)
