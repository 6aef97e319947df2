r"""NAdam: torch.optim.NAdam (PyTorch 2.13), the single-tensor, non-capturable implementation.

.. math::
    g_t \leftarrow \pm\nabla f(\theta_{t-1})              (minus when maximize)
    if \lambda \neq 0:  decoupled: \theta_{t-1} \leftarrow \theta_{t-1}(1 - \gamma\lambda),
                        otherwise: g_t \leftarrow g_t + \lambda\theta_{t-1}
    \mu_t \leftarrow \beta_1(1 - \tfrac12 0.96^{t\psi}),\;
    \mu_{t+1} \leftarrow \beta_1(1 - \tfrac12 0.96^{(t+1)\psi})
    m_t \leftarrow m_{t-1}.lerp(g_t, 1 - \beta_1)
    v_t \leftarrow \beta_2 v_{t-1} + (1-\beta_2) g_t^2
    denom \leftarrow \sqrt{v_t / (1 - \beta_2^t)} + \epsilon
    \theta_t \leftarrow \theta_{t-1} - \gamma\frac{1 - \mu_t}{1 - \prod_{i\le t}\mu_i} g_t / denom
                                     - \gamma\frac{\mu_{t+1}}{1 - \prod_{i\le t+1}\mu_i} m_t / denom

`grad` is used as scratch space and overwritten.  State: step, mu_product, exp_avg,
exp_avg_sq (step and mu_product are floats, as torch's 0-dim tensors).
"""

from __future__ import annotations

from math import sqrt

import numpy as np

from . import _rules
from ._common import Scratch, check_types, lerp_, nonzero
from .adam import AdamMoments, check_adam_like
from .base import (Hyper, HyperparameterError, Optimizer, betas_hyper, eps_hyper, flag_hyper,
                   lr_hyper, maximize_hyper, register, weight_decay_hyper)


@register
class NAdam(Optimizer):
    r"""NAdam: Adam with Nesterov momentum, using a warming-up momentum schedule μ_t.

    input: γ (lr), β₁, β₂ (betas), θ₀ (params), f(θ) (objective), λ (weight_decay),
           ψ (momentum_decay), ε (eps), decoupled_weight_decay, maximize
    initialize: m₀ ← 0 (first moment), v₀ ← 0 (second moment)
    for t = 1, 2, …:
        g_t ← ∇f(θ_{t-1})          (g_t ← −∇f(θ_{t-1}) if maximize)
        if λ ≠ 0:
            if decoupled_weight_decay:  θ_{t-1} ← θ_{t-1} (1 − γλ)
            else:                       g_t ← g_t + λ θ_{t-1}
        μ_t ← β₁ (1 − ½ · 0.96^{tψ})
        μ_{t+1} ← β₁ (1 − ½ · 0.96^{(t+1)ψ})
        m_t ← β₁ m_{t-1} + (1 − β₁) g_t
        v_t ← β₂ v_{t-1} + (1 − β₂) g_t²
        v̂_t ← v_t / (1 − β₂^t)
        θ_t ← θ_{t-1} − γ (1 − μ_t)/(1 − ∏_{i≤t} μ_i) · g_t/(√v̂_t + ε)
                      − γ μ_{t+1}/(1 − ∏_{i≤t+1} μ_i) · m_t/(√v̂_t + ε)

    Defaults: lr = 2e-3, betas = (0.9, 0.999), eps = 1e-8, weight_decay = 0,
    momentum_decay = 4e-3, decoupled_weight_decay = False.
    """

    id = "nadam"
    torch_name = "NAdam"
    family = "torch"
    hypers = (
        lr_hyper(2e-3),
        betas_hyper(),
        eps_hyper(1e-8),
        weight_decay_hyper(),
        Hyper("momentum_decay", "float", 4e-3,
              "momentum decay ψ: how fast the momentum μ_t warms up to β₁",
              low=0.0, ui=(0.0, 0.1),
              doc_zh="动量衰减 ψ：决定动量 μ_t 逐渐升到 β₁ 的快慢"),
        flag_hyper("decoupled_weight_decay",
                   "decoupled weight decay (NAdamW): shrink θ by (1 - lr·weight_decay) "
                   "instead of adding weight_decay·θ to the gradient",
                   "解耦权重衰减（NAdamW）：直接把 θ 乘以 (1 - lr·weight_decay)，"
                   "而不是把 weight_decay·θ 加到梯度上"),
        maximize_hyper(),
    )
    state_names = ("step", "mu_product", "exp_avg", "exp_avg_sq")
    summary = ("Adam with Nesterov momentum: it steps using the momentum it is about to have. "
               "Often converges a little faster than Adam on the same settings.")
    summary_zh = ("结合 Nesterov 动量的 Adam：更新时使用“下一步将会有”的动量。"
                  "在相同设置下往往比 Adam 收敛得稍快一些。")

    rule_tex = (
        _rules.ADAM_INPUT + r", \psi\ (\texttt{momentum_decay}), \texttt{decoupled_weight_decay}, "
        r"\texttt{maximize}",
        r"initialize: m_0 \leftarrow 0, v_0 \leftarrow 0",
        r"state: m\ (\texttt{exp_avg}), v\ (\texttt{exp_avg_sq}), "
        r"\textstyle\prod_i \mu_i\ (\texttt{mu_product}), t\ (\texttt{step})",
        _rules.FOR, *_rules.GRADIENT, *_rules.DECOUPLABLE,
        r"    \mu_t \leftarrow \beta_1 \left(1 - \tfrac{1}{2}\, 0.96^{t \psi}\right)",
        r"    \mu_{t+1} \leftarrow \beta_1 \left(1 - \tfrac{1}{2}\, 0.96^{(t+1) \psi}\right)",
        _rules.FIRST_MOMENT, _rules.SECOND_MOMENT,
        r"    \hat{v}_t \leftarrow v_t / (1 - \beta_2^t)",
        r"    \theta_t \leftarrow \theta_{t-1} - \gamma \frac{1 - \mu_t}{1 - \prod_{i=1}^{t} \mu_i} "
        r"\frac{g_t}{\sqrt{\hat{v}_t} + \epsilon}",
        r"    \phantom{\theta_t \leftarrow \theta_{t-1}} - \gamma \frac{\mu_{t+1}}{1 - \prod_{i=1}^{t+1} \mu_i} "
        r"\frac{m_t}{\sqrt{\hat{v}_t} + \epsilon}",
        _rules.RETURN,
    )

    def __init__(self, **params):
        self._scratch = Scratch()
        super().__init__(**params)

    def validate(self, group: dict) -> None:
        check_types(self, group)
        check_adam_like(group)
        if not 0.0 <= group["momentum_decay"]:
            raise HyperparameterError("momentum_decay",
                                      f"Invalid momentum_decay value: {group['momentum_decay']}")

    def init(self, p: np.ndarray) -> dict:
        return {"step": 0.0, "mu_product": 1.0,
                "exp_avg": np.zeros_like(p), "exp_avg_sq": np.zeros_like(p)}

    def step(self, p: np.ndarray, grad: np.ndarray, state: dict) -> None:
        group = self.group
        lr = group["lr"]
        beta1, beta2 = group["betas"]
        weight_decay = group["weight_decay"]
        momentum_decay = group["momentum_decay"]
        t, d = self._scratch.get(p, 2)
        g = grad
        if group["maximize"]:
            np.negative(g, out=g)
        step = state["step"] = state["step"] + 1.0
        bias_correction2 = 1 - beta2 ** step
        if nonzero(weight_decay):
            if group["decoupled_weight_decay"]:
                p *= 1 - lr * weight_decay
            else:
                np.multiply(p, weight_decay, out=t)
                g += t
        mu = beta1 * (1.0 - 0.5 * (0.96 ** (step * momentum_decay)))
        mu_next = beta1 * (1.0 - 0.5 * (0.96 ** ((step + 1) * momentum_decay)))
        mu_product = state["mu_product"] = state["mu_product"] * mu
        exp_avg = state["exp_avg"]
        exp_avg_sq = state["exp_avg_sq"]
        lerp_(exp_avg, g, 1 - beta1, t)
        exp_avg_sq *= beta2
        np.multiply(g, 1 - beta2, out=t)
        t *= g
        exp_avg_sq += t
        np.divide(exp_avg_sq, bias_correction2, out=d)
        np.sqrt(d, out=d)
        d += group["eps"]
        mu_product_next = mu_product * mu_next
        np.multiply(g, -lr * (1.0 - mu) / (1.0 - mu_product), out=t)
        t /= d
        p += t
        np.multiply(exp_avg, (-lr * mu_next) / (1.0 - mu_product_next), out=t)
        t /= d
        p += t

    def one_run(self) -> NAdamRun:
        return NAdamRun(self.group)


class NAdamRun(AdamMoments):
    """`NAdam.step` on one run in Python floats (see _onerun)."""

    STATE = {**AdamMoments.STATE, "mu_product": ("mu_product",)}
    __slots__ = ("mu_product",)

    def __init__(self, group: dict):
        super().__init__(group)
        self.mu_product = 1.0

    def step(self, p0, p1, g0, g1):
        group = self.group
        p0, p1, g0, g1, lr, beta1, beta2 = self.moments(p0, p1, g0, g1)
        momentum_decay = group["momentum_decay"]
        step = self.t
        bias_correction2 = 1 - beta2 ** step
        mu = beta1 * (1.0 - 0.5 * (0.96 ** (step * momentum_decay)))
        mu_next = beta1 * (1.0 - 0.5 * (0.96 ** ((step + 1) * momentum_decay)))
        mu_product = self.mu_product = self.mu_product * mu
        eps = group["eps"]
        d0 = sqrt(self.v0 / bias_correction2) + eps
        d1 = sqrt(self.v1 / bias_correction2) + eps
        a = -lr * (1.0 - mu) / (1.0 - mu_product)
        b = (-lr * mu_next) / (1.0 - mu_product * mu_next)
        return (p0 + g0 * a / d0 + self.m0 * b / d0,
                p1 + g1 * a / d1 + self.m1 * b / d1)
