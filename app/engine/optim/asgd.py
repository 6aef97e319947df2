"""ASGD: torch.optim.ASGD (PyTorch 2.13), the single-tensor implementation.

`asgd` is the update (torch's `_single_tensor_asgd`, the math alone); `ASGD.rule_tex` the
same rule typeset.  eta and mu are per-parameter numbers; eta is computed from the lr at
the end of a step, so a scheduler's lr reaches the update one step late, as in torch.
"""

from __future__ import annotations

import numpy as np

from . import _rules
from .base import (
    Hyper,
    Optimizer,
    lr_hyper,
    maximize_hyper,
    register,
    weight_decay_hyper,
)
from .rule import rule


def _eta(lr, lambd, alpha, step):
    """lr / ((1 + lambd * lr * step) ** alpha), with Python's float rounding for scalars."""
    try:
        return lr / ((1 + lambd * lr * step) ** alpha)
    except (OverflowError, ZeroDivisionError):   # where torch raises: IEEE results instead
        with np.errstate(all="ignore"):
            base = np.float64(1) + np.float64(lambd) * lr * step
            return float(np.float64(lr) / base ** np.float64(alpha))


def first_eta(lr):
    """eta before the first step: the lr (a copy of a sweep map's column)."""
    return float(lr) if np.ndim(lr) == 0 else np.array(lr, dtype=np.float64)


@rule(per_coordinate=("ax",), initial={"step": 0.0, "mu": 1.0, "ax": 0.0})
def asgd(ops, group, p, g, step, eta, mu, ax):
    lr = group["lr"]
    lambd = group["lambd"]
    if eta is None:
        eta = first_eta(lr)
    step = step + 1.0
    if group["maximize"]:
        g = -g
    if ops.nonzero(group["weight_decay"]):
        g = g + group["weight_decay"] * p
    p = p * (1 - lambd * eta)                 # decay term
    p = p - eta * g                           # update parameter
    ax = ops.where(mu != 1, ax + (p - ax) * mu, ops.copy(p))
    eta = _eta(lr, lambd, group["alpha"], step)
    mu = 1 / ops.maximum(1.0, step - group["t0"])
    return p, step, eta, mu, ax


@register
class ASGD(Optimizer):
    """Averaged SGD: SGD with a decaying step, keeping a running average of the iterates (ax)."""

    id = "asgd"
    torch_name = "ASGD"
    family = "torch"
    hypers = (
        lr_hyper(1e-2),
        Hyper("lambd", "float", 1e-4,
              "decay term: shrinks the parameter by (1 - lambd * eta) and slows the decay of eta",
              low=0.0, ui=(1e-6, 1.0), log=True,
              doc_zh="衰减项：每步把参数乘以 (1 - lambd * eta)，同时让步长 eta 随步数衰减"),
        Hyper("alpha", "float", 0.75,
              "power in the step size eta = lr / (1 + lambd * lr * t) ** alpha",
              ui=(0.0, 2.0),
              doc_zh="步长公式 eta = lr / (1 + lambd * lr * t) ** alpha 中的指数"),
        Hyper("t0", "float", 1e6,
              "step after which averaging starts (only the averaged iterate ax sees it)",
              ui=(1.0, 1e6), log=True,
              doc_zh="从第几步开始做平均（只影响平均点 ax，不影响参数本身）"),
        weight_decay_hyper(0.0),
        maximize_hyper(),
    )
    implementation_flags = ("foreach", "differentiable", "capturable")
    update = asgd
    summary = ("SGD whose step size decays as lr / (1 + lambd·lr·t)^alpha and which keeps a "
               "running average ax of the iterates. Used for convex problems, where the "
               "average converges faster than the last iterate.")
    summary_zh = ("步长按 lr / (1 + lambd·lr·t)^alpha 衰减的 SGD，并在状态中维护迭代点的滑动平均 ax。"
                  "多用于凸优化问题：平均点往往比最后一个迭代点收敛得更快。")

    rule_tex = (
        r"input: \gamma\ (\texttt{lr}), \lambda\ (\texttt{lambd}), \alpha\ (\texttt{alpha}), "
        r"t_0\ (\texttt{t0}), w\ (\texttt{weight_decay}), \texttt{maximize}",
        r"initialize: \eta_0 \leftarrow \gamma, \mu_0 \leftarrow 1, \bar{\theta}_0 \leftarrow 0",
        r"state: \eta\ (\texttt{eta}), \mu\ (\texttt{mu}), \bar{\theta}\ (\texttt{ax}), t\ (\texttt{step})",
        _rules.FOR, *_rules.GRADIENT,
        r"    if: w \neq 0",
        r"        g_t \leftarrow g_t + w \theta_{t-1}",
        r"    \theta_t \leftarrow \theta_{t-1} (1 - \lambda \eta_{t-1}) - \eta_{t-1} g_t",
        r"    \bar{\theta}_t \leftarrow \bar{\theta}_{t-1} + \mu_{t-1} (\theta_t - \bar{\theta}_{t-1})",
        r"    \eta_t \leftarrow \frac{\gamma}{(1 + \lambda \gamma t)^\alpha}",
        r"    \mu_t \leftarrow \frac{1}{\max(1, t - t_0)}",
        _rules.RETURN,
    )
    rule_note = ("$\\eta$ is recomputed after the step from the lr of that moment, so a scheduler's "
                 "change of lr shows one step late. The average $\\bar{\\theta}$ is kept in the "
                 "state; the path drawn is $\\theta$.")
    rule_note_zh = ("$\\eta$ 在每一步更新之后才用当时的 lr 重新计算，所以调度器改变 lr 要晚一步才生效。"
                    "平均值 $\\bar{\\theta}$ 只保存在状态里，图上画的是 $\\theta$ 的路径。")
