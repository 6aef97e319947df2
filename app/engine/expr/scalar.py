"""The one-point evaluator: Python floats, built as closures from the tape (never from
generated source text).  Used when B == 1, where numpy's per-call cost would dominate:
a step of a single path costs one to a few microseconds.

Every rule below is PyTorch's (torch/csrc/autograd/FunctionsManual.cpp and the CPU
kernels), operation for operation and in the same order, so values and gradients agree
with torch.autograd to the last bit, except where torch's own sin, cos, sqrt and tanh
(Intel MKL) round differently from the C library's: by an ulp, in well under 1% of
arguments.  exp, log and tan are numpy's, whose results are torch's (arith.py).
"""

from __future__ import annotations

import math

from . import arith as num
from .tape import Tape, gradient_plan

_div = num.div
_fpow = num.fpow
_sign = num.sign
_oms = num.one_minus_square
_FUNCS = num.FUNCS
_sin, _cos, _log, _sqrt = num.sin, num.cos, num.log, num.sqrt


def tpow(x: float, e: float) -> float:
    """torch.pow(tensor, scalar) on CPU: its special cases, then std::pow."""
    if e == 2.0:
        return x * x
    if e == 0.0:
        return 1.0
    if e == 1.0:
        return x
    if e == 3.0:
        return x * x * x
    if e == 0.5:
        return _sqrt(x)
    if e == -0.5:
        return _div(1.0, _sqrt(x))
    if e == -1.0:
        return _div(1.0, x)
    if e == -2.0:
        return _div(1.0, x * x)
    return _fpow(x, e)


def _forward(op: str, a: int, b, o: int):
    if op == "add":
        def f(v): v[o] = v[a] + v[b]
    elif op == "sub":
        def f(v): v[o] = v[a] - v[b]
    elif op == "mul":
        def f(v): v[o] = v[a] * v[b]
    elif op == "div":
        def f(v):
            try:
                v[o] = v[a] / v[b]
            except ZeroDivisionError:
                v[o] = _div(v[a], v[b])
    elif op == "pow":
        def f(v): v[o] = _fpow(v[a], v[b])
    elif op == "addc":
        c = float(b)
        def f(v): v[o] = v[a] + c
    elif op == "subc":
        c = float(b)
        def f(v): v[o] = v[a] - c
    elif op == "rsubc":
        c = float(b)
        def f(v): v[o] = c - v[a]
    elif op == "mulc":
        c = float(b)
        def f(v): v[o] = v[a] * c
    elif op == "divc":
        c = float(b)
        if c == 0.0:
            def f(v): v[o] = _div(v[a], c)
        else:
            def f(v): v[o] = v[a] / c
    elif op == "recip":
        def f(v):
            try:
                v[o] = 1.0 / v[a]
            except ZeroDivisionError:
                v[o] = _div(1.0, v[a])
    elif op == "neg":
        def f(v): v[o] = -v[a]
    elif op == "powc":
        c = float(b)
        if c == 2.0:
            def f(v): v[o] = v[a] * v[a]
        elif c == 3.0:
            def f(v):
                t = v[a]
                v[o] = t * t * t
        else:
            def f(v): v[o] = tpow(v[a], c)
    elif op == "rpowc":
        c = float(b)
        if c == 1.0:
            def f(v): v[o] = 1.0
        else:
            def f(v): v[o] = _fpow(c, v[a])
    elif op == "abs":
        def f(v): v[o] = abs(v[a])
    else:
        fn = _FUNCS[op]
        def f(v): v[o] = fn(v[a])
    return f


def _backward(op: str, a: int, b, o: int, ga: int, gb: int):
    """The closure that sets the gradients of instruction o's inputs: g[ga] (and g[gb]).
    ga/gb are the input's own slot, or, for a use of x or y, a slot of that use alone
    (the uses are summed at the end in PyTorch's order)."""
    if op == "add":
        def r(v, g):
            g[ga] = g[gb] = g[o]
    elif op == "sub":
        def r(v, g):
            go = g[o]
            g[ga] = go
            g[gb] = -go
    elif op == "mul":
        def r(v, g):
            go = g[o]
            g[ga] = go * v[b]
            g[gb] = go * v[a]
    elif op == "div":
        def r(v, g):
            go, va, vb = g[o], v[a], v[b]
            g[ga] = _div(go, vb)
            g[gb] = -go * _div(_div(va, vb), vb)
    elif op == "pow":
        def r(v, g):
            go, va, vb = g[o], v[a], v[b]
            g[ga] = 0.0 if vb == 0.0 else go * (vb * _fpow(va, vb - 1.0))
            g[gb] = go * (0.0 if (va == 0.0 and vb >= 0.0) else v[o] * _log(va))
    elif op in ("addc", "subc"):
        def r(v, g): g[ga] = g[o]
    elif op in ("rsubc", "neg"):
        def r(v, g): g[ga] = -g[o]
    elif op == "mulc":
        c = float(b)
        def r(v, g): g[ga] = g[o] * c
    elif op == "divc":
        c = float(b)
        def r(v, g): g[ga] = _div(g[o], c)
    elif op == "recip":
        def r(v, g):
            t = v[o]
            g[ga] = -g[o] * (t * t)
    elif op == "powc":
        c = float(b)
        e = c - 1.0
        if c == 0.0:
            def r(v, g): g[ga] = 0.0
        elif c == 2.0:
            def r(v, g): g[ga] = g[o] * (2.0 * v[a])
        elif c == 3.0:
            def r(v, g):
                t = v[a]
                g[ga] = g[o] * (3.0 * (t * t))
        else:
            def r(v, g): g[ga] = g[o] * (c * tpow(v[a], e))
    elif op == "rpowc":
        c = float(b)
        if c == 0.0:
            def r(v, g): g[ga] = g[o] * (0.0 if v[a] >= 0.0 else v[o] * -math.inf)
        else:
            logc = _log(c)
            def r(v, g): g[ga] = g[o] * (v[o] * logc)
    elif op == "sin":
        def r(v, g): g[ga] = g[o] * _cos(v[a])
    elif op == "cos":
        def r(v, g): g[ga] = g[o] * -_sin(v[a])
    elif op == "tan":
        def r(v, g):
            t = v[o]
            g[ga] = g[o] * (1.0 + t * t)
    elif op == "exp":
        def r(v, g): g[ga] = g[o] * v[o]
    elif op == "log":
        def r(v, g): g[ga] = _div(g[o], v[a])
    elif op == "sqrt":
        def r(v, g): g[ga] = _div(g[o], 2.0 * v[o])
    elif op == "abs":
        def r(v, g): g[ga] = g[o] * _sign(v[a])
    elif op == "tanh":
        def r(v, g): g[ga] = g[o] * _oms(v[o])
    else:  # pragma: no cover
        raise ValueError(f"unknown opcode {op!r}")
    return r


class ScalarProgram:
    """value(x, y) and value_and_grad(x, y) on Python floats."""

    __slots__ = ("fwd", "bwd", "n", "size", "out", "constant", "both", "xt", "yt", "pad",
                 "gpad")

    def __init__(self, tape: Tape):
        self.n = tape.n_slots
        self.out = tape.out
        self.constant = tape.constant
        self.both = tape.uses_x and tape.uses_y
        self.fwd = tuple(_forward(op, a, b, k + 2) for k, (op, a, b) in enumerate(tape.code))
        targets, self.xt, self.yt, self.size = gradient_plan(tape)
        self.bwd = tuple(_backward(op, a, b, k + 2, *targets[k])
                         for k, (op, a, b) in reversed(list(enumerate(tape.code))))
        self.pad = [0.0] * (self.n - 2)
        self.gpad = [0.0] * self.size

    def value(self, x: float, y: float) -> float:
        if self.out is None:
            return self.constant
        v = [x, y, *self.pad]
        for f in self.fwd:
            f(v)
        return v[self.out]

    def value_and_grad(self, x: float, y: float) -> tuple[float, float, float]:
        out = self.out
        if out is None:
            return self.constant, 0.0, 0.0
        v = [x, y, *self.pad]
        for f in self.fwd:
            f(v)
        g = self.gpad.copy()
        g[out] = 1.0
        for r in self.bwd:
            r(v, g)
        gx = gy = 0.0
        xt, yt = self.xt, self.yt
        if xt:
            gx = g[xt[0]]
            for t in xt[1:]:
                gx = gx + g[t]
        if yt:
            gy = g[yt[0]]
            for t in yt[1:]:
                gy = gy + g[t]
        if self.both:
            # param.grad is the sum of the two select-backward scatters: [gx, 0] + [0, gy]
            return v[out], gx + 0.0, gy + 0.0
        return v[out], gx, gy
