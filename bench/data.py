"""Surfaces from data: what the objective costs, medians of several runs.

    python bench/data.py [--repeat 7] [--n 10000] [--steps 1000] [--size 32] [--runs 4]
                         [--scene]

Issue #16's target: 10,000 points, batch size 32, 4 runs x 1000 steps answered within
100 ms.  Per model (linear: MSELoss, logistic: BCEWithLogitsLoss) this prints
(a) the full-data loss along a path of steps + 1 points at once (losses_along);
(b) steps evaluations of one batch of `size` (StepBatches.value_and_grad_of_floats:
    step k's batch, its loss and gradient as Python floats, what the float loop calls);
(c) for comparison, steps evaluations of the full data set (a run without `batch`);
(d) the objective's share of the target scene: runs x ((a) + (b)), before the
    optimizer's own steps and the answer's encoding;
(e) POST /api/v1/grid's work for the data surface at n = 120;
(f) the whole answer of the target scene: POST /api/v1/run's work (app.engine.run_request
    on the body, the fit of the inline data included) and its JSON encoding, for `runs`
    runs (SGD, SGD with momentum, Adam, RMSprop, in turn) x `steps` steps, inline data of
    n points, batch size `size`: medians of the wall-clock time and of the CPU time (on a
    loaded machine the CPU time is the work's own cost).  --scene prints only (f).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.api.responses import dumps  # noqa: E402
from app.engine import run_request  # noqa: E402
from app.engine.data import BatchOrder, data_surface, inline  # noqa: E402
from app.engine.grid import grid  # noqa: E402


def median_time(fn, repeat: int) -> float:
    fn()  # warm-up
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def median_wall_and_cpu(fn, repeat: int) -> tuple[float, float]:
    """Medians of the wall-clock time and of this process's CPU time: on a shared,
    loaded machine the CPU time says what the work costs, the wall time what a user waits."""
    fn()  # warm-up
    walls, cpus = [], []
    for _ in range(repeat):
        t, c = time.perf_counter(), time.process_time()
        fn()
        walls.append(time.perf_counter() - t)
        cpus.append(time.process_time() - c)
    return statistics.median(walls), statistics.median(cpus)


def make_data(model: str, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Noisy data with 17 significant digits (no repeated pairs to fold together)."""
    rng = np.random.default_rng(0)
    x = rng.normal(2.0, 1.0, n)
    if model == "linear":
        return x, 2.0 * x + 1.0 + rng.normal(0.0, 1.0, n)
    return x, (rng.random(n) < 1.0 / (1.0 + np.exp(-(2.0 * x - 4.0)))).astype(float)


def bench_model(model: str, args) -> None:
    x, y = make_data(model, args.n)
    surface = data_surface(inline(x, y, model))
    f = surface.formula
    # a path that wanders near the minimum, as an optimizer's does
    rng = np.random.default_rng(1)
    w0, b0 = surface.minima[0]
    path = np.column_stack([w0 + np.cumsum(rng.normal(0, 0.01, args.steps + 1)),
                            b0 + np.cumsum(rng.normal(0, 0.01, args.steps + 1))])

    along = median_time(lambda: f.losses_along(path), args.repeat)

    points = path.tolist()      # the float loop's w and b are Python floats

    def batches():
        at_step = f.batched(BatchOrder(args.n, args.size, seed=0)).value_and_grad_of_floats
        for k in range(args.steps):
            w, b = points[k]
            at_step(w, b, k)

    per_batch = median_time(batches, args.repeat)

    def full():
        evaluate = f.value_and_grad_of_floats
        for k in range(args.steps):
            w, b = points[k]
            evaluate(w, b)

    per_full = median_time(full, max(1, args.repeat // 2))
    grid_s = median_time(lambda: grid(surface, 120), max(1, args.repeat // 3))
    scene = args.runs * (along + per_batch)
    print(f"{model:9s} n={args.n}: (a) losses along {args.steps + 1} points "
          f"{along * 1e3:7.2f} ms | (b) {args.steps} batches of {args.size} "
          f"{per_batch * 1e3:7.2f} ms ({per_batch / args.steps * 1e6:.1f} us a step) | "
          f"(c) {args.steps} full-data steps {per_full * 1e3:7.1f} ms")
    print(f"{'':9s} (d) the objective's share of {args.runs} runs x {args.steps} steps: "
          f"{scene * 1e3:.1f} ms (target for the whole answer: 100 ms) | "
          f"(e) grid n=120: {grid_s * 1e3:.0f} ms")


SCENE_RUNS = [("sgd", {"lr": 0.05}), ("sgd", {"lr": 0.05, "momentum": 0.9}),
              ("adam", {"lr": 0.05}), ("rmsprop", {"lr": 0.01})]


def scene_body(model: str, args) -> dict:
    x, y = make_data(model, args.n)
    runs = [{"optimizer": name, "params": params}
            for name, params in (SCENE_RUNS * args.runs)[:args.runs]]
    return {"surface": {"data": {"x": x.tolist(), "y": y.tolist()}, "model": model},
            "steps": args.steps, "batch": {"size": args.size, "seed": 0}, "runs": runs}


def bench_scene(model: str, args) -> None:
    body = scene_body(model, args)
    answer = run_request(body)
    done = [r["steps_done"] for r in answer["runs"]]
    size = len(dumps(answer))
    wall, cpu = median_wall_and_cpu(lambda: dumps(run_request(body)), args.repeat)
    print(f"{model:9s} (f) the whole answer, {args.runs} runs x {args.steps} steps, "
          f"n={args.n}, batches of {args.size}: {wall * 1e3:7.1f} ms wall, "
          f"{cpu * 1e3:7.1f} ms CPU (target 100 ms; {size / 1e6:.2f} MB of JSON; "
          f"steps done {done})")


def numpy_call_us(repeat: int) -> float:
    """One NumPy call on 32 numbers, in microseconds: the unit a batch step is made of
    (about ten of them), printed so that figures from a busy machine can be compared."""
    a = np.random.default_rng(0).random(32)

    def calls():
        for _ in range(10_000):
            a * 1.5

    return median_time(calls, repeat) / 10_000 * 1e6


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=7)
    ap.add_argument("--n", type=int, default=10_000)
    ap.add_argument("--steps", type=int, default=1000)
    ap.add_argument("--size", type=int, default=32)
    ap.add_argument("--runs", type=int, default=4)
    ap.add_argument("--scene", action="store_true", help="only (f), the whole answer")
    args = ap.parse_args()
    if args.scene:
        for model in ("linear", "logistic"):
            bench_scene(model, args)
        return
    print(f"one NumPy call on 32 numbers: {numpy_call_us(args.repeat):.2f} us "
          f"(a batch step is about ten such calls)")
    for model in ("linear", "logistic"):
        bench_model(model, args)
        bench_scene(model, args)


if __name__ == "__main__":
    main()
