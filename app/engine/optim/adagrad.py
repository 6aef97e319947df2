"""Adagrad: torch.optim.Adagrad (PyTorch 2.13), the single-tensor implementation.

`adagrad` is the update (torch's `_single_tensor_adagrad`, the math alone);
`Adagrad.rule_tex` the same rule typeset.
"""

from __future__ import annotations

from . import _rules
from .base import (
    Hyper,
    Optimizer,
    eps_hyper,
    lr_hyper,
    maximize_hyper,
    register,
    weight_decay_hyper,
)
from .rule import Default, rule


@rule(per_coordinate=("sum",),
      initial={"step": 0.0, "sum": Default("initial_accumulator_value")})
def adagrad(ops, group, p, g, step, sum):
    step = step + 1.0
    if group["maximize"]:
        g = -g
    if ops.nonzero(group["weight_decay"]):
        g = g + p * group["weight_decay"]
    clr = group["lr"] / (1 + (step - 1) * group["lr_decay"])
    sum = sum + g * g
    p = p + g * -clr / (ops.sqrt(sum) + group["eps"])
    return p, step, sum


@register
class Adagrad(Optimizer):
    """Adagrad: each coordinate's step divided by the root of its summed squared gradients."""

    id = "adagrad"
    torch_name = "Adagrad"
    family = "torch"
    hypers = (
        lr_hyper(1e-2),
        Hyper("lr_decay", "float", 0.0,
              "learning-rate decay η: step t uses lr / (1 + (t - 1)·η)",
              low=0.0, ui=(0.0, 1.0),
              doc_zh="学习率衰减 η：第 t 步使用 lr / (1 + (t - 1)·η)",
              message="Invalid lr_decay value: {value}"),
        weight_decay_hyper(),
        Hyper("initial_accumulator_value", "float", 0.0,
              "starting value of the sum of squared gradients",
              low=0.0, ui=(0.0, 1.0),
              doc_zh="梯度平方累加和的初始值",
              message="Invalid initial_accumulator_value value: {value}"),
        eps_hyper(1e-10),
        maximize_hyper(),
    )
    update = adagrad
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
