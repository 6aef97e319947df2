r"""Adadelta: torch.optim.Adadelta (PyTorch 2.13), the single-tensor implementation.

.. math::
    g_t \leftarrow \pm\nabla f(\theta_{t-1})              (minus when maximize)
    if \lambda \neq 0:  g_t \leftarrow g_t + \lambda\theta_{t-1}
    v_t \leftarrow \rho v_{t-1} + (1 - \rho) g_t^2
    \Delta x_t \leftarrow \sqrt{u_{t-1} + \epsilon} / \sqrt{v_t + \epsilon} \cdot g_t
    u_t \leftarrow \rho u_{t-1} + (1 - \rho)\Delta x_t^2
    \theta_t \leftarrow \theta_{t-1} - \gamma\Delta x_t

`grad` is used as scratch space and overwritten.  State: step, square_avg (v),
acc_delta (u).
"""

from __future__ import annotations

from math import sqrt

import numpy as np

from . import _rules
from ._common import Scratch, check_types, nonzero
from ._onerun import OneRun
from .base import (Hyper, HyperparameterError, Optimizer, lr_hyper, maximize_hyper,
                   register, weight_decay_hyper)


@register
class Adadelta(Optimizer):
    r"""Adadelta: the step is the gradient scaled by RMS(past updates) / RMS(past gradients).

    input: γ (lr), θ₀ (params), f(θ) (objective), ρ (rho), λ (weight_decay), ε (eps), maximize
    initialize: v₀ ← 0 (square avg), u₀ ← 0 (accumulate variables)
    for t = 1, 2, …:
        g_t ← ∇f(θ_{t-1})          (g_t ← −∇f(θ_{t-1}) if maximize)
        if λ ≠ 0:  g_t ← g_t + λ θ_{t-1}
        v_t ← ρ v_{t-1} + (1 − ρ) g_t²
        Δx_t ← (√(u_{t-1} + ε) / √(v_t + ε)) g_t
        u_t ← ρ u_{t-1} + (1 − ρ) Δx_t²
        θ_t ← θ_{t-1} − γ Δx_t

    Defaults: lr = 1.0, rho = 0.9, eps = 1e-6, weight_decay = 0.
    """

    id = "adadelta"
    torch_name = "Adadelta"
    family = "torch"
    hypers = (
        lr_hyper(1.0, doc="learning rate: scales the Adadelta step Δx"),
        Hyper("rho", "float", 0.9,
              "decay rate ρ of the running averages of squared gradients and squared updates",
              low=0.0, high=1.0, ui=(0.0, 0.999),
              doc_zh="衰减率 ρ：梯度平方与更新量平方的滑动平均系数"),
        Hyper("eps", "float", 1e-6,
              "added inside both square roots for stability; it also sets the size of the "
              "first steps",
              low=0.0, ui=(1e-10, 1.0), log=True,
              doc_zh="加在两个平方根内部以保证数值稳定；它也决定了最初几步的大小"),
        weight_decay_hyper(),
        maximize_hyper(),
    )
    state_names = ("step", "square_avg", "acc_delta")
    summary = ("Scales the gradient by the ratio of the RMS of recent updates to the RMS of "
               "recent gradients, so it needs little tuning of lr. Used where Adagrad's steps "
               "shrink too fast.")
    summary_zh = ("用近期更新量的均方根与近期梯度的均方根之比来缩放梯度，因此对学习率不敏感。"
                  "常用来替代步长衰减过快的 Adagrad。")

    rule_tex = (
        r"input: \gamma\ (\texttt{lr}), \rho\ (\texttt{rho}), \epsilon\ (\texttt{eps}), "
        r"\lambda\ (\texttt{weight_decay}), \texttt{maximize}",
        r"initialize: v_0 \leftarrow 0, u_0 \leftarrow 0",
        r"state: v\ (\texttt{square_avg}), u\ (\texttt{acc_delta}), t\ (\texttt{step})",
        _rules.FOR, *_rules.GRADIENT, *_rules.L2,
        r"    v_t \leftarrow \rho v_{t-1} + (1 - \rho) g_t^2",
        r"    \Delta x_t \leftarrow \frac{\sqrt{u_{t-1} + \epsilon}}{\sqrt{v_t + \epsilon}} g_t",
        r"    u_t \leftarrow \rho u_{t-1} + (1 - \rho) \Delta x_t^2",
        r"    \theta_t \leftarrow \theta_{t-1} - \gamma \Delta x_t",
        _rules.RETURN,
    )

    def __init__(self, **params):
        self._scratch = Scratch()
        super().__init__(**params)

    def validate(self, group: dict) -> None:
        check_types(self, group)
        if not 0.0 <= group["lr"]:
            raise HyperparameterError("lr", f"Invalid learning rate: {group['lr']}")
        if not 0.0 <= group["rho"] <= 1.0:
            raise HyperparameterError("rho", f"Invalid rho value: {group['rho']}")
        if not 0.0 <= group["eps"]:
            raise HyperparameterError("eps", f"Invalid epsilon value: {group['eps']}")
        if not 0.0 <= group["weight_decay"]:
            raise HyperparameterError("weight_decay",
                                      f"Invalid weight_decay value: {group['weight_decay']}")

    def init(self, p: np.ndarray) -> dict:
        return {"step": 0.0, "square_avg": np.zeros_like(p), "acc_delta": np.zeros_like(p)}

    def step(self, p: np.ndarray, grad: np.ndarray, state: dict) -> None:
        group = self.group
        rho = group["rho"]
        eps = group["eps"]
        weight_decay = group["weight_decay"]
        t, d = self._scratch.get(p, 2)
        state["step"] = state["step"] + 1.0
        g = grad
        if group["maximize"]:
            np.negative(g, out=g)
        if nonzero(weight_decay):
            np.multiply(p, weight_decay, out=t)
            g += t
        square_avg = state["square_avg"]
        acc_delta = state["acc_delta"]
        square_avg *= rho
        np.multiply(g, 1 - rho, out=t)
        t *= g
        square_avg += t
        np.add(square_avg, eps, out=d)           # std
        np.sqrt(d, out=d)
        np.add(acc_delta, eps, out=t)            # delta
        np.sqrt(t, out=t)
        t /= d
        t *= g
        acc_delta *= rho
        np.multiply(t, 1 - rho, out=d)
        d *= t
        acc_delta += d
        t *= -group["lr"]
        p += t

    def one_run(self) -> AdadeltaRun:
        return AdadeltaRun(self.group)


class AdadeltaRun(OneRun):
    """`Adadelta.step` on one run in Python floats (see _onerun)."""

    STATE = {"step": ("t",), "square_avg": ("v0", "v1"), "acc_delta": ("u0", "u1")}
    __slots__ = ("t", "v0", "v1", "u0", "u1")

    def __init__(self, group: dict):
        super().__init__(group)
        self.t = 0.0
        self.v0 = self.v1 = self.u0 = self.u1 = 0.0

    def step(self, p0, p1, g0, g1):
        group = self.group
        rho = group["rho"]
        eps = group["eps"]
        weight_decay = group["weight_decay"]
        if group["maximize"]:
            g0, g1 = -g0, -g1
        if weight_decay != 0:
            g0, g1 = g0 + p0 * weight_decay, g1 + p1 * weight_decay
        c = 1 - rho
        v0 = self.v0 * rho + g0 * c * g0
        v1 = self.v1 * rho + g1 * c * g1
        d0 = sqrt(self.u0 + eps) / sqrt(v0 + eps) * g0
        d1 = sqrt(self.u1 + eps) / sqrt(v1 + eps) * g1
        self.u0 = self.u0 * rho + d0 * c * d0
        self.u1 = self.u1 * rho + d1 * c * d1
        self.t += 1.0
        self.v0, self.v1 = v0, v1
        s = -group["lr"]
        return p0 + d0 * s, p1 + d1 * s
