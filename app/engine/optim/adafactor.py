r"""Adafactor, as torch.optim.Adafactor (PyTorch 2.13, single-tensor path).

Our parameter is a vector of 2 elements, so Adafactor keeps a full second moment
`variance` (the row/column factorisation only applies to matrices):

    input: lr, beta2_decay, eps = (eps1, eps2), d, weight_decay, maximize
    state: step = 0, variance = 0

    for t = 1, 2, ...:
        g_t        = -grad if maximize else grad
        beta2hat   = 1 - t ** beta2_decay            (the lerp weight is t ** beta2_decay)
        rho_t      = min(lr, 1 / sqrt(t))
        alpha_t    = max(eps2, RMS(theta_{t-1})) * rho_t
        if weight_decay != 0:  theta = theta * (1 - lr * weight_decay)
        variance   = lerp(variance, g_t * g_t, t ** beta2_decay)
        U_t        = g_t / sqrt(max(variance, eps1 ** 2))
        theta_t    = theta - alpha_t / max(1, RMS(U_t) / d) * U_t

RMS(x) = ||x||_2 / sqrt(numel).  eps1 = None means float64's machine epsilon.  The step is
relative to the parameter's size: alpha_t scales with RMS(theta), floored at eps2.
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np

from . import _checks, _rules
from ._onerun import OneRun, lerp2
from ._pyopt import lerp_, maximum1
from .base import Hyper, HyperparameterError, Optimizer, lr_hyper, maximize_hyper, register

_FLOAT64_EPS = float(np.finfo(np.float64).eps)     # torch.finfo(torch.float64).eps
_SQRT_NUMEL = 2 ** 0.5                              # param.numel() ** 0.5, numel = 2


def _norm(x: np.ndarray) -> np.ndarray:
    """||x||_2 per row, shape (B, 1)."""
    sq = x * x
    out = sq[:, :1] + sq[:, 1:]
    return np.sqrt(out, out=out)


@register
class Adafactor(Optimizer):
    r"""Adafactor (torch.optim.Adafactor), for a 2-element parameter (full second moment).

    ρ_t = min(lr, 1/√t),   α_t = max(ε₂, RMS(θ_{t-1})) · ρ_t
    θ ← θ · (1 − lr · weight_decay)                      (if weight_decay ≠ 0)
    v_t = lerp(v_{t-1}, g_t², t^{β₂decay})
        i.e. v_t = β̂₂·v_{t-1} + (1 − β̂₂)·g_t²  with  1 − β̂₂ = t^{β₂decay}
    U_t = g_t / √max(v_t, ε₁²)
    θ_t = θ − α_t / max(1, RMS(U_t)/d) · U_t
    RMS(x) = ‖x‖₂ / √numel.  ε₁ = None means machine epsilon.
    Defaults: lr = 0.01, beta2_decay = −0.8, eps = (None, 1e-3), d = 1, weight_decay = 0.
    The step is relative to the parameter's size (α_t ∝ RMS(θ), floored at ε₂).
    """

    id = "adafactor"
    torch_name = "Adafactor"
    family = "torch"
    hypers = (
        replace(lr_hyper(1e-2, ui=(1e-4, 10.0),
                         doc="learning rate: caps the relative step size "
                             "rho_t = min(lr, 1/sqrt(t))"),
                doc_zh="学习率：相对步长 rho_t = min(lr, 1/sqrt(t)) 的上限"),
        Hyper("beta2_decay", "float", -0.8,
              "decay rate of the second-moment average: the new g^2 gets weight "
              "t ** beta2_decay",
              high=0.0, ui=(-1.0, 0.0),
              doc_zh="二阶矩滑动平均的衰减率：新 g^2 的权重为 t ** beta2_decay"),
        Hyper("eps", "pair", (None, 1e-3),
              "(eps1, eps2): eps1 floors the second moment (null: machine epsilon), eps2 floors "
              "the parameter's RMS in the relative step size",
              low=0.0, ui=(1e-30, 1.0), log=True, nullable=True,
              doc_zh="(eps1, eps2)：eps1 是二阶矩的下限（null 表示机器精度），eps2 是计算相对步长时"
                     "参数 RMS 的下限"),
        Hyper("d", "float", 1.0,
              "clipping threshold: the update's RMS is scaled down to at most d",
              low=1.0, ui=(1.0, 10.0),
              doc_zh="裁剪阈值：更新量的 RMS 超过 d 时按比例缩小到 d"),
        Hyper("weight_decay", "float", 0.0,
              "decoupled weight decay: multiplies the parameter by (1 - lr * weight_decay) "
              "each step",
              low=0.0, ui=(0.0, 1.0),
              doc_zh="解耦权重衰减：每步把参数乘以 (1 - lr * weight_decay)"),
        maximize_hyper(),
    )
    state_names = ("step", "variance")
    summary = ("Adam-like steps without first moment, whose size is relative to the "
               "parameter's own scale and clipped by the update's RMS. Made for huge models "
               "(transformers) to save optimizer memory.")
    summary_zh = ("类似 Adam 但不保存一阶矩，步长相对于参数自身的大小，并按更新量的 RMS 裁剪。"
                  "为超大模型（如 Transformer）节省优化器显存而设计。")

    rule_tex = (
        r"input: \gamma\ (\texttt{lr}), \tau\ (\texttt{beta2_decay}), (\epsilon_1, \epsilon_2)\ (\texttt{eps}), "
        r"d\ (\texttt{d}), \lambda\ (\texttt{weight_decay}), \texttt{maximize}",
        r"initialize: v_0 \leftarrow 0",
        r"state: v\ (\texttt{variance}), t\ (\texttt{step})",
        _rules.FOR, *_rules.GRADIENT,
        r"    \hat{\beta}_{2,t} \leftarrow 1 - t^{\tau}",
        r"    \rho_t \leftarrow \min(\gamma, 1 / \sqrt{t})",
        r"    \alpha_t \leftarrow \max(\epsilon_2, \mathrm{RMS}(\theta_{t-1}))\, \rho_t",
        r"    if: \lambda \neq 0",
        r"        \theta_{t-1} \leftarrow \theta_{t-1} (1 - \gamma \lambda)",
        r"    v_t \leftarrow \hat{\beta}_{2,t} v_{t-1} + (1 - \hat{\beta}_{2,t}) g_t^2",
        r"    U_t \leftarrow \frac{g_t}{\sqrt{\max(v_t, \epsilon_1^2)}}",
        r"    \theta_t \leftarrow \theta_{t-1} - \frac{\alpha_t}{\max(1, \mathrm{RMS}(U_t) / d)} U_t",
        _rules.RETURN,
        r"where: \mathrm{RMS}(x) = \lVert x \rVert_2 / \sqrt{n}",
    )
    rule_note = ("Our parameter has 2 elements, so Adafactor keeps a full second moment (its "
                 "row/column factorisation is for matrices). $\\epsilon_1$ = None means machine "
                 "epsilon. The step is relative to the parameter's size.")
    rule_note_zh = ("这里的参数只有 2 个元素，所以 Adafactor 保存完整的二阶矩（按行/列分解只用于矩阵）。"
                    "$\\epsilon_1$ 为 None 时取机器精度。步长与参数本身的大小成比例。")

    def __init__(self, **params):
        _checks.reject_flags(self.torch_name, params, ("foreach",))
        super().__init__(**params)

    def validate(self, group: dict) -> None:
        _checks.number(group, "lr")
        _checks.number(group, "beta2_decay")
        _checks.pair(group, "eps", first_nullable=True)
        _checks.number(group, "d")
        _checks.number(group, "weight_decay")
        _checks.flag(group, "maximize")
        lr, eps = group["lr"], group["eps"]
        if not 0.0 <= lr:
            raise HyperparameterError("lr", f"Learning rate should be >= 0 but is: {lr}")
        if not 0.0 >= group["beta2_decay"]:
            raise HyperparameterError(
                "beta2_decay", f"beta2_decay should be <= 0 but is: {group['beta2_decay']}")
        if eps[0] is not None and not 0.0 <= eps[0]:
            raise HyperparameterError("eps", f"epsilon1 should be >= 0 but is: {eps[0]}")
        if not 0.0 <= eps[1]:
            raise HyperparameterError("eps", f"epsilon2 should be >= 0 but is: {eps[1]}")
        if not 1.0 <= group["d"]:
            raise HyperparameterError(
                "d", f"Clipping threshold d should be >= 1 but is: {group['d']}")
        if not 0.0 <= group["weight_decay"]:
            raise HyperparameterError(
                "weight_decay", f"weight_decay should be >= 0 but is: {group['weight_decay']}")

    def init(self, p: np.ndarray) -> dict:
        return {"step": 0.0, "variance": np.zeros_like(p)}

    def step(self, p: np.ndarray, grad: np.ndarray, state: dict) -> None:
        group = self.group
        lr = group["lr"]
        step = state["step"] = state["step"] + 1.0
        eps1, eps2, one_minus_beta2_t, rho_t = _step_scalars(group, step)
        if group["maximize"]:
            grad = np.negative(grad)
        if type(lr) is float:
            rho_t = min(lr, rho_t)
        else:                                   # Python's min(lr, x): lr unless x < lr
            rho_t = np.where(rho_t < lr, rho_t, lr)
        rms = _norm(p)
        rms /= _SQRT_NUMEL
        alpha = np.where(rms > eps2, rms, eps2)  # Python's max(eps2, x): eps2 unless x > eps2
        alpha *= rho_t

        wd = group["weight_decay"]
        if type(wd) is not float or wd != 0:
            p *= 1 - lr * wd

        variance = state["variance"]
        grad_squared = grad * grad
        lerp_(variance, grad_squared, one_minus_beta2_t)

        update = np.maximum(variance, eps1 * eps1)
        np.sqrt(update, out=update)
        np.divide(1.0, update, out=update)      # rsqrt_()
        update *= grad
        rms_u = _norm(update)
        rms_u /= _SQRT_NUMEL * group["d"]
        denom = np.where(rms_u > 1.0, rms_u, 1.0)
        alpha /= denom
        update *= alpha
        p -= update

    def one_run(self) -> AdafactorRun:
        return AdafactorRun(self.group)


def _step_scalars(group: dict, step: float):
    """(eps1, eps2, one_minus_beta2_t, rho_t) of step `step`."""
    eps1, eps2 = group["eps"]
    if eps1 is None:
        eps1 = _FLOAT64_EPS
    return eps1, eps2, step ** group["beta2_decay"], 1 / (step ** 0.5)


class AdafactorRun(OneRun):
    """`Adafactor.step` on one run in Python floats (see _onerun)."""

    STATE = {"step": ("t",), "variance": ("v0", "v1")}
    __slots__ = ("t", "v0", "v1")

    def __init__(self, group: dict):
        super().__init__(group)
        self.t = 0.0
        self.v0 = self.v1 = 0.0

    def step(self, p0, p1, g0, g1):
        group = self.group
        lr = group["lr"]
        step = self.t = self.t + 1.0
        eps1, eps2, one_minus_beta2_t, rho_t = _step_scalars(group, step)
        if group["maximize"]:
            g0, g1 = -g0, -g1
        rho_t = min(lr, rho_t)
        rms = math.sqrt(p0 * p0 + p1 * p1) / _SQRT_NUMEL
        alpha = (rms if rms > eps2 else eps2) * rho_t
        wd = group["weight_decay"]
        if wd != 0:
            f = 1 - lr * wd
            p0, p1 = p0 * f, p1 * f
        v0, v1 = self.v0, self.v1 = lerp2(self.v0, self.v1, g0 * g0, g1 * g1, one_minus_beta2_t)
        floor = eps1 * eps1
        u0 = g0 * (1.0 / math.sqrt(maximum1(v0, floor)))
        u1 = g1 * (1.0 / math.sqrt(maximum1(v1, floor)))
        rms_u = math.sqrt(u0 * u0 + u1 * u1) / (_SQRT_NUMEL * group["d"])
        alpha = alpha / (rms_u if rms_u > 1.0 else 1.0)
        return p0 - u0 * alpha, p1 - u1 * alpha
