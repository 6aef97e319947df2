"""Schedulers made of schedulers: SequentialLR and ChainedScheduler.

Ports of torch.optim.lr_scheduler (PyTorch 2.13).  Their children are given as specs
{"name", "params"} (or as Scheduler objects on the same optimizer) and are built in list
order on the same optimizer, as a PyTorch user builds them before passing the list:
every child makes its own initial step at construction, so each sees the lr the previous
ones left.  Then:

- ChainedScheduler does nothing more at construction; `step()` steps every child in order.
- SequentialLR puts group["lr"] back to group["initial_lr"], undoes the children's
  initial steps by decrementing their `last_epoch` (recursively into nested
  SequentialLR/ChainedScheduler leaves), and makes the initial step again for the child
  active at step 0 only.  At milestone m it switches to the next child with
  `_update_lr(0)`: last_epoch = 0 and torch's closed-form lr (the chainable get_lr() for
  CosineAnnealingWarmRestarts, CyclicLR and OneCycleLR, which have none).  PyTorch cannot
  switch to a nested SequentialLR/ChainedScheduler there (LRScheduler.get_lr raises);
  neither can this port.

Nesting is limited to MAX_DEPTH levels, MAX_CHILDREN children per level and
MAX_SCHEDULERS schedulers in one tree.
"""

from __future__ import annotations

from bisect import bisect_right
from typing import Any

from ..hyper import Hyper, HyperparameterError
from .base import (
    MAX_CHILDREN,
    MAX_DEPTH,
    MAX_SCHEDULERS,
    Scheduler,
    _build,
    _copy,
    register,
)


def _schedulers_hyper(default: tuple) -> Hyper:
    return Hyper("schedulers", "schedulers", default,
                 "the child schedulers, as a list of {name, params}, built in this order on "
                 "the same optimizer (required)", required=True,
                 doc_zh="子调度器列表，每项形如 {name, params}，按列表顺序在同一个优化器上"
                        "依次创建（必填）")


class _Composite(Scheduler):
    """Builds the children and runs torch's checks on them."""

    def _build_children(self, optimizer: Any, schedulers: Any) -> list[Scheduler]:
        if not isinstance(schedulers, (list, tuple)):
            raise HyperparameterError(
                "schedulers", f"Invalid schedulers: expected a list of {{name, params}}, "
                              f"got {schedulers!r}")
        if len(schedulers) > MAX_CHILDREN:
            raise HyperparameterError(
                "schedulers", f"Invalid schedulers: {len(schedulers)} children (at most "
                              f"{MAX_CHILDREN})")
        if schedulers and self._depth >= MAX_DEPTH and any(
                not isinstance(s, Scheduler) for s in schedulers):
            raise HyperparameterError(
                "schedulers", f"schedulers nested too deeply (at most {MAX_DEPTH} levels)")
        children = []
        for i, spec in enumerate(schedulers):
            if isinstance(spec, Scheduler):
                children.append(spec)
                continue
            self._tree["count"] += 1
            if self._tree["count"] > MAX_SCHEDULERS:
                raise HyperparameterError(
                    "schedulers", f"too many schedulers (at most {MAX_SCHEDULERS} in all)")
            try:
                children.append(_build(spec, optimizer, self._depth + 1, self._tree))
            except HyperparameterError as e:
                raise nested_error(i, e) from None
        return children

    def _check_children(self, optimizer: Any, children: list[Scheduler], none_msg: str) -> None:
        cls = self.name
        if len(children) < 1:
            raise HyperparameterError("schedulers", none_msg)
        for i, s in enumerate(children):
            if s.needs_metric:
                raise HyperparameterError(
                    "schedulers",
                    f"{cls} does not support `ReduceLROnPlateau` scheduler as it requires "
                    f"additional kwargs to be specified when calling `step`, but got one at "
                    f"index {i} in the given schedulers sequence.")
            if s.optimizer is not optimizer:
                raise HyperparameterError(
                    "schedulers",
                    f"{cls} expects all schedulers to belong to the same optimizer, but got "
                    f"scheduler {s.name} at index {i} has {s.optimizer}, which is different "
                    f"from {type(optimizer).__name__}.")

    @property
    def schedulers(self) -> list[Scheduler]:
        return self._schedulers

    def can_fail(self, steps: int) -> bool:
        return any(s.can_fail(steps) for s in self._schedulers)


def nested_error(i: int, e: HyperparameterError) -> HyperparameterError:
    """A child's error, named "schedulers", its message prefixed with where it sits:
    `e.path` is the place relative to the parent's spec, e.g.
    ("params", "schedulers", 1, "params", "gamma")."""
    inner = getattr(e, "path", None) or (("name",) if e.name == "name" else ("params", e.name))
    path = ("params", "schedulers", i, *inner)
    base = getattr(e, "torch_message", e.message)
    out = HyperparameterError("schedulers", f"{_path_str(path[1:])}: {base}")
    out.path = path
    out.torch_message = base
    return out


def _path_str(path: tuple) -> str:
    out = ""
    for p in path:
        if isinstance(p, int):
            out += f"[{p}]"
        else:
            out += ("." if out else "") + p
    return out


@register
class SequentialLR(_Composite):
    r"""Runs the child schedulers one after another, switching at the milestones.

    Child i is active from milestones[i-1] (inclusive) to milestones[i].  At each
    milestone the new child restarts from last_epoch = 0 on torch's closed form
    (e.g. CosineAnnealingLR restarts at the initial lr), then continues chainably.
    Before the first milestone: the first child, as if built alone — except that
    PyTorch's construction of all children first leaves its traces (e.g. group
    initial_lr, an OneCycleLR's momentum).
    """

    name = "SequentialLR"
    summary = ("Runs several schedulers one after another, switching at the given milestones. "
               "The standard way to combine a warm-up with a decay (e.g. LinearLR then cosine).")
    summary_zh = ("按给定的里程碑依次切换运行多个调度器。"
                  "把预热和衰减组合起来的标准做法（例如先 LinearLR，再余弦退火）。")
    error_field = "milestones"
    hypers = (
        _schedulers_hyper((
            {"name": "LinearLR", "params": {"start_factor": 0.1, "total_iters": 20}},
            {"name": "CosineAnnealingLR", "params": {"T_max": 180}},
        )),
        Hyper("milestones", "int_list", (20,), "steps at which the next scheduler takes over; "
              "one fewer than the schedulers (required)", required=True,
              doc_zh="切换到下一个调度器的步数，个数比调度器少一个（必填）"),
    )

    rule_tex = (
        r"input: S_1, \ldots, S_n\ (\texttt{schedulers}), m_1 < \cdots < m_{n-1}\ (\texttt{milestones})",
        r"\eta_t = S_i(t - m_{i-1}), \quad m_{i-1} \le t < m_i, \quad m_0 = 0",
    )
    rule_note = ("At each milestone the next scheduler restarts from its own step 0 (e.g. a "
                 "CosineAnnealingLR starts again from the initial lr).")
    rule_note_zh = ("每到一个里程碑，下一个调度器就从它自己的第 0 步重新开始（例如 CosineAnnealingLR "
                    "会重新从初始 lr 开始）。")

    def _setup(self, optimizer, schedulers, milestones, last_epoch=-1):
        children = self._build_children(optimizer, schedulers)
        self._check_children(
            optimizer, children,
            "SequentialLR expects at least one scheduler, but got no scheduler.")
        if len(milestones) != len(children) - 1:
            raise HyperparameterError(
                "milestones",
                "Sequential Schedulers expects number of schedulers provided to be one more "
                f"than the number of milestone points, but got number of schedulers "
                f"{len(children)} and the number of milestones to be equal to {len(milestones)}")
        self._schedulers = children
        self._milestones = list(milestones)
        self.last_epoch = last_epoch + 1
        self.optimizer = optimizer

        group = optimizer.group
        group["lr"] = group["initial_lr"]
        self.recursive_undo()
        idx = bisect_right(self._milestones, 0)
        self._schedulers[idx]._initial_step()
        self._last_lr = self._schedulers[idx].get_last_lr()[0]

    def can_fail(self, steps: int) -> bool:
        if super().can_fail(steps):
            return True
        # at a milestone the next child restarts on its closed form: a nested composite
        # has none, and LinearLR / PolynomialLR divide by total_iters there
        for s in self._schedulers[1:]:
            if isinstance(s, _Composite):
                return True
            if s.name in ("LinearLR", "PolynomialLR") and s.total_iters == 0:
                return True
        return False

    def recursive_undo(self, sched: Any = None) -> None:
        """Undo the initial steps the children made when they were built."""
        scheds = self if sched is None else sched
        if hasattr(scheds, "_schedulers"):
            for s in scheds._schedulers:
                self.recursive_undo(s)
        elif hasattr(scheds, "last_epoch"):
            scheds.last_epoch -= 1

    def step(self, metric=None):
        self.last_epoch += 1
        idx = bisect_right(self._milestones, self.last_epoch)
        scheduler = self._schedulers[idx]
        if idx > 0 and self._milestones[idx - 1] == self.last_epoch:
            scheduler._update_lr(0)
        else:
            scheduler.step()
        self._last_lr = scheduler.get_last_lr()[0]


@register
class ChainedScheduler(_Composite):
    r"""Steps every child scheduler at every step, in list order.

    The effects multiply for chainable schedulers (each scales the lr the previous one
    left): e.g. LinearLR warm-up x StepLR decay.  A child that sets the lr from its own
    formula (CosineAnnealingWarmRestarts, CyclicLR, OneCycleLR) overrides what came
    before it.
    """

    name = "ChainedScheduler"
    summary = ("Steps several schedulers together at every step, so that their effects "
               "multiply. Used to put, for example, a warm-up on top of a step decay.")
    summary_zh = ("每一步都依次调用多个调度器，使它们的作用相乘。"
                  "例如把预热叠加在阶梯衰减之上。")
    hidden = ()
    error_field = "schedulers"
    hypers = (
        _schedulers_hyper((
            {"name": "LinearLR", "params": {"start_factor": 0.25, "total_iters": 30}},
            {"name": "StepLR", "params": {"step_size": 50, "gamma": 0.5}},
        )),
    )

    rule_tex = (
        r"input: S_1, \ldots, S_n\ (\texttt{schedulers})",
        r"\eta_t = S_n(\cdots S_2(S_1(\eta_{t-1})))",
    )
    rule_note = ("Every child steps at every step, in list order: the effects of chainable "
                 "schedulers multiply (e.g. LinearLR warm-up × StepLR decay). A child that sets "
                 "the lr from its own formula (CyclicLR, OneCycleLR, CosineAnnealingWarmRestarts) "
                 "overrides what came before it.")
    rule_note_zh = ("每一步按列表顺序调用所有子调度器：可链式组合的调度器效果相乘（例如 LinearLR "
                    "预热 × StepLR 衰减）。按自身公式直接设定 lr 的子调度器（CyclicLR、OneCycleLR、"
                    "CosineAnnealingWarmRestarts）会覆盖前面的效果。")

    def _setup(self, optimizer, schedulers):
        children = self._build_children(optimizer, schedulers)
        self._check_children(
            optimizer, children,
            "ChainedScheduler expects at least one scheduler to be chained, but got no scheduler.")
        self._schedulers = children
        self.optimizer = optimizer
        self._last_lr = _copy(optimizer.group["lr"])

    def step(self, metric=None):
        for scheduler in self._schedulers:
            scheduler.step()
        self._last_lr = _copy(self.optimizer.group["lr"])
