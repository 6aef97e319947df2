"""The request of POST /api/v1/map (and of a WebSocket /api/v1/map/stream message) as
pydantic models: the shape (what each kind of map asks of its axes, its start and its
run, which hyperparameters can be swept) and the limits.  Whether PyTorch accepts both
ends of a swept range needs the engine: `maps.plan` builds the optimizer there."""

from __future__ import annotations

from typing import Literal, Optional

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictInt,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from ..config import env_name, settings
from .optim import REGISTRY as OPTIMIZERS
from .request import (
    BatchSpec,
    Coordinate,
    FiniteFloat,
    RunSpecModel,
    Strict,
    SurfaceSpec,
    _bounded,
    batch_needs_data,
    refused,
    resolve_surface,
)

SWEEPABLE = ("float", "pair")      # Hyper kinds a sweep axis can carry (pairs by element)


def _refused(loc: tuple, msg: str) -> ValidationError:
    return refused("MapRequest", loc, msg)


def _limit(what: str, n: int | float, setting: str) -> PydanticCustomError:
    return PydanticCustomError("limit", "{what}: {n} is over the limit of {limit} ({env})",
                               {"what": what, "n": n, "limit": getattr(settings(), setting),
                                "env": env_name(setting)})


class MapAxis(BaseModel):
    """One axis of a map: start coordinates (basin) or a hyperparameter (sweep)."""

    model_config = Strict
    param: Optional[str] = Field(
        None, max_length=64, description="sweep: the hyperparameter on this axis, by "
        "PyTorch's keyword (lr, momentum, betas, ...); leave out for a basin map")
    index: Optional[StrictInt] = Field(
        None, ge=0, le=1, description="sweep of a pair such as betas: which element "
        "(betas index 1 is beta2)")
    scale: Literal["linear", "log"] = Field(
        "linear", description="linear: evenly spaced; log: evenly spaced exponents "
        "(both ends > 0)")
    range: Optional[tuple[FiniteFloat, FiniteFloat]] = Field(
        None, description="[first, last] value on the axis, first < last; a basin map "
        "takes the surface's domain when left out")
    n: StrictInt = Field(64, ge=2, description="points on the axis (≤ max_map_side)")

    @field_validator("n")
    @classmethod
    def _side(cls, v: int) -> int:
        if v > settings().max_map_side:
            raise _limit("n", v, "max_map_side")
        return v

    @field_validator("range")
    @classmethod
    def _range(cls, v, info: ValidationInfo):
        if v is not None:
            lo, hi = v
            if not lo < hi:
                raise PydanticCustomError("range", "the first end must be below the "
                                          "second", {})
            if info.data.get("scale") == "log" and lo <= 0:
                raise PydanticCustomError("range", "a log axis needs both ends above 0",
                                          {})
        return v


class MapRequest(BaseModel):
    """The body of POST /api/v1/map: one run spec on one surface, over a grid of cells.

    kind "basin": a start per cell, x and y being the start's coordinates.
    kind "sweep": one start, x and y being two hyperparameters of the run."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"kind": "basin", "surface": "himmelblau", "steps": 300,
         "run": {"optimizer": "adam", "params": {"lr": 0.05}},
         "x": {"n": 128}, "y": {"n": 128}},
        {"kind": "sweep", "surface": "rosenbrock", "steps": 500,
         "run": {"optimizer": "sgd", "params": {"lr": 0.001, "momentum": 0.9}},
         "x": {"param": "lr", "range": [1e-5, 1e-2], "n": 64, "scale": "log"},
         "y": {"param": "momentum", "range": [0, 0.99], "n": 64}}]})

    kind: Literal["basin", "sweep"] = Field(description="basin: a start per cell; "
                                            "sweep: two hyperparameters per cell")
    surface: SurfaceSpec = Field(description="a built-in surface id, {expr, domain}, or "
                                             "{data, model?, domain?}")
    batch: Optional[BatchSpec] = Field(None, description="mini-batches (a surface from data "
                                       "only): step j of every cell uses step j's batch")
    run: RunSpecModel = Field(description="the optimizer (and scheduler) every cell runs; "
                                          "no noise")
    steps: StrictInt = Field(200, ge=1, description="optimizer steps per cell "
                                                    "(≤ max_map_steps)")
    start: Optional[tuple[Coordinate, Coordinate]] = Field(
        None, description="sweep: the start of every cell; the surface's default when "
                          "left out")
    x: MapAxis = Field(default_factory=MapAxis, description="the axis of the columns")
    y: MapAxis = Field(default_factory=MapAxis, description="the axis of the rows")
    tol: Optional[FiniteFloat] = Field(
        None, gt=0, description="a cell has reached a minimum when it comes this close "
        "(Euclidean); default 0.001 × the larger side of the surface's domain")
    minima: Optional[list[tuple[Coordinate, Coordinate]]] = Field(
        None, max_length=64, description="the points `minimum` indexes; the surface's "
        "known minima when left out")

    @model_validator(mode="after")
    def _batch_on_data(self):
        batch_needs_data(self.surface, self.batch)
        return self

    @model_validator(mode="after")
    def _check(self):
        s = settings()
        if self.steps > s.max_map_steps:
            raise _limit("steps", self.steps, "max_map_steps")
        cells = self.x.n * self.y.n
        if cells > s.max_map_cells:
            raise _limit("cells (x.n × y.n)", cells, "max_map_cells")
        if cells * self.steps > s.max_map_run_steps:
            raise _limit("cells × steps", cells * self.steps, "max_map_run_steps")
        if self.start is not None:
            _bounded(self.start[0], "start"), _bounded(self.start[1], "start")
        for name, axis in (("x", self.x), ("y", self.y)):
            if axis.range is not None:
                _bounded(axis.range[0], f"{name}.range"), _bounded(axis.range[1],
                                                                     f"{name}.range")
        return self

    @model_validator(mode="after")
    def _shape(self):
        """What the kind of map asks of its axes, its start and its run."""
        if self.run.noise is not None:
            raise _refused(("run", "noise"), "a map runs without gradient noise; leave noise "
                                             "out")
        # nor the torch.optim API's options: every cell is one optimizer of one group
        for field, what in (("groups", "param groups"), ("events", "events")):
            if getattr(self.run, field) is not None:
                raise _refused(("run", field), f"a map runs without {what}; leave {field} out")
        if self.run.zero_grad != "every_step":
            raise _refused(("run", "zero_grad"), "a map clears .grad at every step; leave "
                                                 "zero_grad out")
        axes = (("x", self.x), ("y", self.y))
        if self.kind == "sweep":
            for name, axis in axes:
                _check_sweep_axis(self.run.optimizer, axis, name)
            if (self.x.param, self.x.index) == (self.y.param, self.y.index):
                raise _refused(("y", "param"), "x and y sweep the same hyperparameter")
            return self
        for name, axis in axes:
            if axis.param is not None or axis.index is not None:
                raise _refused((name, "param"), "a basin map's axes are the start's "
                                                "coordinates; leave param out")
        if self.start is not None:
            raise _refused(("start",), "a basin map starts from every cell; leave start out")
        domain = resolve_surface(self.surface).domain
        for (name, axis), (lo, hi) in zip(axes, domain):
            if axis.scale == "log" and axis.range is None and lo <= 0:
                raise _refused((name, "scale"), f"a log axis needs both ends above 0; this "
                                                f"one runs from {lo:g} to {hi:g}")
        return self


def _check_sweep_axis(optimizer: str, axis: MapAxis, name: str) -> None:
    """A sweep axis names a number the optimizer takes (an element of a pair by index)."""
    cls = OPTIMIZERS[optimizer]
    hypers = {h.name: h for h in cls.hypers}
    if axis.param is None or axis.range is None:
        raise _refused((name,), "a sweep axis needs a param and a range")
    h = hypers.get(axis.param)
    if h is None or h.kind not in SWEEPABLE:
        why = (f"{cls.torch_name} has no keyword '{axis.param}'" if h is None else
               f"'{axis.param}' is a {h.kind}: only numbers can be swept")
        sweepable = [h.name for h in cls.hypers if h.kind in SWEEPABLE]
        raise _refused((name, "param"), f"{why}; {cls.torch_name} can sweep "
                                        f"{', '.join(sweepable) or 'nothing'}")
    if h.kind == "pair" and axis.index is None:
        raise _refused((name, "index"), f"{axis.param} is a pair: say which element with "
                                        f"index 0 or 1")
    if h.kind != "pair" and axis.index is not None:
        raise _refused((name, "index"), f"{axis.param} is a single number: leave index out")
