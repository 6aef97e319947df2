"""The loss of a one-feature model over a data set, as a surface over (w, b).

p = (w, b) is torch's parameter tensor of shape (2,) with p[0] = w, p[1] = b; the model
is `p[0] * x + p[1]`, the loss `torch.nn.MSELoss()` (linear) or
`torch.nn.BCEWithLogitsLoss()` (logistic), both the mean over the batch.  The loss and
its gradient are computed with torch's operations in torch's order (ATen's mse_loss and
binary_cross_entropy_with_logits and their backward kernels), so they agree with torch
to the rounding of the sums (torch and NumPy add up in different orders).

A DataObjective has the duck type of a compiled Formula (expr/formula.py): `value(P)`,
`value_and_grad(P)` on (B, 2) arrays, `value_and_grad_at(w, b)` and
`value_and_grad_of_floats` on Python floats, `hessian`; and the batch forms
`value_and_grad_on(P, idx)`, `value_and_grad_of_floats_on(w, b, idx)` for the data
points `idx`, and `losses_along(path)`: the full-data loss at many points at once.

Many points of a linear model are evaluated through sufficient statistics (O(1) per
point, see Quadratic), and so is each mini-batch of a run (per-batch sums, made for a
whole epoch at once, see StepBatches) unless cancellation would cost digits; many points
of a logistic model in chunks of the (points x data) table, each chunk a few hundred KiB,
with `check()` between chunks.
"""

from __future__ import annotations

import math
from typing import Callable

import numpy as np

Check = Callable[[], None] | None

# Cells of the (points x data) table computed at once: 512 KiB of float64 per temporary.
CHUNK_CELLS = 1 << 16
# Below this many cells a linear model is evaluated directly (torch's own operations);
# above, through its sufficient statistics.
DIRECT_CELLS = 1 << 13
# A batch's loss from its sums (Quadratic.batch_floats) is kept when the sum of its
# non-negative terms is at most BATCH_CANCELLATION times the loss (at most 4 bits lost to
# cancellation), and the scale of the numbers the residuals are made of (those of the
# point, of the fit the sums are taken around, and the data's) at most BATCH_SCALE times
# it: torch's residuals w*x + b - y and ours r0 + u*d + s, each rounded at that scale,
# then give losses within 1e-13 of each other.  Otherwise the direct sum, torch's way.
BATCH_CANCELLATION = 16.0
BATCH_SCALE = 8192.0
# ndarray.sum without its Python wrapper (a microsecond of a batch step's ten)
_sum = np.add.reduce
# |w| max|x| + |b| below this: no logit overflows to inf.
OVERFLOW_SAFE = 1e300
# Epochs of batch data a StepBatches keeps (for every run of a request), in data points.
EPOCH_CACHE_POINTS = 1 << 18


class Quadratic:
    """The mean squared error of w*x + b over a data set, as a quadratic in (w, b).

    Around a reference point (w0, b0) (the least-squares fit; any point would do, the
    fit keeps the terms small), with u = w - w0, v = b - b0, r0 = w0*x + b0 - y:

        L(w, b) = L0 + 2*(u*c1 + v*c0) + u^2*Vx + (u*mx + v)^2

    where L0 = mean(r0^2), c0 = mean(r0), c1 = mean(r0*x), mx = mean(x) and
    Vx = mean((x - mx)^2).  Every term but the tiny c-terms is non-negative, so there is
    no cancellation: the value is good to a few ulps wherever the direct sum is.

    A mini-batch of m points has the same form with its own sums (`batch_sums`):
    Srr = sum(r0^2), Srd = sum(r0*d), Sr = sum(r0), Sdd = sum(d^2), Sd = sum(d), d = x - mx,
    (and, for the scale, Sxx = sum(x^2) + m*mx^2, Syy = sum(y^2)), and with s = u*mx + v,
    r = r0 + u*d + s:

        m * L = Srr + u^2*Sdd + s^2*m + 2*(u*Srd + s*Sr + u*s*Sd)

    Its non-negative part T = Srr + u^2*Sdd + s^2*m bounds every other term (Cauchy-
    Schwarz), so the rounding error is a few ulps of T: `batch_floats` keeps the value
    while T <= BATCH_CANCELLATION * m * L (and the residuals are not tiny beside the data,
    BATCH_SCALE) and leaves the others to the direct sum."""

    __slots__ = ("w0", "b0", "L0", "c0", "c1", "mx", "Vx", "x", "y", "r0", "d")

    def __init__(self, x: np.ndarray, y: np.ndarray):
        w0, b0 = least_squares(x, y)
        if not (np.isfinite(w0) and np.isfinite(b0)):
            w0 = b0 = 0.0                  # data too large to fit: the origin will do
        self.w0, self.b0 = w0, b0
        self.x, self.y = x, y
        n = len(x)
        with np.errstate(all="ignore"):    # data near the float limit: inf, as torch's
            self.r0 = r0 = (self.w0 * x + self.b0) - y
            self.L0 = float(np.dot(r0, r0) / n)
            self.c0 = float(r0.sum() / n)
            self.c1 = float(np.dot(r0, x) / n)
            self.mx = float(x.sum() / n)
            self.d = d = x - self.mx
            self.Vx = float(np.dot(d, d) / n)

    def value(self, w: np.ndarray, b: np.ndarray) -> np.ndarray:
        u = w - self.w0
        v = b - self.b0
        s = u * self.mx + v
        return self.L0 + 2.0 * (u * self.c1 + v * self.c0) + u * u * self.Vx + s * s

    def value_and_grad(self, w: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        u = w - self.w0
        v = b - self.b0
        s = u * self.mx + v
        value = self.L0 + 2.0 * (u * self.c1 + v * self.c0) + u * u * self.Vx + s * s
        grad = np.empty((len(u), 2))
        grad[:, 0] = 2.0 * (self.c1 + u * self.Vx + self.mx * s)
        grad[:, 1] = 2.0 * (self.c0 + s)
        return value, grad

    def batch_sums(self, perm: np.ndarray, size: int) -> list:
        """[Srr, Srd, Sr, Sdd, Sd, Sxx, Syy, m] of each batch of `size` consecutive points
        of the visiting order `perm` (the last batch smaller), in one vectorized pass."""
        r0, d, x, y = self.r0[perm], self.d[perm], self.x[perm], self.y[perm]
        full = len(perm) // size * size
        sums = []
        with np.errstate(all="ignore"):
            for lo, hi, rows in ((0, full, full // size), (full, len(perm), 1)):
                if hi > lo:
                    r, e = r0[lo:hi].reshape(rows, -1), d[lo:hi].reshape(rows, -1)
                    a, c = x[lo:hi].reshape(rows, -1), y[lo:hi].reshape(rows, -1)
                    m = np.full(rows, float(hi - lo) / rows)
                    # row sums of contiguous rows: NumPy's pairwise summation
                    sums.append(np.column_stack([(r * r).sum(axis=1), (r * e).sum(axis=1),
                                                 r.sum(axis=1), (e * e).sum(axis=1),
                                                 e.sum(axis=1),
                                                 (a * a).sum(axis=1) + m * (self.mx * self.mx),
                                                 (c * c).sum(axis=1), m]))
        return np.vstack(sums).tolist()

    def batch_floats(self, w: float, b: float, sums: list):
        """(loss, dloss/dw, dloss/db) of the batch with `sums` (batch_sums), or None where
        cancellation (or overflow) would cost digits: the direct sum decides there."""
        srr, srd, sr, sdd, sd, sxx, syy, m = sums
        w0, b0 = self.w0, self.b0
        u = w - w0
        s = u * self.mx + (b - b0)
        t = srr + u * u * sdd + s * s * m
        mL = t + 2.0 * (u * srd + s * sr + u * s * sd)
        scale = (w * w + w0 * w0) * sxx + (b * b + b0 * b0) * m + syy
        if not (t <= BATCH_CANCELLATION * mL < math.inf and scale <= BATCH_SCALE * mL):
            return None
        sum_r = sr + u * sd + s * m                 # sum(r), sum(r * d): the gradient's
        sum_rd = srd + u * sdd + s * sd
        return mL / m, 2.0 * (self.mx * sum_r + sum_rd) / m, 2.0 * sum_r / m


def least_squares(x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """The least-squares (w, b), refined once against its own residuals; when every x
    is the same, the fit of least norm (w*x0 + b = mean(y) nearest the origin)."""
    n = len(x)
    with np.errstate(all="ignore"):        # overflow (|x| near 1e154) gives inf or nan
        mx, my = x.sum() / n, y.sum() / n
        dx = x - mx
        vx = np.dot(dx, dx)
        if not vx > 0:
            t = my / (mx * mx + 1.0)
            return float(mx * t), float(t)
        w = np.dot(dx, y - my) / vx
        b = my - w * mx
        # One step of iterative refinement: the normal equations' residual, solved again.
        r = (w * x + b) - y
        g0, g1 = r.sum() / n, np.dot(r, x) / n
        det = vx / n
        dw = (g1 - mx * g0) / det
        db = ((det + mx * mx) * g0 - mx * g1) / det
        return float(w - dw), float(b - db)


def _distinct_pairs(x: np.ndarray, y: np.ndarray):
    """The distinct pairs (x, y), sorted by y then x, and how often each occurs (as
    float64)."""
    order = np.lexsort((x, y))
    xs, ys = x[order], y[order]
    new = np.empty(len(xs), dtype=bool)
    new[0] = True
    np.not_equal(xs[1:], xs[:-1], out=new[1:])
    new[1:] |= ys[1:] != ys[:-1]
    starts = np.flatnonzero(new)
    counts = np.diff(np.append(starts, len(xs))).astype(np.float64)
    return xs[starts], ys[starts], counts


def _sigmoid_gap(z: np.ndarray) -> np.ndarray:
    """sigmoid(z) * (1 - sigmoid(z)), without overflow: e / (1 + e)^2, e = exp(-|z|)."""
    e = np.exp(-np.abs(z))
    return e / ((1.0 + e) * (1.0 + e))


class DataObjective:
    """The full-data loss of a one-feature model over (x, y), and its batch forms."""

    __slots__ = ("model", "x", "y", "n", "sign", "quad", "_sx", "_uc", "_xmax",
                 "_scalar")

    variables = frozenset({"x", "y"})
    tree = None            # not a formula: nothing for the formula tools to read

    def __init__(self, x, y, model: str):
        if model not in ("linear", "logistic"):
            raise ValueError(f"unknown model {model!r}")
        self.model = model
        self.x = np.ascontiguousarray(x, dtype=np.float64).reshape(-1)
        self.y = np.ascontiguousarray(y, dtype=np.float64).reshape(-1)
        if self.x.shape != self.y.shape or self.x.size == 0:
            raise ValueError("x and y need the same, non-zero length")
        self.n = len(self.x)
        # the logistic terms' 1 - 2y (_logistic_floats); the linear model has none
        self.sign = 1.0 - 2.0 * self.y if model == "logistic" else None
        self.quad = Quadratic(self.x, self.y) if model == "linear" else None
        self._sx = self._uc = None
        self._xmax = 0.0
        if model == "logistic":
            # Equal (x, y) pairs evaluated once, weighted by their count: data rounded
            # to a few digits (hours, grades) often shrink several times.
            ux, uy, counts = _distinct_pairs(self.x, self.y)
            sign = 1.0 - 2.0 * uy
            self._sx = np.vstack([sign * ux, sign])    # see _logistic_values
            self._uc = counts if len(ux) < self.n else None
            self._xmax = float(np.max(np.abs(self.x)))
        self._scalar = self._linear_floats if model == "linear" else self._logistic_floats

    def __repr__(self) -> str:
        return f"DataObjective({self.model}, n={self.n})"

    # -- one point, torch's operations ----------------------------------------------

    # _scalar(w, b, x, y, sign): sign = 1 - 2y, kept per data set and epoch (logistic's).

    def _linear_floats(self, w: float, b: float, x: np.ndarray, y: np.ndarray, sign=None):
        m = len(x)
        z = w * x
        z += b
        r = z - y
        loss = float(np.dot(r, r)) / m
        dz = (2.0 / m) * r                     # mse_loss_backward: norm * (a - b) * 1
        return loss, float(np.dot(dz, x)), float(_sum(dz))

    def _logistic_floats(self, w: float, b: float, x: np.ndarray, y: np.ndarray,
                         sign: np.ndarray):
        m = len(x)
        z = w * x
        z += b
        # (1 - y) * z - log_sigmoid(z), log_sigmoid(z) = min(z, 0) - log1p(exp(-|z|)), is
        # max(sign * z, 0) + log1p(exp(-|z|)) with sign = 1 - 2y: non-negative terms;
        # backward: (sigmoid(z) - y) * 1 / numel, sigmoid(z) = 1 / (1 + exp(-z)).  (No
        # np.errstate here, it costs more than the arithmetic: exp(-z) may overflow to
        # inf, whose sigmoid is the right 0; the step loops ignore the warning.)
        t = np.abs(z)
        np.negative(t, out=t)
        np.exp(t, out=t)
        np.log1p(t, out=t)
        terms = sign * z
        np.maximum(terms, 0.0, out=terms)
        terms += t
        s = np.negative(z)
        np.exp(s, out=s)
        s += 1.0
        np.divide(1.0, s, out=s)
        s -= y
        loss = float(_sum(terms)) / m
        if abs(w) * self._xmax + abs(b) > OVERFLOW_SAFE and not np.isfinite(z).all():
            loss = math.nan            # an infinite logit: torch's loss is NaN (or inf)
        return loss, float(np.dot(s, x)) / m, float(_sum(s)) / m

    def value_and_grad_at(self, w: float, b: float) -> tuple[float, float, float]:
        """(loss, dloss/dw, dloss/db) over the whole data set, as Python floats."""
        return self._scalar(float(w), float(b), self.x, self.y, self.sign)

    @property
    def value_and_grad_of_floats(self):
        """value_and_grad_at for callers whose w and b are Python floats already."""
        x, y, sign, f = self.x, self.y, self.sign, self._scalar
        return lambda w, b: f(w, b, x, y, sign)

    def value_and_grad_of_floats_on(self, w: float, b: float, idx) -> tuple[float, float, float]:
        """(loss, dloss/dw, dloss/db) of the batch `idx` (indices into the data)."""
        sign = self.sign[idx] if self.sign is not None else None
        return self._scalar(w, b, self.x[idx], self.y[idx], sign)

    def batched(self, order) -> "StepBatches":
        """This loss on the mini-batches of `order` (a BatchOrder), step by step."""
        return StepBatches(self, order)

    # -- many points ----------------------------------------------------------------

    def value(self, P, y=None, check: Check = None) -> np.ndarray:
        """The full-data loss at B points: shape (B,).  `check()`, if given, is called
        between chunks of a long evaluation (it raises to stop it)."""
        w, b = _columns(P, y)
        if w.size == 1:
            return np.array([self._scalar(float(w[0]), float(b[0]), self.x, self.y,
                                          self.sign)[0]])
        if self.model == "linear":
            return self._quadratic_values(w, b, check)
        return self._logistic_values(w, b, check)

    def losses_along(self, path, check: Check = None) -> np.ndarray:
        """The full-data loss at every point of `path` ((K, 2)), at once."""
        w, b = _columns(path, None)
        if self.model == "linear":
            return self._quadratic_values(w, b, check)
        return self._logistic_values(w, b, check)

    def _quadratic_values(self, w: np.ndarray, b: np.ndarray, check: Check) -> np.ndarray:
        """Through the sufficient statistics; where they overflow (data near the float
        limit: inf * 0), the direct sum torch computes decides."""
        with np.errstate(all="ignore"):
            out = self.quad.value(w, b)
        bad = ~np.isfinite(out)
        if bad.any():
            out[bad] = self._direct(w[bad], b[bad], self.x, self.y, check)[0]
        return out

    def value_and_grad(self, P, y=None, check: Check = None) -> tuple[np.ndarray, np.ndarray]:
        """(loss, gradient) over the whole data set at B points: (B,) and (B, 2)."""
        w, b = _columns(P, y)
        if w.size * self.n <= DIRECT_CELLS or self.model == "logistic":
            return self._direct(w, b, self.x, self.y, check)
        return self.quad.value_and_grad(w, b)

    def value_and_grad_on(self, P, idx, check: Check = None) -> tuple[np.ndarray, np.ndarray]:
        """(loss, gradient) of the batch `idx` at B points: (B,) and (B, 2)."""
        w, b = _columns(P, None)
        x, y = self.x[idx], self.y[idx]
        if self.model == "linear" and w.size * len(x) > DIRECT_CELLS:
            return Quadratic(x, y).value_and_grad(w, b)
        return self._direct(w, b, x, y, check)

    def _direct(self, w: np.ndarray, b: np.ndarray, x: np.ndarray, y: np.ndarray,
                check: Check) -> tuple[np.ndarray, np.ndarray]:
        B = w.size
        value = np.empty(B)
        grad = np.empty((B, 2))
        if B == 1:
            sign = 1.0 - 2.0 * y if self.sign is not None else None
            value[0], grad[0, 0], grad[0, 1] = self._scalar(float(w[0]), float(b[0]), x, y,
                                                            sign)
            return value, grad
        rows = max(1, CHUNK_CELLS // len(x))
        m = len(x)
        with np.errstate(over="ignore", invalid="ignore"):
            for lo in range(0, B, rows):
                hi = min(B, lo + rows)
                z = np.multiply.outer(w[lo:hi], x)
                z += b[lo:hi, None]
                if self.model == "linear":
                    r = z - y
                    value[lo:hi] = np.einsum("ij,ij->i", r, r) / m
                    dz = (2.0 / m) * r
                else:
                    log_sig = np.minimum(z, 0.0) - np.log1p(np.exp(-np.abs(z)))
                    value[lo:hi] = ((1.0 - y) * z - log_sig).sum(axis=1) / m
                    dz = (1.0 / (1.0 + np.exp(-z)) - y) / m
                grad[lo:hi, 0] = dz @ x
                grad[lo:hi, 1] = dz.sum(axis=1)
                if check is not None:
                    check()
        return value, grad

    def _logistic_values(self, w: np.ndarray, b: np.ndarray, check: Check) -> np.ndarray:
        """Torch's term (1 - y) z - log_sigmoid(z) is max(sigma z, 0) + log1p(exp(-|z|))
        with sigma = 1 - 2y (y = 0: z - min(z, 0) = max(z, 0); y = 1: max(-z, 0)): a sum
        of non-negative terms, without cancellation.  [w, b] @ [sigma x; sigma] gives
        sigma z for a chunk of points in one matrix product; the sum runs over the
        distinct (x, y) pairs, weighted by their counts.  Points where some z may be
        infinite (torch's loss is then NaN or inf) take torch's own formula."""
        sx, counts = self._sx, self._uc
        B, N = w.size, sx.shape[1]
        rows = min(B, max(1, CHUNK_CELLS // N))
        P = np.column_stack([w, b])
        Z, T = np.empty((rows, N)), np.empty((rows, N))      # reused by every chunk
        out = np.empty(B)
        with np.errstate(over="ignore", invalid="ignore"):
            for lo in range(0, B, rows):
                hi = min(B, lo + rows)
                z, t = Z[:hi - lo], T[:hi - lo]
                np.matmul(P[lo:hi], sx, out=z)                  # sigma z
                np.abs(z, out=t)
                np.negative(t, out=t)               # -|z| (two passes beat copysign's one)
                np.exp(t, out=t)
                np.log1p(t, out=t)
                np.maximum(z, 0.0, out=z)
                z += t
                out[lo:hi] = z.sum(axis=1) if counts is None else z @ counts
                if check is not None:
                    check()
            out /= self.n
            huge = np.abs(w) * self._xmax + np.abs(b) > OVERFLOW_SAFE
        if huge.any():
            out[huge] = self._direct(w[huge], b[huge], self.x, self.y, check)[0]
        return out

    # -- curvature ------------------------------------------------------------------

    def hessian(self, point, y=None) -> np.ndarray:
        """The exact Hessian of the full-data loss: (2, 2) at one point, (B, 2, 2) at
        (B, 2) points."""
        p = np.asarray(point, dtype=np.float64)
        one = y is None and p.shape == (2,)
        w, b = _columns(p.reshape(1, 2) if one else p, y)
        x = self.x
        if self.model == "linear":
            mxx, mx = float(np.dot(x, x)) / self.n, float(x.sum()) / self.n
            h = np.broadcast_to(np.array([[2 * mxx, 2 * mx], [2 * mx, 2.0]]),
                                (w.size, 2, 2)).copy()
        else:
            h = np.empty((w.size, 2, 2))
            for i in range(w.size):
                s = _sigmoid_gap(w[i] * x + b[i])
                h[i] = [[np.dot(s, x * x), np.dot(s, x)], [np.dot(s, x), s.sum()]]
            h /= self.n
        return h[0] if one else h


class StepBatches:
    """A DataObjective on one request's mini-batches: step k (0-based) uses the batch
    `order.indices(k)`.  Each epoch's data is kept in its visiting order, so a step's
    batch is a slice; for a linear model with the sums of each of its batches, so a step
    costs a few float operations (Quadratic.batch_floats) instead of a dozen NumPy calls.
    Epochs are kept (up to EPOCH_CACHE_POINTS points) for the next run of the request,
    which visits the same batches."""

    __slots__ = ("f", "order", "_epochs", "_e", "_x", "_y", "_sign", "_sums")

    def __init__(self, f: DataObjective, order):
        if order.n != f.n:
            raise ValueError(f"the batch order is for {order.n} points, the data has {f.n}")
        self.f, self.order = f, order
        self._epochs: dict = {}
        self._e = -1
        self._x = self._y = self._sign = f.x
        self._sums = None

    def indices(self, k: int) -> np.ndarray:
        """The data indices of step k's batch."""
        return self.order.indices(k)

    def _enter(self, e: int) -> None:
        """Make epoch e the current one."""
        kept = self._epochs.get(e)
        if kept is None:
            perm = self.order.epoch(e)
            f = self.f
            sums = f.quad.batch_sums(perm, self.order.size) if f.quad is not None else None
            sign = f.sign[perm] if f.sign is not None else None
            kept = (f.x[perm], f.y[perm], sign, sums)
            if len(self._epochs) * f.n >= EPOCH_CACHE_POINTS:
                self._epochs.clear()
            self._epochs[e] = kept
        self._x, self._y, self._sign, self._sums = kept
        self._e = e

    def value_and_grad_of_floats(self, w: float, b: float, k: int) -> tuple[float, float, float]:
        """(loss, dloss/dw, dloss/db) of step k's batch at (w, b), as Python floats."""
        e, i = divmod(k, self.order.per_epoch)
        if e != self._e:
            self._enter(e)
        if self._sums is not None:
            got = self.f.quad.batch_floats(w, b, self._sums[i])
            if got is not None:
                return got
        lo = i * self.order.size
        hi = lo + self.order.size
        sign = self._sign[lo:hi] if self._sign is not None else None
        return self.f._scalar(w, b, self._x[lo:hi], self._y[lo:hi], sign)

    def value_and_grad(self, P, k: int, check: Check = None) -> tuple[np.ndarray, np.ndarray]:
        """(loss, gradient) of step k's batch at B points: (B,) and (B, 2).  One point
        (the step loop on arrays) gets value_and_grad_of_floats' bits."""
        P = np.asarray(P, dtype=np.float64)
        if P.size == 2:
            v, gw, gb = self.value_and_grad_of_floats(float(P.flat[0]), float(P.flat[1]), k)
            return np.array([v]), np.array([[gw, gb]])
        return self.f.value_and_grad_on(P, self.order.indices(k), check=check)


def _columns(P, y) -> tuple[np.ndarray, np.ndarray]:
    """w and b as two (B,) arrays, from a (B, 2) array (or a point) or two columns."""
    if y is not None:
        w = np.ascontiguousarray(P, dtype=np.float64).reshape(-1)
        b = np.ascontiguousarray(y, dtype=np.float64).reshape(-1)
        if w.shape != b.shape:
            raise ValueError(f"w and b differ in length: {w.shape[0]} and {b.shape[0]}")
        return w, b
    P = np.asarray(P, dtype=np.float64)
    if P.shape == (2,):
        P = P.reshape(1, 2)
    if P.ndim != 2 or P.shape[1] != 2:
        raise ValueError(f"points must have shape (B, 2), not {P.shape}")
    return np.ascontiguousarray(P[:, 0]), np.ascontiguousarray(P[:, 1])
