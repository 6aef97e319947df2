r"""Yogi, as pytorch_optimizer.Yogi (pytorch-optimizer 4.1.0).

    input: lr, betas = (beta1, beta2), initial_accumulator, weight_decay,
           weight_decouple, fixed_decay, eps, maximize, adam_debias
    state: exp_avg = exp_avg_sq = initial_accumulator

    for t = 1, 2, ...:
        g_t = -grad if maximize else grad
        weight decay as Lion/AdamW (decoupled by default)
        m_t = lerp(m_{t-1}, g_t, 1 - beta1)
        v_t = v_{t-1} - (1 - beta2) * sign(v_{t-1} - g_t^2) * g_t^2
        theta_t = theta - lr / (1 - beta1^t) * m_t / (sqrt(v_t) / sqrt(1 - beta2^t) + eps)
        (adam_debias drops the 1 / (1 - beta1^t) factor.)

Unlike Adam's v_t = beta2 v + (1 - beta2) g^2, Yogi's second moment moves additively
towards g^2, so a sudden burst of large gradients cannot shrink the step too fast.
The step counter t lives in the library's param group; here it is kept in the state.
"""

from __future__ import annotations

import math

import numpy as np

from . import _checks, _pyopt, _rules
from ._onerun import OneRun, lerp2
from .base import Hyper, Optimizer, lr_hyper, maximize_hyper, register


@register
class Yogi(Optimizer):
    r"""Yogi (pytorch_optimizer.Yogi): Adam with an additive second-moment update.

    m_t = β₁·m_{t-1} + (1 − β₁)·g_t                          (torch.lerp)
    v_t = v_{t-1} − (1 − β₂)·sign(v_{t-1} − g_t²)·g_t²
    θ_t = θ_{t-1} − lr/(1 − β₁ᵗ) · m_t / (√v_t / √(1 − β₂ᵗ) + ε)
    m_0 = v_0 = initial_accumulator.  Weight decay decoupled by default.
    Defaults: lr = 1e-2, betas = (0.9, 0.999), initial_accumulator = 1e-6, eps = 1e-3.
    """

    id = "yogi"
    torch_name = "Yogi"
    family = "extra"
    hypers = (
        lr_hyper(1e-2),
        Hyper("betas", "pair", (0.9, 0.999),
              "(beta1, beta2): decay rates of the first moment and of the additive "
              "second-moment update",
              low=0.0, high=1.0, high_open=True, ui=(0.0, 0.9999),
              doc_zh="(beta1, beta2)：一阶矩的衰减率，以及二阶矩加性更新的系数"),
        Hyper("initial_accumulator", "float", 1e-6,
              "initial value of both moments (exp_avg and exp_avg_sq)",
              ui=(0.0, 1.0), log=False,
              doc_zh="一阶矩和二阶矩（exp_avg 与 exp_avg_sq）的初始值"),
        _pyopt.library_weight_decay_hyper(),
        _pyopt.weight_decouple_hyper(),
        _pyopt.fixed_decay_hyper(),
        Hyper("eps", "float", 1e-3, "added to the denominator for numerical stability",
              low=0.0, ui=(1e-10, 1.0), log=True,
              doc_zh="加到分母上以保证数值稳定"),
        maximize_hyper(),
        _pyopt.adam_debias_hyper(),
    )
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

    def validate(self, group: dict) -> None:
        _pyopt.validate_learning_rate(group)
        _pyopt.validate_betas(group)
        _pyopt.validate_non_negative(group, "weight_decay")
        _pyopt.validate_non_negative(group, "eps")
        _checks.number(group, "initial_accumulator")
        _pyopt.flags(group, "weight_decouple", "fixed_decay", "maximize", "adam_debias")

    def init(self, p: np.ndarray) -> dict:
        init = self.group["initial_accumulator"]
        exp_avg = np.empty_like(p)
        exp_avg[...] = init
        return {"exp_avg": exp_avg, "exp_avg_sq": exp_avg.copy(), "step": 0}

    def step(self, p: np.ndarray, grad: np.ndarray, state: dict) -> None:
        group = self.group
        step = state["step"] = state["step"] + 1
        beta1, beta2, step_size, bias_correction2_sq = _step_scalars(group, step)
        if group["maximize"]:
            grad = np.negative(grad)
        grad = _pyopt.apply_weight_decay(p, grad, group)
        grad_p2 = grad * grad
        exp_avg, exp_avg_sq = state["exp_avg"], state["exp_avg_sq"]
        _pyopt.lerp_(exp_avg, grad, 1.0 - beta1)

        sign = _pyopt.torch_sign(exp_avg_sq - grad_p2)
        sign *= -(1.0 - beta2)                 # addcmul_(sign, g^2, value): (value * t1) * t2
        sign *= grad_p2
        exp_avg_sq += sign

        de_nom = np.sqrt(exp_avg_sq)
        de_nom /= bias_correction2_sq
        de_nom += group["eps"]
        np.divide(exp_avg * -step_size, de_nom, out=de_nom)   # addcdiv_(value=-step_size)
        p += de_nom

    def one_run(self) -> YogiRun:
        return YogiRun(self.group)


def _step_scalars(group: dict, step: int):
    """(beta1, beta2, step_size, bias_correction2_sq) of step `step`."""
    beta1, beta2 = group["betas"]
    bias_correction1 = 1.0 - math.pow(beta1, step)
    bias_correction2_sq = math.sqrt(1.0 - math.pow(beta2, step))
    step_size = group["lr"]
    if not group.get("adam_debias", False):
        step_size = step_size / bias_correction1
    return beta1, beta2, step_size, bias_correction2_sq


class YogiRun(OneRun):
    """`Yogi.step` on one run in Python floats (see _onerun)."""

    STATE = {"exp_avg": ("m0", "m1"), "exp_avg_sq": ("v0", "v1"), "step": ("t",)}
    __slots__ = ("m0", "m1", "v0", "v1", "t")

    def __init__(self, group: dict):
        super().__init__(group)
        self.m0 = self.m1 = self.v0 = self.v1 = float(group["initial_accumulator"])
        self.t = 0

    def step(self, p0, p1, g0, g1):
        group = self.group
        step = self.t = self.t + 1
        beta1, beta2, step_size, bias_correction2_sq = _step_scalars(group, step)
        if group["maximize"]:
            g0, g1 = -g0, -g1
        p0, p1, g0, g1 = _pyopt.weight_decay1(p0, p1, g0, g1, group)
        q0, q1 = g0 * g0, g1 * g1
        m0, m1 = self.m0, self.m1 = lerp2(self.m0, self.m1, g0, g1, 1.0 - beta1)
        c = -(1.0 - beta2)
        v0, v1 = self.v0, self.v1
        v0 = self.v0 = v0 + _pyopt.sign1(v0 - q0) * c * q0
        v1 = self.v1 = v1 + _pyopt.sign1(v1 - q1) * c * q1
        eps = group["eps"]
        d0 = math.sqrt(v0) / bias_correction2_sq + eps
        d1 = math.sqrt(v1) / bias_correction2_sq + eps
        return p0 + (m0 * -step_size) / d0, p1 + (m1 * -step_size) / d1
