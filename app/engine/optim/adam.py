r"""Adam: torch.optim.Adam (PyTorch 2.13), the single-tensor, non-capturable implementation.

.. math::
    g_t \leftarrow \pm\nabla f(\theta_{t-1})              (minus when maximize)
    if \lambda \neq 0:
        decoupled:  \theta_{t-1} \leftarrow \theta_{t-1}(1 - \gamma\lambda)
        otherwise:  g_t \leftarrow g_t + \lambda\theta_{t-1}
    m_t \leftarrow m_{t-1}.lerp(g_t, 1 - \beta_1)
    v_t \leftarrow \beta_2 v_{t-1} + (1 - \beta_2) g_t^2
    v^{max}_t \leftarrow \max(v^{max}_{t-1}, v_t)         (amsgrad; used instead of v_t below)
    denom \leftarrow \sqrt{v_t} / \sqrt{1 - \beta_2^t} + \epsilon
    \theta_t \leftarrow \theta_{t-1} - \frac{\gamma}{1 - \beta_1^t} m_t / denom

`grad` is used as scratch space and overwritten (the runner passes a fresh array each
step).  State (torch's names): step, exp_avg, exp_avg_sq, max_exp_avg_sq (amsgrad only).
"""

from __future__ import annotations

from math import sqrt

import numpy as np

from . import _rules
from ._common import Scratch, check_types, lerp_, nonzero
from ._onerun import OneRun
from .base import (HyperparameterError, Optimizer, betas_hyper, eps_hyper, flag_hyper, lr_hyper,
                   maximize_hyper, register, weight_decay_hyper)

AMSGRAD = flag_hyper("amsgrad", "AMSGrad: divide by the running maximum of the second moment",
                     "AMSGrad：用二阶矩历史最大值作分母，步长不会因 v 变小而变大")


def check_adam_like(group: dict) -> None:
    """torch's checks shared by Adam, AdamW, Adamax, NAdam and RAdam, in torch's order
    (lr, eps, betas, weight_decay)."""
    lr, eps, betas, weight_decay = group["lr"], group["eps"], group["betas"], group["weight_decay"]
    if not 0.0 <= lr:
        raise HyperparameterError("lr", f"Invalid learning rate: {lr}")
    if not 0.0 <= eps:
        raise HyperparameterError("eps", f"Invalid epsilon value: {eps}")
    check_betas(betas)
    if not 0.0 <= weight_decay:
        raise HyperparameterError("weight_decay", f"Invalid weight_decay value: {weight_decay}")


def check_betas(betas) -> None:
    if not 0.0 <= betas[0] < 1.0:
        raise HyperparameterError("betas", f"Invalid beta parameter at index 0: {betas[0]}")
    if not 0.0 <= betas[1] < 1.0:
        raise HyperparameterError("betas", f"Invalid beta parameter at index 1: {betas[1]}")


@register
class Adam(Optimizer):
    r"""Adam: momentum on the gradient, divided by the root of a running mean of its square.

    input: γ (lr), β₁, β₂ (betas), θ₀ (params), f(θ) (objective), λ (weight_decay),
           amsgrad, maximize, ε (eps), decoupled_weight_decay
    initialize: m₀ ← 0, v₀ ← 0, v₀^max ← 0
    for t = 1, 2, …:
        g_t ← ∇f(θ_{t-1})          (g_t ← −∇f(θ_{t-1}) if maximize)
        if λ ≠ 0:
            if decoupled_weight_decay:  θ_{t-1} ← θ_{t-1} (1 − γλ)
            else:                       g_t ← g_t + λ θ_{t-1}
        m_t ← β₁ m_{t-1} + (1 − β₁) g_t
        v_t ← β₂ v_{t-1} + (1 − β₂) g_t²
        if amsgrad:  v_t^max ← max(v_{t-1}^max, v_t);  v̂ ← v_t^max
        else:        v̂ ← v_t
        θ_t ← θ_{t-1} − γ/(1 − β₁^t) · m_t / (√v̂ / √(1 − β₂^t) + ε)

    Defaults: lr = 1e-3, betas = (0.9, 0.999), eps = 1e-8, weight_decay = 0,
    amsgrad = False, decoupled_weight_decay = False.
    """

    id = "adam"
    torch_name = "Adam"
    family = "torch"
    hypers = (
        lr_hyper(1e-3),
        betas_hyper(),
        eps_hyper(1e-8),
        weight_decay_hyper(),
        AMSGRAD,
        maximize_hyper(),
        flag_hyper("decoupled_weight_decay",
                   "decoupled weight decay (AdamW): shrink θ by (1 - lr·weight_decay) "
                   "instead of adding weight_decay·θ to the gradient",
                   "解耦权重衰减（即 AdamW）：直接把 θ 乘以 (1 - lr·weight_decay)，"
                   "而不是把 weight_decay·θ 加到梯度上"),
    )
    state_names = ("step", "exp_avg", "exp_avg_sq", "max_exp_avg_sq")
    summary = ("Momentum plus a per-coordinate step size from a running mean of squared "
               "gradients, with bias correction. The default optimizer for most deep learning.")
    summary_zh = ("在动量的基础上，用梯度平方的滑动平均为每个坐标单独调整步长，并做偏差修正。"
                  "它是大多数深度学习任务的默认优化器。")

    rule_tex = (
        _rules.ADAM_INPUT + r", \texttt{amsgrad}, \texttt{maximize}, \texttt{decoupled_weight_decay}",
        _rules.ADAM_INIT, _rules.ADAM_STATE,
        _rules.FOR, *_rules.GRADIENT, *_rules.DECOUPLABLE, *_rules.ADAM_STEP,
        _rules.RETURN,
    )

    def __init__(self, **params):
        self._scratch = Scratch()
        super().__init__(**params)

    def validate(self, group: dict) -> None:
        check_types(self, group)
        check_adam_like(group)

    def init(self, p: np.ndarray) -> dict:
        state = {"step": 0.0, "exp_avg": np.zeros_like(p), "exp_avg_sq": np.zeros_like(p)}
        if self.group["amsgrad"]:
            state["max_exp_avg_sq"] = np.zeros_like(p)
        return state

    def step(self, p: np.ndarray, grad: np.ndarray, state: dict) -> None:
        group = self.group
        lr = group["lr"]
        beta1, beta2 = group["betas"]
        weight_decay = group["weight_decay"]
        t, d = self._scratch.get(p, 2)
        g = grad
        if group["maximize"]:
            np.negative(g, out=g)
        step = state["step"] = state["step"] + 1.0
        if nonzero(weight_decay):
            if group["decoupled_weight_decay"]:
                p *= 1 - lr * weight_decay
            else:
                np.multiply(p, weight_decay, out=t)
                g += t
        exp_avg = state["exp_avg"]
        exp_avg_sq = state["exp_avg_sq"]
        lerp_(exp_avg, g, 1 - beta1, t)
        exp_avg_sq *= beta2
        np.multiply(g, 1 - beta2, out=t)
        t *= g
        exp_avg_sq += t

        bias_correction1 = 1 - beta1 ** step
        bias_correction2 = 1 - beta2 ** step
        step_size = lr / bias_correction1
        bias_correction2_sqrt = bias_correction2 ** 0.5
        if group["amsgrad"]:
            vmax = state.get("max_exp_avg_sq")
            if vmax is None:
                vmax = state["max_exp_avg_sq"] = np.zeros_like(p)
            np.maximum(vmax, exp_avg_sq, out=vmax)
            np.sqrt(vmax, out=d)
        else:
            np.sqrt(exp_avg_sq, out=d)
        d /= bias_correction2_sqrt
        d += group["eps"]
        np.multiply(exp_avg, -step_size, out=t)
        t /= d
        p += t

    def one_run(self) -> AdamRun:
        return AdamRun(self.group)


class AdamMoments(OneRun):
    """What Adam, AdamW, NAdam and RAdam share on one run (see _onerun): the step count
    and the two moments, updated as their array code does."""

    STATE = {"step": ("t",), "exp_avg": ("m0", "m1"), "exp_avg_sq": ("v0", "v1")}
    __slots__ = ("t", "m0", "m1", "v0", "v1")

    def __init__(self, group: dict):
        super().__init__(group)
        self.t = 0.0
        self.m0 = self.m1 = self.v0 = self.v1 = 0.0

    def moments(self, p0, p1, g0, g1):
        """step += 1; g = -g if maximize; weight decay (decoupled: p *= 1 - lr * λ, else
        g += λ p); exp_avg.lerp_(g, 1 - β₁); exp_avg_sq = β₂ v + (1 - β₂) g².  Returns
        (p0, p1, g0, g1) after the decay, and the group's lr, β₁, β₂."""
        group = self.group
        lr = group["lr"]
        beta1, beta2 = group["betas"]
        if group["maximize"]:
            g0, g1 = -g0, -g1
        self.t += 1.0
        weight_decay = group["weight_decay"]
        if weight_decay != 0:
            if group["decoupled_weight_decay"]:
                f = 1 - lr * weight_decay
                p0, p1 = p0 * f, p1 * f
            else:
                g0, g1 = g0 + p0 * weight_decay, g1 + p1 * weight_decay
        w, m0, m1 = 1 - beta1, self.m0, self.m1
        if abs(w) < 0.5:                     # lerp2, inline: this is the hottest step
            self.m0, self.m1 = m0 + (g0 - m0) * w, m1 + (g1 - m1) * w
        else:
            w = 1.0 - w
            self.m0, self.m1 = g0 - (g0 - m0) * w, g1 - (g1 - m1) * w
        c = 1 - beta2
        self.v0 = self.v0 * beta2 + g0 * c * g0
        self.v1 = self.v1 * beta2 + g1 * c * g1
        return p0, p1, g0, g1, lr, beta1, beta2


class AdamRun(AdamMoments):
    """`Adam.step` (and AdamW's) on one run in Python floats (see _onerun)."""

    STATE = {**AdamMoments.STATE, "max_exp_avg_sq": ("w0", "w1")}
    __slots__ = ("w0", "w1")

    def __init__(self, group: dict):
        super().__init__(group)
        self.w0 = self.w1 = 0.0 if group["amsgrad"] else None

    def step(self, p0, p1, g0, g1):
        group = self.group
        p0, p1, g0, g1, lr, beta1, beta2 = self.moments(p0, p1, g0, g1)
        step = self.t
        step_size = lr / (1 - beta1 ** step)
        bias_correction2_sqrt = (1 - beta2 ** step) ** 0.5
        v0, v1 = self.v0, self.v1
        if group["amsgrad"]:
            w0, w1 = self.w0, self.w1
            w0 = self.w0 = w0 if w0 >= v0 or w0 != w0 else v0      # np.maximum: NaN wins
            w1 = self.w1 = w1 if w1 >= v1 or w1 != w1 else v1
            d0, d1 = sqrt(w0), sqrt(w1)
        else:
            d0, d1 = sqrt(v0), sqrt(v1)
        eps = group["eps"]
        s = -step_size
        return (p0 + self.m0 * s / (d0 / bias_correction2_sqrt + eps),
                p1 + self.m1 * s / (d1 / bias_correction2_sqrt + eps))
