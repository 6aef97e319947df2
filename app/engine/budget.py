"""The budget of the computation this thread does for a request: its deadline and cancel
flag, for loops deep inside the engine that no caller hands a Fence to (a schedule
replayed when it is built, a divergence explained after the runs).

The server's worker gate (app/api/compute.py) runs each computation `within(fence)`;
`check()` then raises Cancelled or ComputationTimeout when it is time to stop, and does
nothing for a computation nobody fenced (a notebook, the CLI).
"""

from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar
from typing import Iterator

from .fence import Fence

_current: ContextVar[Fence | None] = ContextVar("optplay_fence", default=None)


@contextmanager
def within(fence: Fence) -> Iterator[Fence]:
    """Run the block as the computation `fence` bounds (nested blocks restore the outer)."""
    token = _current.set(fence)
    try:
        yield fence
    finally:
        _current.reset(token)


def current() -> Fence | None:
    """The fence of the computation this thread runs, or None."""
    return _current.get()


def check() -> None:
    """Raise Cancelled or ComputationTimeout if the current computation must stop."""
    fence = _current.get()
    if fence is not None:
        fence.check()
