"""What the pytorch-optimizer (4.1.0) optimizers share: its validation messages and the
helpers of its BaseOptimizer (weight decay, AdaNorm), in NumPy; and the plain-float
helpers of the OneRun classes (see _onerun; also used by Rprop and Adafactor).

Rounding: PyTorch's CPU kernels fuse `a + s * b` (add with alpha, addcmul, lerp, the
sum of squares in a norm) into one FMA even on 2-element tensors; NumPy and Python have
no FMA, so those spots round once more than torch (relative 1e-16).  Paths agree to
float64 rounding wherever the problem does not amplify such differences (the reference
cases' "sensitivity"); on chaotic ones no re-implementation without FMA can follow.
"""

from __future__ import annotations

import math

import numpy as np

from . import _checks
from .base import Hyper, HyperparameterError


# -- BaseOptimizer.validate_* with the library's messages ----------------------------
def validate_learning_rate(group: dict) -> None:
    _checks.number(group, "lr")
    lr = group["lr"]
    if lr < 0.0:                                   # NegativeLRError
        raise HyperparameterError("lr", f"learning rate must be positive. ({lr} > 0)")


def validate_range(group: dict, name: str, value, label: str, low: float, high: float) -> None:
    """validate_range(x, label, low, high, range_type='[)')."""
    if not low <= value < high:
        raise HyperparameterError(name, f"{label} must be in the range [{low}, {high})")


def validate_betas(group: dict) -> None:
    _checks.pair(group, "betas")
    beta1, beta2 = group["betas"]
    validate_range(group, "betas", beta1, "beta1", 0.0, 1.0)
    validate_range(group, "betas", beta2, "beta2", 0.0, 1.0)


def validate_non_negative(group: dict, name: str) -> None:
    _checks.number(group, name)
    if group[name] < 0.0:
        raise HyperparameterError(name, f"{name} must be non-negative")


def flags(group: dict, *names: str) -> None:
    for name in names:
        _checks.flag(group, name)


# -- BaseOptimizer helpers -----------------------------------------------------------
def apply_weight_decay(p: np.ndarray, grad: np.ndarray, group: dict) -> np.ndarray:
    """BaseOptimizer.apply_weight_decay; returns the (possibly new) gradient array."""
    weight_decay = group["weight_decay"]
    if type(weight_decay) is float and weight_decay == 0.0:
        return grad
    if group["weight_decouple"]:
        lr = 1.0 if group["fixed_decay"] else group["lr"]
        p *= 1.0 - weight_decay * lr * 1.0
        return grad
    return grad + weight_decay * p                 # grad.add_(p, alpha=weight_decay)


def adanorm_gradient(grad: np.ndarray, group: dict, state: dict) -> np.ndarray:
    """BaseOptimizer.get_adanorm_gradient: scale g up to the running average of ||g||."""
    exp_grad_norm = state.get("exp_grad_adanorm")
    if not group.get("adanorm") or exp_grad_norm is None:
        return grad
    r = group.get("adanorm_r")
    if r is None:
        r = 0.95
    sq = grad * grad
    grad_norm = np.sqrt(sq[:, :1] + sq[:, 1:])    # torch.linalg.norm(grad), per run
    exp_grad_norm *= r
    exp_grad_norm += (1.0 - r) * grad_norm
    scale = (grad_norm > 0) & (exp_grad_norm > grad_norm)
    return np.where(scale, grad * exp_grad_norm / grad_norm, grad)


def lerp_(start: np.ndarray, end: np.ndarray, weight) -> None:
    """torch.Tensor.lerp_(end, weight) in place, torch's formula for scalar weights."""
    diff = end - start
    if type(weight) is float:
        if abs(weight) < 0.5:
            diff *= weight
            start += diff
        else:
            diff *= 1.0 - weight
            np.subtract(end, diff, out=start)
    else:
        small = np.abs(weight) < 0.5
        np.copyto(start, np.where(small, start + weight * diff, end - diff * (1.0 - weight)))


def lerp(start: np.ndarray, end: np.ndarray, weight) -> np.ndarray:
    out = start.copy()
    lerp_(out, end, weight)
    return out


def torch_sign(x: np.ndarray) -> np.ndarray:
    """torch.sign: like np.sign, but sign(nan) is 0."""
    s = np.sign(x)
    if np.isnan(s).any():
        s[np.isnan(s)] = 0.0
    return s


# -- one run (B = 1) in plain Python floats -----------------------------------------
# Helpers of the OneRun classes (see _onerun): NumPy's per-call overhead (~0.3-0.7 us)
# dominates a (1, 2) step, and Python floats round exactly like float64 arrays.  Where
# Python raises on what IEEE arithmetic answers (x / 0, sqrt(-1), overflow in **), one
# of FAST_PATH_ERRORS comes out, and the runner computes the run with arrays instead.
FAST_PATH_ERRORS = (ZeroDivisionError, OverflowError, ValueError)


def sign1(x: float) -> float:
    """torch.sign of one float (sign(nan) = 0)."""
    return 1.0 if x > 0 else (-1.0 if x < 0 else 0.0)


def maximum1(a: float, b: float) -> float:
    """np.maximum / torch.maximum of two floats: NaN if either is NaN."""
    if a != a:
        return a
    return a if a >= b else b


def weight_decay1(p0: float, p1: float, g0: float, g1: float, group: dict):
    """apply_weight_decay on one run: (p0, p1, g0, g1)."""
    weight_decay = group["weight_decay"]
    if weight_decay == 0.0:
        return p0, p1, g0, g1
    if group["weight_decouple"]:
        lr = 1.0 if group["fixed_decay"] else group["lr"]
        f = 1.0 - weight_decay * lr * 1.0
        return p0 * f, p1 * f, g0, g1
    return p0, p1, g0 + weight_decay * p0, g1 + weight_decay * p1


def adanorm1(g0: float, g1: float, group: dict, exp_grad_norm: float | None):
    """get_adanorm_gradient on one run: (s0, s1, the new exp_grad_norm)."""
    if not group.get("adanorm") or exp_grad_norm is None:
        return g0, g1, exp_grad_norm
    r = group.get("adanorm_r")
    if r is None:
        r = 0.95
    grad_norm = math.sqrt(g0 * g0 + g1 * g1)
    e = exp_grad_norm * r
    e = e + (1.0 - r) * grad_norm
    if grad_norm > 0 and e > grad_norm:
        return g0 * e / grad_norm, g1 * e / grad_norm, e
    return g0, g1, e


# -- shared hyperparameter specs ---------------------------------------------------
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
    return Hyper("weight_decay", "float", 0.0,
                 "weight decay coefficient (decoupled or L2, see weight_decouple)",
                 low=0.0, ui=(0.0, 1.0),
                 doc_zh="权重衰减系数（解耦或 L2 方式，见 weight_decouple）")


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
