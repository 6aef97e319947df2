"""What every optimizer shares: hyperparameter specs, the group dict, the registry.

An optimizer here is a small object over *explicit* state, in the spirit of optax:

    opt = Adam(lr=0.05)                  # validated like torch.optim.Adam(...)
    state = opt.init(p)                  # p: float64 array of shape (B, 2)
    opt.step(p, grad, state)             # updates p in place, like optimizer.step()

`opt.group` is PyTorch's `param_groups[0]`: every hyperparameter under PyTorch's name.
Schedulers read and write it (`lr`, `initial_lr`, `momentum`, `betas`), and `step()`
reads it afresh each call, exactly as torch does.  State values are arrays of shape
(B, 2) (per coordinate) or (B, 1) / scalars (per parameter), under PyTorch's
`state_dict()` names, so the page can show them.

The update itself is the class's `update`, a rule (rule.py): written once, run on these
arrays (a map's 65,536 runs, B of them) and, lowered to Python floats, on one path
(`float_program`).  Group values are Python scalars, or arrays of shape (B, 1) when a map
sweeps a hyperparameter; rules use arithmetic that works for both.
"""

from __future__ import annotations

from abc import ABC
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from .. import rulemath
from ..hyper import Check, Hyper, HyperparameterError, check_params  # noqa: F401 (re-exported)

if TYPE_CHECKING:
    from .rule import FloatProgram, Rule


# Reusable specs: the same keyword means the same thing in every optimizer, as in torch,
# and carries torch's message for a value its constructor refuses.
def lr_hyper(default: float, ui=(1e-5, 10.0), doc="learning rate: the size of each step") -> Hyper:
    return Hyper("lr", "float", default, doc, low=0.0, ui=ui, log=True,
                 doc_zh="学习率：每一步的步长", message="Invalid learning rate: {value}")


def weight_decay_hyper(default: float = 0.0) -> Hyper:
    return Hyper("weight_decay", "float", default,
                 "weight decay: adds weight_decay * param to the gradient (L2 penalty)",
                 low=0.0, ui=(0.0, 1.0), doc_zh="权重衰减：把 weight_decay * param 加到梯度上（L2 惩罚）",
                 message="Invalid weight_decay value: {value}")


def eps_hyper(default: float, doc="added to the denominator for numerical stability") -> Hyper:
    return Hyper("eps", "float", default, doc, low=0.0, ui=(1e-10, 1.0), log=True,
                 doc_zh="加到分母上以保证数值稳定", message="Invalid epsilon value: {value}")


def betas_hyper(default=(0.9, 0.999),
                doc="coefficients of the running averages of the gradient and its square") -> Hyper:
    return Hyper("betas", "pair", default, doc, low=0.0, high=1.0, high_open=True,
                 ui=(0.0, 0.9999), doc_zh="梯度及其平方的滑动平均系数",
                 message="Invalid beta parameter at index {index}: {value}")


def maximize_hyper() -> Hyper:
    return Hyper("maximize", "bool", False, "maximize the objective instead of minimizing it",
                 doc_zh="最大化目标函数，而不是最小化")


def flag_hyper(name: str, doc: str, doc_zh: str = "", default: bool = False) -> Hyper:
    return Hyper(name, "bool", default, doc, doc_zh=doc_zh)


# torch.optim keywords that only choose an implementation (foreach, fused, capturable,
# differentiable): they never change the path, so they are accepted and ignored.
IMPLEMENTATION_FLAGS = ("foreach", "fused", "capturable", "differentiable")

# torch's order of checks shared by Adam, AdamW, Adamax, NAdam and RAdam
ADAM_CHECKS = ("lr", "eps", "betas", "weight_decay")


class Optimizer(ABC):
    """Base class.  Subclasses set the class attributes and implement `init` and `step`.

    Subclasses document their update rule in the module docstring, as torch.optim does.
    """

    id: ClassVar[str]                 # lower-case class name: "adam"
    torch_name: ClassVar[str]         # class name: "Adam"
    family: ClassVar[str] = "torch"   # "torch" or "extra" (pytorch-optimizer 4.1.0)
    hypers: ClassVar[tuple[Hyper, ...]]
    update: ClassVar["Rule | None"] = None          # the update rule (rule.py)
    state_names: ClassVar[tuple[str, ...]] = ()   # state_dict() keys, in torch's order
    summary: ClassVar[str] = ""       # one line: what it does, when people use it
    summary_zh: ClassVar[str] = ""
    rule_tex: ClassVar[tuple[str, ...]] = ()      # the update rule in LaTeX (engine/rulemath.py)
    rule_note: ClassVar[str] = ""                 # prose around it, $inline TeX$ allowed
    rule_note_zh: ClassVar[str] = ""
    needs_closure: ClassVar[bool] = False          # LBFGS: step(p, closure, state)
    # torch's checks in torch's order (hyper.check_params): keywords, whose Hyper holds
    # the message, and functions for what data cannot say; () is signature order
    checks: ClassVar[tuple[str | Check, ...]] = ()
    implementation_flags: ClassVar[tuple[str, ...]] = IMPLEMENTATION_FLAGS  # taken, ignored

    def __init__(self, **params: Any):
        """torch.optim.<Class>(params, **kwargs): HyperparameterError where torch refuses."""
        self.group = check_params(self.torch_name, self.hypers, params, self.checks,
                                  self.implementation_flags)
        self.defaults = dict(self.group)      # torch's `defaults`: the constructor's values

    # -- to be provided by subclasses ------------------------------------------------
    def init(self, p: np.ndarray) -> dict[str, Any]:
        """Fresh state for parameters p of shape (B, 2): the rule's initial values (state
        torch creates at the first step is None until then)."""
        return self.update.init(p, self.defaults) if self.update is not None else {}

    def step(self, p: np.ndarray, grad, state: dict[str, Any]) -> Any:
        """One `optimizer.step()`: update p (B, 2) in place from grad (B, 2).

        For `needs_closure` optimizers `grad` is a closure `f(p) -> (loss (B,), grad (B, 2))`
        and step returns the loss of the first evaluation, like torch's `step(closure)`."""
        new = self.update.on_arrays(self.group, p, grad, state)
        if new is not p:
            p[...] = new

    def state_per_coordinate(self, name: str) -> bool:
        """Does state entry `name` hold one value per coordinate (exp_avg), rather than
        one per parameter (step)?"""
        return self.update is not None and name in self.update.per_coordinate

    def float_program(self, n: int = 2) -> FloatProgram | None:
        """The rule on one run's n coordinates in Python floats (rule.FloatProgram); None
        when the optimizer has none (the runner then steps (1, 2) arrays)."""
        return self.update.on_floats(n, self.defaults) if self.update is not None else None

    # -- shared helpers -------------------------------------------------------------
    @classmethod
    def catalogue(cls) -> dict:
        return {"id": cls.id, "name": cls.torch_name, "family": cls.family,
                "doc": cls.summary, "doc_zh": cls.summary_zh or cls.summary,
                **rulemath.catalogue_fields(cls),
                "closure": cls.needs_closure, "state": list(cls.state_names),
                "params": [h.catalogue() for h in cls.hypers]}


REGISTRY: dict[str, type[Optimizer]] = {}


def register(cls: type[Optimizer]) -> type[Optimizer]:
    if cls.update is not None and "state_names" not in cls.__dict__:
        cls.state_names = cls.update.state
    REGISTRY[cls.id] = cls
    return cls
