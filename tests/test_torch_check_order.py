"""The first bad value names itself as PyTorch would: a request with a value torch
refuses and a value torch never looks at in its constructor (a flag of the wrong type)
gets torch's own message, because hyper.check_params runs torch's checks, in torch's
order, before any check of ours."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")
from torch.optim import lr_scheduler as L  # noqa: E402

from app.engine.optim import REGISTRY  # noqa: E402
from app.engine.optim.base import HyperparameterError  # noqa: E402
from app.engine.sched import build_scheduler  # noqa: E402

TORCH_CLASS = {"adam": "Adam", "sgd": "SGD", "rmsprop": "RMSprop", "adagrad": "Adagrad",
               "adafactor": "Adafactor", "nadam": "NAdam", "radam": "RAdam",
               "adadelta": "Adadelta", "sparseadam": "SparseAdam"}

OPTIMIZERS = [
    ("adam", {"lr": -1.0, "amsgrad": "yes"}),
    ("adam", {"maximize": 3, "weight_decay": -1.0}),
    ("adam", {"betas": (0.9, 1.0), "eps": -1.0}),                 # eps before betas
    ("sgd", {"dampening": "x", "momentum": -0.5}),
    ("rmsprop", {"centered": "no", "alpha": -1.0}),
    ("rmsprop", {"alpha": -1.0, "momentum": -1.0}),               # momentum before alpha
    ("adagrad", {"maximize": "x", "eps": -1.0}),
    ("adafactor", {"maximize": "x", "d": 0.5}),
    ("nadam", {"decoupled_weight_decay": "x", "momentum_decay": -1.0}),
    ("radam", {"decoupled_weight_decay": 2, "lr": -0.5}),
    ("adadelta", {"maximize": [1], "rho": 1.5}),
    ("sparseadam", {"maximize": "x", "eps": 0.0}),
]


def _message(make) -> str:
    with pytest.raises((ValueError, TypeError)) as e:
        make()
    return str(e.value)


@pytest.mark.parametrize("opt_id,params", OPTIMIZERS,
                         ids=[f"{o}-{'-'.join(p)}" for o, p in OPTIMIZERS])
def test_optimizers_refuse_first_what_torch_refuses_first(opt_id, params):
    cls = getattr(torch.optim, TORCH_CLASS[opt_id])
    theirs = _message(lambda: cls([torch.zeros(2, requires_grad=True)], **params))
    with pytest.raises(HyperparameterError) as ours:
        REGISTRY[opt_id](**params)
    assert ours.value.message == theirs


class _Optimizer:
    """What a scheduler sees of an optimizer: its group and the keys of its defaults."""

    def __init__(self, group: dict):
        self.group = dict(group)
        self.defaults = set(group)


SCHEDULERS = [
    ("ReduceLROnPlateau", {"patience": "x", "factor": 2.0}),
    ("ReduceLROnPlateau", {"mode": "up", "factor": 1.5}),           # factor before mode
    ("ReduceLROnPlateau", {"threshold_mode": "x", "min_lr": [0.1, 0.2]}),
    ("ConstantLR", {"total_iters": "x", "factor": 2.0}),
    ("LinearLR", {"total_iters": [], "end_factor": 1.5}),
    ("OneCycleLR", {"max_lr": 0.1, "three_phase": "x", "total_steps": 10, "pct_start": 2.0}),
    ("OneCycleLR", {"max_lr": [0.1, 0.2], "total_steps": 0}),       # total_steps before max_lr
    ("OneCycleLR", {"max_lr": 0.1, "anneal_strategy": "exp", "epochs": 2}),
    ("CosineAnnealingWarmRestarts", {"T_0": 5, "last_epoch": "x", "T_mult": 0}),
    ("CyclicLR", {"base_lr": 0.01, "max_lr": 0.1, "gamma": "x", "mode": "sine"}),
]


@pytest.mark.parametrize("name,params", SCHEDULERS,
                         ids=[f"{n}-{'-'.join(p)}" for n, p in SCHEDULERS])
def test_schedulers_refuse_first_what_torch_refuses_first(name, params):
    opt = torch.optim.SGD([torch.zeros(2, requires_grad=True)], lr=0.1, momentum=0.9)
    theirs = _message(lambda: getattr(L, name)(opt, **params))
    with pytest.raises(HyperparameterError) as ours:
        build_scheduler({"name": name, "params": params}, _Optimizer({"lr": 0.1, "momentum": 0.9}))
    assert ours.value.message == theirs
