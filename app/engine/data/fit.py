"""Where a data surface has its minimum, and the view that frames it.

- linear (MSE): the least-squares fit; none when every x is the same (then a whole
  line of (w, b) fits equally well).
- logistic (BCE with logits): none when the classes are separable, even at one shared
  point, or when there is one class only (the loss keeps falling as |w| or |b| grows);
  otherwise the unique minimizer, by Newton's method with a backtracking line search,
  iterated until the step no longer moves the point.
"""

from __future__ import annotations

import math

import numpy as np

from .objective import DataObjective, least_squares

Point = tuple[float, float]

# Newton's method: iterations at most; the step is "nothing" below this many ulps.
NEWTON_MAX_ITER = 100
NEWTON_ULPS = 4.0
# The view around the minimum: its distance from the start times FRAME_REACH, and at
# least FRAME_SCALES natural scales of the data (the spread of w and b that fit it).
FRAME_REACH = 1.25
FRAME_SCALES = 1.6
# Without a minimum, a logistic view frames the fit that puts the points next to the
# boundary at this logit (sigmoid(3) = 0.95).
CONFIDENT_LOGIT = 3.0


def separable(x: np.ndarray, y: np.ndarray) -> bool:
    """No overlap between the classes along x (one class, a threshold between them, or
    one shared x at the border): the logistic loss then has no minimum."""
    ones, zeros = x[y == 1.0], x[y == 0.0]
    if ones.size == 0 or zeros.size == 0:
        return True
    return not (ones.min() < zeros.max() and zeros.min() < ones.max())


def minimum(f: DataObjective) -> Point | None:
    """The full-data minimum, or None when there is none (or the data are too large
    for float64 to find it)."""
    x, y = f.x, f.y
    with np.errstate(all="ignore"):
        dx = x - x.mean()
        spread = np.dot(dx, dx)
    if not spread > 0:                      # one x value: a line of (w, b) fits best
        return None
    if f.model == "linear":
        best = least_squares(x, y)
    elif separable(x, y):
        return None
    else:
        best = _newton(f)
    return best if all(map(math.isfinite, best)) else None


def _newton(f: DataObjective) -> Point:
    p = np.zeros(2)
    loss, gw, gb = f.value_and_grad_at(0.0, 0.0)
    for _ in range(NEWTON_MAX_ITER):
        g = np.array([gw, gb])
        try:
            step = np.linalg.solve(f.hessian(p), g)
        except np.linalg.LinAlgError:
            break
        t = 1.0
        while True:
            q = p - t * step
            new_loss, nw, nb = f.value_and_grad_at(q[0], q[1])
            if new_loss <= loss or t < 1e-12:
                break
            t *= 0.5
        tiny = NEWTON_ULPS * np.spacing(np.maximum(np.abs(p), 1.0))
        moved = bool(np.any(np.abs(q - p) > tiny))
        if new_loss > loss:
            break
        p, loss, gw, gb = q, new_loss, nw, nb
        if not moved:
            break
    return float(p[0]), float(p[1])


def frame_target(f: DataObjective, minimum_: Point | None) -> Point:
    """The point a default view frames: the minimum, or where the loss is already
    small when there is none."""
    if minimum_ is not None:
        return minimum_
    with np.errstate(all="ignore"):
        target = _no_minimum_target(f)
    return target if all(map(math.isfinite, target)) else (0.0, 0.0)


def _no_minimum_target(f: DataObjective) -> Point:
    x, y = f.x, f.y
    if f.model == "linear":                 # every x the same: the nearest best fit
        return least_squares(x, y)
    ones, zeros = x[y == 1.0], x[y == 0.0]
    if ones.size == 0 or zeros.size == 0:   # one class: a bias alone fits it
        return (0.0, CONFIDENT_LOGIT if zeros.size == 0 else -CONFIDENT_LOGIT)
    if not np.ptp(x) > 0:                   # one x value: the best bias, w = 0
        p = ones.size / x.size
        return (0.0, math.log(p / (1.0 - p)))
    if zeros.max() <= ones.min():           # class 1 to the right of class 0
        sign, lo, hi = 1.0, float(zeros.max()), float(ones.min())
    else:
        sign, lo, hi = -1.0, float(ones.max()), float(zeros.min())
    centre = 0.5 * (lo + hi)
    half_gap = max(0.5 * (hi - lo), 0.1 * float(np.std(x)), 1e-12)
    w = sign * CONFIDENT_LOGIT / half_gap
    return (w, -w * centre)


def natural_scales(f: DataObjective) -> Point:
    """How far w and b move the fit by about one unit of the data's spread (1 where the
    data give no finite, positive answer)."""
    with np.errstate(all="ignore"):
        sx = _positive(float(np.std(f.x)), max(abs(float(f.x[0])), 1.0))
        if f.model == "linear":
            sy = _positive(float(np.std(f.y)), max(abs(float(f.y[0])), 1.0))
            scales = (sy / sx, sy)
        else:
            scales = (2.0 / sx, 2.0 * max(1.0, abs(float(np.mean(f.x))) / sx))
    return tuple(_positive(s, 1.0) for s in scales)


def _positive(v: float, fallback: float) -> float:
    return v if math.isfinite(v) and v > 0 else fallback


def default_domain(f: DataObjective, minimum_: Point | None, start: Point,
                   limit: float) -> tuple[Point, Point]:
    """A view centred on the minimum (or frame_target) that holds the start, with
    round ends, inside ±limit."""
    target = frame_target(f, minimum_)
    out = []
    for c, s, scale in zip(target, start, natural_scales(f)):
        c = min(max(c, -limit), limit)
        half = min(max(FRAME_REACH * abs(c - s), FRAME_SCALES * scale), limit)
        step = _nice_step(2 * half / 8)
        lo = max(math.floor((c - half) / step) * step, -limit)
        hi = min(math.ceil((c + half) / step) * step, limit)
        if not hi - lo >= step:              # squeezed against the limit
            lo, hi = (limit - 2 * step, limit) if c > 0 else (-limit, -limit + 2 * step)
        out.append((_tidy(lo), _tidy(hi)))
    return out[0], out[1]


def _nice_step(raw: float) -> float:
    """1, 2 or 5 times a power of ten, at least `raw`."""
    raw = max(raw, 1e-300)
    power = 10.0 ** math.floor(math.log10(raw))
    for m in (1.0, 2.0, 5.0, 10.0):
        if m * power >= raw:
            return m * power
    return 10.0 * power


def _tidy(v: float) -> float:
    return float(f"{v:.12g}")
