"""The one error type the engine raises for bad input: it names the field."""

from __future__ import annotations

from ..config import env_name


class RequestError(ValueError):
    """Bad input.  `loc` is the path to the field, as in FastAPI's 422 bodies
    (e.g. ("runs", 0, "params", "lr")); `msg` says what is wrong, in PyTorch's words
    where PyTorch has words for it."""

    def __init__(self, loc: tuple, msg: str, kind: str = "value_error", **extra):
        super().__init__(f"{'.'.join(map(str, loc))}: {msg}")
        self.loc = tuple(loc)
        self.msg = msg
        self.kind = kind
        self.extra = extra

    def detail(self) -> list[dict]:
        """FastAPI's 422 shape: [{"loc": [...], "msg": ..., "type": ...}]."""
        return [{"loc": ["body", *self.loc], "msg": self.msg, "type": self.kind, **self.extra}]


class ComputationTimeout(RuntimeError):
    """A computation ran past its wall-clock budget (seconds)."""

    def __init__(self, budget: float):
        super().__init__(f"the computation took longer than its budget of {budget:g} s "
                         f"({env_name('compute_budget_s')})")
        self.budget = budget


class Cancelled(RuntimeError):
    """A computation was cancelled by its caller (a newer request, a closed socket)."""
