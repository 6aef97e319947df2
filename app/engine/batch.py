"""Many independent runs at once: the same optimizer code on a (B, 2) batch.

Maps (a start per cell, or hyperparameters per cell) run here.  The batch is cut into
cache-sized chunks, so every temporary stays in L2 and memory stays flat whatever B is.
A run whose point or loss stops being finite is marked diverged at that step; its row
keeps computing NaNs harmlessly, which is cheaper than compacting the batch.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from .errors import Cancelled, ComputationTimeout
from .runner import attach_scheduler, build_optimizer
from .surfaces import Surface

CHUNK = 4096          # runs per chunk: (4096, 2) float64 = 64 KiB per array
CHECK_EVERY = 16      # steps between divergence / clock checks


@dataclass
class BatchResult:
    final: np.ndarray         # (B, 2) last finite point
    final_loss: np.ndarray    # (B,)
    diverged_at: np.ndarray   # (B,) step at which the run diverged, -1 if it did not
    reached_at: np.ndarray    # (B,) first step within `tol` of a target, -1 if never
    target: np.ndarray        # (B,) index of the target reached, -1 if none


def run_batch(surface: Surface, starts: np.ndarray, steps: int, optimizer: str,
              params: dict | None = None, scheduler: dict | None = None, *,
              per_run: dict[str, np.ndarray] | None = None,
              targets: np.ndarray | None = None, tol: float = 1e-3,
              deadline: float | None = None, budget: float = 0.0,
              cancelled: Callable[[], bool] | None = None,
              chunk: int = CHUNK) -> BatchResult:
    """Run B = len(starts) independent copies of one optimizer for `steps` steps.

    `per_run` maps a hyperparameter name to a (B,) array of values (a sweep map); those
    values replace the group's scalar as a (b, 1) column for each chunk.
    `targets` (K, 2): for each run, the first step at which it lies within `tol` of one.
    """
    starts = np.ascontiguousarray(starts, dtype=np.float64).reshape(-1, 2)
    B = len(starts)
    final = np.empty((B, 2))
    final_loss = np.empty(B)
    diverged_at = np.full(B, -1, dtype=np.int64)
    reached_at = np.full(B, -1, dtype=np.int64)
    target = np.full(B, -1, dtype=np.int64)
    f = surface.formula
    for lo in range(0, B, chunk):
        hi = min(B, lo + chunk)
        overrides = {k: v[lo:hi, None] for k, v in (per_run or {}).items()}
        opt = build_optimizer(optimizer, {**(params or {}), **_scalar_stand_in(overrides)},
                              ("runs", 0))
        opt.group.update(overrides)
        sched = attach_scheduler(scheduler, opt, ("runs", 0), steps)
        plateau = sched is not None and getattr(sched, "needs_metric", False)
        p = starts[lo:hi].copy()
        state = opt.init(p)
        last_good = p.copy()
        dv = diverged_at[lo:hi]
        ra, tg = reached_at[lo:hi], target[lo:hi]
        with np.errstate(all="ignore"):
            value, grad = f.value_and_grad(p)
            if targets is not None:
                _mark_reached(p, 0, targets, tol, ra, tg)
            for k in range(steps):
                if opt.needs_closure:
                    opt.step(p, f.value_and_grad, state)
                else:
                    opt.step(p, grad, state)
                if sched is not None:
                    sched.step(value) if plateau else sched.step()
                value, grad = f.value_and_grad(p)
                if targets is not None:
                    _mark_reached(p, k + 1, targets, tol, ra, tg)
                if (k + 1) % CHECK_EVERY == 0 or k + 1 == steps:
                    bad = ~(np.isfinite(value) & np.isfinite(p).all(axis=1))
                    newly = bad & (dv < 0)
                    dv[newly] = k + 1
                    good = ~bad
                    last_good[good] = p[good]
                    if cancelled is not None and cancelled():
                        raise Cancelled()
                    if deadline is not None and time.monotonic() > deadline:
                        raise ComputationTimeout(budget)
        final[lo:hi] = last_good
        final_loss[lo:hi] = f.value(last_good)
    return BatchResult(final, final_loss, diverged_at, reached_at, target)


def _scalar_stand_in(overrides: dict[str, np.ndarray]) -> dict[str, Any]:
    """Validate swept hyperparameters through the constructor with their first value;
    the caller has checked the whole range."""
    return {k: (float(v.flat[0]) if v.dtype.kind == "f" else v.flat[0].item())
            for k, v in overrides.items()}


def _mark_reached(p: np.ndarray, k: int, targets: np.ndarray, tol: float,
                  reached_at: np.ndarray, target: np.ndarray) -> None:
    open_ = reached_at < 0
    if not open_.any():
        return
    d2 = ((p[:, None, :] - targets[None, :, :]) ** 2).sum(axis=2)
    near = d2.min(axis=1) <= tol * tol
    hit = open_ & near
    if hit.any():
        reached_at[hit] = k
        target[hit] = d2[hit].argmin(axis=1)
