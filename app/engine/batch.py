"""Many independent runs at once: the same optimizer code on a (B, 2) batch.

Maps (a start per cell, or hyperparameters per cell) run here.  The batch is cut into
cache-sized chunks, so every temporary stays in L2 and memory stays flat whatever B is.

The step loop does nothing but step, schedule and evaluate, plus copies of the point
and the loss into a short history of BLOCK steps.  Every BLOCK steps the history is
looked at in one go: which runs stopped being finite, and at which step exactly; which
runs came within `tol` of a target, and at which step exactly.  So the figures are those
of a per-step test at a fraction of its cost: on 4,096 runs a per-step distance test
costs 70 us with one target and 470 us with four, against about 90 us for an Adam step
and a Rosenbrock evaluation; the block test costs about 10 us a step.  A run whose point
or loss stops being finite is marked diverged at that step; its row keeps computing
NaNs harmlessly, which is cheaper than compacting the batch, and a chunk stops early
once all its runs have.
"""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from ..config import settings
from .build import attach_scheduler, build_optimizer
from .data import BatchOrder
from .fence import Fence
from .loop import Noise
from .optimizer import merged
from .surfaces import Surface

CHUNK = 4096          # runs per chunk: (4096, 2) float64 = 64 KiB per array
BLOCK = 16            # steps of history between divergence and reach checks
# Threads over chunks: settings().batch_threads (OPTPLAY_BATCH_THREADS), default 1.
# NumPy releases the GIL inside each operation, but on arrays of a chunk's size an
# operation takes a few microseconds and the Python around it holds the GIL for about as
# long, so on a 2-core machine two threads run no faster than one (bench/maps.py prints
# both: 0.72-0.76 s with one, 0.77-1.2 s with two for 256 x 256 x 500 Adam).  Larger
# chunks make the operations longer but leave the L2 cache: no better.

_PAIR_KEY = re.compile(r"^(\w+)\[([01])\]$")


@dataclass
class BatchResult:
    final: np.ndarray         # (B, 2) last finite point
    final_loss: np.ndarray    # (B,) loss there (NaN if even the start was not finite)
    diverged_at: np.ndarray   # (B,) step at which the run diverged, -1 if it did not
    reached_at: np.ndarray    # (B,) first step within `tol` of a target, -1 if never
    target: np.ndarray        # (B,) index of the target reached, -1 if none


def run_batch(surface: Surface, starts: np.ndarray, steps: int, optimizer: str,
              params: dict | None = None, scheduler: dict | None = None, *,
              per_run: dict[str, np.ndarray] | None = None,
              targets: np.ndarray | None = None, tol: float = 1e-3,
              noise: dict | None = None, deadline: float | None = None, budget: float = 0.0,
              cancelled: Callable[[], bool] | None = None,
              chunk: int = CHUNK, workers: int | None = None,
              order: BatchOrder | None = None) -> BatchResult:
    """Run B = len(starts) independent copies of one optimizer for `steps` steps.

    `per_run` maps a hyperparameter name to a (B,) array of values (a sweep map); those
    values replace the group's scalar as a (b, 1) column for each chunk.  An element of
    a pair is named with its index: "betas[1]" sweeps beta2, beta1 staying as `params`
    (or the default) has it.  The caller validates the swept range (maps.plan does).
    `targets` (K, 2): for each run, the first step at which it lies within `tol` of one.
    `noise` ({"std", "seed"}, as a run's): every run of the batch gets the gradient noise
    a single run with that seed gets, the same draws at the same steps (not for LBFGS,
    whose runs evaluate the surface a different number of times each).
    `workers`: threads over chunks (default settings().batch_threads).
    `order` (a surface from data only): step k of every run uses the gradient of the
    batch `order.indices(k)`, as a run with that `batch` does; the loss that decides
    divergence and `final_loss` stays the full-data loss.
    """
    starts = np.ascontiguousarray(starts, dtype=np.float64).reshape(-1, 2)
    B = len(starts)
    out = BatchResult(final=np.empty((B, 2)), final_loss=np.empty(B),
                      diverged_at=np.full(B, -1, dtype=np.int64),
                      reached_at=np.full(B, -1, dtype=np.int64),
                      target=np.full(B, -1, dtype=np.int64))
    if B == 0:
        return out
    if targets is not None:
        targets = np.asarray(targets, dtype=np.float64).reshape(-1, 2)
        if len(targets) == 0:
            targets = None
    per_run = {k: np.asarray(v).reshape(-1) for k, v in (per_run or {}).items()}
    # Equal chunks: no small tail chunk paying the per-step overhead of a whole one.
    n_chunks = -(-B // max(1, chunk))
    bounds = [(B * i // n_chunks, B * (i + 1) // n_chunks) for i in range(n_chunks)]
    job = _Job(surface, starts, steps, optimizer, params or {}, scheduler, per_run,
               targets, tol, noise, deadline, budget, cancelled, out, order)
    workers = settings().batch_threads if workers is None else workers
    if workers <= 1 or n_chunks == 1:
        for lo, hi in bounds:
            job.run(lo, hi)
    else:
        with ThreadPoolExecutor(min(workers, n_chunks)) as pool:
            for f in [pool.submit(job.run, lo, hi) for lo, hi in bounds]:
                f.result()
    return out


def group_values(optimizer: str, params: dict, per_run: dict[str, Any]) -> dict[str, Any]:
    """`params` with the swept values in place: "name" replaces a whole value (Lookahead's
    lr its inner optimizer's), "name[i]" one element of a pair (the other element kept
    from `params` or the default)."""
    from .optim import REGISTRY
    out = dict(params)
    defaults = {h.name: h.default for h in REGISTRY[optimizer].hypers} \
        if optimizer in REGISTRY else {}
    for key, value in per_run.items():
        m = _PAIR_KEY.match(key)
        if m is None:
            out = merged(optimizer, out, {key: value})
            continue
        name, i = m.group(1), int(m.group(2))
        pair = list(out.get(name, defaults.get(name)) or (None, None))
        pair[i] = value
        out[name] = tuple(pair)
    return out


@dataclass
class _Job:
    surface: Surface
    starts: np.ndarray
    steps: int
    optimizer: str
    params: dict
    scheduler: dict | None
    per_run: dict[str, np.ndarray]
    targets: np.ndarray | None
    tol: float
    noise: dict | None
    deadline: float | None
    budget: float
    cancelled: Callable[[], bool] | None
    out: BatchResult
    order: BatchOrder | None = None

    def build(self, lo: int, hi: int):
        columns = {k: v[lo:hi, None] for k, v in self.per_run.items()}
        stand_in = {k: (float(v.flat[0]) if v.dtype.kind == "f" else v.flat[0].item())
                    for k, v in columns.items()}
        # Built with scalars (the caller has validated the whole range), then given the
        # columns, before the scheduler reads the group.
        opt = build_optimizer(self.optimizer, group_values(self.optimizer, self.params,
                                                           stand_in), ("run",))
        for key, column in columns.items():
            m = _PAIR_KEY.match(key)
            name = key if m is None else m.group(1)
            if m is None:
                opt.group[key] = column
            else:
                pair = list(opt.group[name])
                pair[int(m.group(2))] = column
                opt.group[name] = tuple(pair)
            opt.defaults[name] = opt.group[name]   # each run's constructor argument
        sched = attach_scheduler(self.scheduler, opt, ("run",), self.steps)
        return opt, sched

    def run(self, lo: int, hi: int) -> None:
        opt, sched = self.build(lo, hi)
        plateau = sched is not None and getattr(sched, "needs_metric", False)
        closure = opt.needs_closure
        f = self.surface.formula
        # The clock and the cancel flag are looked at every step (a step of a chunk takes
        # 50 µs to tens of ms, a look 0.2 µs), and within an evaluation of a long formula
        # between its chunks; a closure step (LBFGS) may evaluate the surface thousands
        # of times: on every evaluation.
        fence = Fence(self.deadline, self.budget, self.cancelled)
        check = fence.check
        evaluate = fence.guard(f.value_and_grad, every=1)
        out, steps, targets = self.out, self.steps, self.targets
        rng, std = _noise(self.noise, closure)
        tol2 = self.tol * self.tol
        b = hi - lo
        p = self.starts[lo:hi].copy()
        state = opt.init(p)
        dv, ra, tg = out.diverged_at[lo:hi], out.reached_at[lo:hi], out.target[lo:hi]
        last_good = out.final[lo:hi]
        last_loss = out.final_loss[lo:hi]
        n_slots = min(BLOCK, max(steps, 1))
        hx, hy, hv = np.empty((n_slots, b)), np.empty((n_slots, b)), np.empty((n_slots, b))
        px, py = p[:, 0], p[:, 1]
        order = self.order
        with np.errstate(all="ignore"):
            if order is None:
                value, grad = f.value_and_grad(p, check=check)
            else:
                value = f.value(p, check=check)
            last_good[:] = p
            last_loss[:] = value
            bad = ~(np.isfinite(value) & np.isfinite(p).all(axis=1))
            dv[bad] = 0
            if targets is not None:
                _reach(p[None, :, 0], p[None, :, 1], 0, targets, tol2, ra, tg, dv)
            k0 = 1          # the step whose point sits in hist slot 0
            s = 0
            for k in range(steps):
                check()
                metric = value
                if order is None:
                    if closure:
                        opt.step(p, evaluate, state)
                    else:
                        opt.step(p, _noisy(grad, rng, std), state)
                else:
                    metric = self._batch_step(opt, p, state, order.indices(k), fence,
                                              plateau, rng, std)
                if sched is not None:
                    sched.step(metric) if plateau else sched.step()
                if order is None:
                    value, grad = f.value_and_grad(p, check=check)
                else:
                    value = f.value(p, check=check)
                np.copyto(hx[s], px)
                np.copyto(hy[s], py)
                np.copyto(hv[s], value)
                s += 1
                if s == n_slots or k + 1 == steps:
                    if targets is not None:
                        _reach(hx[:s], hy[:s], k0, targets, tol2, ra, tg, dv)
                    alive = _settle(hx[:s], hy[:s], hv[:s], k0, p, value, dv, last_good,
                                    last_loss)
                    if targets is not None:
                        late = (ra >= 0) & (dv >= 0) & (ra >= dv)
                        ra[late], tg[late] = -1, -1     # reached only after diverging
                    k0, s = k + 2, 0
                    if not alive:
                        break


    def _batch_step(self, opt, p: np.ndarray, state, idx: np.ndarray, fence: Fence,
                    plateau: bool, rng=None, std: float = 0.0):
        """One step on the batch `idx`: its gradient at p (every evaluation of a closure
        step on that batch too), plus the gradient noise; returns the batch's loss at p
        (ReduceLROnPlateau's metric) when a scheduler needs it."""
        f = self.surface.formula
        if opt.needs_closure:
            metric = f.value_and_grad_on(p, idx, check=fence.check)[0] if plateau else None
            opt.step(p, fence.guard(lambda q: f.value_and_grad_on(q, idx, check=fence.check),
                                    every=1), state)
            return metric
        metric, grad = f.value_and_grad_on(p, idx, check=fence.check)
        opt.step(p, _noisy(grad, rng, std), state)
        return metric


def _noise(spec: dict | None, closure: bool):
    """(generator, std) of loop.Noise for `spec`, or (None, 0.0) without noise."""
    noise = Noise(spec)
    if noise.rng is not None and closure:
        raise ValueError("gradient noise in a batch needs one gradient per step: "
                         "run LBFGS with noise one run at a time")
    return noise.rng, noise.std


def _noisy(grad: np.ndarray, rng, std: float) -> np.ndarray:
    """The gradient plus the single run's draw of this step, (1, 2), the same for every
    run of the batch (loop.Noise.add's arithmetic)."""
    return grad if rng is None else grad + std * rng.standard_normal((1, 2))


def _settle(hx: np.ndarray, hy: np.ndarray, hv: np.ndarray, k0: int, p: np.ndarray,
            value: np.ndarray, dv: np.ndarray, last_good: np.ndarray,
            last_loss: np.ndarray) -> bool:
    """After a block of history (slot i holds step k0 + i; the last slot is `p`, `value`):
    mark the runs whose point or loss stopped being finite, at the exact step, and keep
    the last finite point and loss of every run.  False when no run is left live.

    A run can leave the finite and come back within a block (log(x) is NaN for x < 0,
    its gradient is not), so the whole block is looked at: sums over the block's steps
    find the candidates cheaply (NaN and infinity survive a sum; an overflowing sum of
    finite values is a false alarm the exact test then clears)."""
    live = dv < 0
    total = hv.sum(axis=0)
    total += hx.sum(axis=0)
    total += hy.sum(axis=0)
    suspect = live & ~np.isfinite(total)
    if suspect.any():
        idx = np.flatnonzero(suspect)
        fin = np.isfinite(hv[:, idx]) & np.isfinite(hx[:, idx]) & np.isfinite(hy[:, idx])
        broke = ~fin.all(axis=0)
        idx, fin = idx[broke], fin[:, broke]
        if idx.size:
            first_bad = np.argmin(fin, axis=0)
            dv[idx] = k0 + first_bad
            before = first_bad > 0
            rows, slots = idx[before], first_bad[before] - 1
            last_good[rows, 0] = hx[slots, rows]
            last_good[rows, 1] = hy[slots, rows]
            last_loss[rows] = hv[slots, rows]
            live[idx] = False
    np.copyto(last_good, p, where=live[:, None])
    np.copyto(last_loss, value, where=live)
    return bool(live.any())


def _reach(hx: np.ndarray, hy: np.ndarray, k0: int, targets: np.ndarray, tol2: float,
           reached_at: np.ndarray, target: np.ndarray, diverged_at: np.ndarray) -> None:
    """For live runs that have reached no target yet: the first slot of the history
    within sqrt(tol2) of a target (slot i is step k0 + i), and which target (the first
    listed when two are that close).

    Each run's box over the block (min and max of x and y: four reductions) rules out
    nearly every run and target at once; only the rest are measured step by step."""
    open_ = (reached_at < 0) & (diverged_at < 0)
    if not open_.any():
        return
    x0, x1 = hx.min(axis=0), hx.max(axis=0)        # NaN in a column makes its box NaN,
    y0, y1 = hy.min(axis=0), hy.max(axis=0)        # and NaN compares false below
    first = np.full(reached_at.shape, np.iinfo(np.int64).max)
    which = np.full(reached_at.shape, -1)
    for j, (tx, ty) in enumerate(targets):
        gx = np.maximum(np.maximum(x0 - tx, tx - x1), 0.0)
        gy = np.maximum(np.maximum(y0 - ty, ty - y1), 0.0)
        cand = np.flatnonzero(open_ & (gx * gx + gy * gy <= tol2))
        if cand.size == 0:
            continue
        dx = hx[:, cand] - tx
        dy = hy[:, cand] - ty
        near = dx * dx + dy * dy <= tol2
        got = near.any(axis=0)
        cand, slot = cand[got], near[:, got].argmax(axis=0)
        better = slot < first[cand]
        first[cand[better]] = slot[better]
        which[cand[better]] = j
    hit = np.flatnonzero(which >= 0)
    if hit.size:
        reached_at[hit] = k0 + first[hit]
        target[hit] = which[hit]
