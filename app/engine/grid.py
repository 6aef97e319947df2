"""A surface's values on an n x n grid over its domain: the contour plot's data (POST
/api/v1/grid), the PNG renderer's and the exports'."""

from __future__ import annotations

import math
import time
from decimal import Decimal
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


def grid(surface: Surface, n: int, digits: int | None = None, *,
         cancelled: Callable[[], bool] | None = None) -> dict:
    """The values over the domain, row block by row block: between blocks the clock
    (compute_budget_s) and `cancelled()` are looked at.  `digits`: x, y and z rounded to
    that many significant digits (significant(); zmin, zmax and log_scale come from the
    exact values)."""
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
    if digits is not None:
        xs, ys, Z = significant(xs, digits), significant(ys, digits), significant(Z, digits)
    rows = [[v if math.isfinite(v) else None for v in row] for row in Z.tolist()] \
        if finite.size != Z.size else Z.tolist()
    return {"surface": surface.to_dict(), "x": xs.tolist(), "y": ys.tolist(), "z": rows,
            "zmin": zmin, "zmax": zmax, "log_scale": log_scale}


def significant(a: np.ndarray, digits: int) -> np.ndarray:
    """`a` to `digits` significant digits, each as the float nearest to its decimal (so
    JSON writes it short: 2343.76, not 2343.7574323847184), and never exactly on a tie of
    a shorter rounding: rounded to fewer digits, half away from zero (as JavaScript's
    toFixed, toPrecision and toExponential round), it reads as the exact value does.
    (Plain rounding would turn 1.234497 into 1.23450, shown with 4 digits as 1.235.)
    m / 10**k and m * 10**k are correctly rounded while 10**k is exact (|k| <= 22): the
    values that would need more (under about 1e-16, over about 1e28), non-finite values
    and zeros pass through as they are."""
    with np.errstate(all="ignore"):
        k = digits - 1 - np.floor(np.log10(np.abs(a)))
        keep = ~np.isfinite(k) | (np.abs(k) > 22)
        k = np.where(keep, 0.0, k)
        scale = 10.0 ** np.abs(k)
        up = k > 0
        m = np.where(up, np.round(a * scale), np.round(a / scale))
        out = np.where(keep, a, np.where(up, m / scale, m * scale))
    # Ties of a shorter rounding: the mantissa ends in 5, 50, 500, ...
    t = np.where(keep, 0.0, np.abs(m))
    for _ in range(digits - 1):
        t = np.where((t % 10 == 0) & (t > 0), t // 10, t)
    ties = np.flatnonzero(t % 10 == 5)
    flat_out, flat_a, flat_m = out.reshape(-1), a.reshape(-1), m.reshape(-1)
    flat_k, flat_scale = k.reshape(-1), scale.reshape(-1)
    for i in ties:
        exact, tie = Decimal(float(flat_a[i])), Decimal(int(flat_m[i])).scaleb(-int(flat_k[i]))
        if exact == tie:
            continue   # the value is that decimal itself: it rounds as it is
        n = flat_m[i] + (1.0 if exact > tie else -1.0)
        flat_out[i] = n / flat_scale[i] if flat_k[i] > 0 else n * flat_scale[i]
    return flat_out.reshape(a.shape)
