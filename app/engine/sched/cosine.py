"""Cosine schedules: CosineAnnealingLR (chainable recursion) and
CosineAnnealingWarmRestarts (SGDR, closed form with restarts).  Ports of
torch.optim.lr_scheduler (PyTorch 2.13).
"""

from __future__ import annotations

import math

from ..hyper import Hyper
from .base import Scheduler, _copy, register

ETA_MIN_DOC = "minimum learning rate"
ETA_MIN_DOC_ZH = "学习率的下限（余弦曲线的最低点）"


@register
class CosineAnnealingLR(Scheduler):
    r"""Anneals the learning rate along a half cosine from the initial lr to eta_min.

    .. math::
        \eta_t = \eta_{min} + \tfrac12(\eta_{max} - \eta_{min})
                 \left(1 + \cos\frac{t\pi}{T_{max}}\right)

    computed as torch does, by the recursion
    eta_{t+1} = eta_min + (eta_t - eta_min) (1 + cos((t+1) pi / T_max)) / (1 + cos(t pi / T_max)),
    with lr <- lr + (eta_max - eta_min)(1 - cos(pi / T_max)) / 2 when
    (t - 1 - T_max) mod 2 T_max = 0.  After T_max steps it climbs back: the curve is a
    cosine of period 2 T_max, not a restart.  Defaults: eta_min = 0 (T_max has no default).
    """

    name = "CosineAnnealingLR"
    summary = ("Lowers the learning rate from its initial value to eta_min along half a cosine "
               "over T_max steps. A favourite for training to a fixed budget.")
    summary_zh = ("在 T_max 步内让学习率沿半个余弦曲线从初始值降到 eta_min。"
                  "训练步数预先确定时最受欢迎的调度之一。")
    error_field = "T_max"
    hypers = (
        Hyper("T_max", "int", 100, "number of steps of the half cosine, from lr down to "
              "eta_min (required)", low=1, ui=(1, 1000), required=True,
              doc_zh="半个余弦周期的步数：学习率从初始值降到 eta_min 所用的步数（必填）"),
        Hyper("eta_min", "float", 0.0, ETA_MIN_DOC, ui=(0.0, 0.1), doc_zh=ETA_MIN_DOC_ZH),
    )
    has_closed_form = True

    rule_tex = (
        r"input: \eta_{\max}\ (\texttt{lr}), T_{\max}\ (\texttt{T_max}), \eta_{\min}\ (\texttt{eta_min})",
        r"\eta_t = \eta_{\min} + \tfrac{1}{2} (\eta_{\max} - \eta_{\min}) "
        r"\left(1 + \cos \frac{t \pi}{T_{\max}}\right)",
    )
    rule_note = ("PyTorch computes it step by step, so after $T_{\\max}$ steps the lr climbs back "
                 "up: the curve is a cosine of period $2T_{\\max}$, not a restart.")
    rule_note_zh = ("PyTorch 是逐步递推计算的，所以过了 $T_{\\max}$ 步之后 lr 会重新升高："
                    "曲线是周期为 $2T_{\\max}$ 的余弦，而不是重启。")

    def _setup(self, optimizer, T_max, eta_min, last_epoch=-1):
        self.T_max = T_max
        self.eta_min = eta_min
        self._lr_init(last_epoch)

    def can_fail(self, steps):
        # 1 + cos(pi (t-1) / T_max) rounds to 0 only for t within ~1e-8 T_max of an odd
        # multiple of T_max other than the one torch special-cases: never for runs this short
        return steps > 10**7

    def get_lr(self):
        lr = self.optimizer.group["lr"]
        if self._is_initial:
            return _copy(lr)
        elif self._step_count == 1 and self.last_epoch > 0:
            return (self.eta_min + (self.base_lr - self.eta_min)
                    * (1 + math.cos((self.last_epoch) * math.pi / self.T_max)) / 2)
        elif (self.last_epoch - 1 - self.T_max) % (2 * self.T_max) == 0:
            return lr + (self.base_lr - self.eta_min) * (1 - math.cos(math.pi / self.T_max)) / 2
        return ((1 + math.cos(math.pi * self.last_epoch / self.T_max))
                / (1 + math.cos(math.pi * (self.last_epoch - 1) / self.T_max))
                * (lr - self.eta_min) + self.eta_min)

    def _closed_form_lr(self):
        return (self.eta_min + (self.base_lr - self.eta_min)
                * (1 + math.cos(math.pi * self.last_epoch / self.T_max)) / 2)


@register
class CosineAnnealingWarmRestarts(Scheduler):
    r"""Cosine annealing with warm restarts (SGDR).

    .. math::
        \eta_t = \eta_{min} + \tfrac12(\eta_{max} - \eta_{min})
                 \left(1 + \cos\frac{T_{cur}\pi}{T_i}\right)

    T_cur counts the steps since the last restart; when it reaches T_i the lr jumps
    back to eta_max (the initial lr) and T_i <- T_mult * T_i.  The first period is
    T_0.  Defaults: T_mult = 1, eta_min = 0 (T_0 has no default).
    """

    name = "CosineAnnealingWarmRestarts"
    summary = ("Repeats a cosine decay from the initial lr to eta_min, restarting every T_i "
               "steps, with T_i growing by T_mult. Restarts help a run hop out of a basin.")
    summary_zh = ("反复进行从初始 lr 到 eta_min 的余弦衰减，每 T_i 步重启一次，"
                  "周期按 T_mult 倍增长。重启（热启动）有助于跳出当前的盆地。")
    error_field = "T_0"
    # torch checks these types itself: `not isinstance(T_0, int) or T_0 <= 0`
    hypers = (
        Hyper("T_0", "int", 50, "number of steps until the first restart (required)",
              required=True, message="Expected positive integer T_0, but got {value}",
              type_message="Expected positive integer T_0, but got {value}",
              low=1, ui=(1, 500), doc_zh="第一次重启之前的步数（必填）"),
        Hyper("T_mult", "int", 1, "factor by which the period grows after each restart",
              message="Expected integer T_mult >= 1, but got {value}",
              type_message="Expected integer T_mult >= 1, but got {value}",
              low=1, ui=(1, 4), doc_zh="每次重启后周期变长的倍数"),
        Hyper("eta_min", "float", 0.0, ETA_MIN_DOC, ui=(0.0, 0.1), doc_zh=ETA_MIN_DOC_ZH,
              type_message="Expected float or int eta_min, but got {value} of type {type}"),
    )

    rule_tex = (
        r"input: \eta_{\max}\ (\texttt{lr}), T_0\ (\texttt{T_0}), T_{\mathrm{mult}}\ (\texttt{T_mult}), "
        r"\eta_{\min}\ (\texttt{eta_min})",
        r"initialize: T_i \leftarrow T_0, T_{\mathrm{cur}} \leftarrow 0",
        r"\eta_t = \eta_{\min} + \tfrac{1}{2} (\eta_{\max} - \eta_{\min}) "
        r"\left(1 + \cos \frac{T_{\mathrm{cur}} \pi}{T_i}\right)",
        r"T_{\mathrm{cur}} \leftarrow T_{\mathrm{cur}} + 1",
        r"if: T_{\mathrm{cur}} = T_i",
        r"    T_{\mathrm{cur}} \leftarrow 0, T_i \leftarrow T_{\mathrm{mult}} T_i",
    )

    def _setup(self, optimizer, T_0, T_mult, eta_min, last_epoch=-1):
        self.T_0 = T_0
        self.T_i = T_0
        self.T_mult = T_mult
        self.eta_min = eta_min
        self.T_cur = last_epoch
        self._lr_init(last_epoch)

    def get_lr(self):
        return (self.eta_min + (self.base_lr - self.eta_min)
                * (1 + math.cos(math.pi * self.T_cur / self.T_i)) / 2)

    def step(self, metric=None):
        # torch's CosineAnnealingWarmRestarts.step(epoch=None); it does not count _step_count
        epoch = None
        if self.last_epoch < 0:
            epoch = 0

        if epoch is None:
            epoch = self.last_epoch + 1
            self.T_cur = self.T_cur + 1
            if self.T_cur >= self.T_i:
                self.T_cur = self.T_cur % self.T_i
                self.T_i = self.T_i * self.T_mult
        else:
            if epoch >= self.T_0:
                if self.T_mult == 1:
                    self.T_cur = epoch % self.T_0
                else:
                    n = int(math.log((epoch / self.T_0 * (self.T_mult - 1) + 1), self.T_mult))
                    self.T_cur = epoch - self.T_0 * (self.T_mult ** n - 1) / (self.T_mult - 1)
                    self.T_i = self.T_0 * self.T_mult ** (n)
            else:
                self.T_i = self.T_0
                self.T_cur = epoch
        self.last_epoch = math.floor(epoch)

        lr = self.get_lr()
        self.optimizer.group["lr"] = lr
        self._last_lr = _copy(lr)
