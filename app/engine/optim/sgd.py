"""SGD: torch.optim.SGD (PyTorch 2.13), the single-tensor implementation.

`sgd` is the update (torch's `_single_tensor_sgd`, the math alone); `SGD.rule_tex` is the
same rule typeset for the page.  State: `momentum_buffer`, created at the first step when
momentum != 0.
"""

from __future__ import annotations

from dataclasses import replace

from . import _rules
from .base import (
    Hyper,
    HyperparameterError,
    Optimizer,
    flag_hyper,
    lr_hyper,
    maximize_hyper,
    register,
    weight_decay_hyper,
)
from .rule import rule


@rule(per_coordinate=("momentum_buffer",))
def sgd(ops, group, p, g, momentum_buffer):
    momentum = group["momentum"]
    if group["maximize"]:
        g = -g
    if ops.nonzero(group["weight_decay"]):
        g = g + p * group["weight_decay"]
    d = g
    if ops.nonzero(momentum):
        if momentum_buffer is None:
            momentum_buffer = ops.copy(g)
        else:
            momentum_buffer *= momentum
            momentum_buffer += g * (1 - group["dampening"])
        if group["nesterov"]:
            d = momentum_buffer * momentum + g
        else:
            d = momentum_buffer
        d = ops.where(momentum != 0, d, g)       # a sweep column holding momentum == 0
    p += d * -group["lr"]
    return p, momentum_buffer


def _nesterov_needs_momentum(group: dict) -> None:
    if group["nesterov"] and (group["momentum"] <= 0 or group["dampening"] != 0):
        raise HyperparameterError("nesterov",
                                  "Nesterov momentum requires a momentum and zero dampening")


@register
class SGD(Optimizer):
    """Stochastic gradient descent, optionally with (Nesterov) momentum."""

    id = "sgd"
    torch_name = "SGD"
    family = "torch"
    # torch's SGD writes `lr < 0.0` (not Adam's `not 0.0 <= lr`): NaN passes its checks
    hypers = (
        replace(lr_hyper(1e-3), nan_passes=True),
        Hyper("momentum", "float", 0.0,
              "momentum factor μ: the share of the previous step that is kept",
              low=0.0, ui=(0.0, 0.99),
              doc_zh="动量系数 μ：上一步更新方向被保留的比例",
              message="Invalid momentum value: {value}", nan_passes=True),
        Hyper("dampening", "float", 0.0,
              "dampening τ for momentum: new gradients enter the buffer scaled by (1 - τ)",
              ui=(0.0, 1.0),
              doc_zh="动量阻尼 τ：新梯度以 (1 - τ) 的比例计入动量缓冲"),
        replace(weight_decay_hyper(), nan_passes=True),
        flag_hyper("nesterov", "use Nesterov momentum: step along g + μ·buffer",
                   "使用 Nesterov 动量：沿 g + μ·buffer 的方向更新"),
        maximize_hyper(),
    )
    checks = ("lr", "momentum", "weight_decay", "nesterov", "dampening",
              _nesterov_needs_momentum)
    update = sgd
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
