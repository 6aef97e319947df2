"""One run of a scene: one optimizer (and scheduler) from one start, its answer.

`run_one` builds the run as torch would (build.py), steps it (loop.py: in Python floats
when the optimizer has a rule, else on arrays) and shapes its part of the API answer.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from .build import RunSpec
from .fence import Fence
from .loop import Loop, Noise, Pacer, full_data_losses
from .optimizer import RunOptimizer
from .surfaces import Surface, escaped_at


def run_one(surface: Surface, start: tuple[float, float], steps: int, spec: RunSpec, *,
            loc: tuple = ("runs", 0), record_state: bool = False,
            deadline: float | None = None, budget: float = 0.0,
            cancelled: Callable[[], bool] | None = None,
            on_chunk: Callable[[dict], None] | None = None, fast: bool = True,
            batches=None, pacer: Pacer | None = None) -> dict:
    """Run one optimizer for `steps` steps from `start` on `surface`.

    Returns the run's part of the API answer.  `on_chunk({"start", "path", "loss", "lr"})`
    is called as the path grows (when `pacer`, shared by a request's runs, says a piece
    is due, looked at every CHECK_EVERY steps; and at the end), for streaming;
    `cancelled()` and `deadline` (time.monotonic()) are looked at every CLOCK_EVERY steps
    and every CLOCK_EVERY_EVAL evaluations within a step.  An optimizer with a rule
    steps in Python floats (the same bits as its array code, several times faster);
    `fast=False` makes every optimizer step (1, 2) arrays.  `batches`: a surface from
    data's mini-batches (data.StepBatches), or None (every step sees all the data).
    """
    ropt = RunOptimizer(spec, loc, steps)
    fence = Fence(deadline, budget, cancelled)
    loop = Loop(surface.formula, start, steps, Noise(spec.noise), fence, record_state, on_chunk,
                zero_grad=spec.zero_grad, batches=batches, pacer=pacer)
    program = ropt.float_program() if fast and _plain(ropt.groups) else None
    if program is not None and program[0] is not None:
        trace = loop.in_floats(ropt, *program)
    else:
        trace = loop.in_arrays(ropt)
    batch_loss = full_data_losses(trace, surface.formula, fence, batches is not None) \
        if loop.data else None

    out: dict[str, Any] = {"optimizer": spec.optimizer, "status": trace.status,
                           "steps_done": trace.done, "path": trace.path, "loss": trace.loss,
                           "lr": trace.lrs}
    if trace.group_lrs is not None:
        out["lrs"] = trace.group_lrs
    if batch_loss is not None:
        out["batch_loss"] = batch_loss
    escaped = escaped_at(trace.path, surface.domain)
    if escaped is not None:
        out["escaped_at"] = escaped
    if spec.label is not None:
        out["label"] = spec.label
    if spec.color is not None:
        out["color"] = spec.color
    if record_state:
        out["state"] = trace.states
        out["grad"] = trace.grads
        if trace.evals is not None:
            out["evals"] = trace.evals
    return out


def _plain(groups: list[dict]) -> bool:
    """No (B, 1) sweep arrays among the groups' values (maps put them there, not runs)."""
    return not any(isinstance(v, np.ndarray) for group in groups for v in group.values())
