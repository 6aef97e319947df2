"""Map speed: a 256 x 256 basin map of Adam, 500 steps on Rosenbrock (33 M run-steps).

    python bench/maps.py [--repeat 5] [--n 256] [--steps 500] [--threads 1]

Prints medians of:
  (a) the basin map as the server computes it (engine.maps: batch, reach and divergence
      tracking per step), and the same through POST /api/v1/map in-process (plus JSON
      encoding and gzip), cache off;
  (b) the bare batch (engine.batch.run_batch, no reach tracking), with 1 and 2 threads;
  (c) torch.optim.Adam doing the same batch (float64; 1 thread and the default), and the
      ratio, when PyTorch is installed.
Target on this 2-core machine: (a) <= 1 s.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.engine.batch import run_batch  # noqa: E402
from app.engine.map_request import MapRequest  # noqa: E402
from app.engine.maps import plan, run_map  # noqa: E402
from bench.engine import median_time  # noqa: E402
from app.engine.surfaces import SURFACES  # noqa: E402


def body(n: int, steps: int) -> dict:
    return {"kind": "basin", "surface": "rosenbrock", "steps": steps,
            "run": {"optimizer": "adam", "params": {"lr": 1e-3}},
            "x": {"n": n}, "y": {"n": n}}


def starts(n: int) -> np.ndarray:
    (x0, x1), (y0, y1) = SURFACES["rosenbrock"].domain
    X, Y = np.meshgrid(np.linspace(x0, x1, n), np.linspace(y0, y1, n))
    return np.column_stack([X.ravel(), Y.ravel()])


def line(label: str, secs: float, work: float) -> None:
    print(f"  {label:<44} {secs:7.3f} s  {work / secs / 1e6:6.1f} M run-steps/s")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--n", type=int, default=256, help="cells per side")
    ap.add_argument("--steps", type=int, default=500)
    ap.add_argument("--threads", type=int, default=1, help="batch threads for (a)")
    args = ap.parse_args()
    n, steps = args.n, args.steps
    work = n * n * steps
    print(f"{n} x {n} basin map of Adam (lr 1e-3), {steps} steps on Rosenbrock "
          f"= {work / 1e6:.1f} M run-steps; median of {args.repeat}; {os.cpu_count()} CPUs")

    os.environ["OPTPLAY_BATCH_THREADS"] = str(args.threads)
    from app.config import settings
    settings.cache_clear()
    p = plan(MapRequest.model_validate(body(n, steps)))
    secs = median_time(lambda: run_map(p), args.repeat)
    line(f"(a) basin map, engine ({args.threads} thread{'s' * (args.threads > 1)})",
         secs, work)
    map_secs = secs

    os.environ["OPTPLAY_CACHE_ENTRIES"] = "0"
    settings.cache_clear()
    from fastapi.testclient import TestClient

    from app import cache
    from app.main import app
    cache._cache = None
    with TestClient(app) as client:
        def post():
            r = client.post("/api/v1/map", json=body(n, steps),
                            headers={"accept-encoding": "gzip"})
            assert r.status_code == 200, r.text
        secs = median_time(post, max(1, args.repeat // 2))
        size = len(client.post("/api/v1/map", json=body(n, steps)).content)
    line("(a) POST /api/v1/map in-process (+ JSON, gzip)", secs, work)
    print(f"      answer: {size / 1e6:.1f} MB of JSON")

    S = starts(n)
    surface = SURFACES["rosenbrock"]
    rates = {}
    for threads in (1, 2):
        secs = median_time(lambda: run_batch(surface, S, steps, "adam", {"lr": 1e-3},
                                             workers=threads), args.repeat)
        rates[threads] = work / secs
        line(f"(b) bare batch, {threads} thread{'s' * (threads > 1)}", secs, work)

    try:
        import torch
    except ImportError:
        print("torch not installed: no ratio (pip install torch==2.13.0)")
        return
    torch.set_default_dtype(torch.float64)
    start_t = torch.tensor(S)
    default_threads = torch.get_num_threads()
    torch_rates = {}
    for threads in sorted({1, default_threads}):
        torch.set_num_threads(threads)

        def go():
            q = start_t.clone().requires_grad_(True)
            opt = torch.optim.Adam([q], lr=1e-3)
            for _ in range(steps):
                opt.zero_grad()
                x, y = q[:, 0], q[:, 1]
                ((1 - x) ** 2 + 100 * (y - x ** 2) ** 2).sum().backward()
                opt.step()
        secs = median_time(go, max(1, args.repeat // 2))
        torch_rates[threads] = work / secs
        line(f"(c) torch.optim.Adam, {threads} thread{'s' * (threads > 1)}", secs, work)
    best_torch = max(torch_rates.values())
    print("ratios (engine speed / torch speed):")
    for threads, rate in torch_rates.items():
        print(f"  basin map (a) / torch {threads} thread{'s' * (threads > 1)}: "
              f"{work / map_secs / rate:5.2f}x;  bare batch (b, 1 thread): "
              f"{rates[1] / rate:5.2f}x")
    print(f"  best engine / best torch: {max(rates.values()) / best_torch:5.2f}x")


if __name__ == "__main__":
    main()
