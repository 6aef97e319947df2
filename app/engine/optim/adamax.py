r"""Adamax: torch.optim.Adamax (PyTorch 2.13), the single-tensor, non-capturable implementation.

.. math::
    g_t \leftarrow \pm\nabla f(\theta_{t-1})              (minus when maximize)
    if \lambda \neq 0:  g_t \leftarrow g_t + \lambda\theta_{t-1}
    m_t \leftarrow m_{t-1}.lerp(g_t, 1 - \beta_1)
    u_t \leftarrow \max(\beta_2 u_{t-1}, |g_t| + \epsilon)
    \theta_t \leftarrow \theta_{t-1} - \frac{\gamma}{1 - \beta_1^t} m_t / u_t

`grad` is used as scratch space and overwritten.  State: step, exp_avg, exp_inf.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from . import _rules
from ._common import Scratch, check_types, lerp_, nonzero
from ._onerun import OneRun, lerp2
from .adam import check_adam_like
from .base import (Optimizer, betas_hyper, eps_hyper, lr_hyper, maximize_hyper, register,
                   weight_decay_hyper)


@register
class Adamax(Optimizer):
    r"""Adamax: Adam with the infinity norm, dividing by a decaying maximum of |g|.

    input: γ (lr), β₁, β₂ (betas), θ₀ (params), f(θ) (objective), λ (weight_decay),
           ε (eps), maximize
    initialize: m₀ ← 0 (first moment), u₀ ← 0 (infinity norm)
    for t = 1, 2, …:
        g_t ← ∇f(θ_{t-1})          (g_t ← −∇f(θ_{t-1}) if maximize)
        if λ ≠ 0:  g_t ← g_t + λ θ_{t-1}
        m_t ← β₁ m_{t-1} + (1 − β₁) g_t
        u_t ← max(β₂ u_{t-1}, |g_t| + ε)
        θ_t ← θ_{t-1} − γ m_t / ((1 − β₁^t) u_t)

    Defaults: lr = 2e-3, betas = (0.9, 0.999), eps = 1e-8, weight_decay = 0.
    """

    id = "adamax"
    torch_name = "Adamax"
    family = "torch"
    hypers = (
        lr_hyper(2e-3),
        replace(betas_hyper(doc="coefficients of the running average of the gradient and of "
                                "the decaying maximum of |g|"),
                doc_zh="梯度滑动平均的系数，以及 |g| 衰减最大值的衰减系数"),
        replace(eps_hyper(1e-8, doc="added to |g| before taking the maximum, for numerical "
                                    "stability"),
                doc_zh="在取最大值之前加到 |g| 上，以保证数值稳定"),
        weight_decay_hyper(),
        maximize_hyper(),
    )
    state_names = ("step", "exp_avg", "exp_inf")
    summary = ("A variant of Adam that divides by a slowly decaying maximum of |g| instead of "
               "the root of mean g². Sometimes steadier than Adam, e.g. for embeddings.")
    summary_zh = ("Adam 的变体：分母不用 g² 均值的平方根，而用缓慢衰减的 |g| 最大值。"
                  "有时比 Adam 更稳定，例如在词向量任务中。")

    rule_tex = (
        _rules.ADAM_INPUT + r", \texttt{maximize}",
        r"initialize: m_0 \leftarrow 0, u_0 \leftarrow 0",
        r"state: m\ (\texttt{exp_avg}), u\ (\texttt{exp_inf}), t\ (\texttt{step})",
        _rules.FOR, *_rules.GRADIENT, *_rules.L2,
        _rules.FIRST_MOMENT,
        r"    u_t \leftarrow \max(\beta_2 u_{t-1}, |g_t| + \epsilon)",
        r"    \theta_t \leftarrow \theta_{t-1} - \frac{\gamma m_t}{(1 - \beta_1^t) u_t}",
        _rules.RETURN,
    )

    def __init__(self, **params):
        self._scratch = Scratch()
        super().__init__(**params)

    def validate(self, group: dict) -> None:
        check_types(self, group)
        check_adam_like(group)

    def init(self, p: np.ndarray) -> dict:
        return {"step": 0.0, "exp_avg": np.zeros_like(p), "exp_inf": np.zeros_like(p)}

    def step(self, p: np.ndarray, grad: np.ndarray, state: dict) -> None:
        group = self.group
        beta1, beta2 = group["betas"]
        weight_decay = group["weight_decay"]
        t = self._scratch.get(p, 1)[0]
        g = grad
        if group["maximize"]:
            np.negative(g, out=g)
        step = state["step"] = state["step"] + 1.0
        if nonzero(weight_decay):
            np.multiply(p, weight_decay, out=t)
            g += t
        exp_avg = state["exp_avg"]
        exp_inf = state["exp_inf"]
        lerp_(exp_avg, g, 1 - beta1, t)
        exp_inf *= beta2
        np.abs(g, out=t)
        t += group["eps"]
        np.maximum(exp_inf, t, out=exp_inf)
        clr = group["lr"] / (1 - beta1 ** step)
        np.multiply(exp_avg, -clr, out=t)
        t /= exp_inf
        p += t

    def one_run(self) -> AdamaxRun:
        return AdamaxRun(self.group)


class AdamaxRun(OneRun):
    """`Adamax.step` on one run in Python floats (see _onerun)."""

    STATE = {"step": ("t",), "exp_avg": ("m0", "m1"), "exp_inf": ("u0", "u1")}
    __slots__ = ("t", "m0", "m1", "u0", "u1")

    def __init__(self, group: dict):
        super().__init__(group)
        self.t = 0.0
        self.m0 = self.m1 = self.u0 = self.u1 = 0.0

    def step(self, p0, p1, g0, g1):
        group = self.group
        beta1, beta2 = group["betas"]
        weight_decay = group["weight_decay"]
        if group["maximize"]:
            g0, g1 = -g0, -g1
        step = self.t = self.t + 1.0
        if weight_decay != 0:
            g0, g1 = g0 + p0 * weight_decay, g1 + p1 * weight_decay
        m0, m1 = self.m0, self.m1 = lerp2(self.m0, self.m1, g0, g1, 1 - beta1)
        eps = group["eps"]
        u0, u1 = self.u0 * beta2, self.u1 * beta2
        a0, a1 = abs(g0) + eps, abs(g1) + eps
        u0 = self.u0 = u0 if u0 >= a0 or u0 != u0 else a0        # np.maximum: NaN wins
        u1 = self.u1 = u1 if u1 >= a1 or u1 != u1 else a1
        s = -(group["lr"] / (1 - beta1 ** step))
        return p0 + m0 * s / u0, p1 + m1 * s / u1
