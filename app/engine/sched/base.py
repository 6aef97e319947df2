"""What every scheduler shares: torch's LRScheduler logic, the registry.

A scheduler here is a port of `torch.optim.lr_scheduler.LRScheduler` (PyTorch 2.13) over
an optimizer object whose `group` dict is torch's `param_groups[0]`:

    sched = build_scheduler({"name": "StepLR", "params": {"step_size": 30}}, opt)
    for k in range(steps):
        lr_k = opt.group["lr"]; opt.step(p, grad, state); sched.step()

It keeps torch's state under torch's names (`last_epoch`, `base_lrs`, `_step_count`,
`_is_initial`, `_last_lr`) and runs the same code paths: the constructor records
`group["initial_lr"]` and makes the initial step (`_initial_step`), `step()` uses the
chainable `get_lr()` forms that read `group["lr"]`, `_update_lr(0)` (SequentialLR at a
milestone) uses the closed forms.  So the sequence of learning rates is torch's to the
last bit, not a re-derivation of the formulas.

There is one parameter group, so lists such as `base_lrs` or `get_last_lr()` have one
entry; internally the single value is kept (`base_lr`).  Group values may be Python
floats or, for hyperparameter sweeps, numpy arrays of shape (B, 1): the arithmetic works
for both and never writes into an array in place.

Where PyTorch itself raises while stepping (OneCycleLR past `total_steps`; a division by
zero such as ConstantLR with factor=0 reaching `total_iters`; a float overflow such as
CyclicLR 'exp_range' with gamma > 1), the port raises the same Python exception at the
same step.  `build_scheduler(spec, optimizer, steps=n)` replays the schedule for `n`
steps on a copy of the group first and turns such a failure into a HyperparameterError,
so a request is refused before any work is done.  The replay is skipped when
`can_fail(n)` shows torch's formulas cannot raise for these parameters (most cases).
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from .. import budget, rulemath
from ..hyper import Check, Hyper, HyperparameterError, check_params

# Limits for SequentialLR / ChainedScheduler trees.
MAX_DEPTH = 4          # scheduler levels, the outermost one included
MAX_CHILDREN = 16      # children of one SequentialLR / ChainedScheduler
MAX_SCHEDULERS = 64    # schedulers in one tree, all levels together
# Replayed steps between two looks at the request's clock and cancel flag (a step of a
# tree of 64 schedulers takes tens of microseconds).
REPLAY_CHECK_EVERY = 64

_INITIAL_LR_MISSING = (
    "param 'initial_lr' is not specified in param_groups[0] when resuming scheduler with "
    "last_epoch >= 0.\nThis typically happens when:\n1. You're trying to resume training "
    "from a checkpoint but haven't properly loaded the optimizer state\n2. You're using "
    "last_epoch >= 0 for a fresh training run (not recommended)")


class ScheduleError(RuntimeError):
    """A step PyTorch cannot take either (its own exception has no counterpart here)."""


LAST_EPOCH = Hyper(
    "last_epoch", "int", -1,
    "index of the last step seen; -1 starts the schedule, other values resume one "
    "(they need group['initial_lr'], which only an earlier scheduler on the optimizer sets)",
    doc_zh="已经走过的最后一步的序号；-1 表示从头开始，其他值表示接着已有的进度继续"
           "（需要 group['initial_lr']，只有同一优化器上先建好的调度器才会设置它）")


def _copy(v: Any) -> Any:
    """torch's `_param_groups_val_list`: a value that never aliases the group's."""
    return v.copy() if isinstance(v, np.ndarray) else v


def optimizer_defaults(optimizer: Any) -> Any:
    """The keys of torch's `optimizer.defaults`: `optimizer.defaults` when the object has
    one, else the names of its class's hyperparameter specs and of its group's keys (a
    torch param group holds every default; a wrapper such as Lookahead shares the inner
    optimizer's group, as pytorch-optimizer merges the inner defaults into its own)."""
    d = getattr(optimizer, "defaults", None)
    if d is not None:
        return d
    return {h.name for h in getattr(type(optimizer), "hypers", ())} | set(optimizer.group)


class Scheduler:
    """Base class: torch's LRScheduler.  Subclasses set the class attributes, `_setup`
    (the body of torch's __init__) and `get_lr` (plus `_closed_form_lr` where torch has
    `_get_closed_form_lr`)."""

    name: ClassVar[str]                      # torch's class name, also the id
    hypers: ClassVar[tuple[Hyper, ...]] = ()  # keywords shown in the catalogue
    hidden: ClassVar[tuple[Hyper, ...]] = (LAST_EPOCH,)  # accepted, not shown
    # torch's checks in torch's order (hyper.check_params): keywords, whose Hyper holds
    # the message, and functions for what data cannot say; () is signature order
    checks: ClassVar[tuple[str | Check, ...]] = ()
    required: ClassVar[tuple[str, ...]] = ()  # keywords torch has no default for (from hypers)
    summary: ClassVar[str] = ""
    summary_zh: ClassVar[str] = ""
    rule_tex: ClassVar[tuple[str, ...]] = ()      # the schedule in LaTeX (engine/rulemath.py)
    rule_note: ClassVar[str] = ""                 # prose around it, $inline TeX$ allowed
    rule_note_zh: ClassVar[str] = ""
    needs_metric: ClassVar[bool] = False      # ReduceLROnPlateau: step(loss)
    error_field: ClassVar[str] = ""           # keyword blamed when a step fails as in torch

    # torch's class-level defaults
    _is_initial: bool = False
    _step_count: int = 0

    def __init_subclass__(cls, **kwargs: Any):
        super().__init_subclass__(**kwargs)
        cls.required = tuple(h.name for h in cls.hypers if h.required)

    def __init__(self, optimizer: Any, **params: Any):
        self.__dict__.setdefault("_depth", 1)
        self.__dict__.setdefault("_tree", {"count": 1})
        values = self.check_params(params)
        self.optimizer = optimizer
        self.params = values
        try:
            self._setup(optimizer, **values)
        except (ArithmeticError, KeyError, ScheduleError) as e:
            # torch fails while building: a division by zero in the initial step, or (with
            # last_epoch >= 0) a group key that only a fresh scheduler would have set
            field = ("last_epoch" if values.get("last_epoch", -1) != -1
                     else self.error_field or (self.required[0] if self.required else "name"))
            raise HyperparameterError(
                field, f"{self.name}: PyTorch raises {type(e).__name__} when building "
                       f"this scheduler: {e}") from None

    # -- parameters ---------------------------------------------------------------------
    @classmethod
    def all_hypers(cls) -> tuple[Hyper, ...]:
        return cls.hypers + cls.hidden

    @classmethod
    def check_params(cls, params: dict) -> dict:
        """Every keyword's value, checked as torch checks them (HyperparameterError)."""
        return check_params(cls.name, cls.all_hypers(), params, cls.checks)

    # -- torch's LRScheduler --------------------------------------------------------------
    def _setup(self, optimizer: Any, last_epoch: int = -1, **values: Any) -> None:
        self._lr_init(last_epoch)

    def _lr_init(self, last_epoch: int) -> None:
        """LRScheduler.__init__: record initial_lr and base_lrs, make the initial step."""
        group = self.optimizer.group
        if last_epoch == -1:
            if "initial_lr" not in group:
                group["initial_lr"] = _copy(group["lr"])
        elif "initial_lr" not in group:
            raise HyperparameterError("last_epoch", _INITIAL_LR_MISSING)
        self.base_lr = _copy(group["initial_lr"])
        self.last_epoch = last_epoch
        self._initial_step()

    @property
    def base_lrs(self) -> list:
        return [self.base_lr]

    def _initial_step(self) -> None:
        self._step_count = 0
        self._is_initial = True
        try:
            self.step()
        finally:
            self._is_initial = False

    def step(self, metric: Any = None) -> None:
        """One scheduler step, after an optimizer step (`metric` is for ReduceLROnPlateau)."""
        self._step_count += 1
        self._update_lr(None)

    def _update_lr(self, epoch: int | None = None) -> None:
        if epoch is None:
            self.last_epoch += 1
            lr = self.get_lr()
        else:
            self.last_epoch = epoch
            lr = self._closed_form_lr() if self.has_closed_form else self.get_lr()
        group = self.optimizer.group
        group["lr"] = lr
        self._last_lr = _copy(lr)

    has_closed_form: ClassVar[bool] = False

    def get_lr(self) -> Any:
        raise ScheduleError(
            f"a SequentialLR milestone cannot switch to a nested {self.name}: it has no "
            f"get_lr() of its own, and PyTorch's abstract LRScheduler.get_lr() raises")

    def _closed_form_lr(self) -> Any:
        return self.get_lr()

    def can_fail(self, steps: int) -> bool:
        """Whether torch's own code might raise within `steps` steps (a conservative
        answer: True means "replay to find out").  Schedulers whose formulas cannot fail
        for valid parameters keep the default False, so the replay is skipped for them."""
        return False

    def blame(self, error: BaseException) -> str:
        """The keyword to name when torch's own code fails with `error` while stepping."""
        return self.error_field or (self.required[0] if self.required else "name")

    def get_last_lr(self) -> list:
        """The learning rate of each param group after the last step (one group)."""
        return [_copy(self._last_lr)]

    def state_dict(self) -> dict:
        """The scheduler's state, like torch's state_dict(): its attributes but the
        optimizer (and the port's own bookkeeping), children's states nested."""
        out = {}
        for k, v in self.__dict__.items():
            if k in ("optimizer", "_tree", "_depth", "params") or callable(v):
                continue
            if k == "_schedulers":
                v = [s.state_dict() for s in v]
            out[k] = v
        return out

    # -- catalogue ------------------------------------------------------------------------
    @classmethod
    def catalogue(cls) -> dict:
        return {"id": cls.name, "name": cls.name, "doc": cls.summary,
                "doc_zh": cls.summary_zh or cls.summary,
                **rulemath.catalogue_fields(cls),
                "params": [h.catalogue() for h in cls.hypers]}


# -- registry and construction -------------------------------------------------------------
REGISTRY: dict[str, type[Scheduler]] = {}


def register(cls: type[Scheduler]) -> type[Scheduler]:
    REGISTRY[cls.name] = cls
    return cls


def _spec_parts(spec: Any) -> tuple[str, dict]:
    if not isinstance(spec, dict):
        raise HyperparameterError("name", f"a scheduler is given as {{\"name\", \"params\"}}, got {spec!r}")
    extra = [k for k in spec if k not in ("name", "params")]
    if extra:
        raise HyperparameterError("name", f"unexpected key '{extra[0]}' in a scheduler "
                                          f"(expected \"name\" and \"params\")")
    name = spec.get("name")
    params = spec.get("params")
    if params is None:
        params = {}
    if not isinstance(params, dict):
        raise HyperparameterError("name", f"a scheduler's params must be an object, got {params!r}")
    if not isinstance(name, str) or name not in REGISTRY:
        raise HyperparameterError("name", f"unknown scheduler {name!r}; known: {', '.join(REGISTRY)}")
    return name, params


def _build(spec: Any, optimizer: Any, depth: int = 1, tree: dict | None = None) -> Scheduler:
    name, params = _spec_parts(spec)
    cls = REGISTRY[name]
    obj = cls.__new__(cls)
    obj._depth = depth
    obj._tree = tree if tree is not None else {"count": 1}
    obj.__init__(optimizer, **params)
    return obj


class _ShadowOptimizer:
    """A stand-in with a copy of an optimizer's group, to replay a schedule safely."""

    def __init__(self, optimizer: Any):
        self.group = dict(optimizer.group)
        self.defaults = optimizer_defaults(optimizer)


def check_steps(spec: dict, optimizer: Any, steps: int) -> None:
    """Replay the schedule for `steps` steps on a copy of the optimizer's group; where
    PyTorch would raise, raise HyperparameterError with torch's message."""
    shadow = _ShadowOptimizer(optimizer)
    sched = _build(spec, shadow)
    if sched.needs_metric or not sched.can_fail(steps):
        return
    k = 0
    try:
        with np.errstate(all="ignore"):
            for k in range(1, steps + 1):
                if k % REPLAY_CHECK_EVERY == 0:
                    budget.check()          # a long replay is cut like a long run
                sched.step()
    except (ArithmeticError, KeyError, ValueError, ScheduleError) as e:
        culprit = _innermost_scheduler(e) or sched
        field = "schedulers" if culprit is not sched else sched.blame(e)
        where = "" if culprit is sched else f" (in its {culprit.name})"
        what = "fails" if isinstance(e, ScheduleError) else f"raises {type(e).__name__}"
        hint = " (a float overflow in its formula)" if isinstance(e, OverflowError) else ""
        raise HyperparameterError(
            field, f"{sched.name}{where}: PyTorch {what} at scheduler step {k} of {steps}: "
                   f"{e}{hint}") from None


def _innermost_scheduler(e: BaseException) -> Scheduler | None:
    found = None
    tb = e.__traceback__
    while tb is not None:
        s = tb.tb_frame.f_locals.get("self")
        if isinstance(s, Scheduler):
            found = s
        tb = tb.tb_next
    return found


def build_scheduler(spec: dict, optimizer: Any, steps: int | None = None) -> Scheduler:
    """torch.optim.lr_scheduler.<name>(optimizer, **params) for spec {"name", "params"}.

    Bad input raises HyperparameterError(keyword, torch's message); an unknown name
    raises HyperparameterError("name", ...).  With `steps`, the schedule is first replayed
    for that many steps on a copy of the group, so that a run PyTorch could not finish
    (OneCycleLR past total_steps, a division by zero or overflow inside torch's formulas)
    is refused before it starts."""
    if steps is not None:
        check_steps(spec, optimizer, steps)
    return _build(spec, optimizer)
