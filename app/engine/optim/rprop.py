"""Rprop: resilient backpropagation, as torch.optim.Rprop (single-tensor path).

`rprop` is the update (torch's `_single_tensor_rprop`, the math alone); `Rprop.rule_tex`
the same rule typeset.  Only the signs of the gradient are used.  lr is read once, at the
first step, to fill step_size: a scheduler that changes lr later has no effect, as in
PyTorch.
"""

from __future__ import annotations

from dataclasses import replace

from . import _rules
from .base import (
    Hyper,
    HyperparameterError,
    Optimizer,
    lr_hyper,
    maximize_hyper,
    register,
)
from .rule import rule


@rule(per_coordinate=("prev", "step_size"), initial={"step": 0.0, "prev": 0.0})
def rprop(ops, group, p, g, step, prev, step_size):
    etaminus, etaplus = group["etas"]
    step_size_min, step_size_max = group["step_sizes"]
    if step_size is None:
        step_size = ops.full_like(p, group["lr"])
    step = step + 1.0
    if group["maximize"]:
        g = -g
    prod = g * prev
    step_size = step_size * ops.where(prod > 0, etaplus, ops.where(prod < 0, etaminus, 1.0))
    step_size = ops.minimum(ops.maximum(step_size, step_size_min), step_size_max)
    prev = ops.where(prod < 0, 0.0, g)        # where the sign flipped: no move, and prev = 0
    p = p - ops.sign(prev) * step_size
    return p, step, prev, step_size


def _etas_around_one(group: dict) -> None:
    etas = group["etas"]
    if not 0.0 < etas[0] < 1.0 < etas[1]:
        raise HyperparameterError("etas", f"Invalid eta values: {etas[0]}, {etas[1]}")


@register
class Rprop(Optimizer):
    """Resilient backpropagation: per-coordinate step sizes grown or shrunk by the gradient's sign."""

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
    checks = ("lr", "etas", _etas_around_one)
    implementation_flags = ("capturable", "foreach", "differentiable")
    update = rprop
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
