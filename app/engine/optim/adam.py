"""Adam: torch.optim.Adam (PyTorch 2.13), the single-tensor, non-capturable implementation.

`adam` is the update (torch's `_single_tensor_adam`, the math alone), shared by AdamW;
`Adam.rule_tex` is the same rule typeset for the page.
"""

from __future__ import annotations

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

AMSGRAD = flag_hyper("amsgrad", "AMSGrad: divide by the running maximum of the second moment",
                     "AMSGrad：用二阶矩历史最大值作分母，步长不会因 v 变小而变大")


@rule(per_coordinate=("exp_avg", "exp_avg_sq", "max_exp_avg_sq"),
      initial={"step": 0.0, "exp_avg": 0.0, "exp_avg_sq": 0.0})
def adam(ops, group, p, g, step, exp_avg, exp_avg_sq, max_exp_avg_sq):
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
    exp_avg_sq *= beta2
    exp_avg_sq += g * (1 - beta2) * g
    step_size = lr / (1 - beta1 ** step)
    bias_correction2_sqrt = (1 - beta2 ** step) ** 0.5
    v = exp_avg_sq
    if group["amsgrad"]:
        if max_exp_avg_sq is None:
            max_exp_avg_sq = ops.zeros_like(p)
        max_exp_avg_sq = ops.maximum(max_exp_avg_sq, exp_avg_sq)
        v = max_exp_avg_sq
    denom = ops.sqrt(v) / bias_correction2_sqrt + group["eps"]
    p += exp_avg * -step_size / denom
    return p, step, exp_avg, exp_avg_sq, max_exp_avg_sq


@register
class Adam(Optimizer):
    """Adam: momentum on the gradient, divided by the root of a running mean of its square."""

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
    checks = ADAM_CHECKS
    update = adam
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
