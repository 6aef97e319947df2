r"""RMSprop: torch.optim.RMSprop (PyTorch 2.13), the single-tensor implementation.

.. math::
    g_t \leftarrow \pm\nabla f(\theta_{t-1})              (minus when maximize)
    if \lambda \neq 0:  g_t \leftarrow g_t + \lambda\theta_{t-1}
    v_t \leftarrow \alpha v_{t-1} + (1 - \alpha) g_t^2
    \tilde v_t \leftarrow v_t - (g^{ave}_t)^2,
        g^{ave}_t \leftarrow g^{ave}_{t-1}.lerp(g_t, 1 - \alpha)
                                                       (centered; otherwise \tilde v_t = v_t)
    if \mu > 0:  b_t \leftarrow \mu b_{t-1} + g_t / (\sqrt{\tilde v_t} + \epsilon),
                 \theta_t \leftarrow \theta_{t-1} - \gamma b_t
    else:        \theta_t \leftarrow \theta_{t-1} - \gamma g_t / (\sqrt{\tilde v_t} + \epsilon)

`grad` is used as scratch space and overwritten.  State: step, square_avg,
momentum_buffer (momentum > 0), grad_avg (centered).
"""

from __future__ import annotations

from math import sqrt

import numpy as np

from . import _rules
from ._common import Scratch, check_types, lerp_, nonzero, positive
from ._onerun import OneRun, lerp2
from .base import (Hyper, HyperparameterError, Optimizer, eps_hyper, flag_hyper, lr_hyper,
                   maximize_hyper, register, weight_decay_hyper)


@register
class RMSprop(Optimizer):
    r"""RMSprop: divide the gradient by the root of a running mean of its square.

    input: α (alpha), γ (lr), θ₀ (params), f(θ) (objective), λ (weight_decay),
           μ (momentum), centered, ε (eps), maximize
    initialize: v₀ ← 0 (square average), b₀ ← 0 (buffer), g₀^ave ← 0
    for t = 1, 2, …:
        g_t ← ∇f(θ_{t-1})          (g_t ← −∇f(θ_{t-1}) if maximize)
        if λ ≠ 0:  g_t ← g_t + λ θ_{t-1}
        v_t ← α v_{t-1} + (1 − α) g_t²
        ṽ_t ← v_t
        if centered:
            g_t^ave ← α g_{t-1}^ave + (1 − α) g_t
            ṽ_t ← ṽ_t − (g_t^ave)²
        if μ > 0:
            b_t ← μ b_{t-1} + g_t / (√ṽ_t + ε)
            θ_t ← θ_{t-1} − γ b_t
        else:
            θ_t ← θ_{t-1} − γ g_t / (√ṽ_t + ε)

    Defaults: lr = 1e-2, alpha = 0.99, eps = 1e-8, weight_decay = 0, momentum = 0,
    centered = False.
    """

    id = "rmsprop"
    torch_name = "RMSprop"
    family = "torch"
    hypers = (
        lr_hyper(1e-2),
        Hyper("alpha", "float", 0.99,
              "smoothing constant α of the running mean of squared gradients",
              low=0.0, ui=(0.0, 0.9999),
              doc_zh="平滑常数 α：梯度平方滑动平均的衰减系数"),
        eps_hyper(1e-8),
        weight_decay_hyper(),
        Hyper("momentum", "float", 0.0,
              "momentum factor μ applied to the normalized step",
              low=0.0, ui=(0.0, 0.99),
              doc_zh="动量系数 μ：作用在归一化之后的步长上"),
        flag_hyper("centered",
                   "centered RMSprop: divide by an estimate of the gradient's variance "
                   "(mean of g² minus squared mean of g)",
                   "中心化 RMSprop：用梯度方差的估计（g² 的均值减去 g 均值的平方）作分母"),
        maximize_hyper(),
    )
    state_names = ("step", "square_avg", "momentum_buffer", "grad_avg")
    summary = ("Divides each coordinate's gradient by the root of a running mean of its square, "
               "so steep and flat directions move at similar speeds. Popular for recurrent "
               "networks and reinforcement learning.")
    summary_zh = ("把每个坐标的梯度除以其平方滑动平均的平方根，使陡峭方向和平缓方向以相近的速度前进。"
                  "常用于循环神经网络和强化学习。")

    rule_tex = (
        r"input: \gamma\ (\texttt{lr}), \alpha\ (\texttt{alpha}), \epsilon\ (\texttt{eps}), "
        r"\lambda\ (\texttt{weight_decay}), \mu\ (\texttt{momentum}), \texttt{centered}, \texttt{maximize}",
        r"initialize: v_0 \leftarrow 0, b_0 \leftarrow 0, g_0^{\mathrm{ave}} \leftarrow 0",
        r"state: v\ (\texttt{square_avg}), b\ (\texttt{momentum_buffer}), "
        r"g^{\mathrm{ave}}\ (\texttt{grad_avg}), t\ (\texttt{step})",
        _rules.FOR, *_rules.GRADIENT, *_rules.L2,
        r"    v_t \leftarrow \alpha v_{t-1} + (1 - \alpha) g_t^2",
        r"    \tilde{v}_t \leftarrow v_t",
        r"    if: \texttt{centered}",
        r"        g_t^{\mathrm{ave}} \leftarrow \alpha g_{t-1}^{\mathrm{ave}} + (1 - \alpha) g_t",
        r"        \tilde{v}_t \leftarrow \tilde{v}_t - (g_t^{\mathrm{ave}})^2",
        r"    if: \mu > 0",
        r"        b_t \leftarrow \mu b_{t-1} + g_t / (\sqrt{\tilde{v}_t} + \epsilon)",
        r"        \theta_t \leftarrow \theta_{t-1} - \gamma b_t",
        r"    else:",
        r"        \theta_t \leftarrow \theta_{t-1} - \gamma \frac{g_t}{\sqrt{\tilde{v}_t} + \epsilon}",
        _rules.RETURN,
    )

    def __init__(self, **params):
        self._scratch = Scratch()
        super().__init__(**params)

    def validate(self, group: dict) -> None:
        check_types(self, group)
        if not 0.0 <= group["lr"]:
            raise HyperparameterError("lr", f"Invalid learning rate: {group['lr']}")
        if not 0.0 <= group["eps"]:
            raise HyperparameterError("eps", f"Invalid epsilon value: {group['eps']}")
        if not 0.0 <= group["momentum"]:
            raise HyperparameterError("momentum", f"Invalid momentum value: {group['momentum']}")
        if not 0.0 <= group["weight_decay"]:
            raise HyperparameterError("weight_decay",
                                      f"Invalid weight_decay value: {group['weight_decay']}")
        if not 0.0 <= group["alpha"]:
            raise HyperparameterError("alpha", f"Invalid alpha value: {group['alpha']}")

    def init(self, p: np.ndarray) -> dict:
        # torch creates the state at the first step from the group at that time; the
        # runner calls init after a scheduler has set its initial momentum.
        state = {"step": 0.0, "square_avg": np.zeros_like(p)}
        if positive(self.group["momentum"]):
            state["momentum_buffer"] = np.zeros_like(p)
        if self.group["centered"]:
            state["grad_avg"] = np.zeros_like(p)
        return state

    def step(self, p: np.ndarray, grad: np.ndarray, state: dict) -> None:
        group = self.group
        alpha = group["alpha"]
        momentum = group["momentum"]
        weight_decay = group["weight_decay"]
        lr = group["lr"]
        t, d = self._scratch.get(p, 2)
        g = grad
        if group["maximize"]:
            np.negative(g, out=g)
        state["step"] = state["step"] + 1.0
        if nonzero(weight_decay):
            np.multiply(p, weight_decay, out=t)
            g += t
        square_avg = state["square_avg"]
        square_avg *= alpha
        np.multiply(g, 1 - alpha, out=t)
        t *= g
        square_avg += t
        if group["centered"]:
            grad_avg = state.get("grad_avg")
            if grad_avg is None:
                grad_avg = state["grad_avg"] = np.zeros_like(p)
            lerp_(grad_avg, g, 1 - alpha, t)
            np.multiply(grad_avg, grad_avg, out=d)
            np.subtract(square_avg, d, out=d)
            np.sqrt(d, out=d)
        else:
            np.sqrt(square_avg, out=d)
        d += group["eps"]                                 # avg
        if positive(momentum):
            buf = state.get("momentum_buffer")
            if buf is None:
                buf = state["momentum_buffer"] = np.zeros_like(p)
            buf *= momentum
            np.divide(g, d, out=t)
            buf += t
            if isinstance(momentum, np.ndarray) and not np.all(momentum > 0):
                plain = g * -lr / d                       # a sweep with some momentum == 0
                p += np.where(momentum > 0, buf * -lr, plain)
                return
            np.multiply(buf, -lr, out=t)
        else:
            np.multiply(g, -lr, out=t)
            t /= d
        p += t

    def one_run(self) -> RMSpropRun:
        return RMSpropRun(self.group)


class RMSpropRun(OneRun):
    """`RMSprop.step` on one run in Python floats (see _onerun)."""

    STATE = {"step": ("t",), "square_avg": ("v0", "v1"), "momentum_buffer": ("b0", "b1"),
             "grad_avg": ("a0", "a1")}
    __slots__ = ("t", "v0", "v1", "b0", "b1", "a0", "a1")

    def __init__(self, group: dict):
        super().__init__(group)
        self.t = 0.0
        self.v0 = self.v1 = 0.0
        self.b0 = self.b1 = 0.0 if group["momentum"] > 0 else None
        self.a0 = self.a1 = 0.0 if group["centered"] else None

    def step(self, p0, p1, g0, g1):
        group = self.group
        alpha = group["alpha"]
        momentum = group["momentum"]
        weight_decay = group["weight_decay"]
        if group["maximize"]:
            g0, g1 = -g0, -g1
        self.t += 1.0
        if weight_decay != 0:
            g0, g1 = g0 + p0 * weight_decay, g1 + p1 * weight_decay
        c = 1 - alpha
        v0 = self.v0 = self.v0 * alpha + g0 * c * g0
        v1 = self.v1 = self.v1 * alpha + g1 * c * g1
        if group["centered"]:
            a0, a1 = (0.0, 0.0) if self.a0 is None else (self.a0, self.a1)
            a0, a1 = self.a0, self.a1 = lerp2(a0, a1, g0, g1, c)
            d0, d1 = sqrt(v0 - a0 * a0), sqrt(v1 - a1 * a1)
        else:
            d0, d1 = sqrt(v0), sqrt(v1)
        eps = group["eps"]
        d0, d1 = d0 + eps, d1 + eps
        s = -group["lr"]
        if momentum > 0:
            b0, b1 = (0.0, 0.0) if self.b0 is None else (self.b0, self.b1)
            b0 = self.b0 = b0 * momentum + g0 / d0
            b1 = self.b1 = b1 * momentum + g1 / d1
            return p0 + b0 * s, p1 + b1 * s
        return p0 + g0 * s / d0, p1 + g1 * s / d1
