"""RAdam: torch.optim.RAdam (PyTorch 2.13), the single-tensor, non-capturable implementation.

`radam` is the update (torch's `_single_tensor_radam`, the math alone); `RAdam.rule_tex`
the same rule typeset.
"""

from __future__ import annotations

import numpy as np

from . import _rules
from .base import (
    ADAM_CHECKS,
    Optimizer,
    betas_hyper,
    eps_hyper,
    flag_hyper,
    lr_hyper,
    maximize_hyper,
    register,
    weight_decay_hyper,
)
from .rule import rule


def rectification(rho_t, rho_inf):
    """r_t where rho_t > 5 (torch computes it only there, in Python floats), else 1; a
    column of them when a sweep map makes beta2 one."""
    if isinstance(rho_t, np.ndarray):
        with np.errstate(invalid="ignore"):
            r = ((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t)) ** 0.5
        return np.where(rho_t > 5.0, r, 1.0)
    if rho_t > 5.0:
        return ((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t)) ** 0.5
    return 1.0


@rule(per_coordinate=("exp_avg", "exp_avg_sq"),
      initial={"step": 0.0, "exp_avg": 0.0, "exp_avg_sq": 0.0})
def radam(ops, group, p, g, step, exp_avg, exp_avg_sq):
    lr = group["lr"]
    beta1, beta2 = group["betas"]
    weight_decay = group["weight_decay"]
    if group["maximize"]:
        g = -g
    step = step + 1.0
    if ops.nonzero(weight_decay):
        if group["decoupled_weight_decay"]:
            p = p * (1 - lr * weight_decay)
        else:
            g = g + p * weight_decay
    exp_avg = ops.lerp(exp_avg, g, 1 - beta1)
    exp_avg_sq = exp_avg_sq * beta2 + g * (1 - beta2) * g
    bias_correction1 = 1 - beta1 ** step
    bias_correction2 = 1 - beta2 ** step
    update = exp_avg / bias_correction1 * lr
    rho_inf = 2 / (1 - beta2) - 1
    rho_t = rho_inf - 2 * step * (beta2 ** step) / bias_correction2
    rect = rectification(rho_t, rho_inf)
    update = ops.where(rho_t > 5.0,
                       update * (1.0 / (ops.sqrt(exp_avg_sq) + group["eps"])
                                 * bias_correction2 ** 0.5) * rect,
                       update)
    p = p - update
    return p, step, exp_avg, exp_avg_sq


@register
class RAdam(Optimizer):
    """RAdam: Adam with its adaptive step rectified while the variance estimate is young."""

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
    checks = ADAM_CHECKS
    update = radam
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
