"""SparseAdam: torch.optim.SparseAdam (PyTorch 2.13, torch.optim._functional.sparse_adam),
fed as torch is by the reference: `param.grad = param.grad.to_sparse()`.

`sparseadam` is the update, the math alone; `SparseAdam.rule_tex` the same rule typeset.
A sparse gradient lists only its non-zero entries, so coordinates whose gradient is
exactly zero are skipped: their exp_avg, exp_avg_sq and parameter stay as they are
(`step` still counts, a Python int as torch keeps it).  Unlike Adam, eps is added to
sqrt(v) before the bias correction.  No weight decay.
"""

from __future__ import annotations

from dataclasses import replace

from . import _rules
from .base import (
    Optimizer,
    betas_hyper,
    eps_hyper,
    lr_hyper,
    maximize_hyper,
    register,
)
from .rule import rule


@rule(per_coordinate=("exp_avg", "exp_avg_sq"),
      initial={"step": 0, "exp_avg": 0.0, "exp_avg_sq": 0.0})
def sparseadam(ops, group, p, g, step, exp_avg, exp_avg_sq):
    beta1, beta2 = group["betas"]
    step = step + 1
    if group["maximize"]:
        g = -g
    listed = g != 0
    exp_avg = ops.where(listed, exp_avg + (g - exp_avg) * (1 - beta1), exp_avg)
    exp_avg_sq = ops.where(listed, exp_avg_sq + (g * g - exp_avg_sq) * (1 - beta2), exp_avg_sq)
    step_size = group["lr"] * ops.sqrt(1 - beta2 ** step) / (1 - beta1 ** step)
    p = ops.where(listed, p + exp_avg / (ops.sqrt(exp_avg_sq) + group["eps"]) * -step_size, p)
    return p, step, exp_avg, exp_avg_sq


@register
class SparseAdam(Optimizer):
    """SparseAdam: Adam for sparse gradients: only the coordinates listed (non-zero) move."""

    id = "sparseadam"
    torch_name = "SparseAdam"
    family = "torch"
    implementation_flags = ()                     # torch's SparseAdam has no foreach etc.
    hypers = (
        replace(lr_hyper(1e-3), low_open=True),
        betas_hyper(),
        replace(eps_hyper(1e-8, doc="added to √v (before bias correction) for numerical "
                                    "stability"),
                low_open=True, doc_zh="加到 √v 上（在偏差修正之前）以保证数值稳定"),
        maximize_hyper(),
    )
    checks = ("lr", "eps", "betas")        # torch's order
    update = sparseadam
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
