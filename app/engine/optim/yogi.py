"""Yogi, as pytorch_optimizer.Yogi (pytorch-optimizer 4.1.0).

`yogi` is the update, the math alone; `Yogi.rule_tex` the same rule typeset.  The library
keeps `step` in the param group, not in the state: it is not shown.
"""

from __future__ import annotations

import math

from . import _rules, library
from .base import Hyper, Optimizer, maximize_hyper, register
from .rule import rule


@rule(per_coordinate=("exp_avg", "exp_avg_sq"), initial={"step": 0})
def yogi(ops, group, p, g, step, exp_avg, exp_avg_sq):
    if exp_avg is None:
        exp_avg = ops.full_like(p, group["initial_accumulator"])
        exp_avg_sq = ops.full_like(p, group["initial_accumulator"])
    step = step + 1
    beta1, beta2, step_size, bias_correction2_sq = _step_scalars(group, step)
    if group["maximize"]:
        g = -g
    p, g = library.weight_decay(ops, group, p, g)
    grad_p2 = g * g
    exp_avg = ops.lerp(exp_avg, g, 1.0 - beta1)
    exp_avg_sq = exp_avg_sq + ops.sign(exp_avg_sq - grad_p2) * -(1.0 - beta2) * grad_p2
    de_nom = ops.sqrt(exp_avg_sq) / bias_correction2_sq + group["eps"]
    p = p + exp_avg * -step_size / de_nom
    return p, step, exp_avg, exp_avg_sq


@register
class Yogi(Optimizer):
    """Yogi: Adam with an additive second-moment update."""

    id = "yogi"
    torch_name = "Yogi"
    family = "extra"
    hypers = (
        library.lr_hyper(1e-2),
        library.betas_hyper(
            (0.9, 0.999),
            "(beta1, beta2): decay rates of the first moment and of the additive "
            "second-moment update",
            "(beta1, beta2)：一阶矩的衰减率，以及二阶矩加性更新的系数"),
        Hyper("initial_accumulator", "float", 1e-6,
              "initial value of both moments (exp_avg and exp_avg_sq)",
              ui=(0.0, 1.0), log=False,
              doc_zh="一阶矩和二阶矩（exp_avg 与 exp_avg_sq）的初始值"),
        library.library_weight_decay_hyper(),
        library.weight_decouple_hyper(),
        library.fixed_decay_hyper(),
        library.non_negative(
            Hyper("eps", "float", 1e-3, "added to the denominator for numerical stability",
                  ui=(1e-10, 1.0), log=True, doc_zh="加到分母上以保证数值稳定")),
        maximize_hyper(),
        library.adam_debias_hyper(),
    )
    update = yogi
    state_names = ("exp_avg", "exp_avg_sq")
    summary = ("Adam whose second moment moves additively towards g², by at most "
               "(1 − beta2)·g² a step, so the effective learning rate cannot collapse after "
               "a few large gradients. Proposed for problems with rare, large gradients.")
    summary_zh = ("Adam 的变体：二阶矩以加法方式向 g² 靠拢，每步最多变化 (1 − beta2)·g²，"
                  "因此几次大梯度不会让有效学习率骤降。适合偶尔出现大梯度的问题。")

    rule_tex = (
        _rules.ADAM_INPUT + r", c\ (\texttt{initial_accumulator}), \texttt{weight_decouple}, "
        r"\texttt{maximize}",
        r"initialize: m_0 \leftarrow c, v_0 \leftarrow c",
        r"state: m\ (\texttt{exp_avg}), v\ (\texttt{exp_avg_sq})",
        _rules.FOR, *_rules.GRADIENT, *_rules.LIBRARY_DECAY,
        _rules.FIRST_MOMENT,
        r"    v_t \leftarrow v_{t-1} - (1 - \beta_2) \operatorname{sign}(v_{t-1} - g_t^2)\, g_t^2",
        _rules.adaptive_step("v_t"),
        _rules.RETURN,
    )
    rule_note = ("fixed_decay shrinks by $1 - \\lambda$ instead of $1 - \\gamma\\lambda$; adam_debias "
                 "drops the factor $1 / (1 - \\beta_1^t)$.")
    rule_note_zh = ("fixed_decay 时按 $1 - \\lambda$ 而不是 $1 - \\gamma\\lambda$ 缩小参数；adam_debias "
                    "去掉因子 $1 / (1 - \\beta_1^t)$。")

def _step_scalars(group: dict, step: int):
    """(beta1, beta2, step_size, bias_correction2_sq) of step `step`."""
    beta1, beta2 = group["betas"]
    bias_correction1 = 1.0 - math.pow(beta1, step)
    bias_correction2_sq = math.sqrt(1.0 - math.pow(beta2, step))
    step_size = group["lr"]
    if not group.get("adam_debias", False):
        step_size = step_size / bias_correction1
    return beta1, beta2, step_size, bias_correction2_sq
