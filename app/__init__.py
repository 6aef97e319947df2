"""Optimizer Playground: PyTorch's optimizers, re-implemented in NumPy, racing on 2D
surfaces in the browser."""

__version__ = "0.1.0"
