"""Arithmetic on plain numbers with Python's rules but IEEE-754 outcomes instead of
exceptions: 1/0 is inf, log(0) is -inf, 10.0**400 is inf, sqrt(-1) is nan, and
9**9**9**9 is inf at once instead of a never-ending big-integer power.

Used to fold the parts of a formula made of numbers only (Python computes `2*pi` as a
float before any tensor sees it, so the reference did too) and by the one-point fast
path of the evaluator.  Integers stay integers, exact as in Python, up to MAX_INT_BITS
bits; a result beyond that raises IntegerTooLarge (the formula is refused: rounding it
would answer something Python never computes, as 2**64 + 1 - 2**64 folded to 0.0 did).
An integer that meets a float becomes one, as in Python (inf past the float range).
"""

from __future__ import annotations

import math

import numpy as np

INF = math.inf
NAN = math.nan
# Integer results of numbers-only parts are exact up to this many bits (a float's range
# ends near 2**1024); past it the formula is refused.
MAX_INT_BITS = 4096
# The integers PyTorch combines with a tensor: a Python int beyond them is an
# OverflowError ("int too big to convert") in torch, so a formula is refused for it.
TENSOR_INT_MIN, TENSOR_INT_MAX = -2 ** 63, 2 ** 64 - 1


class IntegerTooLarge(ArithmeticError):
    """An integer result of more than MAX_INT_BITS bits."""

    def __init__(self, bits: int):
        super().__init__(f"an integer of at least {bits} bits")
        self.bits = bits


def _int(v: int) -> int:
    if v.bit_length() > MAX_INT_BITS:
        raise IntegerTooLarge(v.bit_length())
    return v


def _float(v) -> float:
    try:
        return float(v)
    except OverflowError:                       # an integer beyond the float range
        return INF if v > 0 else -INF


def div(a, b) -> float:
    """a / b with IEEE results for a zero divisor."""
    try:
        return a / b
    except ZeroDivisionError:
        a = _float(a)
        if a != a or a == 0.0:
            return NAN
        negative = (math.copysign(1.0, a) < 0) != (math.copysign(1.0, _float(b)) < 0)
        return -INF if negative else INF
    except OverflowError:                       # huge integer / integer
        return _float(a) / _float(b)


def fpow(a: float, b: float) -> float:
    """C's pow(a, b) (as std::pow, which torch calls): math.pow without exceptions."""
    try:
        return math.pow(a, b)
    except (OverflowError, ValueError):
        return _pow_special(a, b)


def _pow_special(a: float, b: float) -> float:
    # math.pow raises for 0 ** negative, negative ** fraction and on overflow.
    odd = math.isfinite(b) and b == math.floor(b) and math.fmod(b, 2.0) != 0.0
    if a == 0.0:
        return math.copysign(INF, a) if odd else INF
    if a < 0:
        if math.isfinite(b) and b != math.floor(b):
            return NAN
        return -INF if odd else INF
    return INF


def power(a, b):
    """a ** b for numbers, as Python computes it (exact integers, up to MAX_INT_BITS)."""
    if type(a) is int and type(b) is int and b >= 0:
        if a in (0, 1, -1):
            return a ** b
        least = (abs(a).bit_length() - 1) * b + 1       # bits of |a| ** b, at least
        if least > MAX_INT_BITS:
            raise IntegerTooLarge(least)
        return _int(a ** b)
    return fpow(_float(a), _float(b))


def _pair(a, b):
    """An integer meeting a float becomes a float (IEEE: inf past the float range)."""
    if type(a) is int and type(b) is float:
        return _float(a), b
    if type(a) is float and type(b) is int:
        return a, _float(b)
    return a, b


def add(a, b):
    a, b = _pair(a, b)
    r = a + b
    return _int(r) if type(r) is int else r


def sub(a, b):
    a, b = _pair(a, b)
    r = a - b
    return _int(r) if type(r) is int else r


def mul(a, b):
    a, b = _pair(a, b)
    r = a * b
    return _int(r) if type(r) is int else r


def neg(a):
    return -a


def _safe(fn, special):
    def f(a):
        try:
            return fn(a)
        except (ValueError, OverflowError):
            return special(_float(a))
    f.__name__ = fn.__name__
    return f


def _log_special(a: float) -> float:
    return -INF if a == 0.0 else NAN


def _exp_special(a: float) -> float:
    return INF if a > 0 else 0.0


def _nan(a: float) -> float:
    return NAN


sqrt = _safe(math.sqrt, _nan)
sin = _safe(math.sin, _nan)
cos = _safe(math.cos, _nan)
tanh = _safe(math.tanh, _nan)

# exp, log and tan come from numpy, whose results agree with torch's CPU kernels to the
# bit far more often than the C library's (numpy's and torch's vectorised routines are
# correctly rounded in practice for these three; glibc's are off by an ulp now and then).
# The guards keep numpy's floating-point warnings out of the way and return Python floats.
_np_exp, _np_log, _np_tan = np.exp, np.log, np.tan


def exp(a) -> float:
    if -708.0 < a < 709.0:          # no overflow, no subnormal result; False for nan
        return float(_np_exp(a))
    try:
        return math.exp(a)
    except OverflowError:
        return INF


def log(a) -> float:
    if a > 0.0:
        return float(_np_log(a))
    return -INF if a == 0.0 else NAN


def tan(a) -> float:
    if -INF < a < INF:
        return float(_np_tan(a))
    return NAN


def fabs(a):
    return abs(a)


def sign(a: float) -> float:
    """torch.sign on a real number: -1, 0 or 1, and 0 for nan."""
    return 1.0 if a > 0 else (-1.0 if a < 0 else 0.0)


FUNCS = {"sin": sin, "cos": cos, "tan": tan, "exp": exp, "log": log, "sqrt": sqrt,
         "abs": fabs, "tanh": tanh}


def _of_number(fn):
    """fn on a number of a numbers-only part: an integer becomes a float first, as the
    math module takes it (abs keeps it exact)."""
    def f(a):
        return fn(_float(a) if type(a) is int else a)
    f.__name__ = fn.__name__
    return f


def _log_of_number(a):
    """log of a number: Python's math.log takes an integer beyond the float range
    exactly (log(2**3000) is 2079.44...), where converting it first would give inf."""
    if type(a) is int and a.bit_length() > 1024:
        return math.log(a) if a > 0 else NAN
    return log(_float(a) if type(a) is int else a)


# FUNCS for folding numbers-only parts, whose numbers may be integers.
NUMBER_FUNCS = {name: fn if name == "abs" else _of_number(fn) for name, fn in FUNCS.items()}
NUMBER_FUNCS["log"] = _log_of_number
BINARY = {"+": add, "-": sub, "*": mul, "/": div, "**": power}


def one_minus_square(r):
    """1 - r*r rounded once, as the fused multiply-add torch's tanh backward compiles to
    (r*r split exactly by Dekker's product; works on floats and on numpy arrays)."""
    p = r * r
    c = 134217729.0 * r
    hi = c - (c - r)
    lo = r - hi
    err = ((hi * hi - p) + 2.0 * hi * lo) + lo * lo       # r*r == p + err exactly
    s = 1.0 - p
    t = (1.0 - s) - p                                   # 1 - p == s + t exactly
    return s + (t - err)
