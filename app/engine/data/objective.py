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
point, see Quadratic); many of a logistic model in chunks of the (points x data) table,
each chunk a few hundred KiB, with `check()` between chunks.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

Check = Callable[[], None] | None

# Cells of the (points x data) table computed at once: 512 KiB of float64 per temporary.
CHUNK_CELLS = 1 << 16
# Below this many cells a linear model is evaluated directly (torch's own operations);
# above, through its sufficient statistics.
DIRECT_CELLS = 1 << 13


class Quadratic:
    """The mean squared error of w*x + b over a data set, as a quadratic in (w, b).

    Around a reference point (w0, b0) (the least-squares fit; any point would do, the
    fit keeps the terms small), with u = w - w0, v = b - b0, r0 = w0*x + b0 - y:

        L(w, b) = L0 + 2*(u*c1 + v*c0) + u^2*Vx + (u*mx + v)^2

    where L0 = mean(r0^2), c0 = mean(r0), c1 = mean(r0*x), mx = mean(x) and
    Vx = mean((x - mx)^2).  Every term but the tiny c-terms is non-negative, so there is
    no cancellation: the value is good to a few ulps wherever the direct sum is."""

    __slots__ = ("w0", "b0", "L0", "c0", "c1", "mx", "Vx")

    def __init__(self, x: np.ndarray, y: np.ndarray):
        w0, b0 = least_squares(x, y)
        if not (np.isfinite(w0) and np.isfinite(b0)):
            w0 = b0 = 0.0                  # data too large to fit: the origin will do
        self.w0, self.b0 = w0, b0
        n = len(x)
        with np.errstate(all="ignore"):    # data near the float limit: inf, as torch's
            r0 = (self.w0 * x + self.b0) - y
            self.L0 = float(np.dot(r0, r0) / n)
            self.c0 = float(r0.sum() / n)
            self.c1 = float(np.dot(r0, x) / n)
            self.mx = float(x.sum() / n)
            d = x - self.mx
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
    """The distinct pairs (x, y), sorted, and how often each occurs (as float64)."""
    order = np.lexsort((y, x))
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

    __slots__ = ("model", "x", "y", "n", "one_minus_y", "quad", "_ux", "_uq", "_uc",
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
        self.one_minus_y = 1.0 - self.y
        self.quad = Quadratic(self.x, self.y) if model == "linear" else None
        if model == "logistic":
            # Equal (x, y) pairs evaluated once, weighted by their count: data rounded
            # to a few digits (hours, grades) often shrink several times.
            ux, uy, counts = _distinct_pairs(self.x, self.y)
            self._ux = ux
            self._uq = 1.0 - uy
            self._uc = counts if len(ux) < self.n else None
        else:
            self._ux = self._uq = self._uc = None
        self._scalar = self._linear_floats if model == "linear" else self._logistic_floats

    def __repr__(self) -> str:
        return f"DataObjective({self.model}, n={self.n})"

    # -- one point, torch's operations ----------------------------------------------

    def _linear_floats(self, w: float, b: float, x: np.ndarray, y: np.ndarray):
        m = len(x)
        z = w * x
        z += b
        r = z - y
        loss = float(np.dot(r, r)) / m
        dz = (2.0 / m) * r                     # mse_loss_backward: norm * (a - b) * 1
        return loss, float(np.dot(dz, x)), float(dz.sum())

    def _logistic_floats(self, w: float, b: float, x: np.ndarray, y: np.ndarray):
        m = len(x)
        z = w * x
        z += b
        # (1 - y) * z - log_sigmoid(z), log_sigmoid(z) = min(z, 0) - log1p(exp(-|z|));
        # backward: (sigmoid(z) - y) * 1 / numel, sigmoid(z) = 1 / (1 + exp(-z)).  (No
        # np.errstate here, it costs more than the arithmetic: exp(-z) may overflow to
        # inf, whose sigmoid is the right 0; the step loops ignore the warning.)
        log_sig = np.minimum(z, 0.0) - np.log1p(np.exp(-np.abs(z)))
        loss = float(((1.0 - y) * z - log_sig).sum()) / m
        dz = (1.0 / (1.0 + np.exp(-z)) - y) / m
        return loss, float(np.dot(dz, x)), float(dz.sum())

    def value_and_grad_at(self, w: float, b: float) -> tuple[float, float, float]:
        """(loss, dloss/dw, dloss/db) over the whole data set, as Python floats."""
        return self._scalar(float(w), float(b), self.x, self.y)

    @property
    def value_and_grad_of_floats(self):
        """value_and_grad_at for callers whose w and b are Python floats already."""
        x, y, f = self.x, self.y, self._scalar
        return lambda w, b: f(w, b, x, y)

    def value_and_grad_of_floats_on(self, w: float, b: float, idx) -> tuple[float, float, float]:
        """(loss, dloss/dw, dloss/db) of the batch `idx` (indices into the data)."""
        return self._scalar(w, b, self.x[idx], self.y[idx])

    def batched(self, order) -> "StepBatches":
        """This loss on the mini-batches of `order` (a BatchOrder), step by step."""
        return StepBatches(self, order)

    # -- many points ----------------------------------------------------------------

    def value(self, P, y=None, check: Check = None) -> np.ndarray:
        """The full-data loss at B points: shape (B,).  `check()`, if given, is called
        between chunks of a long evaluation (it raises to stop it)."""
        w, b = _columns(P, y)
        if w.size == 1:
            return np.array([self._scalar(float(w[0]), float(b[0]), self.x, self.y)[0]])
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
            value[0], grad[0, 0], grad[0, 1] = self._scalar(float(w[0]), float(b[0]), x, y)
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
        """sum_i (1 - y_i) z_i - log_sigmoid(z_i), over the distinct (x, y) pairs weighted
        by their count, chunk by chunk.  The (1 - y) z part is summed by its own
        statistics: w * sum((1 - y) x) + b * sum(1 - y)."""
        x, q, counts = self._ux, self._uq, self._uc
        if counts is None:
            sqx, sq = float(np.dot(q, x)), float(q.sum())
        else:
            sqx, sq = float(np.dot(q * counts, x)), float(np.dot(q, counts))
        B = w.size
        out = np.empty(B)
        rows = max(1, CHUNK_CELLS // len(x))
        with np.errstate(over="ignore", invalid="ignore"):
            for lo in range(0, B, rows):
                hi = min(B, lo + rows)
                z = np.multiply.outer(w[lo:hi], x)
                z += b[lo:hi, None]
                t = np.abs(z)
                np.negative(t, out=t)
                np.exp(t, out=t)
                np.log1p(t, out=t)
                np.minimum(z, 0.0, out=z)
                z -= t                                      # log_sigmoid(z)
                s = z.sum(axis=1) if counts is None else z @ counts
                out[lo:hi] = (w[lo:hi] * sqx + b[lo:hi] * sq - s) / self.n
                if check is not None:
                    check()
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
    `order.indices(k)`.  The data of the current epoch is kept in its visiting order,
    so a step's batch is a slice (a gather of 2 x size numbers saved per step)."""

    __slots__ = ("f", "order", "_epoch", "_x", "_y")

    def __init__(self, f: DataObjective, order):
        if order.n != f.n:
            raise ValueError(f"the batch order is for {order.n} points, the data has {f.n}")
        self.f, self.order = f, order
        self._epoch = -1
        self._x = self._y = f.x

    def indices(self, k: int) -> np.ndarray:
        """The data indices of step k's batch."""
        return self.order.indices(k)

    def _data(self, k: int) -> tuple[np.ndarray, np.ndarray]:
        order = self.order
        e, i = divmod(k, order.per_epoch)
        if e != self._epoch:
            perm = order.epoch(e)
            self._x, self._y = self.f.x[perm], self.f.y[perm]
            self._epoch = e
        lo = i * order.size
        return self._x[lo:lo + order.size], self._y[lo:lo + order.size]

    def value_and_grad_of_floats(self, w: float, b: float, k: int) -> tuple[float, float, float]:
        """(loss, dloss/dw, dloss/db) of step k's batch at (w, b), as Python floats."""
        x, y = self._data(k)
        return self.f._scalar(w, b, x, y)

    def value_and_grad(self, P, k: int, check: Check = None) -> tuple[np.ndarray, np.ndarray]:
        """(loss, gradient) of step k's batch at B points: (B,) and (B, 2)."""
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
