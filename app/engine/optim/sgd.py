r"""SGD: torch.optim.SGD (PyTorch 2.13), the single-tensor implementation.

.. math::
    g_t \leftarrow \pm\nabla f(\theta_{t-1})              (minus when maximize)
    if \lambda \neq 0:  g_t \leftarrow g_t + \lambda \theta_{t-1}
    if \mu \neq 0:
        b_t \leftarrow g_t                              (t = 1)
        b_t \leftarrow \mu b_{t-1} + (1 - \tau) g_t       (t > 1)
        g_t \leftarrow g_t + \mu b_t  if nesterov,  else  g_t \leftarrow b_t
    \theta_t \leftarrow \theta_{t-1} - \gamma g_t

`grad` is used as scratch space and overwritten (the runner passes a fresh array
each step).  State: `momentum_buffer`, created at the first step when momentum != 0.
"""

from __future__ import annotations

import numpy as np

from . import _rules
from ._common import Scratch, check_types, nonzero
from ._onerun import OneRun
from .base import (Hyper, HyperparameterError, Optimizer, flag_hyper, lr_hyper, maximize_hyper,
                   register, weight_decay_hyper)


@register
class SGD(Optimizer):
    r"""Stochastic gradient descent, optionally with (Nesterov) momentum.

    input: γ (lr), θ₀ (params), f(θ) (objective), λ (weight_decay), μ (momentum),
           τ (dampening), nesterov, maximize
    for t = 1, 2, …:
        g_t ← ∇f(θ_{t-1})          (g_t ← −∇f(θ_{t-1}) if maximize)
        if λ ≠ 0:  g_t ← g_t + λ θ_{t-1}
        if μ ≠ 0:
            if t > 1:  b_t ← μ b_{t-1} + (1 − τ) g_t
            else:      b_t ← g_t
            if nesterov:  g_t ← g_t + μ b_t
            else:         g_t ← b_t
        θ_t ← θ_{t-1} − γ g_t

    Defaults: lr = 1e-3, momentum = 0, dampening = 0, weight_decay = 0, nesterov = False.
    """

    id = "sgd"
    torch_name = "SGD"
    family = "torch"
    hypers = (
        lr_hyper(1e-3),
        Hyper("momentum", "float", 0.0,
              "momentum factor μ: the share of the previous step that is kept",
              low=0.0, ui=(0.0, 0.99),
              doc_zh="动量系数 μ：上一步更新方向被保留的比例"),
        Hyper("dampening", "float", 0.0,
              "dampening τ for momentum: new gradients enter the buffer scaled by (1 - τ)",
              ui=(0.0, 1.0),
              doc_zh="动量阻尼 τ：新梯度以 (1 - τ) 的比例计入动量缓冲"),
        weight_decay_hyper(),
        flag_hyper("nesterov", "use Nesterov momentum: step along g + μ·buffer",
                   "使用 Nesterov 动量：沿 g + μ·buffer 的方向更新"),
        maximize_hyper(),
    )
    state_names = ("momentum_buffer",)
    summary = ("Steps against the gradient, optionally carrying momentum from earlier steps. "
               "The baseline of deep learning, still the first choice for many vision models.")
    summary_zh = ("沿负梯度方向前进，可选地叠加前几步积累的动量。"
                  "它是深度学习的基准方法，许多视觉模型至今仍首选它。")

    rule_tex = (
        r"input: \gamma\ (\texttt{lr}), \mu\ (\texttt{momentum}), \tau\ (\texttt{dampening}), "
        r"\lambda\ (\texttt{weight_decay}), \texttt{nesterov}, \texttt{maximize}",
        r"state: b\ (\texttt{momentum_buffer})",
        _rules.FOR, *_rules.GRADIENT, *_rules.L2,
        r"    if: \mu \neq 0",
        r"        if: t > 1",
        r"            b_t \leftarrow \mu b_{t-1} + (1 - \tau) g_t",
        r"        else:",
        r"            b_t \leftarrow g_t",
        r"        if: \texttt{nesterov}",
        r"            g_t \leftarrow g_t + \mu b_t",
        r"        else:",
        r"            g_t \leftarrow b_t",
        r"    \theta_t \leftarrow \theta_{t-1} - \gamma g_t",
        _rules.RETURN,
    )

    def __init__(self, **params):
        self._scratch = Scratch()
        super().__init__(**params)

    def validate(self, group: dict) -> None:
        check_types(self, group)
        if group["lr"] < 0.0:
            raise HyperparameterError("lr", f"Invalid learning rate: {group['lr']}")
        if group["momentum"] < 0.0:
            raise HyperparameterError("momentum", f"Invalid momentum value: {group['momentum']}")
        if group["weight_decay"] < 0.0:
            raise HyperparameterError("weight_decay",
                                      f"Invalid weight_decay value: {group['weight_decay']}")
        if group["nesterov"] and (group["momentum"] <= 0 or group["dampening"] != 0):
            raise HyperparameterError("nesterov",
                                      "Nesterov momentum requires a momentum and zero dampening")

    def init(self, p: np.ndarray) -> dict:
        return {}

    def step(self, p: np.ndarray, grad: np.ndarray, state: dict) -> None:
        group = self.group
        lr = group["lr"]
        weight_decay = group["weight_decay"]
        momentum = group["momentum"]
        t = self._scratch.get(p, 1)[0]
        g = grad
        if group["maximize"]:
            np.negative(g, out=g)
        if nonzero(weight_decay):
            np.multiply(p, weight_decay, out=t)
            g += t
        d = g
        if nonzero(momentum):
            buf = state.get("momentum_buffer")
            if buf is None:
                buf = state["momentum_buffer"] = g.copy()
            else:
                buf *= momentum
                np.multiply(g, 1 - group["dampening"], out=t)
                buf += t
            if group["nesterov"]:
                np.multiply(buf, momentum, out=t)
                t += g
                d = t
            else:
                d = buf
            if isinstance(momentum, np.ndarray):      # a sweep with some momentum == 0
                d = np.where(momentum != 0, d, g)
        np.multiply(d, -lr, out=t)
        p += t

    def one_run(self) -> SGDRun:
        return SGDRun(self.group)


class SGDRun(OneRun):
    """`SGD.step` on one run in Python floats (see _onerun)."""

    STATE = {"momentum_buffer": ("b0", "b1")}
    __slots__ = ("b0", "b1")

    def __init__(self, group: dict):
        super().__init__(group)
        self.b0 = self.b1 = None

    def step(self, p0, p1, g0, g1):
        group = self.group
        weight_decay = group["weight_decay"]
        momentum = group["momentum"]
        if group["maximize"]:
            g0, g1 = -g0, -g1
        if weight_decay != 0:
            g0, g1 = g0 + p0 * weight_decay, g1 + p1 * weight_decay
        if momentum != 0:
            b0 = self.b0
            if b0 is None:
                b0, b1 = g0, g1
            else:
                damp = 1 - group["dampening"]
                b0, b1 = b0 * momentum + g0 * damp, self.b1 * momentum + g1 * damp
            self.b0, self.b1 = b0, b1
            if group["nesterov"]:
                g0, g1 = b0 * momentum + g0, b1 * momentum + g1
            else:
                g0, g1 = b0, b1
        s = -group["lr"]
        return p0 + g0 * s, p1 + g1 * s
