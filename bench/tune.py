"""Tuning speed: POST /api/v1/tune for 6 optimizers x 64 lr values x 500 steps on Rosenbrock.

    python bench/tune.py [--repeat 7] [--n 64] [--steps 500] [--ranges]

Prints medians of:
  (a) the tuning as the server computes it (engine.tune: the six batches of 64 lr values,
      then the race at the six best lrs), wall clock and this process's CPU time;
  (b) the same through POST /api/v1/tune in-process (validation, JSON, gzip), cache off;
  (c) the six grids run one lr at a time with runner.run_one instead (what the batch
      engine saves), and the ratio.
Target on this 2-core machine: (a) and (b) <= 1 s.

--ranges prints, for every optimizer, where the lr with the lowest final loss after
--steps steps lies on each built-in surface with a minimum, in decades from PyTorch's
default, against the grid of engine/tune.py (GRID_DECADES): the reason for those grids.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.engine.batch import run_batch  # noqa: E402
from app.engine.optim import REGISTRY  # noqa: E402
from app.engine.runner import run_one  # noqa: E402
from app.engine.surfaces import SURFACES  # noqa: E402
from app.engine.tune import (default_lr, lr_range, plan, run_tune,  # noqa: E402
                             with_lr)
from app.engine.tune_request import TuneRequest  # noqa: E402
from bench.engine import median_time  # noqa: E402

RUNS = [{"optimizer": "sgd", "params": {"momentum": 0.9}}, {"optimizer": "adam"},
        {"optimizer": "adamw"}, {"optimizer": "rmsprop"}, {"optimizer": "adagrad"},
        {"optimizer": "nadam"}]


def body(n: int, steps: int) -> dict:
    return {"surface": "rosenbrock", "steps": steps, "n": n, "runs": RUNS}


def cpu_and_wall(fn, repeat: int) -> tuple[float, float]:
    fn()
    walls, cpus = [], []
    for _ in range(repeat):
        w, c = time.perf_counter(), time.process_time()
        fn()
        walls.append(time.perf_counter() - w)
        cpus.append(time.process_time() - c)
    return float(np.median(walls)), float(np.median(cpus))


def speed(args) -> None:
    n, steps = args.n, args.steps
    print(f"{len(RUNS)} optimizers x {n} lr values x {steps} steps on Rosenbrock; median of "
          f"{args.repeat}; {os.cpu_count()} CPUs, load average "
          f"{os.getloadavg()[0]:.1f}")
    p = plan(TuneRequest.model_validate(body(n, steps)))
    wall, cpu = cpu_and_wall(lambda: run_tune(p), args.repeat)
    print(f"  (a) tuning + race, engine              {wall:6.3f} s wall  {cpu:6.3f} s CPU")
    engine_wall = wall

    os.environ["OPTPLAY_CACHE_ENTRIES"] = "0"
    from app.config import settings
    settings.cache_clear()
    from fastapi.testclient import TestClient

    from app import cache
    from app.main import app
    cache._cache = None
    with TestClient(app) as client:
        def post():
            r = client.post("/api/v1/tune", json=body(n, steps),
                            headers={"accept-encoding": "gzip"})
            assert r.status_code == 200, r.text
        secs = median_time(post, args.repeat)
        size = len(client.post("/api/v1/tune", json=body(n, steps)).content)
    print(f"  (b) POST /api/v1/tune in-process       {secs:6.3f} s wall   "
          f"(answer {size / 1e3:.0f} kB of JSON)")

    def one_at_a_time():
        for rp in p.runs:
            for lr in rp.lrs:
                run_one(p.surface, p.start, steps, with_lr(rp.spec, lr))
    wall, cpu = cpu_and_wall(one_at_a_time, max(1, args.repeat // 2))
    print(f"  (c) the grids one run at a time        {wall:6.3f} s wall  {cpu:6.3f} s CPU"
          f"   batch engine {wall / engine_wall:4.1f}x faster")


def ranges(args) -> None:
    """Where the best lr lies, in decades from the default, surface by surface."""
    lrs = np.geomspace(1e-9, 1e5, 169)          # 12 values a decade
    surfaces = [s for s in SURFACES.values() if s.minima]
    print(f"best final loss after {args.steps} steps, log10(best lr / default) on "
          f"{len(surfaces)} surfaces, against the grid's ends:")
    for name in REGISTRY:
        if name in ("lbfgs", "lookahead"):
            continue
        d = default_lr(name, {})
        where = []
        for s in surfaces:
            starts = np.repeat(np.array([s.start]), len(lrs), axis=0)
            r = run_batch(s, starts, args.steps, name, {}, per_run={"lr": lrs})
            loss = np.where(r.diverged_at < 0, r.final_loss, np.inf)
            where.append(np.log10(lrs[int(np.argmin(loss))] / d))
        lo, hi = lr_range(name, {})
        inside = sum(np.log10(lo / d) <= w <= np.log10(hi / d) for w in where)
        print(f"  {name:<11} default {d:<7g} best {min(where):+5.1f} .. {max(where):+5.1f}"
              f" (median {np.median(where):+4.1f});  grid {lo:g} .. {hi:g} = "
              f"{np.log10(lo / d):+.0f} .. {np.log10(hi / d):+.0f};  {inside} of "
              f"{len(where)} inside")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=7)
    ap.add_argument("--n", type=int, default=64, help="lr values per optimizer")
    ap.add_argument("--steps", type=int, default=500)
    ap.add_argument("--ranges", action="store_true", help="where the best lrs lie")
    args = ap.parse_args()
    ranges(args) if args.ranges else speed(args)


if __name__ == "__main__":
    main()
