"""Lion, as pytorch_optimizer.Lion (pytorch-optimizer 4.1.0).

`lion` is the update, the math alone; `Lion.rule_tex` the same rule typeset.  The library
keeps `step` in the param group, not in the state: it is not shown.
"""

from __future__ import annotations

from dataclasses import replace

from . import _rules, library
from .base import Hyper, Optimizer, maximize_hyper, register
from .rule import rule


@rule(per_coordinate=("exp_avg",), initial={"step": 0, "exp_avg": 0.0})
def lion(ops, group, p, g, step, exp_avg, exp_grad_adanorm):
    beta1, beta2 = group["betas"]
    step = step + 1
    if group["maximize"]:
        g = -g
    p, g = library.weight_decay(ops, group, p, g)
    s_grad, exp_grad_adanorm = library.adanorm(ops, group, g, exp_grad_adanorm)
    update = ops.sign(ops.lerp(exp_avg, g, 1.0 - beta1))
    exp_avg = ops.lerp(exp_avg, s_grad, 1.0 - beta2)
    if group["cautious"]:
        mask = ops.where(update * g > 0, 1.0, 0.0)
        update = update * (mask * (ops.numel(p) / (ops.sum(mask) + 1)))
    p = p - update * group["lr"]
    return p, step, exp_avg, exp_grad_adanorm


@register
class Lion(Optimizer):
    """Lion: steps by the sign of an interpolated momentum."""

    id = "lion"
    torch_name = "Lion"
    family = "extra"
    hypers = (
        replace(library.lr_hyper(1e-4, ui=(1e-5, 1.0),
                                 doc="learning rate: each coordinate moves by ±lr a step "
                                     "(before weight decay)"),
                doc_zh="学习率：每一步每个坐标恰好移动 ±lr（权重衰减另计）"),
        library.betas_hyper(
            (0.9, 0.99),
            "(beta1, beta2): beta1 blends momentum and gradient for the sign of the step, "
            "beta2 is the decay of the momentum",
            "(beta1, beta2)：beta1 决定计算更新符号时动量与当前梯度的混合比例，"
            "beta2 是动量本身的衰减系数"),
        library.library_weight_decay_hyper(),
        library.weight_decouple_hyper(),
        library.fixed_decay_hyper(),
        maximize_hyper(),
        *library.adanorm_hypers(),
        Hyper("cautious", "bool", False,
              "cautious update: skip the coordinates whose step disagrees with the gradient's "
              "sign, and rescale the rest",
              doc_zh="谨慎更新（cautious）：跳过更新方向与梯度符号不一致的坐标，并对其余坐标重新缩放"),
    )
    update = lion
    state_names = ("exp_avg", "exp_grad_adanorm")
    summary = ("Steps by the sign of a blend of momentum and gradient, so every coordinate "
               "moves by exactly lr. Found by program search (Google, 2023); used to train "
               "large vision and language models with less memory than Adam.")
    summary_zh = ("按动量与梯度混合后的符号更新，每个坐标每步恰好移动 lr。"
                  "由程序搜索发现（Google，2023），训练大型视觉和语言模型时比 Adam 更省显存。")

    rule_tex = (
        r"input: \gamma\ (\texttt{lr}), (\beta_1, \beta_2)\ (\texttt{betas}), \lambda\ (\texttt{weight_decay}), "
        r"\texttt{weight_decouple}, \texttt{cautious}, \texttt{maximize}",
        r"initialize: m_0 \leftarrow 0",
        r"state: m\ (\texttt{exp_avg})",
        _rules.FOR, *_rules.GRADIENT, *_rules.LIBRARY_DECAY,
        r"    u_t \leftarrow \operatorname{sign}(\beta_1 m_{t-1} + (1 - \beta_1) g_t)",
        r"    m_t \leftarrow \beta_2 m_{t-1} + (1 - \beta_2) g_t",
        r"    if: \texttt{cautious}",
        r"        c_t \leftarrow [u_t \odot g_t > 0]",
        r"        u_t \leftarrow \frac{2\, u_t \odot c_t}{\sum_i c_{t,i} + 1}",
        r"    \theta_t \leftarrow \theta_{t-1} - \gamma u_t",
        _rules.RETURN,
    )
    rule_note = ("Every coordinate moves by exactly lr (a sign), whatever the gradient's size. "
                 "fixed_decay shrinks by $1 - \\lambda$ instead of $1 - \\gamma\\lambda$; adanorm "
                 "rescales $g_t$ in $m_t$ up to the running mean of its norm (decay adanorm_r).")
    rule_note_zh = ("无论梯度多大，每个坐标每一步都恰好移动 lr（只取符号）。fixed_decay 时按 "
                    "$1 - \\lambda$ 而不是 $1 - \\gamma\\lambda$ 缩小参数；adanorm 会在计算 $m_t$ "
                    "时把 $g_t$ 放大到其范数的滑动平均（衰减系数 adanorm_r）。")

    def __init__(self, **params):
        super().__init__(**params)
        if not self.group["adanorm"]:
            self.state_names = ("exp_avg",)
