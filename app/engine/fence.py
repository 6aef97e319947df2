"""The clock and the cancel flag of one computation, looked at from its loops.

A closed socket or a spent budget stops the work within a few milliseconds: loops look
every CLOCK_EVERY steps, and a step that evaluates the surface many times (LBFGS: up to
max_iter iterations per step, each with a two-loop recursion over up to history_size =
1000 pairs, ~1 ms in Python) every CLOCK_EVERY_EVAL evaluations.
"""

from __future__ import annotations

import time
from typing import Callable

from .errors import Cancelled, ComputationTimeout

CLOCK_EVERY = 16
CLOCK_EVERY_EVAL = 4


class Fence:
    """The clock and the cancel flag of one computation, looked at from its loops."""

    __slots__ = ("deadline", "budget", "cancelled", "evals")

    def __init__(self, deadline: float | None = None, budget: float = 0.0,
                 cancelled: Callable[[], bool] | None = None):
        self.deadline, self.budget, self.cancelled = deadline, budget, cancelled
        self.evals = 0

    def check(self) -> None:
        """Raise Cancelled or ComputationTimeout when it is time to stop."""
        if self.cancelled is not None and self.cancelled():
            raise Cancelled()
        if self.deadline is not None and time.monotonic() > self.deadline:
            raise ComputationTimeout(self.budget)

    def guard(self, closure: Callable, every: int = CLOCK_EVERY_EVAL) -> Callable:
        """`closure`, looking at the clock every `every` calls: one optimizer step that
        evaluates the surface many times is cut like a long loop is."""
        if self.deadline is None and self.cancelled is None:
            return closure

        def guarded(*args):
            self.evals += 1
            if self.evals % every == 0:
                self.check()
            return closure(*args)

        return guarded
