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
import time
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from .fence import CLOCK_EVERY, Fence
from .optim.ops import FLOAT_ERRORS
from .optimizer import RunOptimizer, lr_value

# A streamed run looks every CHECK_EVERY steps whether a piece is due (Pacer), and if so
# sends the path computed since; the rest goes at its end.
CHECK_EVERY = 128
STREAM_EVERY_S = 0.016
# Gradient noise is drawn this many steps at a time by the float loop.
NOISE_BLOCK = 128


class Pacer:
    """When the next streamed piece of a request is due: the first at once (the page has
    something to draw), then once a frame at most (STREAM_EVERY_S: the page paints no
    more often), over all the request's runs.  A request computed within a frame goes in
    a message per run; a long one as it goes.  (Every message costs the socket's
    compression and the page a task of its own: 4 x 1000 steps went in 33.)"""

    def __init__(self) -> None:
        self.next = 0.0

    def due(self) -> bool:
        return time.monotonic() >= self.next

    def sent(self) -> None:
        self.next = time.monotonic() + STREAM_EVERY_S


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
    group_lrs: list | None = None      # [[lr_x, lr_y], ...] with param groups
    evals: list | None = None          # LBFGS: the closure's points, per step

    @property
    def done(self) -> int:
        return len(self.path) - 1


class Loop:
    """The step loop of one run, in two forms that give the same bits: on (1, 2) arrays
    (every optimizer) and on Python floats (those with a rule).  Each step, as a
    training script writes it:

        lr[k] = group["lr"]; [event at k]; optimizer.step(); scheduler.step(); loss, grad = f(p)

    With `zero_grad="never"` `.grad` is never cleared: each backward adds to it, so step
    k + 1 sees the sum of the gradients at path[0..k] (LBFGS: every evaluation inside
    its steps adds too).
    """

    def __init__(self, formula, start, steps: int, noise: Noise, fence: Fence,
                 record_state: bool, on_chunk: Callable[[dict], None] | None,
                 zero_grad: str = "every_step", batches=None, pacer: Pacer | None = None):
        self.f = formula
        # A surface from data with mini-batches (data.StepBatches): step k's gradient is
        # its batch's, at the point the step starts from; what the loop records as the
        # loss is then that batch's loss, and the full-data loss along the path is
        # computed in bulk (`batch_losses`).
        self.batches = batches
        self.data = hasattr(formula, "losses_along")       # a surface from data
        self.start = (float(start[0]), float(start[1]))
        self.steps = steps
        self.noise = noise
        self.fence = fence
        self.record_state = record_state
        self.on_chunk = on_chunk
        self.accumulate = zero_grad == "never"
        self.group_lrs: list | None = None
        self.pacer = pacer or Pacer()

    def _tick(self, path, loss, lrs, sent: int, done: int) -> int:
        """Every CLOCK_EVERY steps: the clock, the cancel flag, and every CHECK_EVERY
        steps the stream, when it is due.  Returns the new `sent`."""
        self.fence.check()
        if done % CHECK_EVERY == 0 and self.on_chunk is not None and self.pacer.due():
            return self._stream(path, loss, lrs, sent, done)
        return sent

    def _stream(self, path, loss, lrs, sent: int, done: int, final: bool = False) -> int:
        """Send points sent..done-1 (..done when final) if the stream lacks them; the new
        `sent`."""
        end = done + 1 if final else done
        if self.on_chunk is not None:
            chunk = _chunk(path, loss, lrs, sent, end)
            if self.group_lrs is not None:
                chunk["lrs"] = self.group_lrs[sent:end]
            if self.data:
                # the batch loss of the steps that start here; the full-data loss
                chunk["batch_loss"] = chunk["loss"][:min(end, done) - sent]
                if self.batches is not None:
                    chunk["loss"] = self.f.losses_along(np.array(chunk["path"]),
                                                        check=self.fence.check).tolist()
            self.on_chunk(chunk)
            self.pacer.sent()
        return done

    def in_arrays(self, ropt: RunOptimizer) -> Trace:
        f, steps, noise, fence = self.f, self.steps, self.noise, self.fence
        record_state, accumulate = self.record_state, self.accumulate
        path = np.empty((steps + 1, 2))
        loss = np.empty(steps + 1)
        lrs: list[float] = []
        group_lrs = self.group_lrs = [] if ropt.grouped else None
        names = ropt.state_names
        states: dict[str, list] = {name: [] for name in names} if record_state else {}
        grads: list = []
        evals: list | None = [] if record_state and ropt.needs_closure else None
        acc: list = [None]                    # .grad when it is never cleared

        p = np.array([self.start], dtype=np.float64)
        state = ropt.init(p)
        batches = self.batches
        at = [0]                               # the step being taken (its batch)

        def evaluate(q: np.ndarray, k: int):
            return f.value_and_grad(q) if batches is None else batches.value_and_grad(q, k)

        with np.errstate(all="ignore"):
            value, grad = evaluate(p, 0)
        path[0] = p[0]
        loss[0] = value[0]
        fence.check()

        def backward(g: np.ndarray) -> np.ndarray:
            """What .grad holds after a backward that computed g (added to what it held
            when it is never cleared), and the gradient noise added to it."""
            if accumulate and acc[0] is not None:
                g = acc[0] + g
            g = noise.add(g)
            if accumulate:
                acc[0] = g
            return g

        def closure(q: np.ndarray):
            v, g = evaluate(q, at[0])           # one step(closure): one batch
            g = backward(g)
            if record_state and not grads_this_step:
                grads_this_step.append(g[0].tolist())
            if evals is not None:
                evals[-1].append(q[0].tolist())
            return v, g.copy()

        closure = fence.guard(closure)

        done = 0
        status = "ok"
        sent = 0
        with np.errstate(all="ignore"):
            for k in range(steps):
                event = ropt.event_at(k)
                if event is not None and ropt.apply(event):
                    state = ropt.init(p)
                lrs.append(lr_value(ropt.groups[0]["lr"]))
                if group_lrs is not None:
                    group_lrs.append(ropt.lrs())
                at[0] = k
                if ropt.needs_closure:
                    grads_this_step: list = []
                    if evals is not None:
                        evals.append([])
                    ropt.step(p, closure, state)
                    if record_state:
                        grads.append(grads_this_step[0] if grads_this_step else None)
                else:
                    g = backward(grad)
                    if record_state:
                        grads.append(g[0].tolist())
                    ropt.step(p, g, state)
                ropt.schedule(float(loss[k]))
                value, grad = evaluate(p, k + 1)
                if not (math.isfinite(p[0, 0]) and math.isfinite(p[0, 1])
                        and math.isfinite(value[0])):
                    status = "diverged"
                    _undo_last(lrs, group_lrs, grads if record_state else None, evals)
                    break
                path[k + 1] = p[0]
                loss[k + 1] = value[0]
                done = k + 1
                if record_state:
                    for name in names:
                        states[name].append(jsonable_state(ropt.state_entry(state, name)))
                if done % CLOCK_EVERY == 0:
                    sent = self._tick(path, loss, lrs, sent, done)

        self._stream(path, loss, lrs, sent, done, final=True)
        return Trace(path[: done + 1].tolist(), loss[: done + 1].tolist(), lrs, status,
                     states, grads, group_lrs, evals)

    def in_floats(self, ropt: RunOptimizer, program, group_arg) -> Trace:
        """The same loop on Python floats: the optimizer's rule lowered to floats
        (`program.step`) for `optimizer.step`, the formula's one-point evaluator for `f`,
        lists for the path.  A step that Python refuses (x / 0) is taken on arrays."""
        steps, fence, record_state = self.steps, self.fence, self.record_state
        accumulate = self.accumulate
        group = ropt.groups[0]
        names = ropt.state_names
        step, retry, read = program.step, program.retry, program.get
        evaluate = self.f.value_and_grad_of_floats
        isfinite = math.isfinite
        rng, std = self.noise.rng, self.noise.std
        draws: list = []
        lrs: list[float] = []
        group_lrs = self.group_lrs = [] if ropt.grouped else None
        states: dict[str, list] = {name: [] for name in names} if record_state else {}
        grads: list = []
        next_event = ropt.events[0]["at"] if ropt.events else -1
        # Per step, only what the run uses (a call per step costs ~5% of an SGD path).
        schedule = ropt.schedule if ropt.scheds else None

        stepwise = self.batches.value_and_grad_of_floats if self.batches is not None else None
        x, y = self.start
        value, gx, gy = evaluate(x, y) if stepwise is None else stepwise(x, y, 0)
        path = [[x, y]]
        loss = [value]
        state = program.initial()
        ax = ay = 0.0                     # .grad, when it is never cleared
        fence.check()

        done = 0
        status = "ok"
        sent = 0
        with np.errstate(all="ignore"):   # NumPy scalars a scheduler may have put in the group
            for k in range(steps):
                if k == next_event:
                    if ropt.apply(ropt.events[0]):
                        program, group_arg = ropt.float_program()
                        step, retry, read = program.step, program.retry, program.get
                        state = program.initial()
                        group = ropt.groups[0]
                    next_event = ropt.events[0]["at"] if ropt.events else -1
                lr = group["lr"]
                lrs.append(lr if type(lr) is float else lr_value(lr))
                if group_lrs is not None:
                    group_lrs.append(ropt.lrs())
                if accumulate and k:        # .grad never cleared: this backward adds to it
                    gx, gy = ax + gx, ay + gy
                if rng is not None:
                    i = 2 * (k % NOISE_BLOCK)
                    if i == 0:       # the same numbers as one (1, 2) draw per step
                        draws = rng.standard_normal(2 * NOISE_BLOCK).tolist()
                    gx, gy = gx + std * draws[i], gy + std * draws[i + 1]
                if accumulate:
                    ax, ay = gx, gy
                if record_state:
                    grads.append([gx, gy])
                try:
                    x, y, state = step(group_arg, x, y, gx, gy, state)
                except FLOAT_ERRORS:
                    (x, y), state = retry(group_arg, (x, y), (gx, gy), state)
                if schedule is not None:
                    schedule(loss[k])
                if stepwise is None:
                    value, gx, gy = evaluate(x, y)
                else:
                    value, gx, gy = stepwise(x, y, k + 1)
                if not (isfinite(x) and isfinite(y) and isfinite(value)):
                    status = "diverged"
                    _undo_last(lrs, group_lrs, grads if record_state else None, None)
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
        return Trace(path, loss, lrs, status, states, grads, group_lrs)


def full_data_losses(trace: Trace, objective, fence: Fence, batched: bool) -> list:
    """A run on a surface from data: its `batch_loss` (the loss of each step's batch at
    the point the step started from), with `trace.loss` the full-data loss along the path
    (computed in bulk: the loop evaluated batches only).  The first point whose full-data
    loss is not finite ends the run there, as the loop ends it on a formula."""
    done = trace.done
    batch_loss = trace.loss[:done]
    if not batched:
        return batch_loss
    full = objective.losses_along(np.array(trace.path), check=fence.check)
    bad = np.flatnonzero(~np.isfinite(full[1:]))     # the start's was checked finite
    if bad.size:
        keep = int(bad[0])                  # the last point with a finite loss
        trace.status = "diverged"
        del trace.path[keep + 1:]
        for recorded in (trace.lrs, trace.grads, trace.group_lrs, trace.evals, batch_loss,
                         *trace.states.values()):
            if recorded is not None:
                del recorded[keep:]
        full = full[:keep + 1]
    trace.loss = full.tolist()
    return batch_loss


def _undo_last(lrs: list, group_lrs: list | None, grads: list | None, evals: list | None):
    """A diverged step is not listed: its lr, gradient and evaluations go."""
    lrs.pop()
    for recorded in (group_lrs, grads, evals):
        if recorded:
            recorded.pop()


def whole_chunk(run: dict) -> dict:
    """A finished run's answer (runner.run_one's) as one streamed piece: what the pieces
    of its stream add up to."""
    chunk = {"start": 0, "path": run["path"], "loss": run["loss"], "lr": run["lr"]}
    for key in ("lrs", "batch_loss"):
        if key in run:
            chunk[key] = run[key]
    return chunk


def _chunk(path, loss, lrs: list, first: int, end: int) -> dict:
    """Points first..end-1 of a growing path, their losses, and the lrs of the steps
    that start from them (the last point of a finished run starts no step)."""
    path, loss = path[first:end], loss[first:end]
    if isinstance(path, np.ndarray):
        path, loss = path.tolist(), loss.tolist()
    return {"start": first, "path": path, "loss": loss, "lr": lrs[first:end]}
