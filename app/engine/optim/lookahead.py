r"""Lookahead, as pytorch_optimizer.Lookahead (pytorch-optimizer 4.1.0).

Lookahead wraps an inner optimizer (the "fast" weights) and keeps "slow" weights: every
step the inner optimizer steps theta (its own rule); every k-th step `sync` pulls theta
back towards the slow weights (slow + alpha (theta - slow)), and the slow weights become
theta.  pullback_momentum "pullback" does the same to the inner momentum_buffer, "reset"
zeroes it.  `Lookahead.rule_tex` is the rule typeset.

Like the library, the param group *is* the inner optimizer's: a scheduler changes the
inner lr.  The sync counter, which the library keeps in the param group, is kept in the
state here (all runs of a batch step in lockstep).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import _rules
from .base import REGISTRY, Hyper, HyperparameterError, Optimizer, register
from .ops import FLOAT_ERRORS
from .rule import FloatProgram, rule

_PULLBACK = ("none", "reset", "pullback")
_COUNTER = "lookahead_counter"


@rule(per_coordinate=("slow_params", "slow_momentum", "momentum_buffer"),
      initial={"slow_momentum": 0.0})
def sync(ops, group, p, g, slow_params, slow_momentum, momentum_buffer):
    weight = 1.0 - group["alpha"]
    p = ops.lerp(p, slow_params, weight)
    slow_params = ops.copy(p)
    if group["pullback_momentum"] == "pullback":
        if momentum_buffer is None:
            momentum_buffer = ops.zeros_like(p)
        momentum_buffer = ops.lerp(momentum_buffer, slow_momentum, weight)
        slow_momentum = ops.copy(momentum_buffer)
    elif group["pullback_momentum"] == "reset":
        momentum_buffer = ops.zeros_like(p)
    return p, slow_params, slow_momentum, momentum_buffer


@register
class Lookahead(Optimizer):
    """Lookahead (pytorch_optimizer.Lookahead): k steps forward, 1 step back."""

    id = "lookahead"
    torch_name = "Lookahead"
    family = "extra"
    implementation_flags = ()
    hypers = (
        Hyper("optimizer", "optimizer", {"optimizer": "sgd", "params": {}},
              "the inner (fast) optimizer: {\"optimizer\": id, \"params\": {...}}",
              doc_zh="内层（快速）优化器：{\"optimizer\": id, \"params\": {...}}"),
        Hyper("k", "int", 5, "number of inner steps between two syncs with the slow weights",
              low=1, ui=(1, 20),
              doc_zh="两次与慢权重同步之间，内层优化器走的步数",
              message="k must be positive"),
        Hyper("alpha", "float", 0.5,
              "interpolation factor at a sync: slow + alpha * (fast - slow)",
              low=0.0, high=1.0, high_open=True, ui=(0.0, 0.99),
              doc_zh="同步时的插值系数：新权重 = 慢权重 + alpha * (快权重 - 慢权重)",
              message="alpha must be in the range [0.0, 1.0)"),
        Hyper("pullback_momentum", "choice", "none",
              "what happens to the inner momentum_buffer at a sync: keep it (none), zero it "
              "(reset) or interpolate it like the weights (pullback)",
              choices=_PULLBACK,
              doc_zh="同步时如何处理内层优化器的 momentum_buffer：保持不变（none）、清零（reset），"
                     "或像权重一样插值（pullback）",
              message="pullback_momentum {value} must be one of ('none' or 'reset' or 'pullback')"),
    )
    state_names = ("slow_params", "slow_momentum")
    summary = ("Wraps another optimizer: lets it take k fast steps, then pulls the weights "
               "back part of the way towards where they were. Used to steady a fast "
               "optimizer (often with RAdam as Ranger) at little cost.")
    summary_zh = ("包装另一个优化器：先让它快走 k 步，再把权重往回拉向出发点的一部分。"
                  "用很小的代价让快速的优化器更稳定（与 RAdam 组合即 Ranger）。")

    rule_tex = (
        r"input: A\ (\texttt{optimizer}), k\ (\texttt{k}), \alpha\ (\texttt{alpha}), "
        r"\texttt{pullback_momentum}",
        r"initialize: \phi_0 \leftarrow \theta_0",
        r"state: \phi\ (\texttt{slow_params})",
        _rules.FOR,
        r"    \theta_t \leftarrow A(\theta_{t-1})",
        r"    if: t \bmod k = 0",
        r"        \theta_t \leftarrow \phi + \alpha (\theta_t - \phi)",
        r"        \phi \leftarrow \theta_t",
        _rules.RETURN,
    )
    rule_note = ("$A$ is the inner optimizer (its own rule applies to every step). "
                 "pullback_momentum = \"reset\" zeroes the inner momentum_buffer at each "
                 "synchronisation; \"pullback\" pulls it back like $\\theta$. A scheduler "
                 "changes the inner optimizer's lr.")
    rule_note_zh = ("$A$ 是内层优化器（每一步都按它自己的规则更新）。pullback_momentum = \"reset\" "
                    "时每次同步都把内层的 momentum_buffer 清零；\"pullback\" 时像 $\\theta$ 一样把它往回拉。"
                    "调度器改变的是内层优化器的 lr。")

    def __init__(self, **params: Any):
        super().__init__(**params)          # k, alpha, pullback_momentum, as the library
        self.own = own = self.group
        self.k = own["k"]
        inner = self.optimizer = _build_inner(own["optimizer"])
        self.group = inner.group            # the library's param_groups are the inner's
        self.defaults = {**inner.defaults, **own}   # the library merges the inner defaults
        self.needs_closure = inner.needs_closure
        names = tuple(inner.state_names) + ("slow_params",)
        if own["pullback_momentum"] == "pullback":
            names += ("slow_momentum",)
        self.state_names = names

    def init(self, p: np.ndarray) -> dict:
        state = self.optimizer.init(p)
        state["slow_params"] = p.copy()
        state["slow_momentum"] = np.zeros_like(p)
        state[_COUNTER] = 0
        return state

    def step(self, p: np.ndarray, grad, state: dict):
        loss = self.optimizer.step(p, grad, state)
        counter = state[_COUNTER] + 1
        if counter >= self.k:
            counter = 0
            p[...] = sync.on_arrays(self.own, p, None, state)
        state[_COUNTER] = counter
        return loss

    def state_per_coordinate(self, name: str) -> bool:
        return name in sync.per_coordinate or self.optimizer.state_per_coordinate(name)

    def float_program(self, n: int = 2) -> LookaheadFloats | None:
        inner = self.optimizer.float_program(n)
        return None if inner is None else LookaheadFloats(self, inner, n)


class LookaheadFloats:
    """Lookahead on one run's n coordinates in Python floats, with FloatProgram's
    interface: the inner optimizer's program every step, `sync` lowered alike every k.
    The state is (the inner's state, sync's state, the counter)."""

    def __init__(self, opt: Lookahead, inner: FloatProgram, n: int):
        self.inner, self.sync, self.n = inner, sync.on_floats(n, opt.own), n
        self.step = self._stepper(opt.own, opt.k, "momentum_buffer" in inner.layout
                                  and opt.own["pullback_momentum"] != "none")

    def initial(self) -> tuple:
        return self.inner.initial(), self.sync.initial(), 0

    def get(self, state: tuple, name: str) -> Any:
        if name in ("slow_params", "slow_momentum"):
            return self.sync.get(state[1], name)
        return self.inner.get(state[0], name)

    def _stepper(self, own_group: dict, k: int, buffer: bool):
        """The step for n coordinates, written out for them (no *args on the hot path)."""
        n = self.n
        P = ", ".join(f"p{i}" for i in range(n)) + ","
        G = ", ".join(f"g{i}" for i in range(n)) + ","
        source = f"""
def step(group, {P} {G} state):
    inner_state, own, counter = state
    if own[0] is None:                  # the slow weights start where the run starts
        own = slow.put(own, "slow_params", ({P}))
    try:
        {P} inner_state = inner.step(group, {P} {G} inner_state)
    except FLOAT_ERRORS:
        ({P}), inner_state = inner.retry(group, ({P}), ({G}), inner_state)
    counter += 1
    if counter < k:
        return {P} (inner_state, own, counter)
    if buffer:
        own = slow.put(own, "momentum_buffer", inner.get(inner_state, "momentum_buffer"))
    {P} own = slow.step(own_group, {P} {G} own)
    if buffer:
        inner_state = inner.put(inner_state, "momentum_buffer", slow.get(own, "momentum_buffer"))
    return {P} (inner_state, own, 0)
"""
        scope = {"inner": self.inner, "slow": self.sync, "k": k, "buffer": buffer,
                 "own_group": own_group, "FLOAT_ERRORS": FLOAT_ERRORS}
        exec(compile(source, f"<lookahead on {n} float coordinates>", "exec"), scope)
        return scope["step"]

    def retry(self, group: dict, p: tuple, g: tuple, state: tuple) -> tuple:
        """Never needed (`step` retries the inner step itself); here for the interface."""
        *p, state = self.step(group, *p, *g, state)
        return tuple(p), state


def _build_inner(spec: Any) -> Optimizer:
    """The inner optimizer from its run spec {"optimizer": id, "params": {...}}."""
    if hasattr(spec, "model_dump"):
        spec = spec.model_dump(exclude_unset=True)
    if not isinstance(spec, dict) or not isinstance(spec.get("optimizer"), str):
        raise HyperparameterError(
            "optimizer", "optimizer must be an object {\"optimizer\": id, \"params\": {...}}")
    unknown = set(spec) - {"optimizer", "params"}
    if unknown:
        raise HyperparameterError(
            "optimizer", f"optimizer: unexpected field(s) {', '.join(sorted(unknown))}")
    name = spec["optimizer"]
    if name == "lookahead":
        raise HyperparameterError("optimizer", "lookahead cannot wrap another lookahead")
    cls = REGISTRY.get(name)
    if cls is None:
        raise HyperparameterError(
            "optimizer", f"unknown optimizer '{name}'; known: "
                         f"{', '.join(sorted(i for i in REGISTRY if i != 'lookahead'))}")
    params = spec.get("params") or {}
    if not isinstance(params, dict):
        raise HyperparameterError("optimizer", "optimizer.params must be an object")
    try:
        return cls(**params)
    except HyperparameterError as e:
        raise HyperparameterError("optimizer", f"{e.message} (optimizer.params.{e.name})") from None
