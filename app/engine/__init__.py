"""The engine: PyTorch-exact optimizers and schedulers in NumPy, on 2D surfaces.

- `run_request(body)`: the answer of POST /api/v1/run (app.engine.scene)
- `run(surface, runs, steps=...)`: the same for notebooks (app.engine.notebook)
- `optim`, `sched`, `expr`, `surfaces`: the parts; `runner` is the loop that joins them.
"""

from .errors import ComputationTimeout, RequestError
from .notebook import Result, RunResult, run
from .scene import execute, run_request

__all__ = ["run_request", "run", "execute", "Result", "RunResult", "RequestError",
           "ComputationTimeout"]
