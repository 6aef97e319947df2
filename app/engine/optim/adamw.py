"""AdamW: torch.optim.AdamW (PyTorch 2.13) = Adam with decoupled_weight_decay=True.

The update is Adam's (`adam.adam`), with weight_decay defaulting to 1e-2.  AdamW has no
`decoupled_weight_decay` keyword; its group carries decoupled_weight_decay=True as torch's.
"""

from __future__ import annotations

from dataclasses import replace

from . import _rules
from .adam import AMSGRAD, Adam
from .base import betas_hyper, eps_hyper, lr_hyper, maximize_hyper, register, weight_decay_hyper


@register
class AdamW(Adam):
    """AdamW: Adam whose weight decay shrinks the parameters directly instead of going
    through the gradient (so it is not rescaled by the adaptive denominator)."""

    id = "adamw"
    torch_name = "AdamW"
    family = "torch"
    hypers = (
        lr_hyper(1e-3),
        betas_hyper(),
        eps_hyper(1e-8),
        replace(weight_decay_hyper(1e-2),
                doc="decoupled weight decay λ: each step first multiplies θ by (1 - lr·λ)",
                doc_zh="解耦权重衰减 λ：每一步先把 θ 乘以 (1 - lr·λ)"),
        AMSGRAD,
        maximize_hyper(),
    )
    summary = ("Adam with decoupled weight decay: the parameters shrink directly each step. "
               "The usual choice for training transformers.")
    summary_zh = ("带解耦权重衰减的 Adam：每一步直接按比例缩小参数。"
                  "训练 Transformer 时最常用的优化器。")

    rule_tex = (
        _rules.ADAM_INPUT + r", \texttt{amsgrad}, \texttt{maximize}",
        _rules.ADAM_INIT, _rules.ADAM_STATE,
        _rules.FOR, *_rules.GRADIENT,
        r"    \theta_{t-1} \leftarrow \theta_{t-1} (1 - \gamma \lambda)",
        *_rules.ADAM_STEP,
        _rules.RETURN,
    )

    def __init__(self, **params):
        super().__init__(**params)
        self.group["decoupled_weight_decay"] = True
