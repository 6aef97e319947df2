"""Optimizer Playground from Python.

    import optplay
    res = optplay.run("rosenbrock", [("adam", {"lr": 0.05}), ("sgd", {"lr": 1e-3, "momentum": 0.9})],
                      steps=200)
"""

from app import __version__
from app.engine import Result, RunResult, run, run_request

__all__ = ["run", "run_request", "Result", "RunResult", "__version__"]
