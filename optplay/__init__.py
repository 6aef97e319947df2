"""Optimizer Playground from Python.

    import optplay
    res = optplay.run("rosenbrock", [("adam", {"lr": 0.05}), ("sgd", {"lr": 1e-3, "momentum": 0.9})],
                      steps=200)
    optplay.figure("rosenbrock", [("adam", {"lr": 0.05})], steps=200)   # an animated plotly figure
"""

from app import __version__
from app.engine import Result, RunResult, run, run_request

from .figure import figure

__all__ = ["run", "run_request", "figure", "Result", "RunResult", "__version__"]
