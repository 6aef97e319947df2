r"""SparseAdam: torch.optim.SparseAdam (PyTorch 2.13, torch.optim._functional.sparse_adam),
fed as torch is by the reference: `param.grad = param.grad.to_sparse()`.

A sparse gradient lists only its non-zero entries, so coordinates whose gradient is
exactly zero are skipped: their exp_avg, exp_avg_sq and parameter stay as they are
(`step` still counts).  For the listed coordinates:

.. math::
    g \leftarrow \pm g                                    (minus when maximize)
    m \leftarrow m + (g - m)(1 - \beta_1),\quad v \leftarrow v + (g^2 - v)(1 - \beta_2)
    \theta \leftarrow \theta - \frac{\gamma\sqrt{1 - \beta_2^t}}{1 - \beta_1^t}
                               \cdot \frac{m}{\sqrt{v} + \epsilon}

Unlike Adam, ε is added to √v before the bias correction (Adam: √v/√(1-β₂^t) + ε).
No weight decay.  `grad` is used as scratch space and overwritten.  State: step (a
Python int, as torch keeps it), exp_avg, exp_avg_sq.
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np

from . import _rules
from ._common import Scratch, check_types
from ._onerun import OneRun
from .adam import check_betas
from .base import (HyperparameterError, Optimizer, betas_hyper, eps_hyper, lr_hyper,
                   maximize_hyper, register)


@register
class SparseAdam(Optimizer):
    r"""SparseAdam: Adam that only touches the coordinates whose gradient is non-zero.

    input: γ (lr), β₁, β₂ (betas), θ₀ (params), f(θ) (objective), ε (eps), maximize
    initialize: m₀ ← 0, v₀ ← 0
    for t = 1, 2, …:
        g_t ← ∇f(θ_{t-1})          (g_t ← −∇f(θ_{t-1}) if maximize)
        for each coordinate i with g_{t,i} ≠ 0 (the others keep m, v and θ unchanged):
            m_{t,i} ← m_{t-1,i} + (1 − β₁)(g_{t,i} − m_{t-1,i})
            v_{t,i} ← v_{t-1,i} + (1 − β₂)(g_{t,i}² − v_{t-1,i})
            θ_{t,i} ← θ_{t-1,i} − γ √(1 − β₂^t)/(1 − β₁^t) · m_{t,i} / (√v_{t,i} + ε)

    Note ε is not bias-corrected, unlike Adam's √v̂ + ε.
    Defaults: lr = 1e-3, betas = (0.9, 0.999), eps = 1e-8.
    """

    id = "sparseadam"
    torch_name = "SparseAdam"
    family = "torch"
    accepts_implementation_flags = False          # torch's SparseAdam has no foreach etc.
    hypers = (
        replace(lr_hyper(1e-3), low_open=True),
        betas_hyper(),
        replace(eps_hyper(1e-8, doc="added to √v (before bias correction) for numerical "
                                    "stability"),
                low_open=True, doc_zh="加到 √v 上（在偏差修正之前）以保证数值稳定"),
        maximize_hyper(),
    )
    state_names = ("step", "exp_avg", "exp_avg_sq")
    summary = ("Adam for sparse gradients: coordinates whose gradient is exactly zero are left "
               "alone that step. Made for embedding tables, where each batch touches few rows.")
    summary_zh = ("面向稀疏梯度的 Adam：梯度恰好为零的坐标在这一步完全不更新。"
                  "为词嵌入表设计，因为每个批次只会用到其中少数几行。")

    rule_tex = (
        r"input: \gamma\ (\texttt{lr}), (\beta_1, \beta_2)\ (\texttt{betas}), \epsilon\ (\texttt{eps}), "
        r"\texttt{maximize}",
        r"initialize: m_0 \leftarrow 0, v_0 \leftarrow 0",
        r"state: m\ (\texttt{exp_avg}), v\ (\texttt{exp_avg_sq}), t\ (\texttt{step})",
        _rules.FOR, *_rules.GRADIENT,
        r"    foreach: i : g_{t,i} \neq 0",
        r"        m_{t,i} \leftarrow m_{t-1,i} + (1 - \beta_1)(g_{t,i} - m_{t-1,i})",
        r"        v_{t,i} \leftarrow v_{t-1,i} + (1 - \beta_2)(g_{t,i}^2 - v_{t-1,i})",
        r"        \theta_{t,i} \leftarrow \theta_{t-1,i} - \gamma \frac{\sqrt{1 - \beta_2^t}}{1 - \beta_1^t} "
        r"\frac{m_{t,i}}{\sqrt{v_{t,i}} + \epsilon}",
        _rules.RETURN,
    )
    rule_note = ("A coordinate whose gradient is exactly zero keeps its $m$, $v$ and $\\theta$ this "
                 "step. Unlike Adam, $\\epsilon$ is added before the bias correction.")
    rule_note_zh = ("梯度恰好为零的坐标，这一步的 $m$、$v$ 和 $\\theta$ 都保持不变。与 Adam 不同，"
                    "$\\epsilon$ 是在偏差修正之前加上的。")

    def __init__(self, **params):
        self._scratch = Scratch()
        super().__init__(**params)

    def validate(self, group: dict) -> None:
        check_types(self, group)
        if not 0.0 < group["lr"]:
            raise HyperparameterError("lr", f"Invalid learning rate: {group['lr']}")
        if not 0.0 < group["eps"]:
            raise HyperparameterError("eps", f"Invalid epsilon value: {group['eps']}")
        check_betas(group["betas"])

    def init(self, p: np.ndarray) -> dict:
        return {"step": 0, "exp_avg": np.zeros_like(p), "exp_avg_sq": np.zeros_like(p)}

    def step(self, p: np.ndarray, grad: np.ndarray, state: dict) -> None:
        group = self.group
        beta1, beta2 = group["betas"]
        t, d = self._scratch.get(p, 2)
        step = state["step"] = state["step"] + 1
        g = grad
        if group["maximize"]:
            np.negative(g, out=g)
        mask = g != 0
        dense = bool(mask.all())
        if not dense and not mask.any():
            return
        where = True if dense else mask
        exp_avg = state["exp_avg"]
        exp_avg_sq = state["exp_avg_sq"]
        np.subtract(g, exp_avg, out=t)
        t *= 1 - beta1
        np.add(exp_avg, t, out=exp_avg, where=where)   # numer = update + old = new exp_avg
        np.multiply(g, g, out=d)
        d -= exp_avg_sq
        d *= 1 - beta2
        np.add(exp_avg_sq, d, out=exp_avg_sq, where=where)
        np.sqrt(exp_avg_sq, out=d)
        d += group["eps"]
        bias_correction1 = 1 - beta1 ** step
        bias_correction2 = 1 - beta2 ** step
        if isinstance(bias_correction2, np.ndarray):
            step_size = group["lr"] * np.sqrt(bias_correction2) / bias_correction1
        else:
            step_size = group["lr"] * math.sqrt(bias_correction2) / bias_correction1
        np.divide(exp_avg, d, out=t)
        t *= -step_size
        np.add(p, t, out=p, where=where)

    def one_run(self) -> SparseAdamRun:
        return SparseAdamRun(self.group)


class SparseAdamRun(OneRun):
    """`SparseAdam.step` on one run in Python floats (see _onerun)."""

    STATE = {"step": ("t",), "exp_avg": ("m0", "m1"), "exp_avg_sq": ("v0", "v1")}
    __slots__ = ("t", "m0", "m1", "v0", "v1")

    def __init__(self, group: dict):
        super().__init__(group)
        self.t = 0
        self.m0 = self.m1 = self.v0 = self.v1 = 0.0

    def step(self, p0, p1, g0, g1):
        group = self.group
        beta1, beta2 = group["betas"]
        step = self.t = self.t + 1
        if group["maximize"]:
            g0, g1 = -g0, -g1
        if g0 == 0 and g1 == 0:
            return p0, p1
        eps = group["eps"]
        step_size = group["lr"] * math.sqrt(1 - beta2 ** step) / (1 - beta1 ** step)
        c1, c2, s = 1 - beta1, 1 - beta2, -step_size
        if g0 != 0:           # a sparse gradient lists only its non-zero entries
            m0 = self.m0 = self.m0 + (g0 - self.m0) * c1
            v0 = self.v0 = self.v0 + (g0 * g0 - self.v0) * c2
            p0 = p0 + m0 / (math.sqrt(v0) + eps) * s
        if g1 != 0:
            m1 = self.m1 = self.m1 + (g1 - self.m1) * c1
            v1 = self.v1 = self.v1 + (g1 * g1 - self.v1) * c2
            p1 = p1 + m1 / (math.sqrt(v1) + eps) * s
        return p0, p1
