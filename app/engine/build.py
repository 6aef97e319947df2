"""A run as torch builds it: `torch.optim.<Class>(params, **kw)` and its scheduler, with
PyTorch's refusals as RequestErrors at the request's field."""

from __future__ import annotations

from dataclasses import dataclass, field

from .errors import RequestError
from .optim import REGISTRY as OPTIMIZERS
from .optim.base import HyperparameterError, Optimizer
from .sched import build_scheduler


@dataclass
class RunSpec:
    """One entry of the request's `runs`, after schema validation."""

    optimizer: str
    params: dict = field(default_factory=dict)
    scheduler: dict | None = None
    noise: dict | None = None
    label: str | None = None
    color: str | None = None
    groups: dict | None = None          # {"x": {...}, "y": {...}}: a param group per coordinate
    zero_grad: str = "every_step"       # or "never": .grad is never cleared
    events: list | None = None          # [{"at", "params", "state"}]: changes of course


def build_optimizer(name: str, params: dict, loc: tuple) -> Optimizer:
    """torch.optim.<Class>(**params), with torch's refusals as RequestErrors at `loc`."""
    cls = OPTIMIZERS.get(name)
    if cls is None:
        raise RequestError((*loc, "optimizer"), f"unknown optimizer '{name}'; "
                           f"known: {', '.join(sorted(OPTIMIZERS))}")
    try:
        return cls(**params)
    except HyperparameterError as e:
        raise RequestError((*loc, "params", e.name), e.message) from None
    except (TypeError, ValueError) as e:
        raise RequestError((*loc, "params"), str(e)) from None


def attach_scheduler(spec: dict | None, opt: Optimizer, loc: tuple, steps: int | None = None):
    """torch.optim.lr_scheduler.<name>(opt, ...); with `steps`, a schedule that PyTorch
    could not run that long (OneCycleLR past total_steps, ...) is refused up front."""
    if spec is None:
        return None
    try:
        return build_scheduler(spec, opt, steps=steps)
    except HyperparameterError as e:
        field_loc = ("name",) if e.name == "name" else ("params", e.name)
        raise RequestError((*loc, "scheduler", *field_loc), e.message) from None
    except KeyError as e:
        raise RequestError((*loc, "scheduler", "name"), f"unknown scheduler {e}") from None
    except (TypeError, ValueError) as e:
        raise RequestError((*loc, "scheduler"), str(e)) from None
