r"""Rprop: resilient backpropagation, as torch.optim.Rprop (single-tensor path).

    input: lr (initial step size), etas = (eta_minus, eta_plus),
           step_sizes = (step_min, step_max), maximize
    state: step = 0, prev = 0, step_size = lr (filled at the first step)

    for t = 1, 2, ...:
        g_t = -grad if maximize else grad
        per coordinate, with s = sign(g_t * prev):
            s > 0:  step_size = min(step_size * eta_plus,  step_max)
            s < 0:  step_size = max(step_size * eta_minus, step_min);  g_t = 0
            s = 0:  step_size unchanged (clamped to [step_min, step_max])
        theta_t = theta_{t-1} - sign(g_t) * step_size
        prev    = g_t

Only the signs of the gradient are used.  lr is read once, at the first step, to
initialise step_size: a scheduler that changes lr later has no effect, as in PyTorch.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from . import _checks, _rules
from ._onerun import OneRun
from ._pyopt import sign1
from .base import Hyper, HyperparameterError, Optimizer, lr_hyper, maximize_hyper, register


@register
class Rprop(Optimizer):
    r"""Resilient backpropagation (torch.optim.Rprop).

    s = sign(g_t · prev) per coordinate:
      s > 0: step_size ← min(step_size · η₊, Γ_max)
      s < 0: step_size ← max(step_size · η₋, Γ_min), and g_t ← 0 (no move this step)
      s = 0: step_size unchanged
    θ_t = θ_{t-1} − sign(g_t) · step_size,   prev ← g_t
    step_size starts at lr (read at the first step only).
    Defaults: lr = 0.01, etas = (η₋, η₊) = (0.5, 1.2), step_sizes = (Γ_min, Γ_max) = (1e-6, 50).
    """

    id = "rprop"
    torch_name = "Rprop"
    family = "torch"
    hypers = (
        replace(lr_hyper(1e-2, doc="initial step size of every coordinate "
                                   "(read at the first step only)"),
                doc_zh="每个坐标的初始步长（只在第一步读取一次）"),
        Hyper("etas", "pair", (0.5, 1.2),
              "(etaminus, etaplus): factors that shrink the step after a sign flip and grow it "
              "while the sign holds; 0 < etaminus < 1 < etaplus",
              low=0.0, low_open=True, ui=(0.1, 3.0),
              doc_zh="(etaminus, etaplus)：梯度符号翻转时步长乘以 etaminus 缩小，符号不变时乘以 "
                     "etaplus 放大；要求 0 < etaminus < 1 < etaplus"),
        Hyper("step_sizes", "pair", (1e-6, 50.0),
              "(min, max): the smallest and largest allowed step size",
              ui=(1e-8, 100.0), log=True,
              doc_zh="(min, max)：步长允许的最小值和最大值"),
        maximize_hyper(),
    )
    state_names = ("step", "prev", "step_size")
    summary = ("Moves each coordinate by its own step size, using only the sign of the "
               "gradient: the step grows while the sign holds and shrinks after a flip. "
               "Used for full-batch training, where gradient magnitudes are unreliable guides.")
    summary_zh = ("每个坐标有自己的步长，只看梯度的符号：符号保持不变时步长增大，符号翻转时步长减小。"
                  "常用于全批量（full-batch）训练，梯度大小不可靠时尤其合适。")

    rule_tex = (
        r"input: \gamma\ (\texttt{lr}), (\eta_-, \eta_+)\ (\texttt{etas}), "
        r"(\Gamma_{\min}, \Gamma_{\max})\ (\texttt{step_sizes}), \texttt{maximize}",
        r"initialize: g^{\mathrm{prev}} \leftarrow 0, \delta_0 \leftarrow \gamma",
        r"state: g^{\mathrm{prev}}\ (\texttt{prev}), \delta\ (\texttt{step_size}), t\ (\texttt{step})",
        _rules.FOR, *_rules.GRADIENT,
        r"    foreach: i",
        r"        if: g^{\mathrm{prev}}_i g_{t,i} > 0",
        r"            \delta_{t,i} \leftarrow \min(\delta_{t-1,i} \eta_+, \Gamma_{\max})",
        r"        elif: g^{\mathrm{prev}}_i g_{t,i} < 0",
        r"            \delta_{t,i} \leftarrow \max(\delta_{t-1,i} \eta_-, \Gamma_{\min})",
        r"            g_{t,i} \leftarrow 0",
        r"        else:",
        r"            \delta_{t,i} \leftarrow \delta_{t-1,i}",
        r"    \theta_t \leftarrow \theta_{t-1} - \delta_t \odot \operatorname{sign}(g_t)",
        r"    g^{\mathrm{prev}} \leftarrow g_t",
        _rules.RETURN,
    )
    rule_note = ("Only the signs of the gradient count. lr is read once, at the first step: a "
                 "scheduler that changes lr later has no effect, as in PyTorch.")
    rule_note_zh = ("只用到梯度的符号。lr 只在第一步读取一次，用来初始化步长：之后调度器再改 lr "
                    "也不起作用，这一点与 PyTorch 相同。")

    def __init__(self, **params):
        _checks.reject_flags(self.torch_name, params, ("capturable", "foreach", "differentiable"))
        super().__init__(**params)

    def validate(self, group: dict) -> None:
        _checks.number(group, "lr")
        _checks.pair(group, "etas")
        _checks.pair(group, "step_sizes")
        _checks.flag(group, "maximize")
        if not 0.0 <= group["lr"]:
            raise HyperparameterError("lr", f"Invalid learning rate: {group['lr']}")
        etas = group["etas"]
        if not 0.0 < etas[0] < 1.0 < etas[1]:
            raise HyperparameterError("etas", f"Invalid eta values: {etas[0]}, {etas[1]}")

    def init(self, p: np.ndarray) -> dict:
        # torch fills step_size with group["lr"] at the first step (after a scheduler's
        # first adjustment), so it is created by the first call of step().
        return {"step": 0.0, "prev": np.zeros_like(p), "step_size": None}

    def step(self, p: np.ndarray, grad: np.ndarray, state: dict) -> None:
        group = self.group
        etaminus, etaplus = group["etas"]
        step_size_min, step_size_max = group["step_sizes"]
        step_size = state["step_size"]
        if step_size is None:
            step_size = np.empty_like(p)
            step_size[...] = group["lr"]
            state["step_size"] = step_size
        state["step"] += 1.0
        if group["maximize"]:
            grad = np.negative(grad)
        prev = state["prev"]
        prod = grad * prev
        flip = prod < 0
        # sign(g * prev) -> etaplus / etaminus / 1 (torch's sign(nan) is 0: factor 1)
        factor = np.where(prod > 0, etaplus, np.where(flip, etaminus, 1.0))
        step_size *= factor
        np.maximum(step_size, step_size_min, out=step_size)   # clamp_(min, max): max first
        np.minimum(step_size, step_size_max, out=step_size)
        # where the sign flipped the gradient is zeroed: no move, and prev = 0
        np.copyto(prev, grad)
        prev[flip] = 0.0
        sign = np.sign(prev)
        if np.isnan(sign).any():                # torch.sign(nan) == 0
            sign[np.isnan(sign)] = 0.0
        sign *= step_size
        p -= sign

    def one_run(self) -> RpropRun:
        return RpropRun(self.group)


class RpropRun(OneRun):
    """`Rprop.step` on one run in Python floats (see _onerun)."""

    STATE = {"step": ("t",), "prev": ("v0", "v1"), "step_size": ("s0", "s1")}
    __slots__ = ("t", "v0", "v1", "s0", "s1")

    def __init__(self, group: dict):
        super().__init__(group)
        self.t = 0.0
        self.v0 = self.v1 = 0.0
        self.s0 = self.s1 = None

    def step(self, p0, p1, g0, g1):
        group = self.group
        etaminus, etaplus = group["etas"]
        step_size_min, step_size_max = group["step_sizes"]
        if self.s0 is None:
            self.s0 = self.s1 = float(group["lr"])
        self.t += 1.0
        if group["maximize"]:
            g0, g1 = -g0, -g1
        p0, self.v0, self.s0 = _coordinate(p0, g0, self.v0, self.s0, etaminus, etaplus,
                                           step_size_min, step_size_max)
        p1, self.v1, self.s1 = _coordinate(p1, g1, self.v1, self.s1, etaminus, etaplus,
                                           step_size_min, step_size_max)
        return p0, p1


def _coordinate(x, g, prev, s, etaminus, etaplus, step_size_min, step_size_max):
    """One coordinate's Rprop step: (x, prev, step_size) after it."""
    prod = g * prev
    if prod > 0:
        s = s * etaplus
    elif prod < 0:
        s = s * etaminus
        g = 0.0
    s = min(max(s, step_size_min), step_size_max)
    return x - sign1(g) * s, g, s
