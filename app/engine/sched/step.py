"""Schedules that multiply the learning rate by gamma: StepLR, MultiStepLR, ExponentialLR.

Ports of torch.optim.lr_scheduler (PyTorch 2.13).  They are chainable: `step()` scales
the group's current lr, so they compose with other schedulers in a ChainedScheduler.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import Counter

from ..hyper import Hyper
from .base import Scheduler, _copy, register

GAMMA_DOC = "multiplicative factor of learning rate decay"
GAMMA_DOC_ZH = "学习率衰减的乘法因子：每次衰减时 lr 乘以 gamma"


@register
class StepLR(Scheduler):
    r"""Decays the learning rate by gamma every step_size steps.

    .. math::
        \eta_t = \eta_0 \cdot \gamma^{\lfloor t / \text{step\_size} \rfloor}

    computed as torch does, chainably: at step t (t = last_epoch), if t > 0 and
    t mod step_size = 0 then lr <- gamma * lr, else lr is left as it is.
    Defaults: gamma = 0.1 (step_size has no default).
    """

    name = "StepLR"
    summary = ("Multiplies the learning rate by gamma every step_size steps, a staircase. "
               "The classic schedule for training image classifiers (e.g. /10 every 30 epochs).")
    summary_zh = ("每隔 step_size 步把学习率乘以 gamma，曲线呈阶梯状。"
                  "训练图像分类网络的经典做法（例如每 30 个 epoch 把 lr 除以 10）。")
    error_field = "step_size"
    hypers = (
        Hyper("step_size", "int", 30, "period of learning rate decay, in steps (required)",
              low=1, ui=(1, 200), required=True,
              doc_zh="学习率衰减的周期，单位是步（必填）"),
        Hyper("gamma", "float", 0.1, GAMMA_DOC, ui=(0.0, 1.0), doc_zh=GAMMA_DOC_ZH),
    )
    has_closed_form = True

    rule_tex = (
        r"input: \eta_0\ (\texttt{lr}), s\ (\texttt{step_size}), \gamma\ (\texttt{gamma})",
        r"\eta_t = \eta_0\, \gamma^{\lfloor t / s \rfloor}",
    )

    def _setup(self, optimizer, step_size, gamma, last_epoch=-1):
        self.step_size = step_size
        self.gamma = gamma
        self._lr_init(last_epoch)

    def get_lr(self):
        lr = self.optimizer.group["lr"]
        if (self.last_epoch == 0) or (self.last_epoch % self.step_size != 0):
            return _copy(lr)
        return lr * self.gamma

    def _closed_form_lr(self):
        return self.base_lr * self.gamma ** (self.last_epoch // self.step_size)


@register
class MultiStepLR(Scheduler):
    r"""Decays the learning rate by gamma at each milestone.

    .. math::
        \eta_t = \eta_0 \cdot \gamma^{\#\{m \in \text{milestones} : m \le t\}}

    computed chainably: when t = last_epoch is a milestone (listed n times),
    lr <- gamma^n * lr.  Defaults: gamma = 0.1 (milestones have no default).
    """

    name = "MultiStepLR"
    summary = ("Multiplies the learning rate by gamma each time the step count reaches one "
               "of the milestones. Used when you know in advance where the loss plateaus.")
    summary_zh = ("每当步数到达 milestones 中的某一个里程碑，就把学习率乘以 gamma。"
                  "适合事先知道训练大约在哪些位置进入平台期的情形。")
    error_field = "milestones"
    hypers = (
        Hyper("milestones", "int_list", (30, 80),
              "steps at which the learning rate is multiplied by gamma (required)", required=True,
              doc_zh="学习率乘以 gamma 的那些步数（里程碑，必填）"),
        Hyper("gamma", "float", 0.1, GAMMA_DOC, ui=(0.0, 1.0), doc_zh=GAMMA_DOC_ZH),
    )
    has_closed_form = True

    rule_tex = (
        r"input: \eta_0\ (\texttt{lr}), M\ (\texttt{milestones}), \gamma\ (\texttt{gamma})",
        r"\eta_t = \eta_0\, \gamma^{\#\{m \in M : m \le t\}}",
    )

    def _setup(self, optimizer, milestones, gamma, last_epoch=-1):
        self.milestones = Counter(milestones)
        self.gamma = gamma
        self._lr_init(last_epoch)

    def get_lr(self):
        lr = self.optimizer.group["lr"]
        if self.last_epoch not in self.milestones:
            return _copy(lr)
        return lr * self.gamma ** self.milestones[self.last_epoch]

    def can_fail(self, steps):
        # gamma ** n is a Python float power: it raises OverflowError instead of giving inf
        return abs(self.gamma) > 1

    def _closed_form_lr(self):
        milestones = sorted(self.milestones.elements())
        return self.base_lr * self.gamma ** bisect_right(milestones, self.last_epoch)


@register
class ExponentialLR(Scheduler):
    r"""Decays the learning rate by gamma every step.

    .. math::
        \eta_t = \eta_0 \cdot \gamma^{t}

    computed chainably: lr <- gamma * lr at every step after the initial one.
    (gamma has no default.)
    """

    name = "ExponentialLR"
    summary = ("Multiplies the learning rate by gamma after every step: a smooth exponential "
               "decay. A simple default when a run should slow down steadily.")
    summary_zh = ("每走一步就把学习率乘以 gamma，学习率按指数平滑衰减。"
                  "想让训练稳步放慢时，这是一个简单的默认选择。")
    error_field = "gamma"
    hypers = (
        Hyper("gamma", "float", 0.99, GAMMA_DOC + " per step (required)", ui=(0.8, 1.0),
              required=True,
              doc_zh="每一步学习率乘上的衰减因子（必填）"),
    )
    has_closed_form = True

    rule_tex = (
        r"input: \eta_0\ (\texttt{lr}), \gamma\ (\texttt{gamma})",
        r"\eta_t = \eta_0\, \gamma^{t}",
    )

    def _setup(self, optimizer, gamma, last_epoch=-1):
        self.gamma = gamma
        self._lr_init(last_epoch)

    def get_lr(self):
        lr = self.optimizer.group["lr"]
        if self._is_initial:
            return _copy(lr)
        return lr * self.gamma

    def _closed_form_lr(self):
        return self.base_lr * self.gamma ** self.last_epoch
