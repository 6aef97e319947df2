"""ReduceLROnPlateau: cut the learning rate when the loss stops improving.

Port of torch.optim.lr_scheduler.ReduceLROnPlateau (PyTorch 2.13).  `step(metric)` takes
the monitored value (here: the loss at the point the step started from).  It does not
step at construction and does not touch group["initial_lr"].

`metric` may also be an array of shape (B,) — one loss per run of a batch — in which case
every run keeps its own best value and counters, and the group's lr becomes a (B, 1)
array; each row follows exactly the scalar rules.
"""

from __future__ import annotations

import math

import numpy as np

from ..hyper import Hyper
from .base import Scheduler, _copy, register


@register
class ReduceLROnPlateau(Scheduler):
    r"""Reduces the learning rate by factor when the metric has not improved for
    more than patience steps.

    A value a improves on the best one when (mode 'min', threshold_mode 'rel')
    a < best (1 - threshold); ('min', 'abs') a < best - threshold;
    ('max', 'rel') a > best (1 + threshold); ('max', 'abs') a > best + threshold.
    Otherwise num_bad_epochs += 1.  During cooldown bad steps are not counted.
    When num_bad_epochs > patience:

    .. math::
        \eta \leftarrow \max(\eta \cdot \text{factor},\ \text{min\_lr})
        \quad\text{if the change exceeds eps}

    then the cooldown starts and num_bad_epochs = 0.
    Defaults: mode = 'min', factor = 0.1, patience = 10, threshold = 1e-4,
    threshold_mode = 'rel', cooldown = 0, min_lr = 0, eps = 1e-8.
    """

    name = "ReduceLROnPlateau"
    summary = ("Watches the loss and divides the learning rate when it stops improving for "
               "patience steps. The adaptive choice when you do not know the schedule in advance.")
    summary_zh = ("监视损失值，若连续 patience 步没有改善，就把学习率乘以 factor 降低。"
                  "事先不知道该怎样安排学习率时的自适应选择。")
    needs_metric = True
    hidden = ()
    checks = ("factor", "min_lr", "mode", "threshold_mode")  # torch's order
    error_field = "factor"
    hypers = (
        Hyper("mode", "choice", "min", "'min': reduce when the loss stops decreasing; 'max': "
              "when the monitored value stops increasing", choices=("min", "max"),
              doc_zh="'min'：被监视的量不再下降时降低学习率；'max'：不再上升时降低",
              message="mode {value} is unknown!"),
        Hyper("factor", "float", 0.1, "factor by which the learning rate is reduced: "
              "new_lr = lr * factor", high=1.0, high_open=True, ui=(0.01, 0.99),
              doc_zh="学习率降低的倍数：new_lr = lr * factor",
              message="Factor should be < 1.0.", nan_passes=True),     # torch: factor >= 1.0
        Hyper("patience", "int", 10, "number of steps with no improvement tolerated before "
              "the learning rate is reduced", ui=(0, 100),
              doc_zh="允许连续多少步没有改善，超过后才降低学习率"),
        Hyper("threshold", "float", 1e-4, "how much better a value must be to count as an "
              "improvement", ui=(0.0, 0.5),
              doc_zh="新值至少要好多少才算“改善”的阈值"),
        Hyper("threshold_mode", "choice", "rel", "'rel': threshold relative to the best value; "
              "'abs': absolute", choices=("rel", "abs"), message="threshold mode {value} is unknown!",
              doc_zh="'rel'：阈值相对于最好值按比例计算；'abs'：按绝对差计算"),
        Hyper("cooldown", "int", 0, "number of steps to wait after a reduction before "
              "counting bad steps again", ui=(0, 100),
              doc_zh="降低学习率之后的冷却步数，期间不统计“无改善”的步"),
        Hyper("min_lr", "float", 0.0, "lower bound on the learning rate", ui=(0.0, 0.1),
              per_group=True, group_message="expected {groups} min_lrs, got {n}",
              doc_zh="学习率的下限"),
        Hyper("eps", "float", 1e-8, "minimal decay: a reduction smaller than eps is skipped",
              ui=(0.0, 1e-3), doc_zh="最小衰减量：若新旧学习率之差小于 eps，则不做这次更新"),
    )

    rule_tex = (
        r"input: F\ (\texttt{factor}), P\ (\texttt{patience}), \tau\ (\texttt{threshold}), "
        r"\eta_{\min}\ (\texttt{min_lr}), \epsilon\ (\texttt{eps}), \texttt{mode}, \texttt{cooldown}",
        r"initialize: L^{*} \leftarrow \infty, n \leftarrow 0",
        r"for: t = 1, 2, \ldots \quad (L_t = f(\theta_{t-1}))",
        r"    if: L_t < L^{*} (1 - \tau)",
        r"        L^{*} \leftarrow L_t, n \leftarrow 0",
        r"    else:",
        r"        n \leftarrow n + 1",
        r"    if: n > P",
        r"        \eta \leftarrow \max(F \eta, \eta_{\min}), n \leftarrow 0",
    )
    rule_note = ("Shown for mode = 'min' and threshold_mode = 'rel'; threshold_mode = 'abs' "
                 "compares with $L^{*} - \\tau$, and mode = 'max' looks for increases. The lr "
                 "only changes when the change exceeds $\\epsilon$; afterwards, cooldown steps "
                 "are not counted.")
    rule_note_zh = ("这里写的是 mode = 'min'、threshold_mode = 'rel' 的情形；'abs' 时与 "
                    "$L^{*} - \\tau$ 比较，mode = 'max' 时看是否上升。lr 的变化超过 $\\epsilon$ "
                    "才会生效；降低之后的 cooldown 步内不计数。")

    def _setup(self, optimizer, mode, factor, patience, threshold, threshold_mode, cooldown,
               min_lr, eps):
        self.factor = factor
        self.min_lr = min_lr
        self.patience = patience
        self.cooldown = cooldown
        self.eps = eps
        self.last_epoch = 0
        self._last_lr = _copy(optimizer.group["lr"])
        self.mode = mode
        self.threshold = threshold
        self.threshold_mode = threshold_mode
        self.mode_worse = math.inf if mode == "min" else -math.inf
        self._reset()

    @property
    def min_lrs(self) -> list:
        return [self.min_lr]

    def _reset(self) -> None:
        self.best = self.mode_worse
        self.cooldown_counter = 0
        self.num_bad_epochs = 0

    @property
    def in_cooldown(self):
        return self.cooldown_counter > 0

    def _is_better(self, a, best):
        if self.mode == "min" and self.threshold_mode == "rel":
            rel_epsilon = 1.0 - self.threshold
            return a < best * rel_epsilon
        elif self.mode == "min" and self.threshold_mode == "abs":
            return a < best - self.threshold
        elif self.mode == "max" and self.threshold_mode == "rel":
            rel_epsilon = self.threshold + 1.0
            return a > best * rel_epsilon
        else:
            return a > best + self.threshold

    def step(self, metric=None):
        """One step with the monitored value (a number, or one per run of a batch)."""
        if metric is None:
            raise TypeError("ReduceLROnPlateau.step() missing 1 required positional "
                            "argument: 'metrics'")
        if isinstance(metric, np.ndarray) and metric.size > 1:
            self._step_batch(metric)
            return
        current = float(metric)
        self.last_epoch = self.last_epoch + 1

        if self._is_better(current, self.best):
            self.best = current
            self.num_bad_epochs = 0
        else:
            self.num_bad_epochs += 1

        if self.in_cooldown:
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0

        if self.num_bad_epochs > self.patience:
            self._reduce_lr()
            self.cooldown_counter = self.cooldown
            self.num_bad_epochs = 0

        self._last_lr = _copy(self.optimizer.group["lr"])

    def _reduce_lr(self) -> None:
        group = self.optimizer.group
        lr = group["lr"]
        if isinstance(lr, np.ndarray):
            new_lr = np.maximum(lr * self.factor, self.min_lr)
            group["lr"] = np.where(lr - new_lr > self.eps, new_lr, lr)
            return
        old_lr = float(lr)
        new_lr = max(old_lr * self.factor, self.min_lr)
        if old_lr - new_lr > self.eps:
            group["lr"] = new_lr

    def _step_batch(self, metric: np.ndarray) -> None:
        """The scalar rules, row by row, for a batch of independent runs."""
        current = np.asarray(metric, dtype=np.float64).reshape(-1)
        n = current.shape[0]
        if not isinstance(self.best, np.ndarray):
            self.best = np.full(n, self.best, dtype=np.float64)
            self.num_bad_epochs = np.full(n, self.num_bad_epochs, dtype=np.int64)
            self.cooldown_counter = np.full(n, self.cooldown_counter, dtype=np.int64)
        self.last_epoch = self.last_epoch + 1

        better = self._is_better(current, self.best)
        self.best = np.where(better, current, self.best)
        self.num_bad_epochs = np.where(better, 0, self.num_bad_epochs + 1)

        cooling = self.cooldown_counter > 0
        self.cooldown_counter = np.where(cooling, self.cooldown_counter - 1, self.cooldown_counter)
        self.num_bad_epochs = np.where(cooling, 0, self.num_bad_epochs)

        reduce = self.num_bad_epochs > self.patience
        if reduce.any():
            group = self.optimizer.group
            lr = np.broadcast_to(np.asarray(group["lr"], dtype=np.float64), (n, 1))
            new_lr = np.maximum(lr * self.factor, self.min_lr)
            cut = reduce[:, None] & (lr - new_lr > self.eps)
            group["lr"] = np.where(cut, new_lr, lr)
            self.cooldown_counter = np.where(reduce, self.cooldown, self.cooldown_counter)
            self.num_bad_epochs = np.where(reduce, 0, self.num_bad_epochs)

        self._last_lr = _copy(self.optimizer.group["lr"])
