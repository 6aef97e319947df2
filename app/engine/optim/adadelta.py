"""Adadelta: torch.optim.Adadelta (PyTorch 2.13), the single-tensor implementation.

`adadelta` is the update (torch's `_single_tensor_adadelta`, the math alone);
`Adadelta.rule_tex` the same rule typeset.
"""

from __future__ import annotations

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


@rule(per_coordinate=("square_avg", "acc_delta"),
      initial={"step": 0.0, "square_avg": 0.0, "acc_delta": 0.0})
def adadelta(ops, group, p, g, step, square_avg, acc_delta):
    rho = group["rho"]
    eps = group["eps"]
    step = step + 1.0
    if group["maximize"]:
        g = -g
    if ops.nonzero(group["weight_decay"]):
        g = g + p * group["weight_decay"]
    square_avg = square_avg * rho + g * (1 - rho) * g
    delta = ops.sqrt(acc_delta + eps) / ops.sqrt(square_avg + eps) * g
    acc_delta = acc_delta * rho + delta * (1 - rho) * delta
    p = p + delta * -group["lr"]
    return p, step, square_avg, acc_delta


@register
class Adadelta(Optimizer):
    """Adadelta: steps scaled by the ratio of running RMS of past updates to past gradients."""

    id = "adadelta"
    torch_name = "Adadelta"
    family = "torch"
    hypers = (
        lr_hyper(1.0, doc="learning rate: scales the Adadelta step Δx"),
        Hyper("rho", "float", 0.9,
              "decay rate ρ of the running averages of squared gradients and squared updates",
              low=0.0, high=1.0, ui=(0.0, 0.999),
              doc_zh="衰减率 ρ：梯度平方与更新量平方的滑动平均系数",
              message="Invalid rho value: {value}"),
        Hyper("eps", "float", 1e-6,
              "added inside both square roots for stability; it also sets the size of the "
              "first steps",
              low=0.0, ui=(1e-10, 1.0), log=True,
              doc_zh="加在两个平方根内部以保证数值稳定；它也决定了最初几步的大小",
              message="Invalid epsilon value: {value}"),
        weight_decay_hyper(),
        maximize_hyper(),
    )
    update = adadelta
    summary = ("Scales the gradient by the ratio of the RMS of recent updates to the RMS of "
               "recent gradients, so it needs little tuning of lr. Used where Adagrad's steps "
               "shrink too fast.")
    summary_zh = ("用近期更新量的均方根与近期梯度的均方根之比来缩放梯度，因此对学习率不敏感。"
                  "常用来替代步长衰减过快的 Adagrad。")

    rule_tex = (
        r"input: \gamma\ (\texttt{lr}), \rho\ (\texttt{rho}), \epsilon\ (\texttt{eps}), "
        r"\lambda\ (\texttt{weight_decay}), \texttt{maximize}",
        r"initialize: v_0 \leftarrow 0, u_0 \leftarrow 0",
        r"state: v\ (\texttt{square_avg}), u\ (\texttt{acc_delta}), t\ (\texttt{step})",
        _rules.FOR, *_rules.GRADIENT, *_rules.L2,
        r"    v_t \leftarrow \rho v_{t-1} + (1 - \rho) g_t^2",
        r"    \Delta x_t \leftarrow \frac{\sqrt{u_{t-1} + \epsilon}}{\sqrt{v_t + \epsilon}} g_t",
        r"    u_t \leftarrow \rho u_{t-1} + (1 - \rho) \Delta x_t^2",
        r"    \theta_t \leftarrow \theta_{t-1} - \gamma \Delta x_t",
        _rules.RETURN,
    )
