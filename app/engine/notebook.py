"""The engine for Python users (notebooks, scripts):

    from app.engine import run
    res = run("rosenbrock", [("adam", {"lr": 0.05}), ("sgd", {"lr": 1e-3, "momentum": 0.9})],
              steps=200)
    res["adam"].path        # numpy array (steps + 1, 2)
    res                     # a one-line-per-run summary

A run is `"adam"`, `("adam", {params})`, `("adam", {params}, {"name": "StepLR", "params":
{...}})` or the API's own dict `{"optimizer": ..., "params": ..., "scheduler": ...}`.
The torch.optim API's options (api-v1.md) apply to every run that does not set its own:

    run("ravine", ["sgd"], groups={"x": {"lr": 0.1}, "y": {"lr": 0.01}})   # res[0].lrs
    run("booth", [("adam", {"lr": 0.1})], zero_grad="never")
    run("beale", [("adam", {"lr": 0.1})], events=[{"at": 50, "params": {"lr": 0.01},
                                                    "state": "reset"}])

Training finds w and b in y = f(wx + b): a surface from data instead of a formula,
mini-batches as a DataLoader would cut them (api-v1.md, "Surfaces from data"):

    run(data="line", runs=[("sgd", {"lr": 0.05})], batch={"size": 8, "seed": 0})
    run(data=(x, y), model="logistic", runs=["adam"])      # your own arrays
    res[0].batch_loss          # each step's batch loss; res[0].loss: the full data's
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .scene import run_request


@dataclass
class RunResult:
    optimizer: str
    status: str
    steps_done: int
    path: np.ndarray
    loss: np.ndarray
    lr: np.ndarray
    label: str | None = None
    state: dict = field(default_factory=dict)
    grad: np.ndarray | None = None
    lrs: np.ndarray | None = None       # with groups: (steps, 2), each group's lr
    batch_loss: np.ndarray | None = None    # surfaces from data: each step's batch loss
    evals: list | None = None           # LBFGS with state: the closure's points per step

    @property
    def final(self) -> np.ndarray:
        return self.path[-1]

    def __repr__(self) -> str:
        x, y = self.final
        name = self.label or self.optimizer
        return (f"{name:<14} {self.status:<8} steps={self.steps_done:<5} "
                f"final=({x:.6g}, {y:.6g}) loss={self.loss[-1]:.6g}")


@dataclass
class Result:
    surface: dict
    runs: list[RunResult]
    raw: dict
    raw_request: dict = field(default_factory=dict)    # the body that was run

    def __getitem__(self, key: int | str) -> RunResult:
        if isinstance(key, int):
            return self.runs[key]
        for r in self.runs:
            if key in (r.label, r.optimizer):
                return r
        raise KeyError(key)

    def __iter__(self):
        return iter(self.runs)

    def __len__(self) -> int:
        return len(self.runs)

    def __repr__(self) -> str:
        s = self.surface
        head = f"{s['id']}: {s['expr']}" if "expr" in s else \
            f"{s['data']}: {s['model']} model over {s['n']} points, p = (w, b)"
        return "\n".join([head, *map(repr, self.runs)])


def as_run(spec) -> dict:
    if isinstance(spec, str):
        return {"optimizer": spec}
    if isinstance(spec, dict):
        return spec
    name, *rest = spec
    out: dict = {"optimizer": name, "params": dict(rest[0]) if rest else {}}
    if len(rest) > 1 and rest[1] is not None:
        out["scheduler"] = rest[1]
    return out


OPTIONS = ("groups", "zero_grad", "events")


def data_surface(data, model: str | None = None, domain=None) -> dict:
    """A surface from data: a built-in id, {"x": [...], "y": [...]}, or a pair of
    sequences (numpy arrays too)."""
    if isinstance(data, (tuple, list)) and len(data) == 2 and not isinstance(data[0], (int, float)):
        data = {"x": [float(v) for v in data[0]], "y": [float(v) for v in data[1]]}
    out: dict = {"data": data}
    if model is not None:
        out["model"] = model
    if domain is not None:
        out["domain"] = domain
    return out


def request_body(surface, runs, steps: int = 100, start=None, state: bool = False,
                 batch: dict | None = None, **options) -> dict:
    body: dict = {"surface": surface, "steps": steps, "runs": [as_run(r) for r in runs]}
    if isinstance(surface, str) and surface not in _builtin_ids():
        body["surface"] = {"expr": surface, "domain": [[-5, 5], [-5, 5]]}
    if start is not None:
        body["start"] = [float(start[0]), float(start[1])]
    if state:
        body["state"] = True
    if batch is not None:
        body["batch"] = batch
    given = {k: v for k, v in options.items() if v is not None}
    unknown = set(given) - set(OPTIONS)
    if unknown:
        raise TypeError(f"run() got unexpected keyword argument(s) {', '.join(sorted(unknown))}")
    body["runs"] = [{**given, **r} for r in body["runs"]]
    return body


def _builtin_ids():
    from .surfaces import SURFACES
    return SURFACES


def run(surface=None, runs=("sgd",), steps: int = 100, start=None, state: bool = False, *,
        groups: dict | None = None, zero_grad: str | None = None,
        events: list | None = None, data=None, model: str | None = None,
        batch: dict | None = None) -> Result:
    """Race `runs` on `surface` (a built-in id, a formula in x and y, or {expr, domain}),
    or on the loss of a one-feature model over `data` (a data set id or (x, y); `model`
    "linear" or "logistic"; `batch` {"size", "seed", "shuffle"} for mini-batches);
    `groups`, `zero_grad`, `events` as in the API, for every run that has none."""
    if data is not None:
        if surface is not None:
            raise TypeError("run() takes a surface or data, not both")
        surface = data_surface(data, model)
    elif surface is None:
        raise TypeError("run() needs a surface (or data=...)")
    body = request_body(surface, runs, steps, start, state, batch, groups=groups,
                        zero_grad=zero_grad, events=events)
    answer = run_request(body)
    results = []
    for r in answer["runs"]:
        results.append(RunResult(
            optimizer=r["optimizer"], status=r["status"], steps_done=r["steps_done"],
            path=np.array(r["path"], dtype=float), loss=np.array(r["loss"], dtype=float),
            lr=np.array(r["lr"], dtype=float), label=r.get("label"),
            state=r.get("state", {}),
            grad=np.array(r["grad"], dtype=float) if "grad" in r else None,
            lrs=np.array(r["lrs"], dtype=float) if "lrs" in r else None,
            batch_loss=np.array(r["batch_loss"], dtype=float) if "batch_loss" in r else None,
            evals=r.get("evals")))
    return Result(surface=answer["surface"], runs=results, raw=answer, raw_request=body)
