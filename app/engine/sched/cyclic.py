"""Cyclical schedules: CyclicLR and OneCycleLR.  Ports of torch.optim.lr_scheduler
(PyTorch 2.13).

Both set the learning rate from their own parameters (the optimizer's lr is ignored) and,
with cycle_momentum=True (the default), also cycle the momentum inversely: they write
group["momentum"] (SGD, RMSprop) or beta1 of group["betas"] (Adam and its kin) — which
one is decided as torch does, by whether "betas" is among the optimizer's defaults — and
refuse optimizers that have neither.  Like torch they also store max_momentum /
base_momentum (and OneCycleLR initial_lr / max_lr / min_lr) in the group.
"""

from __future__ import annotations

import math

from ..hyper import Hyper, HyperparameterError, is_int
from .base import Scheduler, optimizer_defaults, register

NO_MOMENTUM = "optimizer must support momentum or beta1 with `cycle_momentum` option enabled"

CYCLE_MOMENTUM = Hyper(
    "cycle_momentum", "bool", True,
    "also cycle the momentum (SGD/RMSprop momentum, or beta1 for Adam-like optimizers) "
    "inversely to the learning rate",
    doc_zh="同时让动量与学习率反向循环（SGD/RMSprop 的 momentum，或 Adam 类优化器的 beta1）")


def _momentum_hypers(base: float, high: float) -> tuple[Hyper, Hyper]:
    return (
        Hyper("base_momentum", "float", base, "lower momentum boundary, reached when the "
              "learning rate is at its peak", ui=(0.0, 0.99), per_group=True,
              doc_zh="动量的下界：学习率达到峰值时动量取这个值"),
        Hyper("max_momentum", "float", high, "upper momentum boundary, used when the learning "
              "rate is at its lowest", ui=(0.0, 0.999), per_group=True,
              doc_zh="动量的上界：学习率处于最低点时动量取这个值"),
    )


def _set_momentum(group: dict, use_beta1: bool, momentum) -> None:
    if use_beta1:
        group["betas"] = (momentum, *group["betas"][1:])
    else:
        group["momentum"] = momentum


@register
class CyclicLR(Scheduler):
    r"""Cyclical learning rate (CLR): lr oscillates between base_lr and max_lr.

    With c = floor(1 + t / (up + down)) the cycle number, x = 1 + t/(up + down) - c
    and r = up / (up + down):

    .. math::
        s = \begin{cases} x / r & x \le r \\ (x - 1)/(r - 1) & x > r \end{cases},\qquad
        \eta_t = \text{base\_lr} + (\text{max\_lr} - \text{base\_lr})\, s\, f

    where f = 1 ('triangular'), 1 / 2^{c-1} ('triangular2') or gamma^t ('exp_range').
    With cycle_momentum the momentum moves the other way:
    m_t = max_momentum - (max_momentum - base_momentum) s f.
    The optimizer's lr is replaced by base_lr.  Defaults: step_size_up = 2000,
    step_size_down = step_size_up, mode = 'triangular', gamma = 1.0,
    cycle_momentum = True, base_momentum = 0.8, max_momentum = 0.9.
    """

    name = "CyclicLR"
    summary = ("Sweeps the learning rate up and down between base_lr and max_lr in triangular "
               "cycles. Used to explore a range of step sizes and to find a good max_lr.")
    summary_zh = ("让学习率在 base_lr 和 max_lr 之间按三角波来回扫动。"
                  "常用来在一段步长范围内探索，或用来寻找合适的 max_lr。")
    checks = ("base_lr", "max_lr", "mode")     # torch's order; the rest in _setup
    error_field = "gamma"
    hypers = (
        Hyper("base_lr", "float", 0.001, "lower learning rate boundary of the cycle (required); "
              "replaces the optimizer's lr", ui=(1e-5, 10.0), log=True,
              doc_zh="循环中学习率的下界（必填）；会取代优化器自己的 lr",
              required=True, per_group=True),
        Hyper("max_lr", "float", 0.01, "upper learning rate boundary of the cycle (required)",
              ui=(1e-5, 10.0), log=True, doc_zh="循环中学习率的上界（必填）",
              required=True, per_group=True),
        Hyper("step_size_up", "int", 2000, "number of steps in the increasing half of a cycle",
              low=1, ui=(1, 500), doc_zh="每个周期中学习率上升阶段的步数"),
        Hyper("step_size_down", "int", None, "number of steps in the decreasing half of a "
              "cycle; null means step_size_up", low=0, ui=(0, 500), nullable=True,
              doc_zh="每个周期中学习率下降阶段的步数；为 null 时等于 step_size_up"),
        Hyper("mode", "choice", "triangular", "'triangular': constant amplitude; "
              "'triangular2': amplitude halved every cycle; 'exp_range': amplitude scaled "
              "by gamma**step", choices=("triangular", "triangular2", "exp_range"),
              message="mode is invalid and scale_fn is None",     # (scale_fn is never given)
              doc_zh="'triangular'：振幅不变；'triangular2'：每个周期振幅减半；"
                     "'exp_range'：振幅乘以 gamma 的步数次方"),
        Hyper("gamma", "float", 1.0, "constant of the 'exp_range' mode: the amplitude is "
              "scaled by gamma**step", ui=(0.9, 1.0),
              doc_zh="'exp_range' 模式中的常数：振幅乘以 gamma 的（步数）次方"),
        Hyper("scale_mode", "choice", "cycle", "whether a custom scale_fn sees the cycle "
              "number or the step; the built-in modes choose it themselves, so it has no "
              "effect here (scale_fn, a Python callable, is not offered)",
              choices=("cycle", "iterations"),
              doc_zh="自定义 scale_fn 的自变量是周期序号还是步数；内置的三种模式会自行决定，"
                     "所以这里它不起作用（scale_fn 是 Python 函数，本工具不提供）"),
        CYCLE_MOMENTUM,
        *_momentum_hypers(0.8, 0.9),
    )

    rule_tex = (
        r"input: \eta_{\mathrm{base}}\ (\texttt{base_lr}), \eta_{\max}\ (\texttt{max_lr}), "
        r"u\ (\texttt{step_size_up}), d\ (\texttt{step_size_down}), \gamma\ (\texttt{gamma}), "
        r"\texttt{mode}, \mu_{\mathrm{base}}\ (\texttt{base_momentum}), \mu_{\max}\ (\texttt{max_momentum})",
        r"c = \left\lfloor 1 + \frac{t}{u + d} \right\rfloor, x = 1 + \frac{t}{u + d} - c, "
        r"r = \frac{u}{u + d}",
        r"s = \begin{cases} x / r & x \le r \\ \frac{x - 1}{r - 1} & x > r \end{cases}",
        r"\eta_t = \eta_{\mathrm{base}} + (\eta_{\max} - \eta_{\mathrm{base}})\, s\, f",
        r"where: f = \begin{cases} 1 & \texttt{'triangular'} \\ 2^{1 - c} & \texttt{'triangular2'} \\ "
        r"\gamma^{t} & \texttt{'exp_range'} \end{cases}",
        r"if: \texttt{cycle_momentum}",
        r"    \mu_t = \mu_{\max} - (\mu_{\max} - \mu_{\mathrm{base}})\, s\, f",
    )
    rule_note = ("The optimizer's own lr is replaced by base_lr. scale_mode only matters for a "
                 "custom scale_fn, which a request cannot carry: each mode fixes it.")
    rule_note_zh = ("优化器自己的 lr 会被 base_lr 取代。scale_mode 只对自定义的 scale_fn 有意义，"
                    "而请求里不能传函数，所以它由 mode 决定。")

    def _setup(self, optimizer, base_lr, max_lr, step_size_up, step_size_down, mode, gamma,
               scale_mode, cycle_momentum, base_momentum, max_momentum, last_epoch=-1):
        group = optimizer.group
        if last_epoch == -1:
            group["lr"] = base_lr
        self.max_lr = max_lr

        step_size_up = float(step_size_up)
        step_size_down = float(step_size_down) if step_size_down is not None else step_size_up
        self.total_size = step_size_up + step_size_down
        if self.total_size == 0:
            raise HyperparameterError(
                "step_size_up", "step_size_up + step_size_down is 0: PyTorch raises "
                                "ZeroDivisionError (float division by zero)")
        self.step_ratio = step_size_up / self.total_size
        if self.step_ratio == 0:
            raise HyperparameterError(
                "step_size_up", "step_size_up is 0: PyTorch raises ZeroDivisionError "
                                "(float division by zero) in its first step")

        self.mode = mode
        self.gamma = gamma
        self.scale_mode = scale_mode
        if mode == "triangular":
            self._scale_fn = self._triangular_scale_fn
            self.scale_mode = "cycle"
        elif mode == "triangular2":
            self._scale_fn = self._triangular2_scale_fn
            self.scale_mode = "cycle"
        else:
            self._scale_fn = self._exp_range_scale_fn
            self.scale_mode = "iterations"

        self.cycle_momentum = cycle_momentum
        if cycle_momentum:
            defaults = optimizer_defaults(optimizer)
            if "momentum" not in defaults and "betas" not in defaults:
                raise HyperparameterError("cycle_momentum", NO_MOMENTUM)
            self.use_beta1 = "betas" in defaults
            self.base_momentum = base_momentum
            self.max_momentum = max_momentum
            if last_epoch == -1:
                _set_momentum(group, self.use_beta1, max_momentum)
                group["max_momentum"] = max_momentum
                group["base_momentum"] = base_momentum

        self._lr_init(last_epoch)
        self.base_lr = base_lr

    def can_fail(self, steps):
        if self.mode == "exp_range":
            return abs(self.gamma) > 1                     # gamma ** step overflows
        if self.mode == "triangular2":
            return steps + 2 >= 1000 * self.total_size     # 2.0 ** (cycle - 1) overflows
        return False

    def blame(self, error):
        # a float overflow: gamma**step ('exp_range') or 2**cycle ('triangular2')
        return "gamma" if self.mode == "exp_range" else "step_size_up"

    @staticmethod
    def _triangular_scale_fn(x):
        return 1.0

    @staticmethod
    def _triangular2_scale_fn(x):
        return 1 / (2.0 ** (x - 1))

    def _exp_range_scale_fn(self, x):
        return self.gamma ** x

    def get_lr(self):
        cycle = math.floor(1 + self.last_epoch / self.total_size)
        x = 1.0 + self.last_epoch / self.total_size - cycle
        if x <= self.step_ratio:
            scale_factor = x / self.step_ratio
        else:
            scale_factor = (x - 1) / (self.step_ratio - 1)
        scale = self._scale_fn(cycle if self.scale_mode == "cycle" else self.last_epoch)

        base_height = (self.max_lr - self.base_lr) * scale_factor
        lr = self.base_lr + base_height * scale

        if self.cycle_momentum:
            base_height = (self.max_momentum - self.base_momentum) * scale_factor
            momentum = self.max_momentum - base_height * scale
            _set_momentum(self.optimizer.group, self.use_beta1, momentum)
        return lr


def _epochs_without_total_steps(v: dict) -> None:
    """torch counts epochs * steps_per_epoch when total_steps is None (and only then
    checks them)."""
    if v["total_steps"] is not None:
        return
    epochs, spe = v["epochs"], v["steps_per_epoch"]
    if epochs is None or spe is None:
        raise HyperparameterError(
            "total_steps", "You must define either total_steps OR (epochs AND steps_per_epoch)")
    if not is_int(epochs) or epochs <= 0:
        raise HyperparameterError("epochs", f"Expected positive integer epochs, but got {epochs}")
    if not is_int(spe) or spe <= 0:
        raise HyperparameterError(
            "steps_per_epoch", f"Expected positive integer steps_per_epoch, but got {spe}")


_TOTAL_STEPS = "Expected positive integer total_steps, but got {value}"
_PCT_START = "Expected float between 0 and 1 pct_start, but got {value}"


@register
class OneCycleLR(Scheduler):
    r"""The 1cycle policy: warm up from max_lr/div_factor to max_lr, then anneal far below.

    Phases (T = total_steps, p = pct_start), each annealed by cos or linearly:

      1. steps 0 .. pT - 1:   lr initial_lr -> max_lr,  momentum max -> base
      2. steps .. T - 1:      lr max_lr -> min_lr,      momentum base -> max
         (three_phase: pT-1 .. 2pT-2: max_lr -> initial_lr, then initial_lr -> min_lr)

    with initial_lr = max_lr / div_factor, min_lr = initial_lr / final_div_factor and
    cos annealing a(start, end, f) = end + (start - end)/2 (cos(pi f) + 1).  The
    optimizer's lr is ignored.  PyTorch refuses to step past total_steps.
    Defaults: pct_start = 0.3, anneal_strategy = 'cos', cycle_momentum = True,
    base_momentum = 0.85, max_momentum = 0.95, div_factor = 25, final_div_factor = 1e4,
    three_phase = False.
    """

    name = "OneCycleLR"
    summary = ("Raises the learning rate from max_lr/div_factor to max_lr, then anneals it far "
               "below the start, cycling momentum the other way. Fast training on a fixed budget.")
    summary_zh = ("先把学习率从 max_lr/div_factor 升到 max_lr，再退火到远低于起点的值，"
                  "同时让动量反向变化。用于在固定步数预算内快速训练（超收敛）。")
    # torch's order; max_lr and the momenta are formatted per group after these
    checks = ("total_steps", _epochs_without_total_steps, "pct_start", "anneal_strategy")
    error_field = "total_steps"
    hypers = (
        Hyper("max_lr", "float", 0.1, "peak learning rate of the cycle (required)",
              ui=(1e-5, 10.0), log=True, doc_zh="循环中学习率的峰值（必填）",
              required=True, per_group=True),
        Hyper("total_steps", "int", None, "total number of steps in the cycle; or leave it "
              "null and give epochs and steps_per_epoch", low=1, ui=(1, 2000), nullable=True,
              doc_zh="整个循环的总步数；也可以留空（null），改为给出 epochs 和 steps_per_epoch",
              message=_TOTAL_STEPS, type_message=_TOTAL_STEPS),
        Hyper("epochs", "int", None, "number of epochs, used with steps_per_epoch when "
              "total_steps is null", ui=(1, 100), nullable=True,
              doc_zh="训练的 epoch 数；total_steps 为 null 时与 steps_per_epoch 一起决定总步数"),
        Hyper("steps_per_epoch", "int", None, "steps per epoch, used with epochs when "
              "total_steps is null", ui=(1, 1000), nullable=True,
              doc_zh="每个 epoch 的步数；total_steps 为 null 时与 epochs 一起决定总步数"),
        Hyper("pct_start", "float", 0.3, "fraction of the cycle spent increasing the "
              "learning rate", low=0.0, high=1.0, ui=(0.0, 1.0),
              doc_zh="循环中学习率上升阶段所占的比例",
              message=_PCT_START, type_message=_PCT_START, nan_passes=True),
        Hyper("anneal_strategy", "choice", "cos", "annealing shape: 'cos' or 'linear'",
              choices=("cos", "linear"), doc_zh="退火曲线的形状：'cos'（余弦）或 'linear'（线性）",
              message="anneal_strategy must be one of 'cos' or 'linear', instead got {value}"),
        CYCLE_MOMENTUM,
        *_momentum_hypers(0.85, 0.95),
        Hyper("div_factor", "float", 25.0, "the cycle starts at initial_lr = max_lr / div_factor",
              ui=(1.0, 1000.0), log=True, doc_zh="起始学习率 initial_lr = max_lr / div_factor"),
        Hyper("final_div_factor", "float", 1e4, "the cycle ends at min_lr = initial_lr / "
              "final_div_factor", ui=(1.0, 1e6), log=True,
              doc_zh="结束时的学习率 min_lr = initial_lr / final_div_factor"),
        Hyper("three_phase", "bool", False, "use a third phase that annihilates the learning "
              "rate (the original paper) instead of fastai's two phases",
              doc_zh="使用三阶段（原论文的做法）：先对称地升降，再用第三阶段把学习率降到极小；"
                     "默认是 fastai 的两阶段"),
    )

    rule_tex = (
        r"input: \eta_{\max}\ (\texttt{max_lr}), T\ (\texttt{total_steps}), p\ (\texttt{pct_start}), "
        r"D\ (\texttt{div_factor}), D_f\ (\texttt{final_div_factor}), \texttt{anneal_strategy}",
        r"initialize: \eta_{\mathrm{init}} \leftarrow \eta_{\max} / D, "
        r"\eta_{\min} \leftarrow \eta_{\mathrm{init}} / D_f",
        r"if: t \le pT - 1",
        r"    \eta_t = a\!\left(\eta_{\mathrm{init}}, \eta_{\max}, \frac{t}{pT - 1}\right)",
        r"else:",
        r"    \eta_t = a\!\left(\eta_{\max}, \eta_{\min}, \frac{t - pT + 1}{T - pT}\right)",
        r"where: a(x, y, \phi) = y + \tfrac{1}{2}(x - y)(1 + \cos \pi\phi)",
    )
    rule_note = ("$a$ is the 'cos' annealing; 'linear' uses $x + (y - x)\\phi$. With cycle_momentum "
                 "the momentum moves the other way, between max_momentum and base_momentum. "
                 "three_phase adds a third phase back down to $\\eta_{\\mathrm{init}}$ first. The "
                 "optimizer's lr is ignored, and PyTorch refuses to step past total_steps "
                 "(epochs × steps_per_epoch when total_steps is None).")
    rule_note_zh = ("$a$ 是 'cos' 退火；'linear' 时为 $x + (y - x)\\phi$。开启 cycle_momentum 时，"
                    "动量在 max_momentum 与 base_momentum 之间反向变化。three_phase 会先降回 "
                    "$\\eta_{\\mathrm{init}}$ 再进入第三阶段。优化器自己的 lr 不起作用，"
                    "并且 PyTorch 不允许超过 total_steps（total_steps 为 None 时是 "
                    "epochs × steps_per_epoch）继续调用 step()。")

    def _setup(self, optimizer, max_lr, total_steps, epochs, steps_per_epoch, pct_start,
               anneal_strategy, cycle_momentum, base_momentum, max_momentum, div_factor,
               final_div_factor, three_phase, last_epoch=-1):
        if total_steps is not None:
            self.total_steps = total_steps
        else:
            self.total_steps = epochs * steps_per_epoch
        if three_phase:
            self._schedule_phases = [
                (float(pct_start * self.total_steps) - 1, "initial_lr", "max_lr",
                 "max_momentum", "base_momentum"),
                (float(2 * pct_start * self.total_steps) - 2, "max_lr", "initial_lr",
                 "base_momentum", "max_momentum"),
                (self.total_steps - 1, "initial_lr", "min_lr", "max_momentum", "max_momentum"),
            ]
        else:
            self._schedule_phases = [
                (float(pct_start * self.total_steps) - 1, "initial_lr", "max_lr",
                 "max_momentum", "base_momentum"),
                (self.total_steps - 1, "max_lr", "min_lr", "base_momentum", "max_momentum"),
            ]
        self._anneal_func_type = anneal_strategy
        self._anneal = self._annealing_cos if anneal_strategy == "cos" else self._annealing_linear

        group = optimizer.group
        if last_epoch == -1:
            if div_factor == 0:
                raise HyperparameterError(
                    "div_factor", "div_factor is 0: PyTorch raises ZeroDivisionError "
                                  "(float division by zero) computing initial_lr = max_lr / div_factor")
            group["initial_lr"] = max_lr / div_factor
            group["max_lr"] = max_lr
            if final_div_factor == 0:
                raise HyperparameterError(
                    "final_div_factor", "final_div_factor is 0: PyTorch raises ZeroDivisionError "
                                        "(float division by zero) computing min_lr")
            group["min_lr"] = group["initial_lr"] / final_div_factor

        self.cycle_momentum = cycle_momentum
        if cycle_momentum:
            defaults = optimizer_defaults(optimizer)
            if "momentum" not in defaults and "betas" not in defaults:
                raise HyperparameterError("cycle_momentum", NO_MOMENTUM)
            self.use_beta1 = "betas" in defaults
            if last_epoch == -1:
                _set_momentum(group, self.use_beta1, max_momentum)
                group["max_momentum"] = max_momentum
                group["base_momentum"] = base_momentum

        try:
            self._lr_init(last_epoch)
        except ZeroDivisionError:
            raise HyperparameterError(
                "pct_start", "a phase of the cycle has no length (pct_start * total_steps = 1): "
                             "PyTorch raises ZeroDivisionError (float division by zero) "
                             "in its first step") from None

    def can_fail(self, steps):
        if steps > self.total_steps:
            return True
        start = 0.0
        for end, *_ in self._schedule_phases:
            if end - start == 0:
                return True
            start = end
        return False

    def blame(self, error):
        # past total_steps (ValueError), or a phase of zero length (ZeroDivisionError)
        return "pct_start" if isinstance(error, ZeroDivisionError) else "total_steps"

    @staticmethod
    def _annealing_cos(start, end, pct):
        cos_out = math.cos(math.pi * pct) + 1
        return end + (start - end) / 2.0 * cos_out

    @staticmethod
    def _annealing_linear(start, end, pct):
        return (end - start) * pct + start

    def get_lr(self):
        step_num = self.last_epoch
        if step_num > self.total_steps:
            raise ValueError(
                f"Tried to step {step_num} times. The specified number of total steps is "
                f"{self.total_steps}")

        group = self.optimizer.group
        start_step = 0.0
        last = len(self._schedule_phases) - 1
        for i, (end_step, start_lr, end_lr, start_m, end_m) in enumerate(self._schedule_phases):
            if step_num <= end_step or i == last:
                pct = (step_num - start_step) / (end_step - start_step)
                computed_lr = self._anneal(group[start_lr], group[end_lr], pct)
                if self.cycle_momentum:
                    computed_momentum = self._anneal(group[start_m], group[end_m], pct)
                break
            start_step = end_step

        if self.cycle_momentum:
            _set_momentum(group, self.use_beta1, computed_momentum)
        return computed_lr
