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
        head = f"{self.surface['id']}: {self.surface['expr']}"
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


def request_body(surface, runs, steps: int = 100, start=None, state: bool = False,
                 **options) -> dict:
    body: dict = {"surface": surface, "steps": steps, "runs": [as_run(r) for r in runs]}
    if isinstance(surface, str) and surface not in _builtin_ids():
        body["surface"] = {"expr": surface, "domain": [[-5, 5], [-5, 5]]}
    if start is not None:
        body["start"] = [float(start[0]), float(start[1])]
    if state:
        body["state"] = True
    given = {k: v for k, v in options.items() if v is not None}
    unknown = set(given) - set(OPTIONS)
    if unknown:
        raise TypeError(f"run() got unexpected keyword argument(s) {', '.join(sorted(unknown))}")
    body["runs"] = [{**given, **r} for r in body["runs"]]
    return body


def _builtin_ids():
    from .surfaces import SURFACES
    return SURFACES


def run(surface, runs, steps: int = 100, start=None, state: bool = False, *,
        groups: dict | None = None, zero_grad: str | None = None,
        events: list | None = None) -> Result:
    """Race `runs` on `surface` (a built-in id, a formula in x and y, or {expr, domain});
    `groups`, `zero_grad`, `events` as in the API, for every run that has none."""
    answer = run_request(request_body(surface, runs, steps, start, state, groups=groups,
                                      zero_grad=zero_grad, events=events))
    results = []
    for r in answer["runs"]:
        results.append(RunResult(
            optimizer=r["optimizer"], status=r["status"], steps_done=r["steps_done"],
            path=np.array(r["path"], dtype=float), loss=np.array(r["loss"], dtype=float),
            lr=np.array(r["lr"], dtype=float), label=r.get("label"),
            state=r.get("state", {}),
            grad=np.array(r["grad"], dtype=float) if "grad" in r else None,
            lrs=np.array(r["lrs"], dtype=float) if "lrs" in r else None,
            evals=r.get("evals")))
    return Result(surface=answer["surface"], runs=results, raw=answer)
