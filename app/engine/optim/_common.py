"""Small helpers shared by the torch.optim re-implementations.

- `check_types`: refuse values of the wrong type before torch's own checks run;
- `nonzero`, `positive`: torch's `if weight_decay != 0` / `if momentum > 0` branches, for a
  group value that is a Python number or a (B, 1) sweep array;
- `lerp_`: `Tensor.lerp_(end, weight)` with ATen's two formulas;
- `Scratch`: per-optimizer work arrays, so a step allocates nothing on large batches.

How close to torch this gets: torch's CPU kernels (2.13, AVX2/AVX-512 builds) round each
elementary operation to float64 as NumPy does, except that the compiler fuses `a + s*b`
(add with alpha, addcmul, both branches of lerp) into one FMA, and torch's sqrt is
not correctly rounded (one ulp low for about 1 input in 140).  NumPy has no FMA and an
exact sqrt, so single operations can differ by one rounding.  On well-conditioned paths
that stays below ~1e-11 relative over 200 steps (the reference trajectories: <= 3e-14).
Where the dynamics amplify rounding a millionfold (chaotic settings), no re-implementation
without the same FMAs can follow torch; torch's own path there depends on the CPU
capability its kernels were compiled for.
"""

from __future__ import annotations

import numpy as np

from . import _checks
from .base import Optimizer


def check_types(opt: Optimizer, group: dict) -> None:
    """Refuse a value of the wrong type in any field, by its Hyper kind (messages from
    `_checks`, shared with the other optimizers), before torch's value checks run."""
    for h in opt.hypers:
        if h.kind == "float":
            _checks.number(group, h.name, nullable=h.nullable)
        elif h.kind == "int":
            _checks.integer(group, h.name, nullable=h.nullable)
        elif h.kind == "bool":
            _checks.flag(group, h.name)
        elif h.kind == "pair":
            _checks.pair(group, h.name)


def nonzero(x) -> bool:
    """torch's `x != 0` on a group value; for a sweep array, true if any run has x != 0."""
    if isinstance(x, np.ndarray):
        return bool(np.any(x != 0))
    return x != 0


def positive(x) -> bool:
    """torch's `x > 0` on a group value; for a sweep array, true if any run has x > 0."""
    if isinstance(x, np.ndarray):
        return bool(np.any(x > 0))
    return x > 0


def lerp_(a: np.ndarray, end: np.ndarray, w, tmp: np.ndarray) -> None:
    """a.lerp_(end, w) in place (ATen: a + w (end - a) if |w| < 0.5, else
    end - (end - a)(1 - w)); `tmp` is a work array of a's shape."""
    np.subtract(end, a, out=tmp)
    if not isinstance(w, np.ndarray):
        if abs(w) < 0.5:
            tmp *= w
            a += tmp
        else:
            tmp *= 1.0 - w
            np.subtract(end, tmp, out=a)
        return
    small = np.abs(w) < 0.5
    low = a + w * tmp
    high = end - tmp * (1.0 - w)
    np.copyto(a, np.where(small, low, high))


class Scratch:
    """Work arrays of p's shape, kept between steps (re-made if the shape changes)."""

    __slots__ = ("shape", "arrays")

    def __init__(self) -> None:
        self.shape: tuple | None = None
        self.arrays: list[np.ndarray] = []

    def get(self, p: np.ndarray, n: int) -> list[np.ndarray]:
        if self.shape != p.shape or len(self.arrays) < n:
            self.shape = p.shape
            self.arrays = [np.empty(p.shape) for _ in range(max(n, len(self.arrays)))]
        return self.arrays[:n]
