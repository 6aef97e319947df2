"""Optimizer Playground from Python.

    import optplay
    res = optplay.run("rosenbrock", [("adam", {"lr": 0.05}), ("sgd", {"lr": 1e-3, "momentum": 0.9})],
                      steps=200)
    optplay.figure("rosenbrock", [("adam", {"lr": 0.05})], steps=200)   # an animated plotly figure
"""

from app import __version__
from app.engine import Result, RunResult, run

from .figure import figure

__all__ = ["run", "run_request", "figure", "Result", "RunResult", "__version__"]


def run_request(body: dict) -> dict:
    """POST /api/v1/run's answer to `body`, as the server gives it: every run, and why
    each diverged one diverged ("diverged_reason", in English and Chinese)."""
    from app.engine.request import RunRequest
    from app.teach.divergence import explained
    return explained(RunRequest.model_validate(body))
