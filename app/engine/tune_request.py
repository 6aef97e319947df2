"""The request of POST /api/v1/tune: a run request (the scene) plus what to tune for.

What depends on the runs (which can be tuned, whether the surface has a minimum to reach)
is checked by `tune.plan`, before any work."""

from __future__ import annotations

from typing import Literal, Optional

from pydantic import ConfigDict, Field, StrictInt, field_validator, model_validator
from pydantic_core import PydanticCustomError

from ..config import env_name, settings
from .request import FiniteFloat, RunRequest

OBJECTIVES = ("final_loss", "steps")


def _limit(what: str, n: int, setting: str) -> PydanticCustomError:
    return PydanticCustomError("limit", "{what}: {n} is over the limit of {limit} ({env})",
                               {"what": what, "n": n, "limit": getattr(settings(), setting),
                                "env": env_name(setting)})


class TuneRequest(RunRequest):
    """The body of POST /api/v1/tune: the scene of POST /api/v1/run, each run's lr to be
    found on a log grid around its PyTorch default, then the race at the best ones."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "surface": "rosenbrock", "steps": 500, "objective": "final_loss", "n": 64,
        "runs": [{"optimizer": "sgd", "params": {"momentum": 0.9}},
                 {"optimizer": "adam"}, {"optimizer": "rmsprop"}]}]})

    objective: Literal[OBJECTIVES] = Field(  # type: ignore[valid-type]
        "final_loss", description="final_loss: the loss at the run's last finite point "
        "(a run that diverges loses); steps: the steps it takes to come within tol of a "
        "minimum of the surface (ties: the lower final loss)")
    n: StrictInt = Field(64, ge=4, description="lr values per run (≤ max_tune_n); runs "
                         "tuned one run at a time (lbfgs; groups, zero_grad, events) take "
                         "a quarter of them (at least 8, at most n)")
    tol: Optional[FiniteFloat] = Field(
        None, gt=0, description="objective steps: a run has reached a minimum when it "
        "comes this close (Euclidean); default 0.001 × the larger side of the surface's "
        "domain, as in maps")

    @field_validator("n")
    @classmethod
    def _n_limit(cls, v: int) -> int:
        if v > settings().max_tune_n:
            raise _limit("n", v, "max_tune_n")
        return v

    @model_validator(mode="after")
    def _work_limit(self):
        total = len(self.runs) * self.steps
        if total > settings().max_tune_steps:
            raise _limit("runs × steps", total, "max_tune_steps")
        return self
