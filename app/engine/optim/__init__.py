"""torch.optim (and a few pytorch-optimizer) optimizers in NumPy: one module each.

Importing a module registers its class in REGISTRY (id -> class).
"""

from . import (  # noqa: F401  (each import registers its optimizer)
    adabelief,
    adadelta,
    adafactor,
    adagrad,
    adam,
    adamax,
    adamw,
    asgd,
    lbfgs,
    lion,
    lookahead,
    nadam,
    radam,
    rmsprop,
    rprop,
    sgd,
    sparseadam,
    yogi,
)
from .base import REGISTRY, Hyper, HyperparameterError, Optimizer  # noqa: F401

__all__ = ["REGISTRY", "HyperparameterError", "Hyper", "Optimizer"]
