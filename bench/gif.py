"""The animated GIF for slides (POST /api/v1/export/gif): time to compute and draw it
(median of several runs) and its size, for the scene a teacher makes and for the
largest one a request may ask for.

    python bench/gif.py [--repeat 3]

The issue's bound: a 4-run, 200-step scene as a GIF of at most 5 MB.  Time counts
within the compute budget (10 s by default): the runs and the drawing together.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import app.main  # noqa: E402,F401  (imports the engine in its order)
from app.teach.animation import render_gif  # noqa: E402
from engine import median_time  # noqa: E402

FOUR = [{"optimizer": "sgd", "params": {"lr": 0.002}},
        {"optimizer": "sgd", "params": {"lr": 0.001, "momentum": 0.9}},
        {"optimizer": "adam", "params": {"lr": 0.1}},
        {"optimizer": "rmsprop", "params": {"lr": 0.01}}]
SIXTEEN = [{"optimizer": "adam", "params": {"lr": 0.01 * (1 + i)}} for i in range(8)] + \
          [{"optimizer": "sgd", "params": {"lr": 1e-4 * (1 + i), "momentum": 0.9}} for i in range(8)]

CASES = [
    ("4 runs x 200 steps, 100 frames, 960 px (the default)",
     {"surface": "rosenbrock", "steps": 200, "runs": FOUR}, 100, 960),
    ("4 runs x 200 steps, every step (201 frames), 800 px",
     {"surface": "rosenbrock", "steps": 200, "runs": FOUR}, 240, 800),
    ("16 runs x 10,000 steps, 100 frames, 960 px",
     {"surface": "rosenbrock", "steps": 10_000, "runs": SIXTEEN}, 100, 960),
    ("16 runs x 10,000 steps, 240 frames, 768 px (the pixel limit)",
     {"surface": "rosenbrock", "steps": 10_000, "runs": SIXTEEN}, 240, 768),
]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    for name, body, frames, width in CASES:
        size = len(render_gif(body, frames=frames, width=width))
        t = median_time(lambda: render_gif(body, frames=frames, width=width), args.repeat)
        print(f"{name:62s} {t:6.2f} s  {size / 1e6:6.2f} MB")


if __name__ == "__main__":
    main()
