"""torch.optim.lr_scheduler (PyTorch 2.13) in plain Python/NumPy, exact to the last bit.

Every standalone scheduler class of torch is here, under its class name:
StepLR, MultiStepLR, ConstantLR, LinearLR, ExponentialLR, PolynomialLR,
CosineAnnealingLR, CosineAnnealingWarmRestarts, CyclicLR, OneCycleLR,
ReduceLROnPlateau, and the nested SequentialLR and ChainedScheduler (children as
{"name", "params"} specs, built in list order on the same optimizer, as in torch).

Left out: LambdaLR and MultiplicativeLR, whose only parameter is a Python callable
(lr_lambda), and CyclicLR's callable scale_fn — a request carries data, never code.
The `last_epoch` keyword (for resuming from a checkpoint) is accepted with torch's
behaviour but not listed in the catalogue; ChainedScheduler's `optimizer` keyword is
implied.

    from app.engine.sched import build_scheduler
    sched = build_scheduler({"name": "StepLR", "params": {"step_size": 30}}, opt, steps=200)
    for k in range(200):
        lr = opt.group["lr"]; opt.step(p, grad, state); sched.step()
    # ReduceLROnPlateau (sched.needs_metric): sched.step(loss)
"""

from __future__ import annotations

from . import composite, cosine, cyclic, linear, plateau, step  # noqa: F401  (registration)
from .base import REGISTRY, ScheduleError, Scheduler, build_scheduler, check_steps

# Catalogue order: simple decays, fixed-length shapes, cosine, cyclic, adaptive, composite.
ORDER = ("StepLR", "MultiStepLR", "ExponentialLR", "ConstantLR", "LinearLR", "PolynomialLR",
         "CosineAnnealingLR", "CosineAnnealingWarmRestarts", "CyclicLR", "OneCycleLR",
         "ReduceLROnPlateau", "SequentialLR", "ChainedScheduler")
_ordered = {n: REGISTRY[n] for n in ORDER}
_ordered.update({n: c for n, c in REGISTRY.items() if n not in _ordered})
REGISTRY.clear()
REGISTRY.update(_ordered)
del _ordered


def catalogue() -> list[dict]:
    """What GET /api/v1/schedulers lists: id, name, doc, doc_zh, rule, params."""
    return [cls.catalogue() for cls in REGISTRY.values()]


__all__ = ["REGISTRY", "Scheduler", "ScheduleError", "build_scheduler", "catalogue",
           "check_steps"]
