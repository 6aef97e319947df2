r"""AdaBelief, as pytorch_optimizer.AdaBelief (pytorch-optimizer 4.1.0).

    input: lr, betas = (beta1, beta2), weight_decay, weight_decouple, fixed_decay,
           rectify, n_sma_threshold, degenerated_to_sgd, ams_bound, eps, maximize,
           adanorm, adanorm_r, adam_debias
    state: exp_avg = 0, exp_avg_var = 0 (, max_exp_avg_var = 0 with ams_bound)

    for t = 1, 2, ...:
        g_t = -grad if maximize else grad
        weight decay as Lion/AdamW (decoupled by default)
        m_t = lerp(m_{t-1}, g_t, 1 - beta1)                 (AdaNorm may rescale g_t here)
        s_t = beta2 s_{t-1} + (1 - beta2) (g_t - m_t)^2 + eps
        v_t = max(v_{t-1}, s_t) with ams_bound, else s_t
        not rectify:
            theta_t = theta - lr / (1 - beta1^t) * m_t / (sqrt(v_t) / sqrt(1 - beta2^t) + eps)
        rectify (RAdam's rule, with rho_inf = 2/(1 - beta2) - 1,
                 rho_t = rho_inf - 2 t beta2^t / (1 - beta2^t)):
            rho_t >= n_sma_threshold:
                r_t = sqrt((1-beta2^t)(rho_t-4)(rho_t-2) rho_inf / ((rho_inf-4)(rho_inf-2) rho_t))
                theta_t = theta - lr r_t / (1 - beta1^t) * m_t / (sqrt(v_t) + eps)
            otherwise, degenerated_to_sgd:  theta_t = theta - lr / (1 - beta1^t) * m_t
            otherwise:                      no move
        (adam_debias drops the 1 / (1 - beta1^t) factor.)

The step counter t lives in the library's param group; here it is kept in the state.
"""

from __future__ import annotations

import math

import numpy as np

from . import _checks, _pyopt, _rules
from ._onerun import OneRun, lerp2
from .base import Hyper, Optimizer, eps_hyper, lr_hyper, maximize_hyper, register


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
            rt = math.sqrt(
                (1.0 - beta2_t) * (n_sma - 4) / (n_sma_max - 4) * (n_sma - 2) / n_sma * n_sma_max
                / (n_sma_max - 2))
        elif degenerated_to_sgd:
            rt = 1.0
        else:
            rt = -1.0
        step_size = step_size * rt
    return step_size, n_sma


@register
class AdaBelief(Optimizer):
    r"""AdaBelief (pytorch_optimizer.AdaBelief): Adam whose second moment tracks the
    "belief" (g_t − m_t)² instead of g_t².

    m_t = β₁·m_{t-1} + (1 − β₁)·g_t                  (torch.lerp)
    s_t = β₂·s_{t-1} + (1 − β₂)·(g_t − m_t)² + ε
    θ_t = θ_{t-1} − lr/(1 − β₁ᵗ) · m_t / (√s_t / √(1 − β₂ᵗ) + ε)
    ams_bound: s_t → max(s_1..s_t) in the denominator.
    rectify: RAdam's variance rectification r_t; below n_sma_threshold the step is
    SGD-with-momentum (degenerated_to_sgd) or none.
    Weight decay decoupled by default: θ ← θ·(1 − lr·weight_decay).
    Defaults: lr = 1e-3, betas = (0.9, 0.999), eps = 1e-16, weight_decay = 0,
    weight_decouple = True, rectify = False, n_sma_threshold = 5, degenerated_to_sgd = True.
    """

    id = "adabelief"
    torch_name = "AdaBelief"
    family = "extra"
    hypers = (
        lr_hyper(1e-3),
        Hyper("betas", "pair", (0.9, 0.999),
              "(beta1, beta2): decay rates of the gradient mean and of the squared "
              "prediction error (g - m)^2",
              low=0.0, high=1.0, high_open=True, ui=(0.0, 0.9999),
              doc_zh="(beta1, beta2)：梯度均值的衰减率，以及预测误差平方 (g - m)^2 的衰减率"),
        _pyopt.library_weight_decay_hyper(),
        _pyopt.weight_decouple_hyper(),
        _pyopt.fixed_decay_hyper(),
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
        eps_hyper(1e-16),
        maximize_hyper(),
        *_pyopt.adanorm_hypers(),
        _pyopt.adam_debias_hyper(),
    )
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

    def validate(self, group: dict) -> None:
        _pyopt.validate_learning_rate(group)
        _pyopt.validate_betas(group)
        _pyopt.validate_non_negative(group, "weight_decay")
        _pyopt.validate_non_negative(group, "eps")
        _pyopt.flags(group, "weight_decouple", "fixed_decay", "rectify", "degenerated_to_sgd",
                     "ams_bound", "maximize", "adanorm", "adam_debias")
        _checks.number(group, "n_sma_threshold")
        _checks.number(group, "adanorm_r")

    def init(self, p: np.ndarray) -> dict:
        state = {"exp_avg": np.zeros_like(p), "exp_avg_var": np.zeros_like(p), "step": 0}
        if self.group["ams_bound"]:
            state["max_exp_avg_var"] = np.zeros_like(p)
        if self.group["adanorm"]:
            state["exp_grad_adanorm"] = np.zeros((len(p), 1))
        return state

    def step(self, p: np.ndarray, grad: np.ndarray, state: dict) -> None:
        group = self.group
        step = state["step"] = state["step"] + 1
        beta1, beta2, step_size, n_sma, bias_correction2_sq = _step_scalars(group, step)
        rectify = group["rectify"]
        if group["maximize"]:
            grad = np.negative(grad)
        grad = _pyopt.apply_weight_decay(p, grad, group)
        exp_avg, exp_avg_var = state["exp_avg"], state["exp_avg_var"]
        s_grad = _pyopt.adanorm_gradient(grad, group, state)
        _pyopt.lerp_(exp_avg, s_grad, 1.0 - beta1)

        grad_residual = grad - exp_avg
        exp_avg_var *= beta2
        term = grad_residual * (1.0 - beta2)     # addcmul_: (value * t1) * t2
        term *= grad_residual
        exp_avg_var += term
        exp_avg_var += group["eps"]

        if group["ams_bound"]:
            max_exp_avg_var = state["max_exp_avg_var"]
            np.maximum(max_exp_avg_var, exp_avg_var, out=max_exp_avg_var)
            de_nom = np.sqrt(max_exp_avg_var)
        else:
            de_nom = np.sqrt(exp_avg_var)

        if not rectify:
            de_nom /= bias_correction2_sq
            de_nom += group["eps"]
            np.divide(exp_avg * -step_size, de_nom, out=de_nom)   # addcdiv_(value=-step_size)
            p += de_nom
            return

        de_nom += group["eps"]
        adaptive = n_sma >= group["n_sma_threshold"]
        if isinstance(adaptive, np.ndarray) or isinstance(step_size, np.ndarray):
            # a sweep: each run takes its own branch
            rectified = p + (exp_avg * -step_size) / de_nom
            sgd = p - step_size * exp_avg
            np.copyto(p, np.where(adaptive, rectified, np.where(step_size > 0, sgd, p)))
        elif adaptive:
            np.divide(exp_avg * -step_size, de_nom, out=de_nom)   # addcdiv_(value=-step_size)
            p += de_nom
        elif step_size > 0:
            p -= step_size * exp_avg                # add_(exp_avg, alpha=-step_size)

    def one_run(self) -> AdaBeliefRun:
        return AdaBeliefRun(self.group)


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


class AdaBeliefRun(OneRun):
    """`AdaBelief.step` on one run in Python floats (see _onerun)."""

    STATE = {"exp_avg": ("m0", "m1"), "exp_avg_var": ("v0", "v1"),
             "max_exp_avg_var": ("w0", "w1"), "exp_grad_adanorm": ("e",), "step": ("t",)}
    __slots__ = ("m0", "m1", "v0", "v1", "w0", "w1", "e", "t")

    def __init__(self, group: dict):
        super().__init__(group)
        self.m0 = self.m1 = self.v0 = self.v1 = 0.0
        self.w0 = self.w1 = 0.0 if group["ams_bound"] else None
        self.e = 0.0 if group["adanorm"] else None
        self.t = 0

    def step(self, p0, p1, g0, g1):
        group = self.group
        step = self.t = self.t + 1
        beta1, beta2, step_size, n_sma, bias_correction2_sq = _step_scalars(group, step)
        if group["maximize"]:
            g0, g1 = -g0, -g1
        p0, p1, g0, g1 = _pyopt.weight_decay1(p0, p1, g0, g1, group)
        s0, s1 = g0, g1
        if self.e is not None:
            s0, s1, self.e = _pyopt.adanorm1(g0, g1, group, self.e)
        m0, m1 = self.m0, self.m1 = lerp2(self.m0, self.m1, s0, s1, 1.0 - beta1)
        r0, r1 = g0 - m0, g1 - m1
        c = 1.0 - beta2
        eps = group["eps"]
        v0 = self.v0 = self.v0 * beta2 + r0 * c * r0 + eps
        v1 = self.v1 = self.v1 * beta2 + r1 * c * r1 + eps
        if group["ams_bound"]:
            w0 = self.w0 = _pyopt.maximum1(self.w0, v0)
            w1 = self.w1 = _pyopt.maximum1(self.w1, v1)
            d0, d1 = math.sqrt(w0), math.sqrt(w1)
        else:
            d0, d1 = math.sqrt(v0), math.sqrt(v1)
        if not group["rectify"]:
            d0 = d0 / bias_correction2_sq + eps
            d1 = d1 / bias_correction2_sq + eps
            return p0 + (m0 * -step_size) / d0, p1 + (m1 * -step_size) / d1
        d0, d1 = d0 + eps, d1 + eps
        if n_sma >= group["n_sma_threshold"]:
            return p0 + (m0 * -step_size) / d0, p1 + (m1 * -step_size) / d1
        if step_size > 0:
            return p0 - step_size * m0, p1 - step_size * m1
        return p0, p1
