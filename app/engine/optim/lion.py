r"""Lion (EvoLved Sign Momentum), as pytorch_optimizer.Lion (pytorch-optimizer 4.1.0).

    input: lr, betas = (beta1, beta2), weight_decay, weight_decouple, fixed_decay,
           maximize, adanorm, adanorm_r, cautious
    state: exp_avg = 0

    for t = 1, 2, ...:
        g_t = -grad if maximize else grad
        weight decay: theta *= 1 - weight_decay * lr        (weight_decouple, default)
                      theta *= 1 - weight_decay             (weight_decouple and fixed_decay)
                      g_t   += weight_decay * theta         (not weight_decouple)
        u_t     = sign(lerp(exp_avg, g_t, 1 - beta1))       = sign(beta1 m + (1 - beta1) g)
        exp_avg = lerp(exp_avg, s_t, 1 - beta2)             (s_t = g_t, or AdaNorm's rescaled g_t)
        cautious: u_t *= mask * 2 / (sum(mask) + 1), mask = (u_t * g_t > 0)
        theta_t = theta - lr * u_t

Every coordinate moves by exactly lr (a sign), whatever the gradient's size.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from . import _checks, _pyopt, _rules
from ._onerun import OneRun, lerp2
from .base import Hyper, Optimizer, lr_hyper, maximize_hyper, register


@register
class Lion(Optimizer):
    r"""Lion (pytorch_optimizer.Lion): sign of an interpolated momentum.

    u_t = sign(β₁·m_{t-1} + (1 − β₁)·g_t)
    m_t = β₂·m_{t-1} + (1 − β₂)·g_t
    θ_t = θ_{t-1} − lr·u_t
    (both averages computed with torch.lerp; weight decay decoupled by default:
    θ ← θ·(1 − lr·weight_decay) before the step.)
    cautious: u_t ← u_t·mask·n/(Σmask + 1) with mask = [u_t·g_t > 0], n = 2.
    adanorm: m_t averages g_t scaled up to the running mean of ‖g‖ when ‖g_t‖ is below it.
    Defaults: lr = 1e-4, betas = (0.9, 0.99), weight_decay = 0.
    """

    id = "lion"
    torch_name = "Lion"
    family = "extra"
    hypers = (
        replace(lr_hyper(1e-4, ui=(1e-5, 1.0),
                         doc="learning rate: each coordinate moves by ±lr a step "
                             "(before weight decay)"),
                doc_zh="学习率：每一步每个坐标恰好移动 ±lr（权重衰减另计）"),
        Hyper("betas", "pair", (0.9, 0.99),
              "(beta1, beta2): beta1 blends momentum and gradient for the sign of the step, "
              "beta2 is the decay of the momentum",
              low=0.0, high=1.0, high_open=True, ui=(0.0, 0.9999),
              doc_zh="(beta1, beta2)：beta1 决定计算更新符号时动量与当前梯度的混合比例，"
                     "beta2 是动量本身的衰减系数"),
        _pyopt.library_weight_decay_hyper(),
        _pyopt.weight_decouple_hyper(),
        _pyopt.fixed_decay_hyper(),
        maximize_hyper(),
        *_pyopt.adanorm_hypers(),
        Hyper("cautious", "bool", False,
              "cautious update: skip the coordinates whose step disagrees with the gradient's "
              "sign, and rescale the rest",
              doc_zh="谨慎更新（cautious）：跳过更新方向与梯度符号不一致的坐标，并对其余坐标重新缩放"),
    )
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

    def validate(self, group: dict) -> None:
        _pyopt.validate_learning_rate(group)
        _pyopt.validate_betas(group)
        _pyopt.validate_non_negative(group, "weight_decay")
        _pyopt.flags(group, "weight_decouple", "fixed_decay", "maximize", "adanorm", "cautious")
        _checks.number(group, "adanorm_r")

    def init(self, p: np.ndarray) -> dict:
        state = {"exp_avg": np.zeros_like(p), "step": 0}
        if self.group["adanorm"]:
            state["exp_grad_adanorm"] = np.zeros((len(p), 1))
        return state

    def step(self, p: np.ndarray, grad: np.ndarray, state: dict) -> None:
        group = self.group
        beta1, beta2 = group["betas"]
        lr = group["lr"]
        state["step"] += 1                   # the library keeps it in the param group
        if group["maximize"]:
            grad = np.negative(grad)
        grad = _pyopt.apply_weight_decay(p, grad, group)
        s_grad = _pyopt.adanorm_gradient(grad, group, state)
        exp_avg = state["exp_avg"]
        update = _pyopt.torch_sign(_pyopt.lerp(exp_avg, grad, 1.0 - beta1))
        _pyopt.lerp_(exp_avg, s_grad, 1.0 - beta2)
        if group["cautious"]:
            mask = (update * grad > 0).astype(np.float64)
            mask *= mask.shape[1] / (mask.sum(axis=1, keepdims=True) + 1)
            update *= mask
        update *= lr
        p -= update

    def one_run(self) -> LionRun:
        return LionRun(self.group)


class LionRun(OneRun):
    """`Lion.step` on one run in Python floats (see _onerun)."""

    STATE = {"exp_avg": ("m0", "m1"), "exp_grad_adanorm": ("e",), "step": ("t",)}
    __slots__ = ("m0", "m1", "e", "t")

    def __init__(self, group: dict):
        super().__init__(group)
        self.m0 = self.m1 = 0.0
        self.e = 0.0 if group["adanorm"] else None
        self.t = 0

    def step(self, p0, p1, g0, g1):
        group = self.group
        beta1, beta2 = group["betas"]
        lr = group["lr"]
        self.t += 1
        if group["maximize"]:
            g0, g1 = -g0, -g1
        p0, p1, g0, g1 = _pyopt.weight_decay1(p0, p1, g0, g1, group)
        s0, s1 = g0, g1
        if self.e is not None:
            s0, s1, self.e = _pyopt.adanorm1(g0, g1, group, self.e)
        m0, m1 = self.m0, self.m1
        u0, u1 = lerp2(m0, m1, g0, g1, 1.0 - beta1)
        u0, u1 = _pyopt.sign1(u0), _pyopt.sign1(u1)
        self.m0, self.m1 = lerp2(m0, m1, s0, s1, 1.0 - beta2)
        if group["cautious"]:
            k0 = 1.0 if u0 * g0 > 0 else 0.0
            k1 = 1.0 if u1 * g1 > 0 else 0.0
            f = 2 / (k0 + k1 + 1)
            u0, u1 = u0 * (k0 * f), u1 * (k1 * f)
        return p0 - u0 * lr, p1 - u1 * lr
