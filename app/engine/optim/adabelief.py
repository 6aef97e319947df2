"""AdaBelief, as pytorch_optimizer.AdaBelief (pytorch-optimizer 4.1.0).

`adabelief` is the update, the math alone; `AdaBelief.rule_tex` the same rule typeset.  The
library keeps `step` in the param group, not in the state: it is not shown.
"""

from __future__ import annotations

import math

import numpy as np

from . import _rules, library
from .base import Hyper, Optimizer, eps_hyper, maximize_hyper, register
from .rule import rule


def rectify_step_size(rectify: bool, step: int, lr, beta2: float, n_sma_threshold,
                      degenerated_to_sgd: bool):
    """BaseOptimizer.get_rectify_step_size: (step_size, n_sma)."""
    step_size = lr
    n_sma = 0.0
    if rectify:
        n_sma_max = 2.0 / (1.0 - beta2) - 1.0
        beta2_t = beta2 ** step
        n_sma = n_sma_max - 2 * step * beta2_t / (1.0 - beta2_t)
        if isinstance(n_sma_threshold, np.ndarray):        # a sweep of the threshold
            x = ((1.0 - beta2_t) * (n_sma - 4) / (n_sma_max - 4) * (n_sma - 2) / n_sma
                 * n_sma_max / (n_sma_max - 2))
            rt = np.where(n_sma >= n_sma_threshold, math.sqrt(x) if x >= 0 else math.nan,
                          1.0 if degenerated_to_sgd else -1.0)
        elif n_sma >= n_sma_threshold:
            # a threshold below 4 can take the root of a negative number: the library's
            # math.sqrt raises there; a NaN ends the run as diverged instead
            x = ((1.0 - beta2_t) * (n_sma - 4) / (n_sma_max - 4) * (n_sma - 2) / n_sma
                 * n_sma_max / (n_sma_max - 2))
            rt = math.sqrt(x) if x >= 0 else math.nan
        elif degenerated_to_sgd:
            rt = 1.0
        else:
            rt = -1.0
        step_size = step_size * rt
    return step_size, n_sma


@rule(per_coordinate=("exp_avg", "exp_avg_var", "max_exp_avg_var"),
      initial={"step": 0, "exp_avg": 0.0, "exp_avg_var": 0.0})
def adabelief(ops, group, p, g, step, exp_avg, exp_avg_var, max_exp_avg_var, exp_grad_adanorm):
    step = step + 1
    beta1, beta2, step_size, n_sma, bias_correction2_sq = _step_scalars(group, step)
    if group["maximize"]:
        g = -g
    p, g = library.weight_decay(ops, group, p, g)
    s_grad, exp_grad_adanorm = library.adanorm(ops, group, g, exp_grad_adanorm)
    exp_avg = ops.lerp(exp_avg, s_grad, 1.0 - beta1)
    grad_residual = g - exp_avg
    exp_avg_var = (exp_avg_var * beta2 + grad_residual * (1.0 - beta2) * grad_residual
                   + group["eps"])
    if group["ams_bound"]:
        if max_exp_avg_var is None:
            max_exp_avg_var = ops.zeros_like(p)
        max_exp_avg_var = ops.maximum(max_exp_avg_var, exp_avg_var)
        de_nom = ops.sqrt(max_exp_avg_var)
    else:
        de_nom = ops.sqrt(exp_avg_var)
    if not group["rectify"]:
        p = p + exp_avg * -step_size / (de_nom / bias_correction2_sq + group["eps"])
    else:
        de_nom = de_nom + group["eps"]
        p = ops.where(n_sma >= group["n_sma_threshold"], p + exp_avg * -step_size / de_nom,
                      ops.where(step_size > 0, p - step_size * exp_avg, p))
    return p, step, exp_avg, exp_avg_var, max_exp_avg_var, exp_grad_adanorm


@register
class AdaBelief(Optimizer):
    """AdaBelief: Adam whose second moment tracks the belief (g - m)^2 instead of g^2."""

    id = "adabelief"
    torch_name = "AdaBelief"
    family = "extra"
    hypers = (
        library.lr_hyper(1e-3),
        library.betas_hyper(
            (0.9, 0.999),
            "(beta1, beta2): decay rates of the gradient mean and of the squared "
            "prediction error (g - m)^2",
            "(beta1, beta2)：梯度均值的衰减率，以及预测误差平方 (g - m)^2 的衰减率"),
        library.library_weight_decay_hyper(),
        library.weight_decouple_hyper(),
        library.fixed_decay_hyper(),
        Hyper("rectify", "bool", False,
              "RAdam-style rectification of the adaptive step while the variance estimate is young",
              doc_zh="像 RAdam 一样，在方差估计尚不可靠的早期对自适应步长进行修正（rectify）"),
        Hyper("n_sma_threshold", "int", 5,
              "rectify: the adaptive step is used once the SMA length rho_t reaches this",
              ui=(0, 10),
              doc_zh="rectify 时：近似简单移动平均长度 rho_t 达到此值后才使用自适应步长"),
        Hyper("degenerated_to_sgd", "bool", True,
              "rectify: before the threshold, take an SGD-with-momentum step (else do not move)",
              doc_zh="rectify 时：达到阈值之前按带动量的 SGD 更新（否则不更新）"),
        Hyper("ams_bound", "bool", False,
              "use the running maximum of the second moment in the denominator (AMSGrad-like)",
              doc_zh="分母使用二阶矩的历史最大值（类似 AMSGrad）"),
        library.non_negative(eps_hyper(1e-16)),
        maximize_hyper(),
        *library.adanorm_hypers(),
        library.adam_debias_hyper(),
    )
    update = adabelief
    state_names = ("exp_avg", "exp_avg_var", "max_exp_avg_var", "exp_grad_adanorm")
    summary = ("Adam whose denominator tracks how far the gradient strays from its running "
               "mean (the \"belief\"), so it takes big steps where the gradient is "
               "predictable. Proposed to combine Adam's speed with SGD's generalisation.")
    summary_zh = ("Adam 的变体：分母跟踪梯度偏离其滑动平均的程度（\"belief\"），"
                  "梯度可预测时步子更大。提出它是为了兼顾 Adam 的速度和 SGD 的泛化能力。")

    rule_tex = (
        _rules.ADAM_INPUT + r", \texttt{weight_decouple}, \texttt{ams_bound}, \texttt{rectify}, "
        r"N\ (\texttt{n_sma_threshold}), \texttt{degenerated_to_sgd}, \texttt{maximize}",
        r"initialize: m_0 \leftarrow 0, s_0 \leftarrow 0, \rho_\infty \leftarrow \frac{2}{1 - \beta_2} - 1",
        r"state: m\ (\texttt{exp_avg}), s\ (\texttt{exp_avg_var}), s^{\max}\ (\texttt{max_exp_avg_var})",
        _rules.FOR, *_rules.GRADIENT, *_rules.LIBRARY_DECAY,
        _rules.FIRST_MOMENT,
        r"    s_t \leftarrow \beta_2 s_{t-1} + (1 - \beta_2)(g_t - m_t)^2 + \epsilon",
        r"    if: \texttt{ams_bound}",
        r"        s_t^{\max} \leftarrow \max(s_{t-1}^{\max}, s_t), \hat{s}_t \leftarrow s_t^{\max}",
        r"    else:",
        r"        \hat{s}_t \leftarrow s_t",
        r"    if: \texttt{rectify}",
        r"        \rho_t \leftarrow \rho_\infty - \frac{2 t \beta_2^t}{1 - \beta_2^t}",
        r"        if: \rho_t \ge N",
        r"            r_t \leftarrow \sqrt{\frac{(1 - \beta_2^t)(\rho_t - 4)(\rho_t - 2) \rho_\infty}"
        r"{(\rho_\infty - 4)(\rho_\infty - 2) \rho_t}}",
        r"            \theta_t \leftarrow \theta_{t-1} - \frac{\gamma r_t}{1 - \beta_1^t} "
        r"\frac{m_t}{\sqrt{\hat{s}_t} + \epsilon}",
        r"        elif: \texttt{degenerated_to_sgd}",
        r"            \theta_t \leftarrow \theta_{t-1} - \frac{\gamma}{1 - \beta_1^t} m_t",
        r"    else:",
        _rules.adaptive_step(r"\hat{s}_t", indent=2),
        _rules.RETURN,
    )
    rule_note = ("fixed_decay shrinks by $1 - \\lambda$ instead of $1 - \\gamma\\lambda$; adanorm "
                 "rescales $g_t$ in $m_t$ up to the running mean of its norm (decay adanorm_r); "
                 "adam_debias drops the factor $1 / (1 - \\beta_1^t)$.")
    rule_note_zh = ("fixed_decay 时按 $1 - \\lambda$ 而不是 $1 - \\gamma\\lambda$ 缩小参数；adanorm 会在计算 "
                    "$m_t$ 时把 $g_t$ 放大到其范数的滑动平均（衰减系数 adanorm_r）；adam_debias "
                    "去掉因子 $1 / (1 - \\beta_1^t)$。")

    def __init__(self, **params):
        super().__init__(**params)
        group = self.group
        self.state_names = tuple(
            n for n in type(self).state_names
            if (n != "max_exp_avg_var" or group["ams_bound"])
            and (n != "exp_grad_adanorm" or group["adanorm"]))

def _step_scalars(group: dict, step: int):
    """(beta1, beta2, step_size, n_sma, bias_correction2_sq) of step `step`."""
    beta1, beta2 = group["betas"]
    bias_correction1 = 1.0 - math.pow(beta1, step)
    step_size, n_sma = rectify_step_size(group["rectify"], step, group["lr"], beta2,
                                         group["n_sma_threshold"], group["degenerated_to_sgd"])
    if not group.get("adam_debias", False):
        step_size = step_size / bias_correction1
    bias_correction2_sq = math.sqrt(1.0 - math.pow(beta2, step))
    return beta1, beta2, step_size, n_sma, bias_correction2_sq
