"""NAdam: torch.optim.NAdam (PyTorch 2.13), the single-tensor, non-capturable implementation.

`nadam` is the update (torch's `_single_tensor_nadam`, the math alone); `NAdam.rule_tex`
the same rule typeset.  step and mu_product are numbers, as torch's 0-dim tensors.
"""

from __future__ import annotations

from . import _rules
from .base import (
    ADAM_CHECKS,
    Hyper,
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


@rule(per_coordinate=("exp_avg", "exp_avg_sq"),
      initial={"step": 0.0, "mu_product": 1.0, "exp_avg": 0.0, "exp_avg_sq": 0.0})
def nadam(ops, group, p, g, step, mu_product, exp_avg, exp_avg_sq):
    lr = group["lr"]
    beta1, beta2 = group["betas"]
    weight_decay = group["weight_decay"]
    momentum_decay = group["momentum_decay"]
    if group["maximize"]:
        g = -g
    step = step + 1.0
    bias_correction2 = 1 - beta2 ** step
    if ops.nonzero(weight_decay):
        if group["decoupled_weight_decay"]:
            p = p * (1 - lr * weight_decay)
        else:
            g = g + p * weight_decay
    mu = beta1 * (1.0 - 0.5 * (0.96 ** (step * momentum_decay)))
    mu_next = beta1 * (1.0 - 0.5 * (0.96 ** ((step + 1) * momentum_decay)))
    mu_product = mu_product * mu
    exp_avg = ops.lerp(exp_avg, g, 1 - beta1)
    exp_avg_sq = exp_avg_sq * beta2 + g * (1 - beta2) * g
    denom = ops.sqrt(exp_avg_sq / bias_correction2) + group["eps"]
    mu_product_next = mu_product * mu_next
    p = p + g * (-lr * (1.0 - mu) / (1.0 - mu_product)) / denom
    p = p + exp_avg * ((-lr * mu_next) / (1.0 - mu_product_next)) / denom
    return p, step, mu_product, exp_avg, exp_avg_sq


@register
class NAdam(Optimizer):
    """NAdam: Adam with Nesterov momentum, using a warming-up momentum schedule μ_t."""

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
              doc_zh="动量衰减 ψ：决定动量 μ_t 逐渐升到 β₁ 的快慢",
              message="Invalid momentum_decay value: {value}"),
        flag_hyper("decoupled_weight_decay",
                   "decoupled weight decay (NAdamW): shrink θ by (1 - lr·weight_decay) "
                   "instead of adding weight_decay·θ to the gradient",
                   "解耦权重衰减（NAdamW）：直接把 θ 乘以 (1 - lr·weight_decay)，"
                   "而不是把 weight_decay·θ 加到梯度上"),
        maximize_hyper(),
    )
    checks = (*ADAM_CHECKS, "momentum_decay")
    update = nadam
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
