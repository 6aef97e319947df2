"""torch.optim (and a few pytorch-optimizer) optimizers in NumPy: one module each.

Importing a module registers its class in REGISTRY (id -> class).
"""

from .base import REGISTRY, HyperparameterError, Hyper, Optimizer  # noqa: F401

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

__all__ = ["REGISTRY", "HyperparameterError", "Hyper", "Optimizer"]
