"""Adafactor, as torch.optim.Adafactor (PyTorch 2.13, single-tensor path).

`adafactor` is the update, the math alone; `Adafactor.rule_tex` the same rule typeset.
Our parameter is a vector, so Adafactor keeps a full second moment `variance` (the
row/column factorisation only applies to matrices).  RMS(x) = ||x||_2 / sqrt(numel); eps1 =
None means float64's machine epsilon.  The step is relative to the parameter's size:
alpha_t scales with RMS(theta), floored at eps2.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from . import _rules
from .base import (
    Hyper,
    Optimizer,
    lr_hyper,
    maximize_hyper,
    register,
)
from .rule import rule

_FLOAT64_EPS = float(np.finfo(np.float64).eps)     # torch.finfo(torch.float64).eps


@rule(per_coordinate=("variance",), initial={"step": 0.0, "variance": 0.0})
def adafactor(ops, group, p, g, step, variance):
    lr = group["lr"]
    step = step + 1.0
    eps1, eps2, one_minus_beta2_t, rho_t = _step_scalars(group, step)
    if group["maximize"]:
        g = -g
    rho_t = ops.where(rho_t < lr, rho_t, lr)              # Python's min(lr, rho_t)
    sqrt_numel = ops.numel(p) ** 0.5
    rms = ops.sqrt(ops.sumsq(p)) / sqrt_numel
    alpha = ops.where(rms > eps2, rms, eps2) * rho_t      # Python's max(eps2, rms)
    if ops.nonzero(group["weight_decay"]):
        p = p * (1 - lr * group["weight_decay"])
    variance = ops.lerp(variance, g * g, one_minus_beta2_t)
    update = g * (1.0 / ops.sqrt(ops.maximum(variance, eps1 * eps1)))
    rms_u = ops.sqrt(ops.sumsq(update)) / (sqrt_numel * group["d"])
    alpha = alpha / ops.where(rms_u > 1.0, rms_u, 1.0)
    p -= update * alpha
    return p, step, variance


@register
class Adafactor(Optimizer):
    """Adafactor: a step relative to the parameter's size, with a second-moment estimate."""

    id = "adafactor"
    torch_name = "Adafactor"
    family = "torch"
    hypers = (
        replace(lr_hyper(1e-2, ui=(1e-4, 10.0),
                         doc="learning rate: caps the relative step size "
                             "rho_t = min(lr, 1/sqrt(t))"),
                doc_zh="学习率：相对步长 rho_t = min(lr, 1/sqrt(t)) 的上限",
                message="Learning rate should be >= 0 but is: {value}"),
        Hyper("beta2_decay", "float", -0.8,
              "decay rate of the second-moment average: the new g^2 gets weight "
              "t ** beta2_decay",
              high=0.0, ui=(-1.0, 0.0),
              doc_zh="二阶矩滑动平均的衰减率：新 g^2 的权重为 t ** beta2_decay",
              message="beta2_decay should be <= 0 but is: {value}"),
        Hyper("eps", "pair", (None, 1e-3),
              "(eps1, eps2): eps1 floors the second moment (null: machine epsilon), eps2 floors "
              "the parameter's RMS in the relative step size",
              low=0.0, ui=(1e-30, 1.0), log=True, nullable=True,
              doc_zh="(eps1, eps2)：eps1 是二阶矩的下限（null 表示机器精度），eps2 是计算相对步长时"
                     "参数 RMS 的下限",
              message="epsilon{nth} should be >= 0 but is: {value}"),
        Hyper("d", "float", 1.0,
              "clipping threshold: the update's RMS is scaled down to at most d",
              low=1.0, ui=(1.0, 10.0),
              doc_zh="裁剪阈值：更新量的 RMS 超过 d 时按比例缩小到 d",
              message="Clipping threshold d should be >= 1 but is: {value}"),
        Hyper("weight_decay", "float", 0.0,
              "decoupled weight decay: multiplies the parameter by (1 - lr * weight_decay) "
              "each step",
              low=0.0, ui=(0.0, 1.0),
              doc_zh="解耦权重衰减：每步把参数乘以 (1 - lr * weight_decay)",
              message="weight_decay should be >= 0 but is: {value}"),
        maximize_hyper(),
    )
    implementation_flags = ("foreach",)
    update = adafactor
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


def _step_scalars(group: dict, step: float):
    """(eps1, eps2, one_minus_beta2_t, rho_t) of step `step`."""
    eps1, eps2 = group["eps"]
    if eps1 is None:
        eps1 = _FLOAT64_EPS
    return eps1, eps2, step ** group["beta2_decay"], 1 / (step ** 0.5)
