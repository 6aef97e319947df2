"""What pytorch-optimizer (4.1.0) gives the optimizers taken from it (Lion, AdaBelief,
Yogi, Lookahead): its shared hyperparameters with its validation messages (the checks of
its BaseOptimizer.validate_*, as data on the Hyper specs), and the pieces of
its BaseOptimizer that their rules call (weight decay, AdaNorm), as rule fragments
(lowering.Fragment: one source for arrays and floats).

Rounding: PyTorch's CPU kernels fuse `a + s * b` (add with alpha, addcmul, lerp, the
sum of squares in a norm) into one FMA even on 2-element tensors; NumPy and Python have
no FMA, so those spots round once more than torch (relative 1e-16).  Paths agree to
float64 rounding wherever the problem does not amplify such differences (the reference
cases' "sensitivity"); on chaotic ones no re-implementation without FMA can follow.
"""

from __future__ import annotations

from dataclasses import replace

from . import base
from .base import Hyper
from .lowering import fragment


# -- BaseOptimizer helpers, as rule fragments --------------------------------------
@fragment
def weight_decay(ops, group, p, g):
    """BaseOptimizer.apply_weight_decay: decoupled (shrink p) or L2 (through g)."""
    decay = group["weight_decay"]
    if ops.nonzero(decay):
        if group["weight_decouple"]:
            p = p * (1.0 - decay * (1.0 if group["fixed_decay"] else group["lr"]) * 1.0)
        else:
            g = g + decay * p
    return p, g


@fragment
def adanorm(ops, group, g, exp_grad_adanorm):
    """BaseOptimizer.get_adanorm_gradient: g scaled up to the running average of ||g||
    (for the first moment), and that average."""
    s_grad = g
    if group["adanorm"]:
        if exp_grad_adanorm is None:
            exp_grad_adanorm = 0.0
        r = group["adanorm_r"]
        if r is None:
            r = 0.95
        grad_norm = ops.sqrt(ops.sumsq(g))
        exp_grad_adanorm = exp_grad_adanorm * r + (1.0 - r) * grad_norm
        s_grad = ops.where((grad_norm > 0) & (exp_grad_adanorm > grad_norm),
                           g * exp_grad_adanorm / grad_norm, g)
    return s_grad, exp_grad_adanorm


# -- shared hyperparameter specs, with BaseOptimizer.validate_*'s messages ----------
# validate_learning_rate and validate_non_negative write `x < 0.0`: NaN passes them.
def lr_hyper(default: float, **kw) -> Hyper:
    return replace(base.lr_hyper(default, **kw), nan_passes=True,
                   message="learning rate must be positive. ({value} > 0)")


def non_negative(h: Hyper) -> Hyper:
    return replace(h, low=0.0, nan_passes=True, message=f"{h.name} must be non-negative")


def betas_hyper(default: tuple[float, float], doc: str, doc_zh: str) -> Hyper:
    """validate_betas: each in [0, 1), validate_range's '[)'."""
    return Hyper("betas", "pair", default, doc, low=0.0, high=1.0, high_open=True,
                 ui=(0.0, 0.9999), doc_zh=doc_zh,
                 message="beta{nth} must be in the range [0.0, 1.0)")


def weight_decouple_hyper() -> Hyper:
    return Hyper("weight_decouple", "bool", True,
                 "decoupled weight decay (AdamW style: shrink the parameter) instead of "
                 "adding weight_decay * param to the gradient",
                 doc_zh="解耦权重衰减（AdamW 方式：直接缩小参数），而不是把 weight_decay * param 加到梯度上")


def fixed_decay_hyper() -> Hyper:
    return Hyper("fixed_decay", "bool", False,
                 "decoupled weight decay not scaled by lr: multiply by (1 - weight_decay)",
                 doc_zh="解耦权重衰减不乘以 lr：每步把参数乘以 (1 - weight_decay)")


def library_weight_decay_hyper() -> Hyper:
    return non_negative(Hyper("weight_decay", "float", 0.0,
                              "weight decay coefficient (decoupled or L2, see weight_decouple)",
                              ui=(0.0, 1.0),
                              doc_zh="权重衰减系数（解耦或 L2 方式，见 weight_decouple）"))


def adanorm_hypers() -> tuple[Hyper, Hyper]:
    return (
        Hyper("adanorm", "bool", False,
              "AdaNorm: rescale a gradient whose norm is below its running average up to "
              "that average (for the moment estimate)",
              doc_zh="AdaNorm：梯度范数低于其滑动平均时，把梯度放大到该平均值（用于动量估计）"),
        Hyper("adanorm_r", "float", 0.95, "AdaNorm: decay rate of the running average of ||g||",
              ui=(0.0, 0.999),
              doc_zh="AdaNorm：梯度范数滑动平均的衰减率"),
    )


def adam_debias_hyper() -> Hyper:
    return Hyper("adam_debias", "bool", False,
                 "AdamD: do not divide the step by the first moment's bias correction",
                 doc_zh="AdamD：步长不除以一阶矩的偏差修正项")
