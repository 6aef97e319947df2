"""Adamax: torch.optim.Adamax (PyTorch 2.13), the single-tensor implementation.

`adamax` is the update (torch's `_single_tensor_adamax`, the math alone);
`Adamax.rule_tex` the same rule typeset.
"""

from __future__ import annotations

from dataclasses import replace

from . import _rules
from .base import (
    ADAM_CHECKS,
    Optimizer,
    betas_hyper,
    eps_hyper,
    lr_hyper,
    maximize_hyper,
    register,
    weight_decay_hyper,
)
from .rule import rule


@rule(per_coordinate=("exp_avg", "exp_inf"),
      initial={"step": 0.0, "exp_avg": 0.0, "exp_inf": 0.0})
def adamax(ops, group, p, g, step, exp_avg, exp_inf):
    beta1, beta2 = group["betas"]
    if group["maximize"]:
        g = -g
    step = step + 1.0
    if ops.nonzero(group["weight_decay"]):
        g = g + p * group["weight_decay"]
    exp_avg = ops.lerp(exp_avg, g, 1 - beta1)
    exp_inf = ops.maximum(exp_inf * beta2, ops.abs(g) + group["eps"])
    clr = group["lr"] / (1 - beta1 ** step)
    p = p + exp_avg * -clr / exp_inf
    return p, step, exp_avg, exp_inf


@register
class Adamax(Optimizer):
    """Adamax: Adam with the infinity norm: the step is divided by a running maximum of |g|."""

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
    checks = ADAM_CHECKS
    update = adamax
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
