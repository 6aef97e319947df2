"""RMSprop: torch.optim.RMSprop (PyTorch 2.13), the single-tensor implementation.

`rmsprop` is the update (torch's `_single_tensor_rmsprop`, the math alone);
`RMSprop.rule_tex` the same rule typeset.  momentum_buffer and grad_avg are created at
the first step that uses them.
"""

from __future__ import annotations

from . import _rules
from .base import (
    Hyper,
    Optimizer,
    eps_hyper,
    flag_hyper,
    lr_hyper,
    maximize_hyper,
    register,
    weight_decay_hyper,
)
from .rule import rule


@rule(per_coordinate=("square_avg", "momentum_buffer", "grad_avg"),
      initial={"step": 0.0, "square_avg": 0.0})
def rmsprop(ops, group, p, g, step, square_avg, momentum_buffer, grad_avg):
    alpha = group["alpha"]
    momentum = group["momentum"]
    lr = group["lr"]
    if group["maximize"]:
        g = -g
    step = step + 1.0
    if ops.nonzero(group["weight_decay"]):
        g = g + p * group["weight_decay"]
    square_avg = square_avg * alpha + g * (1 - alpha) * g
    if group["centered"]:
        if grad_avg is None:
            grad_avg = ops.zeros_like(p)
        grad_avg = ops.lerp(grad_avg, g, 1 - alpha)
        avg = ops.sqrt(square_avg - grad_avg * grad_avg)
    else:
        avg = ops.sqrt(square_avg)
    avg = avg + group["eps"]
    if ops.positive(momentum):
        if momentum_buffer is None:
            momentum_buffer = ops.zeros_like(p)
        momentum_buffer = momentum_buffer * momentum + g / avg
        p = p + ops.where(momentum > 0, momentum_buffer * -lr, g * -lr / avg)
    else:
        p = p + g * -lr / avg
    return p, step, square_avg, momentum_buffer, grad_avg


@register
class RMSprop(Optimizer):
    """RMSprop: each coordinate's step divided by the root of a running mean of squared gradients."""

    id = "rmsprop"
    torch_name = "RMSprop"
    family = "torch"
    hypers = (
        lr_hyper(1e-2),
        Hyper("alpha", "float", 0.99,
              "smoothing constant α of the running mean of squared gradients",
              low=0.0, ui=(0.0, 0.9999),
              doc_zh="平滑常数 α：梯度平方滑动平均的衰减系数",
              message="Invalid alpha value: {value}"),
        eps_hyper(1e-8),
        weight_decay_hyper(),
        Hyper("momentum", "float", 0.0,
              "momentum factor μ applied to the normalized step",
              low=0.0, ui=(0.0, 0.99),
              doc_zh="动量系数 μ：作用在归一化之后的步长上",
              message="Invalid momentum value: {value}"),
        flag_hyper("centered",
                   "centered RMSprop: divide by an estimate of the gradient's variance "
                   "(mean of g² minus squared mean of g)",
                   "中心化 RMSprop：用梯度方差的估计（g² 的均值减去 g 均值的平方）作分母"),
        maximize_hyper(),
    )
    checks = ("lr", "eps", "momentum", "weight_decay", "alpha")     # torch's order
    update = rmsprop
    summary = ("Divides each coordinate's gradient by the root of a running mean of its square, "
               "so steep and flat directions move at similar speeds. Popular for recurrent "
               "networks and reinforcement learning.")
    summary_zh = ("把每个坐标的梯度除以其平方滑动平均的平方根，使陡峭方向和平缓方向以相近的速度前进。"
                  "常用于循环神经网络和强化学习。")

    rule_tex = (
        r"input: \gamma\ (\texttt{lr}), \alpha\ (\texttt{alpha}), \epsilon\ (\texttt{eps}), "
        r"\lambda\ (\texttt{weight_decay}), \mu\ (\texttt{momentum}), \texttt{centered}, \texttt{maximize}",
        r"initialize: v_0 \leftarrow 0, b_0 \leftarrow 0, g_0^{\mathrm{ave}} \leftarrow 0",
        r"state: v\ (\texttt{square_avg}), b\ (\texttt{momentum_buffer}), "
        r"g^{\mathrm{ave}}\ (\texttt{grad_avg}), t\ (\texttt{step})",
        _rules.FOR, *_rules.GRADIENT, *_rules.L2,
        r"    v_t \leftarrow \alpha v_{t-1} + (1 - \alpha) g_t^2",
        r"    \tilde{v}_t \leftarrow v_t",
        r"    if: \texttt{centered}",
        r"        g_t^{\mathrm{ave}} \leftarrow \alpha g_{t-1}^{\mathrm{ave}} + (1 - \alpha) g_t",
        r"        \tilde{v}_t \leftarrow \tilde{v}_t - (g_t^{\mathrm{ave}})^2",
        r"    if: \mu > 0",
        r"        b_t \leftarrow \mu b_{t-1} + g_t / (\sqrt{\tilde{v}_t} + \epsilon)",
        r"        \theta_t \leftarrow \theta_{t-1} - \gamma b_t",
        r"    else:",
        r"        \theta_t \leftarrow \theta_{t-1} - \gamma \frac{g_t}{\sqrt{\tilde{v}_t} + \epsilon}",
        _rules.RETURN,
    )
