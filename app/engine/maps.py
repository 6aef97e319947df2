"""Maps: one run spec over a grid of cells, computed by the batch engine.

- basin map: a start per cell (x and y are the start's coordinates): which known minimum
  does the optimizer reach from here, and how fast?
- sweep map: one start, two hyperparameters per cell (lr × momentum, lr × beta2, ...):
  where does this optimizer converge, and where does it blow up?

Per cell: the final point (the last finite one), its loss, the minimum reached (index
into `minima`, -1 for none: the first minimum the run came within `tol` of), the step at
which it got there (-1 if never) and whether it diverged.

Rows are computed in blocks of a few thousand cells, and `on_rows` hears about each
block as it is done, so a page can paint rows as they arrive.  A swept hyperparameter
travels through `run_batch`'s `per_run` as a column of values, validated beforehand at
both ends of its range by the optimizer's own checks (PyTorch's messages); booleans,
choices and integers cannot be swept.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np
import orjson

from ..config import settings
from .batch import run_batch
from .build import attach_scheduler, build_optimizer
from .errors import RequestError
from .map_request import MapAxis, MapRequest
from .optim import REGISTRY as OPTIMIZERS
from .data import BatchOrder
from .request import batch_order, params_of, resolve_surface, scheduler_of
from .scene import start_of
from .surfaces import Surface

# Rows per block: about BLOCK_CELLS cells (two batch chunks), at least MIN_BLOCK_CELLS
# (smaller batches pay the per-step overhead for too few runs), and, between the two,
# at least MIN_BLOCKS blocks so that progress shows.
BLOCK_CELLS = 8192
MIN_BLOCK_CELLS = 2048
MIN_BLOCKS = 8

# Hyperparameters whose update code reads a Python number, so that a column of values
# would be wrong or refused: these are swept one value at a time (a batch per value of
# the axis), correct but slower.  tests/test_maps.py checks that every other float
# hyperparameter gives, as a column, exactly what it gives as a number.
SCALAR_ONLY = {("adabelief", "betas"), ("yogi", "betas"), ("lookahead", "alpha")}

# Default reach tolerance, as a fraction of the larger side of the surface's domain.
TOL_FRACTION = 1e-3


@dataclass
class Sweep:
    """A swept hyperparameter: name, element of a pair (or None), values along the axis."""

    name: str
    index: int | None
    values: np.ndarray
    scalar_only: bool

    @property
    def key(self) -> str:
        """run_batch's per_run key: "lr", or "betas[1]" for an element of a pair."""
        return self.name if self.index is None else f"{self.name}[{self.index}]"


@dataclass
class MapPlan:
    kind: str
    surface: Surface
    steps: int
    optimizer: str
    params: dict
    scheduler: dict | None
    start: tuple[float, float] | None
    xs: np.ndarray
    ys: np.ndarray
    x_sweep: Sweep | None
    y_sweep: Sweep | None
    minima: np.ndarray        # (K, 2)
    tol: float
    order: BatchOrder | None = None     # mini-batches (a surface from data)

    @property
    def shape(self) -> tuple[int, int]:
        return len(self.ys), len(self.xs)


@dataclass
class MapResult:
    """Per cell, row-major (cell j * nx + i is x[i], y[j])."""

    final: np.ndarray          # (N, 2)
    final_loss: np.ndarray     # (N,)
    minimum: np.ndarray        # (N,) index into plan.minima, -1 for none
    steps_to_min: np.ndarray   # (N,) -1 if never
    diverged: np.ndarray       # (N,) bool

    @classmethod
    def empty(cls, n: int) -> "MapResult":
        return cls(np.zeros((n, 2)), np.full(n, np.nan), np.full(n, -1, dtype=np.int64),
                   np.full(n, -1, dtype=np.int64), np.zeros(n, dtype=bool))


def plan(req: MapRequest) -> MapPlan:
    """Resolve what a map needs and build its run where PyTorch might refuse it, before
    any work: RequestError (a 422 naming the field) for that; the request's shape is
    MapRequest's to check."""
    surface = resolve_surface(req.surface)
    run = req.run
    optimizer, params, scheduler = run.optimizer, params_of(run), scheduler_of(run)
    (dx0, dx1), (dy0, dy1) = surface.domain
    if req.kind == "basin":
        xs = _axis_values(req.x, (dx0, dx1))
        ys = _axis_values(req.y, (dy0, dy1))
        x_sweep = y_sweep = None
        start = None
        _check_corner(optimizer, params, scheduler, req.steps, {})
    else:
        x_sweep = _sweep(optimizer, req.x)
        y_sweep = _sweep(optimizer, req.y)
        xs, ys = x_sweep.values, y_sweep.values
        start = start_of(req, surface)
        for vx in (xs[0], xs[-1]):
            for vy in (ys[0], ys[-1]):
                _check_corner(optimizer, params, scheduler, req.steps,
                              {"x": (x_sweep, vx), "y": (y_sweep, vy)})
    minima = np.array(req.minima if req.minima is not None else surface.minima,
                      dtype=np.float64).reshape(-1, 2)
    tol = req.tol if req.tol is not None else TOL_FRACTION * max(dx1 - dx0, dy1 - dy0)
    return MapPlan(req.kind, surface, req.steps, optimizer, params, scheduler, start,
                   xs, ys, x_sweep, y_sweep, minima, float(tol), batch_order(req, surface))


def _axis_values(axis: MapAxis, default: tuple[float, float]) -> np.ndarray:
    lo, hi = axis.range if axis.range is not None else default
    return (np.geomspace if axis.scale == "log" else np.linspace)(lo, hi, axis.n)


def _sweep(optimizer: str, axis: MapAxis) -> Sweep:
    """A swept hyperparameter (MapRequest has checked that it can be swept)."""
    return Sweep(axis.param, axis.index, _axis_values(axis, axis.range),
                 (optimizer, axis.param) in SCALAR_ONLY)


def _with_values(params: dict, optimizer: str, values: dict[str, tuple[Sweep, Any]]) -> dict:
    """params with swept values put in (a pair element keeps the other element)."""
    out = dict(params)
    defaults = {h.name: h.default for h in OPTIMIZERS[optimizer].hypers}
    for sweep, v in values.values():
        if sweep.index is None:
            out[sweep.name] = v
        else:
            pair = list(out.get(sweep.name, defaults[sweep.name]))
            pair[sweep.index] = v
            out[sweep.name] = pair
    return out


def _check_corner(optimizer: str, params: dict, scheduler: dict | None, steps: int,
                  values: dict[str, tuple[Sweep, Any]]) -> None:
    """Build the optimizer (and scheduler) at one corner of the map, as PyTorch would;
    a refusal names the axis whose value PyTorch refused."""
    scalars = {axis: (sweep, float(v)) for axis, (sweep, v) in values.items()}
    try:
        opt = build_optimizer(optimizer, _with_values(params, optimizer, scalars), ("run",))
        attach_scheduler(scheduler, opt, ("run",), steps)
    except RequestError as e:
        field = e.loc[2] if len(e.loc) > 2 and e.loc[:2] == ("run", "params") else None
        labels = {axis: f"{sweep.key.replace('[', ' index ').rstrip(']')} = {v:g}"
                  for axis, (sweep, v) in scalars.items()}
        for axis, (sweep, v) in scalars.items():
            if field == sweep.name:
                raise RequestError((axis, "range"), f"{e.msg} (at {labels[axis]}, an end "
                                   f"of the {axis} range)") from None
        if labels:
            raise RequestError(e.loc, f"{e.msg} (at {', '.join(labels.values())}, a corner "
                               f"of the map)", e.kind, **e.extra) from None
        raise


def block_rows(nx: int, ny: int) -> int:
    """Rows per streamed block (see BLOCK_CELLS)."""
    low = -(-MIN_BLOCK_CELLS // nx)
    high = -(-BLOCK_CELLS // nx)
    return max(1, min(ny, max(low, min(high, -(-ny // MIN_BLOCKS)))))


def run_map(p: MapPlan, *, cancelled: Callable[[], bool] | None = None,
            deadline: float | None = None, budget: float | None = None,
            on_rows: Callable[[int, int, MapResult], None] | None = None) -> MapResult:
    """Compute the map block by block of rows; `on_rows(j0, j1, result)` after each
    block (rows j0 <= j < j1 of `result` are then final).  `deadline` defaults to now +
    settings().compute_budget_s; `cancelled()` is looked at every few steps."""
    if budget is None:
        budget = settings().compute_budget_s
    if deadline is None:
        deadline = time.monotonic() + budget
    ny, nx = p.shape
    res = MapResult.empty(nx * ny)
    rows = block_rows(nx, ny)
    common = dict(targets=p.minima, tol=p.tol, deadline=deadline, budget=budget,
                  cancelled=cancelled, order=p.order)
    for j0 in range(0, ny, rows):
        j1 = min(ny, j0 + rows)
        lo = j0 * nx
        if p.kind == "basin":
            X, Y = np.meshgrid(p.xs, p.ys[j0:j1])
            starts = np.column_stack([X.ravel(), Y.ravel()])
            _store(res, lo, run_batch(p.surface, starts, p.steps, p.optimizer, p.params,
                                      p.scheduler, **common))
        else:
            _sweep_block(p, res, j0, j1, common)
        if on_rows is not None:
            on_rows(j0, j1, res)
    return res


def _sweep_block(p: MapPlan, res: MapResult, j0: int, j1: int, common: dict) -> None:
    nx = len(p.xs)
    xcol = np.tile(p.xs, j1 - j0)
    ycol = np.repeat(p.ys[j0:j1], nx)
    cells = np.arange(j0 * nx, j1 * nx)
    sweeps = ((p.x_sweep, xcol), (p.y_sweep, ycol))
    # Cells that share the values of every scalar-only axis run as one batch.
    fixed = [(s, col) for s, col in sweeps if s.scalar_only]
    free = [(s, col) for s, col in sweeps if not s.scalar_only]
    if fixed:
        keys = np.column_stack([col for _, col in fixed])
        uniq, group = np.unique(keys, axis=0, return_inverse=True)
        group = group.reshape(-1)
        groups = [(np.flatnonzero(group == g), uniq[g]) for g in range(len(uniq))]
    else:
        groups = [(np.arange(len(cells)), np.empty(0))]
    start = np.array([p.start], dtype=np.float64)
    for idx, fixed_values in groups:
        params = _with_values(p.params, p.optimizer,
                              {s.key: (s, float(v)) for (s, _), v in zip(fixed, fixed_values)})
        per_run = {s.key: col[idx] for s, col in free}
        r = run_batch(p.surface, np.repeat(start, len(idx), axis=0), p.steps, p.optimizer,
                      params, p.scheduler, per_run=per_run, **common)
        _store(res, cells[idx], r)


def _store(res: MapResult, where, r) -> None:
    if isinstance(where, (int, np.integer)):
        where = slice(where, where + len(r.final))
    res.final[where] = r.final
    res.final_loss[where] = r.final_loss
    res.minimum[where] = r.target
    res.steps_to_min[where] = r.reached_at
    res.diverged[where] = r.diverged_at >= 0


def header(p: MapPlan) -> dict:
    """What a page needs before the first row: the grid and what the cells mean."""
    out: dict[str, Any] = {"kind": p.kind, "shape": list(p.shape), "x": p.xs, "y": p.ys,
                           "surface": p.surface.to_dict(), "minima": p.minima,
                           "tol": p.tol, "steps": p.steps, "optimizer": p.optimizer}
    if p.start is not None:
        out["start"] = list(p.start)
    if p.x_sweep is not None and p.y_sweep is not None:
        out["x_param"] = p.x_sweep.key
        out["y_param"] = p.y_sweep.key
    return out


def cells(res: MapResult, lo: int, hi: int) -> dict:
    """The per-cell arrays of cells lo..hi-1 (NumPy arrays: orjson writes them, NaN
    as null)."""
    return {"final": res.final[lo:hi], "final_loss": res.final_loss[lo:hi],
            "minimum": res.minimum[lo:hi], "steps_to_min": res.steps_to_min[lo:hi],
            "diverged": res.diverged[lo:hi]}


def answer(p: MapPlan, res: MapResult) -> dict:
    """The whole answer of POST /api/v1/map."""
    return {**header(p), **cells(res, 0, len(res.final))}


def run_map_request(body: dict) -> dict:
    """The answer of POST /api/v1/map to `body`, as the JSON reads (lists, NaN as None),
    for notebooks and tests."""
    p = plan(MapRequest.model_validate(body))
    return orjson.loads(orjson.dumps(answer(p, run_map(p)), option=orjson.OPT_SERIALIZE_NUMPY))
