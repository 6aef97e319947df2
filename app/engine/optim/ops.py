"""The operations an update rule may call, as `ops.<name>`, in two forms that round alike.

A rule (see rule.py) is written once over a parameter `p`, its gradient `g` and its state.
It runs on NumPy arrays of shape (B, n) (maps; every run of a batch, n coordinates each)
with ARRAY, and on Python floats, one coordinate each, in the code rule.py generates
with the functions of FLOAT.  Both do the same IEEE operations in the same order:

- elementwise: sqrt, maximum, minimum (NaN wins, as torch.maximum), abs, sign (torch's:
  sign(nan) = 0), lerp (ATen's two formulas), where(cond, a, b), copy, zeros_like,
  full_like(x, value);
- over a parameter's coordinates (shape (B, 1) on arrays): sum, sumsq (x0*x0 + x1*x1 ...,
  left to right), numel;
- tests on a hyperparameter that a sweep map may hold as a (B, 1) column: nonzero
  (torch's `x != 0`), positive (`x > 0`): true if any run's value passes.
"""

from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np


# -- Python floats: one coordinate ------------------------------------------------------
def maximum1(a: float, b: float) -> float:
    """np.maximum / torch.maximum of two floats: NaN if either is NaN."""
    if a != a or a >= b:
        return a
    return b


def minimum1(a: float, b: float) -> float:
    """np.minimum / torch.minimum of two floats: NaN if either is NaN."""
    if a != a or a <= b:
        return a
    return b


def sign1(x: float) -> float:
    """torch.sign of one float (sign(nan) = 0)."""
    return 1.0 if x > 0 else (-1.0 if x < 0 else 0.0)


def lerp1(a: float, end: float, w: float) -> float:
    """a.lerp(end, w): ATen's a + w (end - a) when |w| < 0.5, else end - (end - a)(1 - w)."""
    if abs(w) < 0.5:
        return a + (end - a) * w
    return end - (end - a) * (1.0 - w)


# Python raises where IEEE arithmetic answers (x / 0, sqrt(-1), overflow in **): a step
# that raises one of these is taken again on (1, n) arrays, which give the same bits.
FLOAT_ERRORS = (ZeroDivisionError, OverflowError, ValueError)

# What the generated float code calls for `ops.<name>(...)` (the rest it writes inline).
FLOAT = {"sqrt": math.sqrt, "maximum": maximum1, "minimum": minimum1, "abs": abs,
         "sign": sign1, "lerp": lerp1}


# -- NumPy arrays: (B, n) ---------------------------------------------------------------
def _sign(x):
    s = np.sign(x)
    if isinstance(s, np.ndarray):
        s[np.isnan(s)] = 0.0
    elif s != s:
        s = 0.0
    return s


def _lerp(a, end, w):
    diff = end - a
    if not isinstance(w, np.ndarray):
        if abs(w) < 0.5:
            diff *= w
            return a + diff
        diff *= 1.0 - w
        return end - diff
    return np.where(np.abs(w) < 0.5, a + w * diff, end - diff * (1.0 - w))


def _where(cond, a, b):
    """np.where; a scalar condition (a hyperparameter that is not swept) picks a or b
    itself, without a copy."""
    if isinstance(cond, (bool, np.bool_)):
        return a if cond else b
    return np.where(cond, a, b)


def _full_like(x, value):
    out = np.empty_like(x)
    out[...] = value
    return out


def _sum(x):
    total = x[:, :1].copy()
    for j in range(1, x.shape[1]):
        total += x[:, j:j + 1]
    return total


def _sumsq(x):
    total = x[:, :1] * x[:, :1]
    for j in range(1, x.shape[1]):
        total += x[:, j:j + 1] * x[:, j:j + 1]
    return total


def _nonzero(x) -> bool:
    if isinstance(x, np.ndarray):
        return bool(np.any(x != 0))
    return x != 0


def _positive(x) -> bool:
    if isinstance(x, np.ndarray):
        return bool(np.any(x > 0))
    return x > 0


ARRAY = SimpleNamespace(
    sqrt=np.sqrt, maximum=np.maximum, minimum=np.minimum, abs=np.abs, sign=_sign,
    lerp=_lerp, where=_where, copy=np.copy, zeros_like=np.zeros_like, full_like=_full_like,
    sum=_sum, sumsq=_sumsq, numel=lambda x: x.shape[1],
    nonzero=_nonzero, positive=_positive)
