"""One run (B = 1) of an optimizer in Python floats: its state, and its step.

A single path spends its time in NumPy's per-call overhead: an operation on a (1, 2)
array costs ~0.5 us whatever it computes, and a step makes a dozen of them.  A `OneRun`
keeps one run's state in Python floats and steps it with the same operations, in the
same order, as its optimizer's array code.  Python floats are IEEE doubles, and + - * /
and sqrt are correctly rounded in both, so the bits are the same (tests/test_one_run.py
holds every optimizer that has one to that, step by step and through the runner).

Where Python raises on what IEEE arithmetic answers (x / 0, sqrt(-1), overflow in **),
`step` lets one of FAST_PATH_ERRORS out; the runner then computes that run again with
arrays (see runner.run_one).

`STATE` names, for each entry of the optimizer's state dict (torch's names), the
attributes that hold it here: two for a per-coordinate value (a (1, 2) array there),
one for a number (a step counter, or a per-run (1, 1) array there).  An attribute that
holds None stands for an entry torch has not created yet.
"""

from __future__ import annotations

from typing import Any, ClassVar

from ._pyopt import FAST_PATH_ERRORS

__all__ = ["OneRun", "FAST_PATH_ERRORS", "lerp2"]


class OneRun:
    """Subclasses set STATE and __slots__, fill the state in __init__ as the optimizer's
    `init` does (the runner makes a OneRun where it would call `init`), and implement
    `step`."""

    STATE: ClassVar[dict[str, tuple[str, ...]]] = {}
    __slots__ = ("group", "extra")

    def __init__(self, group: dict):
        self.group = group          # the optimizer's group: schedulers change it between steps
        self.extra: dict[str, Any] = {}   # entries set from outside (Lookahead's momentum_buffer)

    def step(self, p0: float, p1: float, g0: float, g1: float) -> tuple[float, float]:
        """One optimizer.step() from parameters (p0, p1) with gradient (g0, g1): the new
        parameters."""
        raise TypeError(f"{type(self).__name__} does not define step")

    def get(self, name: str) -> Any:
        """State entry `name` as [x, y] (per coordinate), a number, or None."""
        attrs = self.STATE.get(name)
        if attrs is None:
            return self.extra.get(name)
        first = getattr(self, attrs[0])
        if first is None or len(attrs) == 1:
            return first
        return [first, getattr(self, attrs[1])]

    def set(self, name: str, value: Any) -> None:
        """Replace state entry `name` by `value` ([x, y], a number, or None)."""
        attrs = self.STATE.get(name)
        if attrs is None:
            self.extra[name] = value
        elif len(attrs) == 1:
            setattr(self, attrs[0], value)
        else:
            x, y = (None, None) if value is None else value
            setattr(self, attrs[0], x)
            setattr(self, attrs[1], y)


def lerp2(a0: float, a1: float, e0: float, e1: float, w: float) -> tuple[float, float]:
    """`a.lerp_(e, w)` on both coordinates, as _common.lerp_ computes it (ATen's formula:
    a + w (e - a) when |w| < 0.5, else e - (e - a)(1 - w))."""
    if abs(w) < 0.5:
        return a0 + (e0 - a0) * w, a1 + (e1 - a1) * w
    w = 1.0 - w
    return e0 - (e0 - a0) * w, e1 - (e1 - a1) * w
