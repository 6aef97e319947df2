"""An optimizer's update rule, written once and run two ways.

    @rule(per_coordinate=("exp_avg", "exp_avg_sq"), initial={"step": 0.0})
    def adam(ops, group, p, g, step, exp_avg, exp_avg_sq):
        ...                                  # torch's _single_tensor_adam, the math alone
        return p, step, exp_avg, exp_avg_sq

The arguments after `g` are the optimizer's state under torch's `state_dict()` names, in
torch's order; the rule returns the parameter and the new state.  `initial` gives what an
entry holds before the first step (None, the default: torch has not created it yet; the
rule creates it, as torch does; a Default: the optimizer's constructor argument).  Entries named in `per_coordinate` hold one value per
coordinate of the parameter (exp_avg); the others one value per parameter (step).

- `rule.on_arrays(group, p, g, state)`: p and g of shape (B, n), state a dict (entries
  torch has not made yet are absent, as in torch's `state`); the rule as written, with
  ops.ARRAY (maps, and the step a float step could not take).
- `rule.on_floats(n)`: the same rule lowered to Python floats for a parameter of n
  coordinates (lowering.py), with `retry`, the step taken on (1, n) arrays when Python
  raises where IEEE arithmetic answers (1 / 0.0): the same bits either way.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from . import ops as _ops
from .lowering import lower


class Default(str):
    """An initial state value taken from the optimizer's constructor arguments (torch's
    `defaults`), not from a param group: Adagrad fills `sum` in its __init__ from its own
    `initial_accumulator_value`, whatever a param group says."""


@dataclass
class FloatProgram:
    """A rule on one run's n coordinates in Python floats: `step(group, p__0.., g__0..,
    state) -> (p__0.., state)`; `state` is a flat tuple (see `layout`).  `defaults`: the
    constructor arguments of the optimizer it serves (for Default initial values)."""

    rule: "Rule"
    n: int
    step: Callable
    layout: dict[str, slice] = field(default_factory=dict)
    defaults: dict = field(default_factory=dict)

    def initial(self) -> tuple:
        out: list = []
        for name in self.rule.state:
            value = self.rule.initial_value(name, self.defaults)
            out.extend([value] * (self.layout[name].stop - self.layout[name].start))
        return tuple(out)

    def get(self, state: tuple, name: str) -> Any:
        """Entry `name` as a number, a list of n numbers, or None."""
        values = state[self.layout[name]]
        if name not in self.rule.per_coordinate:
            return values[0]
        return None if values[0] is None else list(values)

    def put(self, state: tuple, name: str, value: Any) -> tuple:
        """`state` with entry `name` replaced by `value` (as `get` gives it)."""
        where = self.layout[name]
        width = where.stop - where.start
        values = [value] if width == 1 and name not in self.rule.per_coordinate else (
            [None] * width if value is None else list(value))
        return state[:where.start] + tuple(values) + state[where.stop:]

    def retry(self, group: dict, p: tuple, g: tuple, state: tuple) -> tuple:
        """The step that raised in floats, on (1, n) arrays: (new p as a tuple, state)."""
        arrays = {}
        for name in self.rule.state:
            v = self.get(state, name)
            arrays[name] = np.array([v], dtype=np.float64) if isinstance(v, list) else v
        pa = np.array([p], dtype=np.float64)
        with np.errstate(all="ignore"):
            pa = self.rule.on_arrays(group, pa, np.array([g], dtype=np.float64), arrays)
        flat: list = []
        for name in self.rule.state:
            v = arrays[name]
            if isinstance(v, np.ndarray) and name in self.rule.per_coordinate:
                flat.extend(v[0].tolist())
            elif isinstance(v, np.ndarray):
                flat.append(float(v.reshape(-1)[0]))
            elif v is None and name in self.rule.per_coordinate:
                flat.extend([None] * self.n)
            else:
                flat.append(v)
        return tuple(pa[0].tolist()), tuple(flat)


class Rule:
    """An update rule (see the module doc)."""

    def __init__(self, fn: Callable, per_coordinate: tuple[str, ...], initial: dict):
        self.fn = fn
        self.name = fn.__name__
        self.state = tuple(inspect.signature(fn).parameters)[4:]
        self.per_coordinate = frozenset(per_coordinate)
        unknown = (self.per_coordinate | set(initial)) - set(self.state)
        if unknown:
            raise TypeError(f"rule {self.name}: not in its state: {sorted(unknown)}")
        self.initial = dict(initial)
        self._lowered: dict[int, tuple] = {}

    def __repr__(self) -> str:
        return f"<rule {self.name}>"

    # -- arrays --------------------------------------------------------------------------
    def initial_value(self, name: str, defaults: dict) -> Any:
        value = self.initial.get(name)
        return defaults[value] if isinstance(value, Default) else value

    def init(self, p: np.ndarray, defaults: dict) -> dict:
        """State before the first step, for parameters p of shape (B, n)."""
        state = {}
        for name in self.initial:
            v = self.initial_value(name, defaults)
            state[name] = _ops._full_like(p, v) if name in self.per_coordinate else v
        return state

    def on_arrays(self, group: dict, p: np.ndarray, g: np.ndarray, state: dict) -> np.ndarray:
        """One step on (B, n) arrays; `state` is updated, the new p returned (it may be p
        itself, updated in place)."""
        out = self.fn(_ops.ARRAY, group, p, g, *(state.get(name) for name in self.state))
        for name, value in zip(self.state, out[1:]):
            if value is not None:           # like torch's state: entries not made yet are absent
                state[name] = value
        return out[0]

    # -- floats --------------------------------------------------------------------------
    def on_floats(self, n: int, defaults: dict | None = None) -> FloatProgram:
        """The rule lowered for n coordinates (once per n), for an optimizer whose
        constructor arguments are `defaults`."""
        lowered = self._lowered.get(n)
        if lowered is None:
            step = lower(self.fn, self.state, self.per_coordinate, n)
            layout, at = {}, 0
            for name in self.state:
                width = n if name in self.per_coordinate else 1
                layout[name] = slice(at, at + width)
                at += width
            lowered = self._lowered[n] = (step, layout)
        return FloatProgram(self, n, lowered[0], lowered[1], defaults or {})


def rule(per_coordinate: tuple[str, ...] = (), initial: dict | None = None):
    """Declare an update rule (see the module doc)."""
    def wrap(fn: Callable) -> Rule:
        return Rule(fn, per_coordinate, initial or {})
    return wrap
