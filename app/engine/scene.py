"""A scene: one surface, one start, several runs racing.  `execute` computes the runs of
a validated request; the explanation of a diverged run in words is teaching, added by the
callers that show it (app.teach.divergence.explained)."""

from __future__ import annotations

import math
import time
from typing import Callable

import numpy as np

from ..config import settings
from . import budget, memo
from .build import RunSpec
from .errors import RequestError
from .map_request import MapRequest
from .optimizer import RunOptimizer
from .request import (RunRequest, batch_order, events_of, groups_of, params_of,
                      resolve_surface, scheduler_of)
from .loop import Pacer, whole_chunk
from .runner import run_one
from .surfaces import Surface


def run_request(body: dict) -> dict:
    """The runs of POST /api/v1/run's answer to `body`, without the explanations of
    divergence (raises pydantic's ValidationError or a RequestError for bad input, like
    the API's 422)."""
    return execute(RunRequest.model_validate(body))


def run_specs(req: RunRequest) -> list[RunSpec]:
    specs = []
    for r in req.runs:
        specs.append(RunSpec(
            optimizer=r.optimizer, params=params_of(r),
            scheduler=scheduler_of(r),
            noise=r.noise.model_dump() if r.noise is not None else None,
            label=r.label, color=r.color, groups=groups_of(r), zero_grad=r.zero_grad,
            events=events_of(r)))
    return specs


def start_of(req: RunRequest | MapRequest, surface: Surface) -> tuple[float, float]:
    """The request's start (else the surface's), refused where the surface has no value."""
    start = tuple(req.start) if req.start is not None else tuple(surface.start)
    with np.errstate(all="ignore"):
        value = surface.formula.value(np.array([start], dtype=np.float64))[0]
    if not math.isfinite(value):
        raise RequestError(("start",), f"the surface has no finite value at the start "
                           f"{list(start)}: choose another start")
    return start  # type: ignore[return-value]


def execute(req: RunRequest, *, cancelled: Callable[[], bool] | None = None,
            on_chunk: Callable[[int, dict], None] | None = None,
            deadline: float | None = None) -> dict:
    """Run every run of the request in turn.  `on_chunk(i, chunk)` streams path pieces
    of run i as they are computed (see runner.run_one).  `deadline` (time.monotonic())
    and `cancelled` default to those of the computation this thread runs (budget.py),
    else now + compute_budget_s and none; a caller that runs several requests as one
    computation gives them one deadline."""
    fence = budget.current()
    if fence is not None:
        deadline = fence.deadline if deadline is None else deadline
        cancelled = fence.cancelled if cancelled is None else cancelled
    surface = resolve_surface(req.surface)
    start = start_of(req, surface)
    validate_all(req)
    seconds = settings().compute_budget_s
    if deadline is None:
        deadline = time.monotonic() + seconds
    order = batch_order(req, surface)
    # one StepBatches for every run: they visit the same batches, made once
    batches = surface.formula.batched(order) if order is not None else None
    runs = []
    pacer = Pacer()    # one for the request: its first piece at once, then once a frame
    for i, (spec, key) in enumerate(zip(run_specs(req), memo.keys_of(req))):
        run = memo.recall(key)
        if run is None:
            chunk = None if on_chunk is None else (lambda c, i=i: on_chunk(i, c))
            run = run_one(surface, start, req.steps, spec, loc=("runs", i),
                          record_state=req.state, deadline=deadline, budget=seconds,
                          cancelled=cancelled, on_chunk=chunk, batches=batches,
                          pacer=pacer)
            memo.keep(key, run)
        elif on_chunk is not None:
            # a run the last slider move did not change: its path in one piece, at once
            on_chunk(i, whole_chunk(run))
            pacer.sent()
        runs.append(run)
    return {"surface": surface.to_dict(), "start": list(start), "steps": req.steps,
            "runs": runs}


def validate_all(req: RunRequest) -> None:
    """Build every optimizer and scheduler once, and check every event, so bad input is
    refused before any work (and before a stream sends its first chunk)."""
    for i, spec in enumerate(run_specs(req)):
        RunOptimizer(spec, ("runs", i), req.steps)
