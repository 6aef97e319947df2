r"""RAdam: torch.optim.RAdam (PyTorch 2.13), the single-tensor, non-capturable implementation.

.. math::
    g_t \leftarrow \pm\nabla f(\theta_{t-1})              (minus when maximize)
    if \lambda \neq 0:  decoupled: \theta_{t-1} \leftarrow \theta_{t-1}(1 - \gamma\lambda),
                        otherwise: g_t \leftarrow g_t + \lambda\theta_{t-1}
    m_t \leftarrow m_{t-1}.lerp(g_t, 1 - \beta_1)
    v_t \leftarrow \beta_2 v_{t-1} + (1-\beta_2) g_t^2
    \hat m_t \leftarrow m_t / (1 - \beta_1^t)
    \rho_\infty \leftarrow 2/(1 - \beta_2) - 1,\;
    \rho_t \leftarrow \rho_\infty - 2t\beta_2^t / (1 - \beta_2^t)
    if \rho_t > 5:
        l_t \leftarrow \sqrt{1 - \beta_2^t} \cdot (\sqrt{v_t} + \epsilon)^{-1}
        r_t \leftarrow \sqrt{(\rho_t - 4)(\rho_t - 2)\rho_\infty
                             / ((\rho_\infty - 4)(\rho_\infty - 2)\rho_t)}
        \theta_t \leftarrow \theta_{t-1} - \hat m_t \gamma l_t r_t
    else:
        \theta_t \leftarrow \theta_{t-1} - \hat m_t \gamma

`grad` is used as scratch space and overwritten.  State: step, exp_avg, exp_avg_sq.
"""

from __future__ import annotations

from math import sqrt

import numpy as np

from . import _rules
from ._common import Scratch, check_types, lerp_, nonzero
from .adam import AdamMoments, check_adam_like
from .base import (Optimizer, betas_hyper, eps_hyper, flag_hyper, lr_hyper, maximize_hyper,
                   register, weight_decay_hyper)


@register
class RAdam(Optimizer):
    r"""RAdam: Adam whose adaptive step is switched on gradually, once the variance estimate
    is trustworthy (ρ_t > 5); before that it takes plain momentum steps.

    input: γ (lr), β₁, β₂ (betas), θ₀ (params), f(θ) (objective), λ (weight_decay),
           ε (eps), decoupled_weight_decay, maximize
    initialize: m₀ ← 0, v₀ ← 0, ρ_∞ ← 2/(1 − β₂) − 1
    for t = 1, 2, …:
        g_t ← ∇f(θ_{t-1})          (g_t ← −∇f(θ_{t-1}) if maximize)
        if λ ≠ 0:
            if decoupled_weight_decay:  θ_{t-1} ← θ_{t-1} (1 − γλ)
            else:                       g_t ← g_t + λ θ_{t-1}
        m_t ← β₁ m_{t-1} + (1 − β₁) g_t
        v_t ← β₂ v_{t-1} + (1 − β₂) g_t²
        m̂_t ← m_t / (1 − β₁^t)
        ρ_t ← ρ_∞ − 2t β₂^t / (1 − β₂^t)
        if ρ_t > 5:
            l_t ← √(1 − β₂^t) / (√v_t + ε)
            r_t ← √((ρ_t − 4)(ρ_t − 2) ρ_∞ / ((ρ_∞ − 4)(ρ_∞ − 2) ρ_t))
            θ_t ← θ_{t-1} − γ m̂_t l_t r_t
        else:
            θ_t ← θ_{t-1} − γ m̂_t

    Defaults: lr = 1e-3, betas = (0.9, 0.999), eps = 1e-8, weight_decay = 0,
    decoupled_weight_decay = False.
    """

    id = "radam"
    torch_name = "RAdam"
    family = "torch"
    hypers = (
        lr_hyper(1e-3),
        betas_hyper(),
        eps_hyper(1e-8),
        weight_decay_hyper(),
        flag_hyper("decoupled_weight_decay",
                   "decoupled weight decay (RAdamW): shrink θ by (1 - lr·weight_decay) "
                   "instead of adding weight_decay·θ to the gradient",
                   "解耦权重衰减（RAdamW）：直接把 θ 乘以 (1 - lr·weight_decay)，"
                   "而不是把 weight_decay·θ 加到梯度上"),
        maximize_hyper(),
    )
    state_names = ("step", "exp_avg", "exp_avg_sq")
    summary = ("Adam with a rectified warm-up: plain momentum steps until the variance estimate "
               "is reliable, then gradually Adam's adaptive steps. Removes the need for a manual "
               "learning-rate warm-up.")
    summary_zh = ("带“整流”预热的 Adam：在方差估计可靠之前只做普通动量更新，之后逐步切换到 Adam 的自适应步长。"
                  "因此无需手动设置学习率预热。")

    rule_tex = (
        _rules.ADAM_INPUT + r", \texttt{decoupled_weight_decay}, \texttt{maximize}",
        r"initialize: m_0 \leftarrow 0, v_0 \leftarrow 0, \rho_\infty \leftarrow \frac{2}{1 - \beta_2} - 1",
        r"state: m\ (\texttt{exp_avg}), v\ (\texttt{exp_avg_sq}), t\ (\texttt{step})",
        _rules.FOR, *_rules.GRADIENT, *_rules.DECOUPLABLE,
        _rules.FIRST_MOMENT, _rules.SECOND_MOMENT,
        r"    \hat{m}_t \leftarrow m_t / (1 - \beta_1^t)",
        r"    \rho_t \leftarrow \rho_\infty - \frac{2 t \beta_2^t}{1 - \beta_2^t}",
        r"    if: \rho_t > 5",
        r"        l_t \leftarrow \frac{\sqrt{1 - \beta_2^t}}{\sqrt{v_t} + \epsilon}",
        r"        r_t \leftarrow \sqrt{\frac{(\rho_t - 4)(\rho_t - 2) \rho_\infty}"
        r"{(\rho_\infty - 4)(\rho_\infty - 2) \rho_t}}",
        r"        \theta_t \leftarrow \theta_{t-1} - \gamma \hat{m}_t l_t r_t",
        r"    else:",
        r"        \theta_t \leftarrow \theta_{t-1} - \gamma \hat{m}_t",
        _rules.RETURN,
    )

    def __init__(self, **params):
        self._scratch = Scratch()
        super().__init__(**params)

    def validate(self, group: dict) -> None:
        check_types(self, group)
        check_adam_like(group)

    def init(self, p: np.ndarray) -> dict:
        return {"step": 0.0, "exp_avg": np.zeros_like(p), "exp_avg_sq": np.zeros_like(p)}

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
        np.divide(exp_avg, bias_correction1, out=t)       # bias-corrected exp_avg
        t *= lr
        rho_inf = 2 / (1 - beta2) - 1
        rho_t = rho_inf - 2 * step * (beta2 ** step) / bias_correction2
        rect_on = rho_t > 5.0
        if isinstance(rho_t, np.ndarray):                 # a sweep over beta2
            if not rect_on.any():
                p -= t
                return
            plain = t.copy()
        elif not rect_on:
            p -= t
            return
        np.sqrt(exp_avg_sq, out=d)
        d += group["eps"]
        np.reciprocal(d, out=d)                           # torch: float / Tensor
        d *= bias_correction2 ** 0.5                      # adaptive lr
        t *= d
        if isinstance(rho_t, np.ndarray):
            with np.errstate(invalid="ignore"):
                rect = ((rho_t - 4) * (rho_t - 2) * rho_inf
                        / ((rho_inf - 4) * (rho_inf - 2) * rho_t)) ** 0.5
            t *= rect
            np.copyto(t, plain, where=~rect_on)
        else:
            t *= ((rho_t - 4) * (rho_t - 2) * rho_inf
                  / ((rho_inf - 4) * (rho_inf - 2) * rho_t)) ** 0.5
        p -= t

    def one_run(self) -> RAdamRun:
        return RAdamRun(self.group)


class RAdamRun(AdamMoments):
    """`RAdam.step` on one run in Python floats (see _onerun)."""

    __slots__ = ()

    def step(self, p0, p1, g0, g1):
        group = self.group
        p0, p1, g0, g1, lr, beta1, beta2 = self.moments(p0, p1, g0, g1)
        step = self.t
        bias_correction1 = 1 - beta1 ** step
        bias_correction2 = 1 - beta2 ** step
        t0, t1 = self.m0 / bias_correction1 * lr, self.m1 / bias_correction1 * lr
        rho_inf = 2 / (1 - beta2) - 1
        rho_t = rho_inf - 2 * step * (beta2 ** step) / bias_correction2
        if not rho_t > 5.0:
            return p0 - t0, p1 - t1
        eps = group["eps"]
        root = bias_correction2 ** 0.5
        rect = ((rho_t - 4) * (rho_t - 2) * rho_inf
                / ((rho_inf - 4) * (rho_inf - 2) * rho_t)) ** 0.5
        t0 = t0 * (1.0 / (sqrt(self.v0) + eps) * root) * rect
        t1 = t1 * (1.0 / (sqrt(self.v1) + eps) * root) * rect
        return p0 - t0, p1 - t1
