"""The batch evaluator: the same tape and the same PyTorch rules as scalar.py, on numpy
float64 arrays of B points (contour grids, sweep maps, batches of runs).

Gradients flowing backwards stay Python floats while they are constants (the seed 1.0
through sums and scalings), which saves whole-array operations; results are fresh arrays
(callers keep them), and nothing is shared between calls, so one compiled formula can
serve several threads.
"""

from __future__ import annotations

from typing import Callable, Optional

import numpy as np

from .arith import log as _log_number
from .tape import Tape, gradient_plan

_mul, _div, _add, _sub, _neg = np.multiply, np.true_divide, np.add, np.subtract, np.negative
_sqrt, _power = np.sqrt, np.power
_FUNCS = {"sin": np.sin, "cos": np.cos, "tan": np.tan, "exp": np.exp, "log": np.log,
          "sqrt": np.sqrt, "abs": np.abs, "tanh": np.tanh}


def sign(a):
    """torch.sign on reals: -1, 0, 1, and 0 for nan (numpy's sign gives nan)."""
    return np.subtract(a > 0, a < 0, dtype=np.float64)


def one_minus_square(r):
    """1 - r*r rounded once (torch's tanh backward is a fused multiply-add)."""
    p = r * r
    c = 134217729.0 * r
    hi = c - (c - r)
    lo = r - hi
    err = ((hi * hi - p) + 2.0 * hi * lo) + lo * lo
    s = 1.0 - p
    t = (1.0 - s) - p
    return s + (t - err)


def tpow(x, e: float):
    """torch.pow(tensor, scalar): its special cases, then pow."""
    if e == 2.0:
        return x * x
    if e == 0.0:
        return np.ones_like(x)
    if e == 1.0:
        return np.array(x, copy=True)
    if e == 3.0:
        return x * x * x
    if e == 0.5:
        return _sqrt(x)
    if e == -0.5:
        return 1.0 / _sqrt(x)
    if e == -1.0:
        return 1.0 / x
    if e == -2.0:
        return 1.0 / (x * x)
    return _power(x, e)


def _forward(op: str, a: int, b, o: int):
    if op == "add":
        return lambda v: v[a] + v[b]
    if op == "sub":
        return lambda v: v[a] - v[b]
    if op == "mul":
        return lambda v: v[a] * v[b]
    if op == "div":
        return lambda v: v[a] / v[b]
    if op == "pow":
        return lambda v: _power(v[a], v[b])
    c = float(b) if b is not None else None
    if op == "addc":
        return lambda v: v[a] + c
    if op == "subc":
        return lambda v: v[a] - c
    if op == "rsubc":
        return lambda v: c - v[a]
    if op == "mulc":
        return lambda v: v[a] * c
    if op == "divc":
        return lambda v: v[a] / c
    if op == "recip":
        return lambda v: 1.0 / v[a]
    if op == "neg":
        return lambda v: -v[a]
    if op == "powc":
        return lambda v: tpow(v[a], c)
    if op == "rpowc":
        if c == 1.0:
            return lambda v: np.ones_like(v[a])
        return lambda v: _power(c, v[a])
    fn = _FUNCS[op]
    return lambda v: fn(v[a])


def _backward(op: str, a: int, b, o: int):
    """(v, go) -> gradient of the first input, or of both inputs for two-slot opcodes."""
    if op == "add":
        return lambda v, go: (go, go)
    if op == "sub":
        return lambda v, go: (go, -go)
    if op == "mul":
        return lambda v, go: (go * v[b], go * v[a])
    if op == "div":
        return lambda v, go: (go / v[b], -go * ((v[a] / v[b]) / v[b]))
    if op == "pow":
        def r(v, go):
            va, vb = v[a], v[b]
            da = np.where(vb == 0.0, 0.0, go * (vb * _power(va, vb - 1.0)))
            db = go * np.where((va == 0.0) & (vb >= 0.0), 0.0, v[o] * np.log(va))
            return da, db
        return r
    c = float(b) if b is not None else None
    if op in ("addc", "subc"):
        return lambda v, go: go
    if op in ("rsubc", "neg"):
        return lambda v, go: -go
    if op == "mulc":
        return lambda v, go: go * c
    if op == "divc":
        return lambda v, go: np.float64(go) / c
    if op == "recip":
        return lambda v, go: -go * (v[o] * v[o])
    if op == "powc":
        if c == 0.0:
            return lambda v, go: np.zeros_like(v[a])
        if c == 2.0:
            return lambda v, go: go * (2.0 * v[a])
        e = c - 1.0
        return lambda v, go: go * (c * tpow(v[a], e))
    if op == "rpowc":
        if c == 0.0:
            return lambda v, go: go * np.where(v[a] >= 0.0, 0.0, v[o] * -np.inf)
        logc = _log_number(c)
        return lambda v, go: go * (v[o] * logc)
    if op == "sin":
        return lambda v, go: go * np.cos(v[a])
    if op == "cos":
        return lambda v, go: go * -np.sin(v[a])
    if op == "tan":
        return lambda v, go: go * (1.0 + v[o] * v[o])
    if op == "exp":
        return lambda v, go: go * v[o]
    if op == "log":
        return lambda v, go: go / v[a]
    if op == "sqrt":
        return lambda v, go: go / (2.0 * v[o])
    if op == "abs":
        return lambda v, go: go * sign(v[a])
    if op == "tanh":
        return lambda v, go: go * one_minus_square(v[o])
    raise ValueError(f"unknown opcode {op!r}")  # pragma: no cover


# Batches are evaluated in chunks: the arrays of one chunk (a value and a gradient for
# every slot of the tape) then stay within the CPU's L2 cache and come from malloc's free
# lists; whole 65,536-point arrays are several times slower per point.  The chunk is the
# largest power of two up to MAX_CHUNK whose working set fits CACHE_BYTES.
MAX_CHUNK, MIN_CHUNK = 4096, 512
CACHE_BYTES = 1_600_000
# `check()`, when given, is called between chunks: a caller's cancel flag and clock,
# looked at every few milliseconds even when one evaluation of a long formula over a
# big batch takes a hundred (it raises to stop the evaluation).
Check = Optional[Callable[[], None]]


def chunk_size(n_arrays: int) -> int:
    c = MAX_CHUNK
    while c > MIN_CHUNK and n_arrays * c * 8 > CACHE_BYTES:
        c //= 2
    return c


class VectorProgram:
    __slots__ = ("fwd", "bwd", "n", "size", "out", "constant", "both", "xt", "yt", "chunk")

    def __init__(self, tape: Tape):
        self.n = tape.n_slots
        self.out = tape.out
        self.constant = tape.constant
        self.both = tape.uses_x and tape.uses_y
        self.fwd = tuple(_forward(op, a, b, k + 2) for k, (op, a, b) in enumerate(tape.code))
        targets, self.xt, self.yt, self.size = gradient_plan(tape)
        self.chunk = chunk_size(self.n + self.size)
        bwd = []
        for k in range(len(tape.code) - 1, -1, -1):
            op, a, b = tape.code[k]
            ga, gb = targets[k]
            bwd.append((k + 2, _backward(op, a, b, k + 2), ga, gb))
        self.bwd = tuple(bwd)

    def _run(self, x: np.ndarray, y: np.ndarray) -> list:
        v = [x, y]
        append = v.append
        for f in self.fwd:
            append(f(v))
        return v

    def value(self, x: np.ndarray, y: np.ndarray, check: Check = None) -> np.ndarray:
        B = x.shape[0]
        if self.out is None:
            return np.full(B, self.constant)
        out = np.empty(B)
        with np.errstate(all="ignore"):
            step = chunk_size(self.n)
            for lo in range(0, B, step):
                if check is not None and lo:
                    check()
                hi = min(B, lo + step)
                out[lo:hi] = self._run(x[lo:hi], y[lo:hi])[self.out]
        return out

    def value_and_grad(self, x: np.ndarray, y: np.ndarray, check: Check = None):
        B = x.shape[0]
        value = np.empty(B)
        grad = np.zeros((B, 2))
        if self.out is None:
            value.fill(self.constant)
            return value, grad
        with np.errstate(all="ignore"):
            step = self.chunk
            for lo in range(0, B, step):
                if check is not None and lo:
                    check()
                hi = min(B, lo + step)
                value[lo:hi], grad[lo:hi, 0], grad[lo:hi, 1] = \
                    self._chunk(x[lo:hi], y[lo:hi])
        return value, grad

    def _chunk(self, x: np.ndarray, y: np.ndarray):
        v = self._run(x, y)
        g: list = [None] * self.size
        g[self.out] = 1.0
        for o, back, ga, gb in self.bwd:
            if gb < 0:
                g[ga] = back(v, g[o])
            else:
                g[ga], g[gb] = back(v, g[o])
        gx = gy = 0.0
        if self.xt:
            gx = g[self.xt[0]]
            for t in self.xt[1:]:
                gx = gx + g[t]
        if self.yt:
            gy = g[self.yt[0]]
            for t in self.yt[1:]:
                gy = gy + g[t]
        if self.both:
            gx = gx + 0.0
            gy = gy + 0.0
        return v[self.out], gx, gy
