"""Engine speed: medians of several runs, and ratios against torch.optim when installed.

    python bench/engine.py [--repeat 5] [--batch 65536] [--steps 500] [--paths-only]

(a) one path of 1000 steps for each optimizer on Rosenbrock (ms per path, POST /run's
    work), and the same path forced onto (1, 2) arrays (run_one(fast=False)) with the
    ratio: what the rules lowered to floats (optim/lowering.py) gain;
(o) the same path of Adam and of SGD with momentum with each torch.optim API option
    (param groups, zero_grad "never", two changes of course kept / re-created, and
    LBFGS's closure evaluations) against none, and the ratio (`--options`);
(b) a batch of 65,536 runs x 500 steps of Adam and of SGD with momentum on Rosenbrock
    (million run-steps per second);
then the same work in torch.optim (float64, one thread) and the ratio.
Targets on a 2-core machine: (a) <= 3 ms per first-order path; (b) Adam >= 60 M/s.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.engine import run_request  # noqa: E402
from app.engine.batch import run_batch  # noqa: E402
from app.engine.build import RunSpec  # noqa: E402
from app.engine.optim import REGISTRY  # noqa: E402
from app.engine.runner import run_one  # noqa: E402
from app.engine.surfaces import SURFACES  # noqa: E402

# Hyperparameters that keep each optimizer on the plot for 1000 steps of Rosenbrock.
PATH_PARAMS = {"sgd": {"lr": 1e-4}, "asgd": {"lr": 1e-4}, "adadelta": {},
               "lookahead": {"optimizer": {"optimizer": "sgd", "params": {"lr": 1e-4}}}}
BATCH_CASES = [("adam", {"lr": 1e-3}), ("sgd", {"lr": 1e-4, "momentum": 0.9})]


def median_time(fn, repeat: int) -> float:
    fn()  # warm-up
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def bench_paths(repeat: int) -> dict[str, float]:
    out = {}
    surface = SURFACES["rosenbrock"]
    for name in REGISTRY:
        params = PATH_PARAMS.get(name, {})
        body = {"surface": "rosenbrock", "steps": 1000,
                "runs": [{"optimizer": name, "params": params}]}
        done = run_request(body)["runs"][0]["steps_done"]
        secs = median_time(lambda: run_request(body), repeat)
        out[name] = secs
        # the same run stepped on (1, 2) arrays, as every path was before the float loop
        spec = RunSpec(name, params)
        arrays = median_time(lambda: run_one(surface, surface.start, 1000, spec, fast=False),
                             repeat)
        note = "" if done == 1000 else f"  (ended after {done} steps)"
        print(f"  {name:<12} {secs * 1e3:8.2f} ms   on arrays {arrays * 1e3:7.2f} ms "
              f"({arrays / secs:4.1f}x){note}")
    return out


# Each torch.optim API option of api-v1.md on one run (Rosenbrock, 1000 steps).
OPTIONS = {
    "groups": {"groups": {"x": {"lr": 2e-3}, "y": {}}},
    "zero_grad never": {"zero_grad": "never"},
    "events keep": {"events": [{"at": 300, "params": {"lr": 5e-4}},
                               {"at": 600, "params": {"lr": 1e-3}}]},
    "events reset": {"events": [{"at": 300, "params": {}, "state": "reset"},
                                {"at": 600, "params": {}, "state": "reset"}]},
}


def bench_options(repeat: int) -> None:
    """A path with each option against the same path without: the options keep a path
    within the budget of a plain one."""
    for name, params in (("adam", {"lr": 1e-3}), ("sgd", {"lr": 1e-4, "momentum": 0.9})):
        def body(extra):
            return {"surface": "rosenbrock", "steps": 1000,
                    "runs": [{"optimizer": name, "params": params, **extra}]}
        plain = median_time(lambda: run_request(body({})), repeat)
        print(f"  {name:<5} no option       {plain * 1e3:8.2f} ms")
        for option, extra in OPTIONS.items():
            secs = median_time(lambda: run_request(body(extra)), repeat)
            done = run_request(body(extra))["runs"][0]["steps_done"]
            note = "" if done == 1000 else f"  (diverged after {done} steps)"
            print(f"  {name:<5} {option:<15} {secs * 1e3:8.2f} ms  ({secs / plain:4.2f}x){note}")
    lbfgs = {"surface": "rosenbrock", "steps": 100, "state": True,
             "runs": [{"optimizer": "lbfgs", "params": {"lr": 1.0}}]}
    with_state = median_time(lambda: run_request(lbfgs), repeat)
    evals = sum(len(e) for e in run_request(lbfgs)["runs"][0]["evals"])
    print(f"  lbfgs 100 steps with state and evals ({evals} closure points) "
          f"{with_state * 1e3:8.2f} ms")


def batch_starts(n: int) -> np.ndarray:
    rng = np.random.default_rng(0)
    (x0, x1), (y0, y1) = SURFACES["rosenbrock"].domain
    return np.column_stack([rng.uniform(x0, x1, n), rng.uniform(y0, y1, n)])


def bench_batch(n: int, steps: int, repeat: int) -> dict[str, float]:
    out = {}
    starts = batch_starts(n)
    surface = SURFACES["rosenbrock"]
    for name, params in BATCH_CASES:
        secs = median_time(lambda: run_batch(surface, starts, steps, name, params), repeat)
        rate = n * steps / secs
        out[name] = rate
        print(f"  {name:<12} {params}  {rate / 1e6:8.1f} M run-steps/s  ({secs:.3f} s)")
    return out


def torch_paths(repeat: int) -> dict[str, float]:
    import torch
    torch.set_default_dtype(torch.float64)
    torch.set_num_threads(1)
    out = {}
    for name in ("sgd", "adam", "rmsprop", "adagrad"):
        cls = {c.lower(): getattr(torch.optim, c) for c in dir(torch.optim)}[name]

        def go():
            p = torch.tensor([-1.2, 1.0], requires_grad=True)
            opt = cls([p], **PATH_PARAMS.get(name, {}))
            for _ in range(1000):
                opt.zero_grad()
                x, y = p[0], p[1]
                loss = (1 - x) ** 2 + 100 * (y - x ** 2) ** 2
                loss.backward()
                opt.step()
        out[name] = median_time(go, max(1, repeat // 2))
        print(f"  torch {name:<8} {out[name] * 1e3:8.1f} ms")
    return out


def torch_batch(n: int, steps: int, repeat: int) -> dict[str, float]:
    import torch
    torch.set_default_dtype(torch.float64)
    torch.set_num_threads(1)
    starts = torch.tensor(batch_starts(n))
    out = {}
    for name, params in BATCH_CASES:
        cls = torch.optim.Adam if name == "adam" else torch.optim.SGD

        def go():
            p = starts.clone().requires_grad_(True)
            opt = cls([p], **params)
            for _ in range(steps):
                opt.zero_grad()
                x, y = p[:, 0], p[:, 1]
                ((1 - x) ** 2 + 100 * (y - x ** 2) ** 2).sum().backward()
                opt.step()
        secs = median_time(go, max(1, repeat // 2))
        out[name] = n * steps / secs
        print(f"  torch {name:<8} {out[name] / 1e6:8.1f} M run-steps/s")
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--batch", type=int, default=65536)
    ap.add_argument("--steps", type=int, default=500)
    ap.add_argument("--paths-only", action="store_true", help="(a) only")
    ap.add_argument("--options", action="store_true", help="(o) only")
    args = ap.parse_args()

    if args.options:
        print("(o) one path, 1000 steps on Rosenbrock, with each torch.optim API option "
              "(median of %d):" % args.repeat)
        bench_options(args.repeat)
        return
    print("(a) one path, 1000 steps on Rosenbrock (median of %d):" % args.repeat)
    paths = bench_paths(args.repeat)
    if args.paths_only:
        return
    print(f"(b) batch of {args.batch} runs x {args.steps} steps on Rosenbrock:")
    batch = bench_batch(args.batch, args.steps, args.repeat)
    try:
        import torch  # noqa: F401
    except ImportError:
        print("torch not installed: no ratios (pip install torch==2.13.0)")
        return
    print("torch.optim, float64, one thread:")
    tp = torch_paths(args.repeat)
    tb = torch_batch(args.batch, args.steps, args.repeat)
    print("ratios (engine speed / torch speed):")
    for name, secs in tp.items():
        print(f"  path  {name:<8} {secs / paths[name]:6.1f}x")
    for name, rate in tb.items():
        print(f"  batch {name:<8} {batch[name] / rate:6.1f}x")


if __name__ == "__main__":
    main()
