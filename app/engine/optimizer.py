"""The optimizer object of one run, as a PyTorch user holds it.

    optimizer = torch.optim.Adam([{"params": [x], **groups["x"]},
                                  {"params": [y], **groups["y"]}], **params)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, ...)

Without `groups` the point is one parameter of two coordinates in one param group; with
them each coordinate is a parameter of its own, in its own group.  Every optimizer here
updates each parameter on its own (Adafactor's RMS is over one parameter), so a group is
one optimizer object over one coordinate, with a scheduler of its own: torch's
schedulers treat each group alone (ReduceLROnPlateau's shared decisions come from the
same metric), so that is what torch computes.

`events` change course between steps, as a training script does by hand: "keep" writes
the event's values into every param group (`for g in optimizer.param_groups: g[k] = v`);
"reset" builds the optimizer anew on the current point with the run's params as every
event so far has updated them (and the run's groups), its state empty again.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np

from .build import RunSpec, attach_scheduler, build_optimizer
from .errors import RequestError
from .hyper import HyperparameterError, per_group_values
from .optim.base import Optimizer
from .optim.ops import FLOAT_ERRORS
from .sched import REGISTRY as SCHEDULERS
from .sched.composite import nested_error

COORDINATES = ("x", "y")
NO_GROUPS = "LBFGS doesn't support per-parameter options (parameter groups)"
_INNER_KEY = re.compile(r"\(optimizer\.params\.(\w+)\)$")


class RunOptimizer:
    """torch.optim.<Class>(...) for one run, its scheduler(s), and its events.

    `parts`: the optimizer objects, one per param group (1, or 2 with groups); `groups`
    their param-group dicts, in torch's order (x's first)."""

    def __init__(self, spec: RunSpec, loc: tuple, steps: int):
        self.spec, self.loc, self.steps = spec, loc, steps
        self.params = dict(spec.params)
        self.grouped = spec.groups is not None
        self.parts = self._build(self.params)
        self.scheds = [s for s in (attach_scheduler(self._sched_spec(i), part, loc, steps)
                                   for i, part in enumerate(self.parts)) if s is not None]
        self.plateau = any(getattr(s, "needs_metric", False) for s in self.scheds)
        self.needs_closure = self.parts[0].needs_closure
        self.state_names = self.parts[0].state_names
        self.events = list(spec.events or [])
        self.check_events()

    # -- building ------------------------------------------------------------------------
    def _build(self, params: dict, where: tuple | None = None) -> list[Optimizer]:
        """The optimizer objects for `params`; a refusal is located at `where` (an
        event's params) or at the run's params, or at the group that set the value."""
        if not self.grouped:
            return [_located(self.spec.optimizer, params, self.loc, where)]
        name, parts = self.spec.optimizer, []
        for c in COORDINATES:
            own = self.spec.groups.get(c) or {}
            # the group's values, checked as the constructor checks its own ...
            checked = _located(name, merged(name, params, own), self.loc, where, group=(c, own))
            if checked.needs_closure:
                raise RequestError((*self.loc, "groups"), NO_GROUPS)
            # ... then written over the optimizer built with the run's params: torch's
            # defaults are the constructor's arguments (Adagrad fills its state from them)
            part = _located(name, params, self.loc, where)
            for key in own:
                part.group[key] = checked.group[key]
            parts.append(part)
        return parts

    def _sched_spec(self, i: int) -> dict | None:
        spec = self.spec.scheduler
        if spec is None or not self.grouped:
            return spec
        try:
            return _per_group(spec, i)
        except HyperparameterError as e:
            raise RequestError((*self.loc, "scheduler", "params", e.name), e.message) from None

    def check_events(self) -> None:
        """Every event's values, as the constructor checks them, before any work (their
        order and place in the run are RunRequest's to check)."""
        params = dict(self.params)
        for j, event in enumerate(self.spec.events or ()):
            params = merged(self.spec.optimizer, params, event["params"])
            self._build(params, where=(*self.loc, "events", j, "params"))

    # -- what a step reads and writes ------------------------------------------------------
    @property
    def groups(self) -> list[dict]:
        return [part.group for part in self.parts]

    def lrs(self) -> list[float]:
        return [lr_value(g["lr"]) for g in self.groups]

    def schedule(self, metric: float) -> None:
        for s in self.scheds:
            s.step(metric) if self.plateau else s.step()

    def event_at(self, done: int) -> dict | None:
        """The event that comes after `done` steps, if any."""
        return self.events[0] if self.events and self.events[0]["at"] == done else None

    def apply(self, event: dict) -> bool:
        """Change course; True when the optimizer was built anew (its state is empty)."""
        self.events.pop(0)
        self.params = merged(self.spec.optimizer, self.params, event["params"])
        if event.get("state", "keep") == "reset":
            self.parts = self._build(self.params)
            return True
        values = _located(self.spec.optimizer, self.params, self.loc, None).group
        for part in self.parts:
            for name in event["params"]:
                part.group[name] = values[name]
        return False

    # -- on floats -----------------------------------------------------------------------
    def float_program(self):
        """(program, its `group` argument): FloatProgram's interface for the point, or
        None when the optimizer has none (LBFGS)."""
        if not self.grouped:
            return self.parts[0].float_program(2), self.parts[0].group
        programs = [part.float_program(1) for part in self.parts]
        if any(p is None for p in programs):
            return None
        return GroupPrograms(*programs), tuple(self.groups)

    # -- on arrays -----------------------------------------------------------------------
    def init(self, p: np.ndarray):
        if not self.grouped:
            return self.parts[0].init(p)
        return [part.init(p[:, i:i + 1]) for i, part in enumerate(self.parts)]

    def step(self, p: np.ndarray, grad, state):
        if not self.grouped:
            return self.parts[0].step(p, grad, state)
        for i, part in enumerate(self.parts):
            part.step(p[:, i:i + 1], grad[:, i:i + 1], state[i])

    def state_entry(self, state, name: str) -> Any:
        """Entry `name` of the array state, as the answer shows it."""
        if not self.grouped:
            return state.get(name)
        return _across(self.parts[0].state_per_coordinate(name),
                       [s.get(name) for s in state])


class GroupPrograms:
    """Two param groups of one coordinate each, in Python floats, with FloatProgram's
    interface: `group` is (group_x, group_y), the state (state_x, state_y)."""

    def __init__(self, px, py):
        self.px, self.py = px, py

    def initial(self) -> tuple:
        return self.px.initial(), self.py.initial()

    def step(self, groups: tuple, x: float, y: float, gx: float, gy: float, state: tuple):
        (group_x, group_y), (sx, sy) = groups, state
        try:
            x, sx = self.px.step(group_x, x, gx, sx)
        except FLOAT_ERRORS:
            (x,), sx = self.px.retry(group_x, (x,), (gx,), sx)
        try:
            y, sy = self.py.step(group_y, y, gy, sy)
        except FLOAT_ERRORS:
            (y,), sy = self.py.retry(group_y, (y,), (gy,), sy)
        return x, y, (sx, sy)

    def retry(self, groups: tuple, p: tuple, g: tuple, state: tuple) -> tuple:
        """Never needed (`step` retries each group itself); here for the interface."""
        x, y, state = self.step(groups, *p, *g, state)
        return (x, y), state

    def get(self, state: tuple, name: str) -> Any:
        vx, vy = self.px.get(state[0], name), self.py.get(state[1], name)
        if isinstance(vx, list) or isinstance(vy, list):
            return _across(True, [vx, vy])
        return vx                         # a number per parameter: group x's


def _across(per_coordinate: bool, values: list) -> Any:
    """One entry over both groups: [x, y] per coordinate (None where a group has none),
    else group x's number."""
    if not per_coordinate:
        v = values[0]
        return float(np.asarray(v).reshape(-1)[0]) if isinstance(v, np.ndarray) else v
    if all(v is None for v in values):
        return None
    out = []
    for v in values:
        if v is None:
            out.append(None)
        else:
            out.append(float(np.asarray(v).reshape(-1)[0]))
    return out


def _located(name: str, params: dict, loc: tuple, where: tuple | None,
             group: tuple[str, dict] | None = None) -> Optimizer:
    """build_optimizer, its refusal located where the value came from: the group that set
    it, an event's params, or the run's params."""
    try:
        return build_optimizer(name, params, loc)
    except RequestError as e:
        key = e.loc[len(loc) + 1] if len(e.loc) > len(loc) + 1 else None
        inner = _INNER_KEY.search(e.msg) if key == "optimizer" else None
        if inner is not None and (group is not None and inner.group(1) in group[1]
                                  or where is not None):
            # Lookahead's groups and events set its inner optimizer's keywords
            key = inner.group(1)
            e.loc = (*loc, "params", key)
        if group is not None and key in group[1]:
            e.loc = (*loc, "groups", group[0], *e.loc[len(loc) + 1:])
        elif where is not None:
            e.loc = (*where, *e.loc[len(loc) + 1:])
        raise


def merged(optimizer: str, params: dict, values: dict) -> dict:
    """The run's params with `values` written over them: the keywords of the optimizer
    whose param groups they are (Lookahead's groups are its inner optimizer's)."""
    if optimizer != "lookahead":
        return {**params, **values}
    inner = dict(params.get("optimizer") or {"optimizer": "sgd"})
    inner["params"] = {**(inner.get("params") or {}), **values}
    return {**params, "optimizer": inner}


def _per_group(spec: dict, i: int) -> dict:
    """A scheduler spec for param group i: the keywords torch takes per param group (a
    number for both, or [x_value, y_value]) taken apart, nested schedulers too."""
    cls = SCHEDULERS.get(spec.get("name"))
    per_group = {h.name: h for h in cls.all_hypers() if h.per_group} if cls else {}
    params = {}
    for key, value in (spec.get("params") or {}).items():
        if key in per_group:
            value = per_group_values(per_group[key], value, len(COORDINATES))[i]
        elif key == "schedulers" and isinstance(value, list):
            value = [_child_per_group(j, child, i) for j, child in enumerate(value)]
        params[key] = value
    return {**spec, "params": params}


def _child_per_group(j: int, child: Any, i: int) -> Any:
    if not isinstance(child, dict):
        return child
    try:
        return _per_group(child, i)
    except HyperparameterError as e:
        raise nested_error(j, e) from None


def lr_value(lr) -> float:
    return lr if type(lr) is float else float(np.asarray(lr).reshape(-1)[0])
