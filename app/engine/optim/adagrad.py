r"""Adagrad: torch.optim.Adagrad (PyTorch 2.13), the single-tensor dense implementation.

.. math::
    g_t \leftarrow \pm\nabla f(\theta_{t-1})              (minus when maximize)
    if \lambda \neq 0:  g_t \leftarrow g_t + \lambda\theta_{t-1}
    \tilde\gamma \leftarrow \gamma / (1 + (t - 1)\eta)
    state\_sum_t \leftarrow state\_sum_{t-1} + g_t^2
    \theta_t \leftarrow \theta_{t-1} - \tilde\gamma g_t / (\sqrt{state\_sum_t} + \epsilon)

`grad` is used as scratch space and overwritten.  State: step, sum (torch creates both in
the constructor: step = 0, sum = initial_accumulator_value).
"""

from __future__ import annotations

from math import sqrt

import numpy as np

from . import _rules
from ._common import Scratch, check_types, nonzero
from ._onerun import OneRun
from .base import (Hyper, HyperparameterError, Optimizer, eps_hyper, lr_hyper, maximize_hyper,
                   register, weight_decay_hyper)


@register
class Adagrad(Optimizer):
    r"""Adagrad: each coordinate's step is divided by the root of its summed squared gradients.

    input: γ (lr), θ₀ (params), f(θ) (objective), λ (weight_decay), τ (initial_accumulator_value),
           η (lr_decay), ε (eps), maximize
    initialize: state_sum₀ ← τ
    for t = 1, 2, …:
        g_t ← ∇f(θ_{t-1})          (g_t ← −∇f(θ_{t-1}) if maximize)
        γ̃ ← γ / (1 + (t − 1) η)
        if λ ≠ 0:  g_t ← g_t + λ θ_{t-1}
        state_sum_t ← state_sum_{t-1} + g_t²
        θ_t ← θ_{t-1} − γ̃ g_t / (√state_sum_t + ε)

    Defaults: lr = 1e-2, lr_decay = 0, weight_decay = 0, initial_accumulator_value = 0,
    eps = 1e-10.
    """

    id = "adagrad"
    torch_name = "Adagrad"
    family = "torch"
    hypers = (
        lr_hyper(1e-2),
        Hyper("lr_decay", "float", 0.0,
              "learning-rate decay η: step t uses lr / (1 + (t - 1)·η)",
              low=0.0, ui=(0.0, 1.0),
              doc_zh="学习率衰减 η：第 t 步使用 lr / (1 + (t - 1)·η)"),
        weight_decay_hyper(),
        Hyper("initial_accumulator_value", "float", 0.0,
              "starting value of the sum of squared gradients",
              low=0.0, ui=(0.0, 1.0),
              doc_zh="梯度平方累加和的初始值"),
        eps_hyper(1e-10),
        maximize_hyper(),
    )
    state_names = ("step", "sum")
    summary = ("Divides each coordinate's step by the root of the sum of all its past squared "
               "gradients, so steps only shrink. Used for sparse features such as embeddings.")
    summary_zh = ("把每个坐标的步长除以该坐标历史梯度平方和的平方根，因此步长只会越来越小。"
                  "常用于稀疏特征，例如词向量。")

    rule_tex = (
        r"input: \gamma\ (\texttt{lr}), \eta\ (\texttt{lr_decay}), \lambda\ (\texttt{weight_decay}), "
        r"\tau\ (\texttt{initial_accumulator_value}), \epsilon\ (\texttt{eps}), \texttt{maximize}",
        r"initialize: s_0 \leftarrow \tau",
        r"state: s\ (\texttt{sum}), t\ (\texttt{step})",
        _rules.FOR, *_rules.GRADIENT,
        r"    \tilde{\gamma} \leftarrow \gamma / (1 + (t - 1) \eta)",
        *_rules.L2,
        r"    s_t \leftarrow s_{t-1} + g_t^2",
        r"    \theta_t \leftarrow \theta_{t-1} - \tilde{\gamma} \frac{g_t}{\sqrt{s_t} + \epsilon}",
        _rules.RETURN,
    )

    def __init__(self, **params):
        self._scratch = Scratch()
        super().__init__(**params)

    def validate(self, group: dict) -> None:
        check_types(self, group)
        if not 0.0 <= group["lr"]:
            raise HyperparameterError("lr", f"Invalid learning rate: {group['lr']}")
        if not 0.0 <= group["lr_decay"]:
            raise HyperparameterError("lr_decay", f"Invalid lr_decay value: {group['lr_decay']}")
        if not 0.0 <= group["weight_decay"]:
            raise HyperparameterError("weight_decay",
                                      f"Invalid weight_decay value: {group['weight_decay']}")
        iav = group["initial_accumulator_value"]
        if not 0.0 <= iav:
            raise HyperparameterError("initial_accumulator_value",
                                      f"Invalid initial_accumulator_value value: {iav}")
        if not 0.0 <= group["eps"]:
            raise HyperparameterError("eps", f"Invalid epsilon value: {group['eps']}")

    def init(self, p: np.ndarray) -> dict:
        total = np.empty_like(p)
        total[...] = self.group["initial_accumulator_value"]
        return {"step": 0.0, "sum": total}

    def step(self, p: np.ndarray, grad: np.ndarray, state: dict) -> None:
        group = self.group
        weight_decay = group["weight_decay"]
        t, d = self._scratch.get(p, 2)
        step = state["step"] = state["step"] + 1.0
        g = grad
        if group["maximize"]:
            np.negative(g, out=g)
        if nonzero(weight_decay):
            np.multiply(p, weight_decay, out=t)
            g += t
        clr = group["lr"] / (1 + (step - 1) * group["lr_decay"])
        total = state["sum"]
        np.multiply(g, g, out=t)
        total += t
        np.sqrt(total, out=d)
        d += group["eps"]
        np.multiply(g, -clr, out=t)
        t /= d
        p += t

    def one_run(self) -> AdagradRun:
        return AdagradRun(self.group)


class AdagradRun(OneRun):
    """`Adagrad.step` on one run in Python floats (see _onerun)."""

    STATE = {"step": ("t",), "sum": ("s0", "s1")}
    __slots__ = ("t", "s0", "s1")

    def __init__(self, group: dict):
        super().__init__(group)
        self.t = 0.0
        self.s0 = self.s1 = float(group["initial_accumulator_value"])

    def step(self, p0, p1, g0, g1):
        group = self.group
        weight_decay = group["weight_decay"]
        step = self.t + 1.0
        if group["maximize"]:
            g0, g1 = -g0, -g1
        if weight_decay != 0:
            g0, g1 = g0 + p0 * weight_decay, g1 + p1 * weight_decay
        clr = group["lr"] / (1 + (step - 1) * group["lr_decay"])
        s0, s1 = self.s0 + g0 * g0, self.s1 + g1 * g1
        eps = group["eps"]
        c = -clr
        p0 = p0 + g0 * c / (sqrt(s0) + eps)
        p1 = p1 + g1 * c / (sqrt(s1) + eps)
        self.t, self.s0, self.s1 = step, s0, s1
        return p0, p1
