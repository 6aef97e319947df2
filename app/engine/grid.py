"""A surface's values on an n x n grid over its domain: the contour plot's data (POST
/api/v1/grid), the PNG renderer's and the exports'."""

from __future__ import annotations

import math
import time
from typing import Callable

import numpy as np

from ..config import settings
from .fence import Fence
from .surfaces import Surface

# A log colour scale when a quarter of the plot would sit in the lowest of ~20 linear
# contour levels: Rosenbrock's valley floor is invisible on a linear scale up to 3,600.
LOG_SCALE_LEVELS = 20.0
# Points evaluated between two looks at the clock and the cancel flag.
GRID_BLOCK = 8192


def grid(surface: Surface, n: int, *, cancelled: Callable[[], bool] | None = None) -> dict:
    """The values over the domain, row block by row block: between blocks the clock
    (compute_budget_s) and `cancelled()` are looked at."""
    budget = settings().compute_budget_s
    fence = Fence(time.monotonic() + budget, budget, cancelled)
    (x0, x1), (y0, y1) = surface.domain
    xs, ys = np.linspace(x0, x1, n), np.linspace(y0, y1, n)
    Z = np.empty((n, n))
    rows = max(1, GRID_BLOCK // n)
    with np.errstate(all="ignore"):
        for j in range(0, n, rows):
            fence.check()
            Y = np.repeat(ys[j:j + rows], n)
            X = np.tile(xs, len(ys[j:j + rows]))
            Z[j:j + rows] = surface.formula.value(X, Y, check=fence.check).reshape(-1, n)
    finite = Z[np.isfinite(Z)]
    zmin = float(finite.min()) if finite.size else None
    zmax = float(finite.max()) if finite.size else None
    log_scale = False
    if finite.size:
        low_quarter = float(np.quantile(finite, 0.25)) - zmin
        log_scale = bool(low_quarter < (zmax - zmin) / LOG_SCALE_LEVELS)
    rows = [[v if math.isfinite(v) else None for v in row] for row in Z.tolist()] \
        if finite.size != Z.size else Z.tolist()
    return {"surface": surface.to_dict(), "x": xs.tolist(), "y": ys.tolist(), "z": rows,
            "zmin": zmin, "zmax": zmax, "log_scale": log_scale}
