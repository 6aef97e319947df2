r"""ASGD: averaged stochastic gradient descent, as torch.optim.ASGD (single-tensor path).

    input: lr (gamma), lambd (lambda), alpha, t0, weight_decay, maximize
    state: step = 0, eta_0 = lr (read at the first step), mu_0 = 1, ax_0 = 0

    for t = 1, 2, ...:
        g_t      = -grad if maximize else grad
        if weight_decay != 0:  g_t = g_t + weight_decay * theta_{t-1}
        theta_t  = theta_{t-1} * (1 - lambda * eta_{t-1}) - eta_{t-1} * g_t
        ax_t     = ax_{t-1} + mu_{t-1} * (theta_t - ax_{t-1})   (ax_t = theta_t while mu = 1)
        eta_t    = lr / (1 + lambda * lr * t) ** alpha
        mu_t     = 1 / max(1, t - t0)

eta is recomputed *after* the update from the current lr, so a scheduler's change of lr
reaches the parameters one step late, exactly as in PyTorch.  t0 only moves the
averaged iterate ax, which is state, not the parameter.
"""

from __future__ import annotations

import numpy as np

from . import _checks, _rules
from ._onerun import OneRun
from .base import (Hyper, HyperparameterError, Optimizer, lr_hyper, maximize_hyper, register,
                   weight_decay_hyper)


def _eta(lr, lambd, alpha, step):
    """lr / ((1 + lambd * lr * step) ** alpha), with Python's float rounding for scalars."""
    try:
        return lr / ((1 + lambd * lr * step) ** alpha)
    except (OverflowError, ZeroDivisionError):   # where torch raises: IEEE results instead
        with np.errstate(all="ignore"):
            base = np.float64(1) + np.float64(lambd) * lr * step
            return float(np.float64(lr) / base ** np.float64(alpha))


@register
class ASGD(Optimizer):
    r"""Averaged SGD (torch.optim.ASGD).

    g_t = ∇f(θ_{t-1})  (negated if maximize);  g_t += weight_decay · θ_{t-1}
    θ_t = θ_{t-1} · (1 − λ·η_{t-1}) − η_{t-1} · g_t
    ax_t = ax_{t-1} + μ_{t-1} · (θ_t − ax_{t-1})        (a copy of θ_t while μ = 1)
    η_t = lr / (1 + λ · lr · t)^α,   μ_t = 1 / max(1, t − t0)
    η_0 = lr, μ_0 = 1.   Defaults: lr = 0.01, λ = 1e-4, α = 0.75, t0 = 1e6.
    η is recomputed after each step from the lr of that moment: a scheduler's lr shows
    one step late.  The average ax is kept in the state; the path is θ.
    """

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
    state_names = ("step", "eta", "mu", "ax")
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

    def __init__(self, **params):
        _checks.reject_flags(self.torch_name, params, ("foreach", "differentiable", "capturable"))
        super().__init__(**params)

    def validate(self, group: dict) -> None:
        for name in ("lr", "lambd", "alpha", "t0", "weight_decay"):
            _checks.number(group, name)
        _checks.flag(group, "maximize")
        if not 0.0 <= group["lr"]:
            raise HyperparameterError("lr", f"Invalid learning rate: {group['lr']}")
        if not 0.0 <= group["weight_decay"]:
            raise HyperparameterError(
                "weight_decay", f"Invalid weight_decay value: {group['weight_decay']}")

    def init(self, p: np.ndarray) -> dict:
        # torch creates eta from group["lr"] at the first step (after a scheduler's first
        # adjustment), so eta is filled in by the first call of step().
        return {"step": 0.0, "eta": None, "mu": 1.0, "ax": np.zeros_like(p)}

    def step(self, p: np.ndarray, grad: np.ndarray, state: dict) -> None:
        group = self.group
        lr = group["lr"]
        lambd = group["lambd"]
        eta = state["eta"]
        if eta is None:
            eta = float(lr) if np.ndim(lr) == 0 else np.array(lr, dtype=np.float64)
        step = state["step"] + 1.0
        state["step"] = step
        grad = np.negative(grad) if group["maximize"] else grad
        wd = group["weight_decay"]
        if type(wd) is not float or wd != 0:
            grad = grad + wd * p
        p *= 1 - lambd * eta                          # decay term
        p -= eta * grad                               # update parameter
        ax = state["ax"]
        mu = state["mu"]
        if type(mu) is float:
            if mu != 1:
                ax += (p - ax) * mu
            else:
                ax[...] = p
        else:
            ax[...] = np.where(mu != 1, ax + (p - ax) * mu, p)
        state["eta"] = _eta(lr, lambd, group["alpha"], step)
        t0 = group["t0"]
        if type(t0) is float:
            state["mu"] = 1 / max(1, step - t0)
        else:
            state["mu"] = 1 / np.maximum(1.0, step - t0)

    def one_run(self) -> ASGDRun:
        return ASGDRun(self.group)


class ASGDRun(OneRun):
    """`ASGD.step` on one run in Python floats (see _onerun)."""

    STATE = {"step": ("t",), "eta": ("eta",), "mu": ("mu",), "ax": ("a0", "a1")}
    __slots__ = ("t", "eta", "mu", "a0", "a1")

    def __init__(self, group: dict):
        super().__init__(group)
        self.t = 0.0
        self.eta = None
        self.mu = 1.0
        self.a0 = self.a1 = 0.0

    def step(self, p0, p1, g0, g1):
        group = self.group
        lr = group["lr"]
        lambd = group["lambd"]
        eta = self.eta
        if eta is None:
            eta = float(lr)
        step = self.t = self.t + 1.0
        if group["maximize"]:
            g0, g1 = -g0, -g1
        wd = group["weight_decay"]
        if wd != 0:
            g0, g1 = g0 + wd * p0, g1 + wd * p1
        f = 1 - lambd * eta
        p0, p1 = p0 * f - eta * g0, p1 * f - eta * g1
        mu = self.mu
        if mu != 1:
            self.a0, self.a1 = self.a0 + (p0 - self.a0) * mu, self.a1 + (p1 - self.a1) * mu
        else:
            self.a0, self.a1 = p0, p1
        self.eta = _eta(lr, lambd, group["alpha"], step)
        self.mu = 1 / max(1, step - group["t0"])
        return p0, p1
