"""Fair races: every optimizer of a scene at its own best lr.

For each run: the lr, on a log grid around its PyTorch default (GRID_DECADES), that gives
the lowest final loss (the loss at the last finite point; a run that diverges loses), or
the fewest steps to come within `tol` of a minimum (as basin maps measure it; ties go to
the lower final loss), over the scene's steps from the scene's start, with the run's
scheduler and gradient noise and the scene's mini-batches (a surface from data): every lr
value sees the noise draws and the batches the run itself sees.
Then the race at those lrs, the answer of POST /api/v1/run.

- A run the batch engine takes is one batch of n runs whose lr is a per-run column, as a
  sweep map's cells are (6 optimizers x 64 lrs x 500 steps: ~0.1 s of CPU; the same
  bits as single runs, which tests/test_tune.py holds it to; on a surface from data's
  mini-batches only to rounding: the batch engine sums a batch's gradient over arrays,
  a single run over floats).
- A run it cannot take (LBFGS, whose closure evaluates each run a different number of
  times; runs with groups, zero_grad "never" or events, which only the single path
  runs) is tuned by single runs (runner.run_one), over a quarter of the grid.
- A run whose lr has no effect is raced as it is, with the reason: OneCycleLR and
  CyclicLR set the lr from their own max_lr and base_lr; two param groups that both set
  their own lr leave the constructor's unused.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, replace
from typing import Any, Callable

import numpy as np

from ..config import settings
from . import budget
from .batch import run_batch
from .build import RunSpec
from .errors import RequestError
from .fence import Fence
from .maps import TOL_FRACTION
from .optim import REGISTRY as OPTIMIZERS
from .optimizer import RunOptimizer, merged
from .data import BatchOrder
from .request import RunRequest, batch_order, resolve_surface
from .runner import run_one
from .scene import execute, run_specs, start_of, validate_all
from .surfaces import Surface
from .tune_request import TuneRequest

# The lr grid of each optimizer: from its PyTorch default / 10**below to default *
# 10**above, evenly spaced in log.  PyTorch's defaults are tuned for networks of millions
# of weights; on a 2D surface a few units wide the best lr sits elsewhere, so the ranges
# are set from where the best final loss lies over 500 steps on the built-in surfaces
# (`python bench/tune.py --ranges` prints it: 16 of 16 surfaces inside the grid for most
# optimizers, 12 to 15 for a few, whose outliers are lucky jumps across the domain):
#  - SGD, ASGD: the step is lr x gradient, and the surfaces' gradients span 0.1 to 1e5:
#    best lrs from 3e-6 to 2, so 1e-7 .. 10.
#  - Adam and its kin, RMSprop, Yogi, Adafactor, Lion: the step is about lr per
#    coordinate, a distance: best lrs 1e-3 .. 10 x default; 1e-5 .. 10 (two decades
#    below the slowest useful one; a step above 10 leaves any built-in domain).
#  - Adagrad: its steps shrink as 1/sqrt(t), so the useful lrs are larger: up to 100.
#  - Adadelta (default 1): its first steps are about lr x sqrt(eps) = lr / 1000 and grow
#    from there: best lrs 1 .. 1e4, so 0.01 .. 1e4.
#  - Rprop reads lr only at its first step (the initial step size; then each step size
#    grows x1.2 or shrinks x0.5 within step_sizes): from 1e-6, the smallest step size it
#    allows by default, to 10.
#  - LBFGS (default 1, a full quasi-Newton step; with strong_wolfe the line search's first
#    trial): 1e-3 .. 10, the lr slider's range.
#  - Lookahead: its inner optimizer's.
GRID_DECADES = {
    "sgd": (4, 4), "asgd": (5, 3),
    "adam": (2, 4), "adamw": (2, 4), "sparseadam": (2, 4), "radam": (2, 4),
    "nadam": (2, 4), "adamax": (2, 4), "adabelief": (2, 4),
    "rmsprop": (3, 3), "yogi": (3, 3), "adafactor": (3, 3), "lion": (1, 5),
    "adagrad": (3, 4), "adadelta": (2, 4), "rprop": (4, 3), "lbfgs": (3, 1),
}
OTHER_DECADES = (3, 3)          # an optimizer added without an entry above
SIGNIFICANT = 3                 # grid values are rounded to this many digits (clean URLs)
SINGLE_MIN = 8                  # the single-run grid: n // 4, at least this many (<= n)

# Schedulers that set lr from their own keywords at construction (max_lr, base_lr).
SETS_LR = ("OneCycleLR", "CyclicLR")

# Why a run is raced as it is (the page words them; see static/js/i18n.js "tune.note.*").
SCHEDULER_SETS_LR = "scheduler_sets_lr"
GROUPS_SET_LR = "groups_set_lr"
ALL_DIVERGED = "all_diverged"
NONE_REACHED = "none_reached"


@dataclass
class RunPlan:
    spec: RunSpec
    method: str                 # "batch", "single", or "none" (lr has no effect)
    lrs: np.ndarray             # the grid (empty for "none")
    note: str | None = None     # why "none"


@dataclass
class TunePlan:
    req: TuneRequest
    surface: Surface
    start: tuple[float, float]
    minima: np.ndarray          # (K, 2)
    tol: float
    runs: list[RunPlan]
    order: BatchOrder | None = None     # mini-batches (a surface from data)


@dataclass
class Outcome:
    """What each lr value of one run's grid gave."""

    final_loss: np.ndarray      # (n,) the loss at the last finite point
    diverged: np.ndarray        # (n,) bool
    steps_to_min: np.ndarray    # (n,) first step within tol of a minimum, -1 if never


def _owner_of_lr(optimizer: str, params: dict) -> str:
    """The optimizer whose lr it is: Lookahead's is its inner optimizer's."""
    if optimizer != "lookahead":
        return optimizer
    return (params.get("optimizer") or {}).get("optimizer") or "sgd"


def default_lr(optimizer: str, params: dict) -> float:
    """PyTorch's default lr of the optimizer (Lookahead's: its inner optimizer's)."""
    owner = _owner_of_lr(optimizer, params)
    return float(next(h.default for h in OPTIMIZERS[owner].hypers if h.name == "lr"))


def lr_range(optimizer: str, params: dict) -> tuple[float, float]:
    below, above = GRID_DECADES.get(_owner_of_lr(optimizer, params), OTHER_DECADES)
    d = default_lr(optimizer, params)
    return _significant(d * 10.0 ** -below), _significant(d * 10.0 ** above)


def _significant(v: float, digits: int = SIGNIFICANT) -> float:
    return float(f"{v:.{digits}g}")


def lr_grid(lo: float, hi: float, n: int) -> np.ndarray:
    """n values from lo to hi evenly spaced in log, each rounded to SIGNIFICANT digits
    (more where two would meet), so a chosen lr reads as 0.0316, not 0.031622776601683."""
    raw = np.geomspace(lo, hi, n)
    for digits in range(SIGNIFICANT, 18):
        values = np.array([_significant(v, digits) for v in raw])
        if n < 2 or (np.diff(values) > 0).all():
            return values
    return raw


def single_n(n: int) -> int:
    return min(n, max(SINGLE_MIN, n // 4))


def with_lr(spec: RunSpec, lr: float) -> RunSpec:
    return replace(spec, params=merged(spec.optimizer, spec.params, {"lr": float(lr)}))


def _scheduler_names(spec: dict | None) -> list[str]:
    if not spec:
        return []
    names = [spec.get("name")]
    for child in (spec.get("params") or {}).get("schedulers") or []:
        if isinstance(child, dict):
            names += _scheduler_names(child)
    return names


def untunable(spec: RunSpec) -> str | None:
    """Why the run's lr has no effect, or None."""
    if any(name in SETS_LR for name in _scheduler_names(spec.scheduler)):
        return SCHEDULER_SETS_LR
    groups = spec.groups or {}
    if all("lr" in (groups.get(c) or {}) for c in ("x", "y")):
        return GROUPS_SET_LR
    return None


def plan(req: TuneRequest) -> TunePlan:
    """Everything checked before any work: the scene as POST /api/v1/run checks it, a
    minimum to reach for "steps", and PyTorch's checks at both ends of every grid."""
    surface = resolve_surface(req.surface)
    start = start_of(req, surface)
    validate_all(req)
    minima = np.array(surface.minima, dtype=np.float64).reshape(-1, 2)
    if req.objective == "steps" and not len(minima):
        raise RequestError(("objective",), "this surface has no known minimum to reach: "
                           "tune for final_loss")
    (x0, x1), (y0, y1) = surface.domain
    tol = req.tol if req.tol is not None else TOL_FRACTION * max(x1 - x0, y1 - y0)
    runs = []
    for i, spec in enumerate(run_specs(req)):
        note = untunable(spec)
        if note is not None:
            runs.append(RunPlan(spec, "none", np.empty(0), note))
            continue
        ropt = RunOptimizer(spec, ("runs", i), req.steps)
        batch = (not ropt.needs_closure and spec.groups is None and not spec.events
                 and spec.zero_grad == "every_step")
        lrs = lr_grid(*lr_range(spec.optimizer, spec.params),
                      req.n if batch else single_n(req.n))
        for lr in (lrs[0], lrs[-1]):
            _check_end(spec, lr, i, req.steps)
        runs.append(RunPlan(spec, "batch" if batch else "single", lrs))
    return TunePlan(req, surface, start, minima, float(tol), runs, batch_order(req, surface))


def _check_end(spec: RunSpec, lr: float, i: int, steps: int) -> None:
    """Build the run at one end of its grid, as PyTorch would; a refusal names the lr."""
    try:
        RunOptimizer(with_lr(spec, lr), ("runs", i), steps)
    except RequestError as e:
        raise RequestError(("runs", i, "params", "lr"), f"{e.msg} (at lr = {lr:g}, an end "
                           f"of the tuning range)", e.kind) from None


def run_tune(p: TunePlan, *, cancelled: Callable[[], bool] | None = None,
             deadline: float | None = None,
             race: Callable[..., dict] = execute) -> dict:
    """Tune every run, then race them at their best lrs (`race(run_request, cancelled=,
    deadline=)`: the runs of POST /api/v1/run's answer; the server's explains their
    divergences too): the answer of POST /api/v1/tune.  One deadline covers it all: the
    one given, else that of the computation this thread runs (budget.py), else now +
    compute_budget_s; the cancel flag likewise."""
    seconds = settings().compute_budget_s
    outer = budget.current()
    if outer is not None:
        deadline = outer.deadline if deadline is None else deadline
        cancelled = outer.cancelled if cancelled is None else cancelled
    if deadline is None:
        deadline = time.monotonic() + seconds
    fence = Fence(deadline, seconds, cancelled)
    tuned = []
    for i, rp in enumerate(p.runs):
        fence.check()
        if rp.method == "batch":
            outcome = _by_batch(p, rp, fence)
        elif rp.method == "single":
            outcome = _by_single(p, rp, i, fence)
        else:
            outcome = None
        tuned.append(_run_answer(p, rp, outcome))
    raced = race(race_request(p.req, [t["best_lr"] for t in tuned]),
                 cancelled=cancelled, deadline=deadline)
    return {"objective": p.req.objective, "n": p.req.n, "tol": p.tol,
            "minima": p.minima.tolist(), "runs": tuned, "race": raced}


def _by_batch(p: TunePlan, rp: RunPlan, fence: Fence) -> Outcome:
    spec = rp.spec
    starts = np.repeat(np.array([p.start], dtype=np.float64), len(rp.lrs), axis=0)
    r = run_batch(p.surface, starts, p.req.steps, spec.optimizer, spec.params,
                  spec.scheduler, per_run={"lr": rp.lrs},
                  targets=p.minima if len(p.minima) else None, tol=p.tol,
                  noise=spec.noise, deadline=fence.deadline, budget=fence.budget,
                  cancelled=fence.cancelled, order=p.order)
    return Outcome(r.final_loss, r.diverged_at >= 0, r.reached_at)


def _by_single(p: TunePlan, rp: RunPlan, i: int, fence: Fence) -> Outcome:
    n = len(rp.lrs)
    out = Outcome(np.empty(n), np.zeros(n, dtype=bool), np.full(n, -1, dtype=np.int64))
    batches = p.surface.formula.batched(p.order) if p.order is not None else None
    for j, lr in enumerate(rp.lrs):     # every lr visits the same batches: made once
        fence.check()
        run = run_one(p.surface, p.start, p.req.steps, with_lr(rp.spec, lr), loc=("runs", i),
                      deadline=fence.deadline, budget=fence.budget,
                      cancelled=fence.cancelled, batches=batches)
        out.final_loss[j] = run["loss"][-1]
        out.diverged[j] = run["status"] == "diverged"
        out.steps_to_min[j] = first_reach(np.asarray(run["path"]), p.minima, p.tol)
    return out


def first_reach(path: np.ndarray, targets: np.ndarray, tol: float) -> int:
    """The first step of `path` within `tol` of a target, -1 if none: the batch engine's
    test (squared distances, the same operations), so both give the same step."""
    tol2 = tol * tol
    first = -1
    for tx, ty in targets:
        dx = path[:, 0] - tx
        dy = path[:, 1] - ty
        near = np.flatnonzero(dx * dx + dy * dy <= tol2)
        if near.size and (first < 0 or near[0] < first):
            first = int(near[0])
    return first


def choose(objective: str, o: Outcome) -> tuple[list, int | None, str | None]:
    """(the objective per lr value, None where it has none; the index of the best value
    or None; why there is none)."""
    ok = ~o.diverged & np.isfinite(o.final_loss)
    if objective == "final_loss":
        values = [float(v) if good else None for v, good in zip(o.final_loss, ok)]
        idx = np.flatnonzero(ok)
        if not idx.size:
            return values, None, ALL_DIVERGED
        return values, int(idx[np.argmin(o.final_loss[idx])]), None
    reached = ok & (o.steps_to_min >= 0)
    values = [int(k) if good else None for k, good in zip(o.steps_to_min, reached)]
    idx = np.flatnonzero(reached)
    if not idx.size:
        return values, None, NONE_REACHED if ok.any() else ALL_DIVERGED
    # fewest steps; among those the lower final loss; then the smaller lr
    best = np.lexsort((o.final_loss[idx], o.steps_to_min[idx]))[0]
    return values, int(idx[best]), None


def _run_answer(p: TunePlan, rp: RunPlan, o: Outcome | None) -> dict[str, Any]:
    spec = rp.spec
    out: dict[str, Any] = {"optimizer": spec.optimizer, "method": rp.method,
                           "lr": rp.lrs.tolist(), "default_lr": default_lr(spec.optimizer,
                                                                           spec.params)}
    if spec.label is not None:
        out["label"] = spec.label
    if o is None:
        out.update(objective=[], final_loss=[], diverged=[], steps_to_min=[], chosen=None,
                   best_lr=None, note=rp.note)
        return out
    values, chosen, note = choose(p.req.objective, o)
    out.update(objective=values,
               final_loss=[v if math.isfinite(v) else None for v in o.final_loss.tolist()],
               diverged=o.diverged.tolist(), steps_to_min=o.steps_to_min.tolist(),
               chosen=chosen, best_lr=None if chosen is None else float(rp.lrs[chosen]),
               note=note)
    return out


def race_request(req: TuneRequest, best: list[float | None]) -> RunRequest:
    """The scene as POST /api/v1/run takes it, each run at its best lr (a run without one
    as it was)."""
    body = req.model_dump(mode="json", exclude_unset=True,
                          exclude={"objective", "n", "tol"})
    for run, lr in zip(body["runs"], best):
        if lr is not None:
            run["params"] = merged(run["optimizer"], run.get("params") or {}, {"lr": lr})
    return RunRequest.model_validate(body)


def tune_request(body: dict) -> dict:
    """The answer of POST /api/v1/tune to `body` (NumPy arrays in it), for notebooks and
    tests."""
    return tune(TuneRequest.model_validate(body))


def tune(req: TuneRequest, *, cancelled: Callable[[], bool] | None = None,
         race: Callable[..., dict] = execute) -> dict:
    return run_tune(plan(req), cancelled=cancelled, race=race)
