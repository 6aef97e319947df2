r"""Lookahead, as pytorch_optimizer.Lookahead (pytorch-optimizer 4.1.0).

Lookahead wraps an inner optimizer (the "fast" weights) and keeps "slow" weights:

    input: optimizer (the inner run: {"optimizer": id, "params": {...}}), k, alpha,
           pullback_momentum ("none", "reset" or "pullback")
    state: the inner optimizer's state, slow_params = theta_0
           (and slow_momentum = 0 with pullback_momentum = "pullback")

    every step:  the inner optimizer steps theta
    every k-th step:
        theta       = lerp(theta, slow_params, 1 - alpha)     = slow + alpha (theta - slow)
        slow_params = theta
        "pullback": momentum_buffer = lerp(momentum_buffer, slow_momentum, 1 - alpha),
                    slow_momentum = momentum_buffer
        "reset":    momentum_buffer = 0

Like the library, the param group *is* the inner optimizer's: a scheduler changes the
inner lr.  The sync counter, which the library keeps in the param group, is kept in the
state here (all runs of a batch step in lockstep).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import _checks, _pyopt, _rules
from ._onerun import OneRun, lerp2
from .base import REGISTRY, Hyper, HyperparameterError, Optimizer, register

_PULLBACK = ("none", "reset", "pullback")
_COUNTER = "lookahead_counter"


@register
class Lookahead(Optimizer):
    r"""Lookahead (pytorch_optimizer.Lookahead): k steps forward, 1 step back.

    The inner optimizer moves the fast weights θ every step; every k steps
    θ ← φ + α·(θ − φ) (torch.lerp(θ, φ, 1 − α)), then the slow weights φ ← θ.
    pullback_momentum: "reset" zeroes the inner momentum_buffer at each sync; "pullback"
    interpolates it the same way towards its own slow copy.
    Defaults: k = 5, alpha = 0.5, pullback_momentum = "none".
    """

    id = "lookahead"
    torch_name = "Lookahead"
    family = "extra"
    accepts_implementation_flags = False
    hypers = (
        Hyper("optimizer", "optimizer", {"optimizer": "sgd", "params": {}},
              "the inner (fast) optimizer: {\"optimizer\": id, \"params\": {...}}",
              doc_zh="内层（快速）优化器：{\"optimizer\": id, \"params\": {...}}"),
        Hyper("k", "int", 5, "number of inner steps between two syncs with the slow weights",
              low=1, ui=(1, 20),
              doc_zh="两次与慢权重同步之间，内层优化器走的步数"),
        Hyper("alpha", "float", 0.5,
              "interpolation factor at a sync: slow + alpha * (fast - slow)",
              low=0.0, high=1.0, high_open=True, ui=(0.0, 0.99),
              doc_zh="同步时的插值系数：新权重 = 慢权重 + alpha * (快权重 - 慢权重)"),
        Hyper("pullback_momentum", "choice", "none",
              "what happens to the inner momentum_buffer at a sync: keep it (none), zero it "
              "(reset) or interpolate it like the weights (pullback)",
              choices=_PULLBACK,
              doc_zh="同步时如何处理内层优化器的 momentum_buffer：保持不变（none）、清零（reset），"
                     "或像权重一样插值（pullback）"),
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
        super().__init__(**params)          # validate() builds self.optimizer
        own = self.group
        self.k = own["k"]
        self.alpha = own["alpha"]
        self.pullback_momentum = own["pullback_momentum"]
        inner = self.optimizer
        self.group = inner.group            # the library's param_groups are the inner's
        self.needs_closure = inner.needs_closure
        names = tuple(inner.state_names) + ("slow_params",)
        if self.pullback_momentum == "pullback":
            names += ("slow_momentum",)
        self.state_names = names

    def validate(self, group: dict) -> None:
        _checks.integer(group, "k")
        _checks.number(group, "alpha")
        if group["k"] <= 0:
            raise HyperparameterError("k", "k must be positive")
        _pyopt.validate_range(group, "alpha", group["alpha"], "alpha", 0.0, 1.0)
        pullback = group["pullback_momentum"]
        _checks.choice(group, "pullback_momentum", _PULLBACK,
                       f"pullback_momentum {pullback} must be one of "
                       "('none' or 'reset' or 'pullback')")
        self.optimizer = _build_inner(group["optimizer"])

    def init(self, p: np.ndarray) -> dict:
        state = self.optimizer.init(p)
        state["slow_params"] = p.copy()
        if self.pullback_momentum == "pullback":
            state["slow_momentum"] = np.zeros_like(p)
        state[_COUNTER] = 0
        return state

    def step(self, p: np.ndarray, grad, state: dict):
        loss = self.optimizer.step(p, grad, state)
        counter = state[_COUNTER] + 1
        if counter >= self.k:
            counter = 0
            self._update(p, state)
        state[_COUNTER] = counter
        return loss

    def _update(self, p: np.ndarray, state: dict) -> None:
        weight = 1.0 - self.alpha
        slow = state["slow_params"]
        _pyopt.lerp_(p, slow, weight)
        np.copyto(slow, p)
        if self.pullback_momentum == "pullback":
            buf = state.get("momentum_buffer")
            if buf is None:
                buf = state["momentum_buffer"] = np.zeros_like(p)
            slow_momentum = state["slow_momentum"]
            _pyopt.lerp_(buf, slow_momentum, weight)
            np.copyto(slow_momentum, buf)
        elif self.pullback_momentum == "reset":
            state["momentum_buffer"] = np.zeros_like(p)

    def one_run(self) -> LookaheadRun | None:
        inner = self.optimizer.one_run()
        return None if inner is None else LookaheadRun(self, inner)


class LookaheadRun(OneRun):
    """`Lookahead.step` on one run in Python floats, over the inner optimizer's OneRun
    (see _onerun)."""

    STATE = {"slow_params": ("s0", "s1"), "slow_momentum": ("q0", "q1")}
    __slots__ = ("inner", "k", "alpha", "pullback", "s0", "s1", "q0", "q1", "counter")

    def __init__(self, opt: Lookahead, inner: OneRun):
        super().__init__(opt.group)
        self.inner = inner
        self.k, self.alpha, self.pullback = opt.k, opt.alpha, opt.pullback_momentum
        self.s0 = self.s1 = None            # the start, taken at the first step
        self.q0 = self.q1 = 0.0 if self.pullback == "pullback" else None
        self.counter = 0

    def get(self, name: str) -> Any:
        return super().get(name) if name in self.STATE else self.inner.get(name)

    def step(self, p0, p1, g0, g1):
        if self.s0 is None:
            self.s0, self.s1 = p0, p1
        p0, p1 = self.inner.step(p0, p1, g0, g1)
        counter = self.counter + 1
        if counter >= self.k:
            counter = 0
            weight = 1.0 - self.alpha
            p0, p1 = self.s0, self.s1 = lerp2(p0, p1, self.s0, self.s1, weight)
            if self.pullback == "pullback":
                buf = self.inner.get("momentum_buffer") or (0.0, 0.0)
                b0, b1 = self.q0, self.q1 = lerp2(buf[0], buf[1], self.q0, self.q1, weight)
                self.inner.set("momentum_buffer", [b0, b1])
            elif self.pullback == "reset":
                self.inner.set("momentum_buffer", [0.0, 0.0])
        self.counter = counter
        return p0, p1


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
