"""The step loop of one run, in two forms that give the same bits: on (1, 2) arrays
(every optimizer) and on Python floats (the optimizer's rule lowered, optim/lowering.py).
It mirrors how a PyTorch user writes the loop, so paths match torch's:

    lr[k] = group["lr"]; optimizer.step(); scheduler.step(); loss, grad = f(p)

The gradient at the new point is computed together with its loss, and serves the next
step: one surface evaluation per step.  The first step whose point or loss is not finite
ends the run with status "diverged"; NaN and Infinity never leave this module.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from .fence import CLOCK_EVERY, Fence
from .optim.base import Optimizer
from .optim.ops import FLOAT_ERRORS

# How often (in steps) a streamed run sends the piece of path computed so far.
CHECK_EVERY = 128
# Gradient noise is drawn this many steps at a time by the float loop.
NOISE_BLOCK = 128


class Noise:
    """Seeded Gaussian gradient noise: N(0, std^2) per coordinate, per gradient evaluation.

    The same seed gives the same draws, whatever else the request holds."""

    def __init__(self, spec: dict | None):
        self.std = float(spec.get("std", 0.0)) if spec else 0.0
        self.rng = np.random.default_rng(int(spec.get("seed", 0))) if self.std > 0 else None

    def add(self, grad: np.ndarray) -> np.ndarray:
        if self.rng is None:
            return grad
        return grad + self.std * self.rng.standard_normal(grad.shape)


def finite_or_none(v: float) -> float | None:
    return v if math.isfinite(v) else None


def jsonable_state(value: Any) -> Any:
    """A state entry for one run as JSON: arrays become [x, y], non-finite numbers null."""
    if value is None:
        return None
    if isinstance(value, np.ndarray):
        if value.ndim == 0:
            return finite_or_none(float(value))
        row = value[0] if value.ndim > 1 else value
        out = row.tolist()
        if not np.isfinite(row).all():
            out = [finite_or_none(float(x)) for x in row]
        return out[0] if len(out) == 1 else out
    if isinstance(value, (list, tuple)):
        return [jsonable_state(v) for v in value]
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return finite_or_none(float(value))
    return value


def float_state(value: Any) -> Any:
    """jsonable_state for what a float program holds (a float, a pair of floats, None, an
    int), without its checks for arrays: a 2,000-step run's state is recorded 10,000 times."""
    kind = type(value)
    if kind is float:
        return value if math.isfinite(value) else None
    if kind is list and len(value) == 2:
        a, b = value
        if type(a) is float and type(b) is float:
            return [a if math.isfinite(a) else None, b if math.isfinite(b) else None]
    return jsonable_state(value)


@dataclass
class Trace:
    """What the step loop recorded: points, losses, lrs (and state, gradients)."""

    path: list            # [[x, y], ...]: the start, then the point after each step
    loss: list
    lrs: list
    status: str = "ok"
    states: dict = field(default_factory=dict)
    grads: list = field(default_factory=list)

    @property
    def done(self) -> int:
        return len(self.path) - 1


def _lr_value(lr) -> float:
    return lr if type(lr) is float else float(np.asarray(lr).reshape(-1)[0])


class Loop:
    """The step loop of one run, in two forms that give the same bits: on (1, 2) arrays
    (every optimizer) and on Python floats (those with a rule).  Each step:

        lr[k] = group["lr"]; optimizer.step(); scheduler.step(); loss, grad = f(p)

    """

    def __init__(self, formula, start, steps: int, noise: Noise, fence: Fence,
                 record_state: bool, on_chunk: Callable[[dict], None] | None):
        self.f = formula
        self.start = (float(start[0]), float(start[1]))
        self.steps = steps
        self.noise = noise
        self.fence = fence
        self.record_state = record_state
        self.on_chunk = on_chunk

    def _tick(self, path, loss, lrs, sent: int, done: int) -> int:
        """Every CLOCK_EVERY steps: the clock, the cancel flag, and every CHECK_EVERY
        steps the stream.  Returns the new `sent`."""
        self.fence.check()
        if done % CHECK_EVERY == 0:
            return self._stream(path, loss, lrs, sent, done)
        return sent

    def _stream(self, path, loss, lrs, sent: int, done: int, final: bool = False) -> int:
        """Send points sent..done-1 (..done when final) if the stream lacks them; the new
        `sent`."""
        end = done + 1 if final else done
        if self.on_chunk is not None:
            self.on_chunk(_chunk(path, loss, lrs, sent, end))
        return done

    def in_arrays(self, opt: Optimizer, sched) -> Trace:
        f, steps, noise, fence = self.f, self.steps, self.noise, self.fence
        record_state = self.record_state
        plateau = sched is not None and getattr(sched, "needs_metric", False)
        group = opt.group
        path = np.empty((steps + 1, 2))
        loss = np.empty(steps + 1)
        lrs: list[float] = []
        states: dict[str, list] = {name: [] for name in opt.state_names} if record_state else {}
        grads: list = []

        p = np.array([self.start], dtype=np.float64)
        state = opt.init(p)
        with np.errstate(all="ignore"):
            value, grad = f.value_and_grad(p)
        path[0] = p[0]
        loss[0] = value[0]
        fence.check()

        def closure(q: np.ndarray):
            v, g = f.value_and_grad(q)
            g = noise.add(g)
            if record_state and not grads_this_step:
                grads_this_step.append(g[0].tolist())
            return v, g

        closure = fence.guard(closure)

        done = 0
        status = "ok"
        sent = 0
        with np.errstate(all="ignore"):
            for k in range(steps):
                lrs.append(_lr_value(group["lr"]))
                if opt.needs_closure:
                    grads_this_step: list = []
                    opt.step(p, closure, state)
                    if record_state:
                        grads.append(grads_this_step[0] if grads_this_step else None)
                else:
                    g = noise.add(grad)
                    if record_state:
                        grads.append(g[0].tolist())
                    opt.step(p, g.copy() if g is grad else g, state)
                if sched is not None:
                    sched.step(float(loss[k])) if plateau else sched.step()
                value, grad = f.value_and_grad(p)
                if not (math.isfinite(p[0, 0]) and math.isfinite(p[0, 1])
                        and math.isfinite(value[0])):
                    status = "diverged"
                    lrs.pop()
                    if record_state:
                        grads.pop()
                    break
                path[k + 1] = p[0]
                loss[k + 1] = value[0]
                done = k + 1
                if record_state:
                    for name in opt.state_names:
                        states[name].append(jsonable_state(state.get(name)))
                if done % CLOCK_EVERY == 0:
                    sent = self._tick(path, loss, lrs, sent, done)

        self._stream(path, loss, lrs, sent, done, final=True)
        return Trace(path[: done + 1].tolist(), loss[: done + 1].tolist(), lrs, status,
                     states, grads)

    def in_floats(self, opt: Optimizer, program, sched) -> Trace:
        """The same loop on Python floats: the optimizer's rule lowered to floats
        (`program.step`) for `opt.step`, the formula's one-point evaluator for `f`, lists
        for the path.  A step that Python refuses (x / 0) is taken on arrays instead."""
        steps, fence, record_state = self.steps, self.fence, self.record_state
        plateau = sched is not None and getattr(sched, "needs_metric", False)
        group = opt.group
        names = opt.state_names
        step, retry, read = program.step, program.retry, program.get
        evaluate = self.f.value_and_grad_of_floats
        isfinite = math.isfinite
        rng, std = self.noise.rng, self.noise.std
        draws: list = []
        lrs: list[float] = []
        states: dict[str, list] = {name: [] for name in names} if record_state else {}
        grads: list = []

        x, y = self.start
        value, gx, gy = evaluate(x, y)
        path = [[x, y]]
        loss = [value]
        state = program.initial()
        fence.check()

        done = 0
        status = "ok"
        sent = 0
        with np.errstate(all="ignore"):   # NumPy scalars a scheduler may have put in the group
            for k in range(steps):
                lr = group["lr"]
                lrs.append(lr if type(lr) is float else _lr_value(lr))
                if rng is not None:
                    i = 2 * (k % NOISE_BLOCK)
                    if i == 0:       # the same numbers as one (1, 2) draw per step
                        draws = rng.standard_normal(2 * NOISE_BLOCK).tolist()
                    gx, gy = gx + std * draws[i], gy + std * draws[i + 1]
                if record_state:
                    grads.append([gx, gy])
                try:
                    x, y, state = step(group, x, y, gx, gy, state)
                except FLOAT_ERRORS:
                    (x, y), state = retry(group, (x, y), (gx, gy), state)
                if sched is not None:
                    sched.step(loss[k]) if plateau else sched.step()
                value, gx, gy = evaluate(x, y)
                if not (isfinite(x) and isfinite(y) and isfinite(value)):
                    status = "diverged"
                    lrs.pop()
                    if record_state:
                        grads.pop()
                    break
                path.append([x, y])
                loss.append(value)
                done = k + 1
                if record_state:
                    for name in names:
                        states[name].append(float_state(read(state, name)))
                if done % CLOCK_EVERY == 0:
                    sent = self._tick(path, loss, lrs, sent, done)

        self._stream(path, loss, lrs, sent, done, final=True)
        return Trace(path, loss, lrs, status, states, grads)


def _chunk(path, loss, lrs: list, first: int, end: int) -> dict:
    """Points first..end-1 of a growing path, their losses, and the lrs of the steps
    that start from them (the last point of a finished run starts no step)."""
    path, loss = path[first:end], loss[first:end]
    if isinstance(path, np.ndarray):
        path, loss = path.tolist(), loss.tolist()
    return {"start": first, "path": path, "loss": loss, "lr": lrs[first:end]}
