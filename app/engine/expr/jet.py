"""Second derivatives by second-order forward mode ("jets"): every value carries its
gradient and Hessian with respect to (x, y).  Used for the Hessian at a point, to tell
how sharply a surface curves where a run blew up; it does not need PyTorch's rounding,
only the mathematics.  Works on floats and on numpy arrays alike.
"""

from __future__ import annotations

import numpy as np

from .tape import Tape


class Jet:
    """f, (f_x, f_y), (f_xx, f_xy, f_yy)."""
    __slots__ = ("v", "x", "y", "xx", "xy", "yy")

    def __init__(self, v, x, y, xx, xy, yy):
        self.v, self.x, self.y, self.xx, self.xy, self.yy = v, x, y, xx, xy, yy

    def chain(self, f0, f1, f2) -> "Jet":
        """g(self) for a function with g = f0, g' = f1, g'' = f2 at self.v."""
        return Jet(f0, f1 * self.x, f1 * self.y,
                   f2 * self.x * self.x + f1 * self.xx,
                   f2 * self.x * self.y + f1 * self.xy,
                   f2 * self.y * self.y + f1 * self.yy)


def _add(a: Jet, b: Jet, s: float = 1.0) -> Jet:
    return Jet(a.v + s * b.v, a.x + s * b.x, a.y + s * b.y,
               a.xx + s * b.xx, a.xy + s * b.xy, a.yy + s * b.yy)


def _mul(a: Jet, b: Jet) -> Jet:
    return Jet(a.v * b.v, a.x * b.v + a.v * b.x, a.y * b.v + a.v * b.y,
               a.xx * b.v + 2 * a.x * b.x + a.v * b.xx,
               a.xy * b.v + a.x * b.y + a.y * b.x + a.v * b.xy,
               a.yy * b.v + 2 * a.y * b.y + a.v * b.yy)


def _scale(a: Jet, c: float) -> Jet:
    return Jet(a.v * c, a.x * c, a.y * c, a.xx * c, a.xy * c, a.yy * c)


def _shift(a: Jet, c: float) -> Jet:
    return Jet(a.v + c, a.x, a.y, a.xx, a.xy, a.yy)


def _recip(a: Jet) -> Jet:
    r = 1.0 / a.v
    return a.chain(r, -r * r, 2.0 * r * r * r)


def _powc(a: Jet, c: float) -> Jet:
    if c == 0.0:
        return a.chain(np.ones_like(a.v), 0.0 * a.v, 0.0 * a.v)
    if c == 1.0:
        return a
    u = a.v
    return a.chain(np.power(u, c), c * np.power(u, c - 1.0),
                   c * (c - 1.0) * np.power(u, c - 2.0) if c != 2.0 else 2.0 + 0.0 * u)


def _rpowc(c: float, a: Jet) -> Jet:
    f = np.power(c, a.v)
    lc = np.log(c)
    return a.chain(f, f * lc, f * lc * lc)


def _func(name: str, a: Jet) -> Jet:
    u = a.v
    if name == "sin":
        s, c = np.sin(u), np.cos(u)
        return a.chain(s, c, -s)
    if name == "cos":
        s, c = np.sin(u), np.cos(u)
        return a.chain(c, -s, -c)
    if name == "tan":
        t = np.tan(u)
        d = 1.0 + t * t
        return a.chain(t, d, 2.0 * t * d)
    if name == "exp":
        e = np.exp(u)
        return a.chain(e, e, e)
    if name == "log":
        return a.chain(np.log(u), 1.0 / u, -1.0 / (u * u))
    if name == "sqrt":
        s = np.sqrt(u)
        return a.chain(s, 0.5 / s, -0.25 / (s * u))
    if name == "abs":
        return a.chain(np.abs(u), np.sign(u), 0.0 * u)
    if name == "tanh":
        t = np.tanh(u)
        d = 1.0 - t * t
        return a.chain(t, d, -2.0 * t * d)
    raise ValueError(f"unknown function {name!r}")  # pragma: no cover


def _pow(a: Jet, b: Jet) -> Jet:
    # a**b = exp(b log a), with the value itself from pow (exact for integer b)
    z = _mul(b, _func("log", a))
    return z.chain(np.power(a.v, b.v), np.power(a.v, b.v), np.power(a.v, b.v))


def evaluate(tape: Tape, x, y) -> Jet:
    """The jet of the formula at (x, y) (floats or arrays of equal shape)."""
    zero = np.zeros(np.broadcast(x, y).shape) if np.ndim(x) or np.ndim(y) else 0.0
    if tape.out is None:
        return Jet(zero + tape.constant, zero, zero, zero, zero, zero)
    v: list = [Jet(x + zero, 1.0 + zero, zero, zero, zero, zero),
               Jet(y + zero, zero, 1.0 + zero, zero, zero, zero)]
    with np.errstate(all="ignore"):
        for op, a, b in tape.code:
            A = v[a]
            if op == "add":
                r = _add(A, v[b])
            elif op == "sub":
                r = _add(A, v[b], -1.0)
            elif op == "mul":
                r = _mul(A, v[b])
            elif op == "div":
                r = _mul(A, _recip(v[b]))
            elif op == "pow":
                r = _pow(A, v[b])
            elif op == "addc":
                r = _shift(A, float(b))
            elif op == "subc":
                r = _shift(A, -float(b))
            elif op == "rsubc":
                r = _shift(_scale(A, -1.0), float(b))
            elif op == "mulc":
                r = _scale(A, float(b))
            elif op == "divc":
                r = _scale(A, 1.0 / float(b)) if float(b) != 0.0 else \
                    _mul(A, Jet(np.inf + zero, zero, zero, zero, zero, zero))
            elif op == "recip":
                r = _recip(A)
            elif op == "neg":
                r = _scale(A, -1.0)
            elif op == "powc":
                r = _powc(A, float(b))
            elif op == "rpowc":
                r = _rpowc(float(b), A)
            else:
                r = _func(op, A)
            v.append(r)
    return v[tape.out]


def hessian(tape: Tape, x, y) -> np.ndarray:
    """[[f_xx, f_xy], [f_xy, f_yy]]: shape (2, 2) for a point, (B, 2, 2) for arrays."""
    j = evaluate(tape, x, y)
    xx, xy, yy = (np.asarray(t, dtype=np.float64) for t in (j.xx, j.xy, j.yy))
    return np.stack([np.stack([xx, xy], axis=-1), np.stack([xy, yy], axis=-1)], axis=-2)
