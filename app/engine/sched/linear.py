"""Schedules over a fixed number of steps: ConstantLR, LinearLR, PolynomialLR.

Ports of torch.optim.lr_scheduler (PyTorch 2.13), in torch's chainable form: each step
multiplies the group's current lr by the ratio of consecutive factors, which is why the
values differ from the closed-form formula in the last bits, exactly as in torch.
"""

from __future__ import annotations

from ..hyper import Hyper
from .base import Scheduler, _copy, register

TOTAL_ITERS_DOC_ZH = "调度起作用的步数"


@register
class ConstantLR(Scheduler):
    r"""Multiplies the learning rate by a constant factor until total_iters steps.

    .. math::
        \eta_t = \eta_0 \cdot \begin{cases} \text{factor} & t < \text{total\_iters} \\
                                             1 & t \ge \text{total\_iters} \end{cases}

    computed chainably: at t = 0, lr <- factor * lr; at t = total_iters,
    lr <- lr * (1 / factor); otherwise unchanged.
    Defaults: factor = 1/3, total_iters = 5.  (PyTorch divides by factor at
    total_iters, so factor = 0 fails there with ZeroDivisionError.)
    """

    name = "ConstantLR"
    summary = ("Keeps the learning rate at factor x lr for the first total_iters steps, then "
               "restores it. A simple warm-up: start small while the optimizer's state settles.")
    summary_zh = ("前 total_iters 步把学习率固定为 factor × lr，之后恢复原值。"
                  "一种最简单的预热（warm-up）：在优化器状态稳定之前先用小步长。")
    error_field = "factor"
    hypers = (
        Hyper("factor", "float", 1.0 / 3, "the learning rate is multiplied by factor until "
              "total_iters is reached", low=0.0, high=1.0, ui=(0.0, 1.0),
              doc_zh="在到达 total_iters 之前，学习率乘以的常数因子",
              message="Constant multiplicative factor expected to be between 0 and 1.",
              nan_passes=True),     # torch: `factor > 1.0 or factor < 0`
        Hyper("total_iters", "int", 5, "number of steps during which the factor applies",
              ui=(0, 200), doc_zh="乘以 factor 的持续步数"),
    )
    has_closed_form = True

    rule_tex = (
        r"input: \eta_0\ (\texttt{lr}), F\ (\texttt{factor}), T\ (\texttt{total_iters})",
        r"\eta_t = \eta_0 \begin{cases} F & t < T \\ 1 & t \ge T \end{cases}",
    )

    def _setup(self, optimizer, factor, total_iters, last_epoch=-1):
        self.factor = factor
        self.total_iters = total_iters
        self._lr_init(last_epoch)

    def can_fail(self, steps):
        return self.factor == 0       # lr * (1.0 / factor) at total_iters

    def get_lr(self):
        lr = self.optimizer.group["lr"]
        if self.last_epoch == 0:
            return lr * self.factor
        if self.last_epoch != self.total_iters:
            return _copy(lr)
        return lr * (1.0 / self.factor)

    def _closed_form_lr(self):
        return self.base_lr * (
            self.factor + (self.last_epoch >= self.total_iters) * (1 - self.factor))


@register
class LinearLR(Scheduler):
    r"""Changes the learning rate linearly from start_factor x lr to end_factor x lr.

    .. math::
        \eta_t = \eta_0 \left(s + (e - s)\,\frac{\min(t, T)}{T}\right),
        \quad s = \text{start\_factor},\; e = \text{end\_factor},\; T = \text{total\_iters}

    computed chainably as torch does: at t = 0, lr <- s * lr; for 0 < t <= T,
    lr <- lr * (1 + (e - s) / (T s + (t - 1)(e - s))); after T, unchanged.
    Defaults: start_factor = 1/3, end_factor = 1.0, total_iters = 5.
    """

    name = "LinearLR"
    summary = ("Scales the learning rate by a factor that moves linearly from start_factor to "
               "end_factor over total_iters steps. The usual linear warm-up (or linear decay).")
    summary_zh = ("在 total_iters 步内，让学习率的倍数从 start_factor 线性变到 end_factor。"
                  "最常用的线性预热（也可用作线性衰减）。")
    error_field = "total_iters"
    hypers = (
        Hyper("start_factor", "float", 1.0 / 3, "factor applied to the learning rate at the "
              "first step", low=0.0, high=1.0, low_open=True, ui=(0.01, 1.0),
              doc_zh="第一步时学习率乘以的因子",
              message="Starting multiplicative factor expected to be greater than 0 and less "
                      "or equal to 1.", nan_passes=True),
        Hyper("end_factor", "float", 1.0, "factor applied to the learning rate from step "
              "total_iters on", low=0.0, high=1.0, ui=(0.0, 1.0),
              doc_zh="从第 total_iters 步起学习率乘以的因子",
              message="Ending multiplicative factor expected to be between 0 and 1.",
              nan_passes=True),
        Hyper("total_iters", "int", 5, "number of steps over which the factor moves from "
              "start_factor to end_factor", ui=(0, 200),
              doc_zh="因子从 start_factor 变到 end_factor 所用的步数"),
    )
    has_closed_form = True

    rule_tex = (
        r"input: \eta_0\ (\texttt{lr}), s\ (\texttt{start_factor}), e\ (\texttt{end_factor}), "
        r"T\ (\texttt{total_iters})",
        r"\eta_t = \eta_0 \left(s + (e - s) \frac{\min(t, T)}{T}\right)",
    )

    def _setup(self, optimizer, start_factor, end_factor, total_iters, last_epoch=-1):
        self.start_factor = start_factor
        self.end_factor = end_factor
        self.total_iters = total_iters
        self._lr_init(last_epoch)

    def get_lr(self):
        lr = self.optimizer.group["lr"]
        if self.last_epoch == 0:
            return lr * self.start_factor
        if self._is_initial or self.last_epoch > self.total_iters:
            return _copy(lr)
        return lr * (
            1.0
            + (self.end_factor - self.start_factor)
            / (self.total_iters * self.start_factor
               + (self.last_epoch - 1) * (self.end_factor - self.start_factor)))

    def _closed_form_lr(self):
        return self.base_lr * (
            self.start_factor
            + (self.end_factor - self.start_factor)
            * min(self.total_iters, self.last_epoch) / self.total_iters)


@register
class PolynomialLR(Scheduler):
    r"""Decays the learning rate polynomially to zero over total_iters steps.

    .. math::
        \eta_t = \eta_0 \left(1 - \frac{\min(t, T)}{T}\right)^{p},
        \quad T = \text{total\_iters},\; p = \text{power}

    computed chainably: for 0 < t <= T,
    lr <- lr * ((1 - t/T) / (1 - (t-1)/T))^p; after T, unchanged (zero).
    Defaults: total_iters = 5, power = 1.0.
    """

    name = "PolynomialLR"
    summary = ("Decays the learning rate to zero along (1 - t/total_iters)^power. "
               "Common in segmentation models ('poly' schedule) and for a linear decay to zero.")
    summary_zh = ("学习率按 (1 - t/total_iters)^power 衰减到零。"
                  "常见于语义分割模型（所谓 poly 策略），power = 1 时就是线性衰减到零。")
    error_field = "power"
    hypers = (
        Hyper("total_iters", "int", 5, "number of steps over which the learning rate decays "
              "to zero", ui=(1, 500), doc_zh="学习率衰减到零所用的步数"),
        Hyper("power", "float", 1.0, "power of the polynomial", ui=(0.1, 5.0),
              doc_zh="多项式的幂次；1 为线性，越大前期下降越快"),
    )
    has_closed_form = True

    rule_tex = (
        r"input: \eta_0\ (\texttt{lr}), T\ (\texttt{total_iters}), p\ (\texttt{power})",
        r"\eta_t = \eta_0 \left(1 - \frac{\min(t, T)}{T}\right)^{p}",
    )

    def _setup(self, optimizer, total_iters, power, last_epoch=-1):
        self.total_iters = total_iters
        self.power = power
        self._lr_init(last_epoch)

    def can_fail(self, steps):
        return self.power < 0         # 0.0 ** power at total_iters

    def get_lr(self):
        lr = self.optimizer.group["lr"]
        if self._is_initial or self.last_epoch > self.total_iters:
            return _copy(lr)
        decay_factor = (
            (1.0 - self.last_epoch / self.total_iters)
            / (1.0 - (self.last_epoch - 1) / self.total_iters)) ** self.power
        return lr * decay_factor

    def _closed_form_lr(self):
        return self.base_lr * (
            1.0 - min(self.total_iters, self.last_epoch) / self.total_iters) ** self.power
