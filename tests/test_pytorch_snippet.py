"""Copy as PyTorch: the generated script, run by real PyTorch 2.13 (and pytorch-optimizer
4.1.0) in a subprocess, takes our engine's paths (1e-6 relative, as check_parity.py)."""

from __future__ import annotations

import ast
import json
import math
import subprocess
import sys

import pytest

from app.engine import run_request
from app.teach.pytorch_code import pytorch_snippet

C_HALFFLAT = {"expr": "x**2 + (y + abs(y))**2 + 0.2*x", "domain": [[-2, 2], [-2, 2]]}
C_EXP = {"expr": "sqrt(x**2 + y**2 + 1) + cos(x)*e**(-y**2) + 2*pi*0.01*x - 1/(2+x**2)",
         "domain": [[-4, 4], [-3, 3]]}
C_LOGX = {"expr": "x - log(x) + 0.1*(y - 1)**2", "domain": [[0.01, 4], [-2, 3]]}

SCENES = {
    "sgd-nesterov-steplr": {
        "surface": "rosenbrock", "start": [-1.2, 1.0], "steps": 150,
        "runs": [{"optimizer": "sgd", "params": {"lr": 0.001, "momentum": 0.9, "nesterov": True},
                  "scheduler": {"name": "StepLR", "params": {"step_size": 50, "gamma": 0.5}}}]},
    "adam-onecycle": {
        "surface": "himmelblau", "steps": 100,
        "runs": [{"optimizer": "adam", "params": {"betas": [0.9, 0.99]},
                  "scheduler": {"name": "OneCycleLR",
                                "params": {"max_lr": 0.3, "total_steps": 100}}}]},
    "lbfgs-wolfe-and-plain": {
        "surface": "beale", "steps": 30,
        "runs": [{"optimizer": "lbfgs", "params": {"line_search_fn": "strong_wolfe", "lr": 0.5}},
                 {"optimizer": "lbfgs", "params": {"max_iter": 5, "lr": 0.1}}]},
    "sparseadam-zero-grads": {
        "surface": C_HALFFLAT, "start": [1.5, -1.0], "steps": 120,
        "runs": [{"optimizer": "sparseadam", "params": {"lr": 0.1}}]},
    "lookahead-pullback": {
        "surface": "ravine", "start": [-4.5, 2.0], "steps": 120,
        "runs": [{"optimizer": "lookahead",
                  "params": {"k": 4, "alpha": 0.6, "pullback_momentum": "pullback",
                             "optimizer": {"optimizer": "sgd",
                                           "params": {"lr": 0.05, "momentum": 0.9}}}},
                 {"optimizer": "lookahead",
                  "params": {"optimizer": {"optimizer": "yogi", "params": {"lr": 0.3}}}}]},
    "adafactor-eps-null": {
        "surface": "bowl", "steps": 120,
        "runs": [{"optimizer": "adafactor", "params": {"eps": [None, 0.1], "lr": 0.3}},
                 {"optimizer": "adafactor", "params": {}}]},
    "rmsprop-plateau": {
        "surface": "booth", "start": [-8.0, -8.0], "steps": 150,
        "runs": [{"optimizer": "rmsprop", "params": {"lr": 0.1},
                  "scheduler": {"name": "ReduceLROnPlateau",
                                "params": {"patience": 5, "threshold": 0.1, "eps": 0.0001}}}]},
    "nested-schedulers": {
        "surface": "rosenbrock", "steps": 200,
        "runs": [{"optimizer": "adam", "params": {"lr": 0.3},
                  "scheduler": {"name": "ChainedScheduler", "params": {"schedulers": [
                      {"name": "SequentialLR", "params": {
                          "schedulers": [
                              {"name": "LinearLR",
                               "params": {"start_factor": 0.1, "total_iters": 20}},
                              {"name": "CosineAnnealingLR", "params": {"T_max": 180}}],
                          "milestones": [20]}},
                      {"name": "ExponentialLR", "params": {"gamma": 0.995}}]}}}]},
    "custom-formula": {
        "surface": C_EXP, "start": [2.5, 0.5], "steps": 150,
        "runs": [{"optimizer": "rmsprop", "params": {"lr": 0.01, "centered": True}},
                 {"optimizer": "nadam", "params": {"lr": 0.05}}]},
    "noise": {
        "surface": "himmelblau", "steps": 150,
        "runs": [{"optimizer": "sgd", "params": {"lr": 0.01, "momentum": 0.5},
                  "noise": {"std": 0.5, "seed": 7}},
                 {"optimizer": "adam", "params": {"lr": 0.1}, "noise": {"std": 2.0, "seed": 0}},
                 {"optimizer": "lbfgs", "params": {"lr": 0.1, "max_iter": 4},
                  "noise": {"std": 0.1, "seed": 3}}]},
    "pytorch-optimizer-family": {
        "surface": "booth", "steps": 150, "start": [-8.0, -8.0],
        "runs": [{"optimizer": "lion", "params": {"lr": 0.1},
                  "scheduler": {"name": "CosineAnnealingLR", "params": {"T_max": 150}}},
                 {"optimizer": "adabelief", "params": {"lr": 0.3, "rectify": True}},
                 {"optimizer": "yogi", "params": {"lr": 0.5}}]},
    "diverged-and-cycles": {
        "surface": C_LOGX, "start": [1.5, 0.0], "steps": 100,
        "runs": [{"optimizer": "sgd", "params": {"lr": 3.0, "momentum": 0.5}},
                 {"optimizer": "sgd", "params": {"lr": 5.0}},
                 {"optimizer": "asgd", "params": {},
                  "scheduler": {"name": "CyclicLR", "params": {"base_lr": 0.003, "max_lr": 0.03,
                                                               "step_size_up": 10,
                                                               "cycle_momentum": False}}},
                 {"optimizer": "rprop", "params": {"etas": [0.4, 1.3]}},
                 {"optimizer": "adagrad", "params": {"lr": 0.5},
                  "scheduler": {"name": "LinearLR", "params": {}}}]},
    # surfaces from data: the data as tensors, a DataLoader in the playground's order
    "data-mini-batches": {
        "surface": {"data": "line"}, "steps": 80, "batch": {"size": 8, "seed": 1},
        "runs": [{"optimizer": "sgd", "params": {"lr": 0.05}},
                 {"optimizer": "adam", "params": {"lr": 0.3},
                  "scheduler": {"name": "ReduceLROnPlateau", "params": {"patience": 3}}},
                 {"optimizer": "lbfgs", "params": {"lr": 0.1}},
                 {"optimizer": "sgd", "params": {"lr": 0.05}, "groups": {"y": {"lr": 0.2}}}]},
    "data-logistic-full": {
        "surface": {"data": {"x": [-2.0, -1.0, -0.5, 0.2, 0.4, 1.0, 1.5, 2.5],
                             "y": [0, 0, 1, 0, 1, 1, 0, 1]}, "model": "logistic"},
        "steps": 60, "batch": {"size": 3, "shuffle": False},
        "runs": [{"optimizer": "rmsprop", "params": {"lr": 0.1}, "zero_grad": "never"}]},
    # the torch.optim API lab: each option as the script writes it
    "param-groups": {
        "surface": "ravine", "start": [-4.5, 2.0], "steps": 120,
        "runs": [{"optimizer": "sgd", "params": {"lr": 0.01, "momentum": 0.9},
                  "groups": {"x": {"lr": 0.05}, "y": {"momentum": 0.0}}},
                 {"optimizer": "adam", "params": {"lr": 0.1},
                  "groups": {"y": {"betas": [0.8, 0.99]}},
                  "scheduler": {"name": "OneCycleLR",
                                "params": {"max_lr": [0.1, 0.3], "total_steps": 120}}},
                 {"optimizer": "lookahead", "params": {"optimizer": {
                     "optimizer": "sgd", "params": {"lr": 0.01, "momentum": 0.5}}},
                  "groups": {"x": {"lr": 0.03}}, "noise": {"std": 0.2, "seed": 1}},
                 {"optimizer": "rmsprop", "params": {"lr": 0.01}}]},
    "zero-grad-never": {
        "surface": "booth", "start": [-8.0, -8.0], "steps": 100,
        "runs": [{"optimizer": "sgd", "params": {"lr": 0.01}, "zero_grad": "never",
                  "noise": {"std": 0.3, "seed": 2}},
                 {"optimizer": "lbfgs", "params": {"line_search_fn": "strong_wolfe"},
                  "zero_grad": "never"},
                 {"optimizer": "adam", "params": {"lr": 0.1}}]},
    "events": {
        "surface": "beale", "steps": 150,
        "runs": [{"optimizer": "adam", "params": {"lr": 0.1},
                  "events": [{"at": 50, "params": {"lr": 0.03}, "state": "reset"},
                             {"at": 100, "params": {"amsgrad": True}, "state": "reset"}]},
                 {"optimizer": "sgd", "params": {"lr": 0.003, "momentum": 0.9},
                  "groups": {"x": {"lr": 0.006}},
                  "events": [{"at": 40, "params": {"momentum": 0.5}},
                             {"at": 90, "params": {"lr": 0.0015, "nesterov": True}}]},
                 {"optimizer": "lookahead", "params": {"optimizer": {
                     "optimizer": "adam", "params": {"lr": 0.05}}},
                  "events": [{"at": 60, "params": {"lr": 0.01}, "state": "reset"}]}]},
}


def _ok(got: float, want: float) -> bool:
    return abs(got - want) <= 1e-6 * max(1.0, abs(want))


def compare(mine: dict, theirs: dict, where: str) -> None:
    assert theirs["status"] == mine["status"], where
    assert theirs["steps_done"] == mine["steps_done"], where
    assert len(theirs["path"]) == len(mine["path"]) and len(theirs["lr"]) == len(mine["lr"])
    for k, (p, q) in enumerate(zip(mine["path"], theirs["path"])):
        err = math.hypot(p[0] - q[0], p[1] - q[1]) / (1.0 + math.hypot(*p))
        assert err <= 1e-6, f"{where}: path differs at step {k}: ours {p}, torch {q}"
    for k, (a, b) in enumerate(zip(mine["loss"], theirs["loss"])):
        assert _ok(b, a), f"{where}: loss differs at step {k}: ours {a}, torch {b}"
    for k, (a, b) in enumerate(zip(mine["lr"], theirs["lr"])):
        assert abs(a - b) <= 1e-9 * (abs(a) + 1e-6), f"{where}: lr[{k}] ours {a}, torch {b}"
    assert ("lrs" in mine) == ("lrs" in theirs), where
    assert ("batch_loss" in mine) == ("batch_loss" in theirs), where
    for k, (a, b) in enumerate(zip(mine.get("batch_loss", []), theirs.get("batch_loss", []))):
        assert _ok(b, a), f"{where}: batch_loss[{k}] ours {a}, torch {b}"
    for k, (a, b) in enumerate(zip(mine.get("lrs", []), theirs.get("lrs", []))):
        assert all(abs(u - v) <= 1e-9 * (abs(u) + 1e-6) for u, v in zip(a, b)), \
            f"{where}: lrs[{k}] ours {a}, torch {b}"


def run_script(code: str, tmp_path, *args: str) -> str:
    script = tmp_path / "scene.py"
    script.write_text(code, encoding="utf-8")
    done = subprocess.run([sys.executable, str(script), *args], capture_output=True, text=True,
                          timeout=300, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.mark.parametrize("name", sorted(SCENES))
def test_snippet_takes_our_paths_in_real_pytorch(name, tmp_path):
    pytest.importorskip("torch")
    pytest.importorskip("pytorch_optimizer")
    body = SCENES[name]
    code = pytorch_snippet(body)
    ours = run_request(body)["runs"]
    theirs = json.loads(run_script(code, tmp_path, "--json"))
    assert len(theirs) == len(ours)
    for i, (mine, got) in enumerate(zip(ours, theirs)):
        compare(mine, got, f"{name} run {i}")


def test_single_run_and_summary_output(tmp_path):
    pytest.importorskip("torch")
    body = SCENES["noise"]
    code = pytorch_snippet(body, run_index=1)
    assert code.count("**race(param") == 1 and "torch.optim.Adam([param], lr=0.1)" in code
    out = run_script(code, tmp_path)
    assert out.startswith("Adam lr=0.1") and "ok" in out
    mine = run_request({**body, "runs": [body["runs"][1]]})["runs"][0]
    compare(mine, json.loads(run_script(code, tmp_path, "--json"))[0], "noise run 1")


def test_code_is_python_without_torch():
    """Every scene is valid Python; imports only what it needs; no formula text pasted."""
    for name, body in SCENES.items():
        code = pytorch_snippet(body)
        ast.parse(code)
        assert ("pytorch_optimizer" in code) == (name in ("lookahead-pullback", "param-groups",
                                                           "pytorch-optimizer-family", "events"))
        assert ("import numpy" in code) == (name in ("noise", "param-groups", "zero-grad-never",
                                                     "data-mini-batches", "data-logistic-full"))
        assert ("DataLoader" in code) == name.startswith("data-")
        assert ("optimizer.zero_grad()" in code)
        assert ("zero_grad=False" in code) == (name in ("zero-grad-never", "data-logistic-full"))
        assert ("make_optimizer" in code) == (name == "events")
        assert ('{"params": [x]' in code) == (name in ("param-groups", "events",
                                                       "data-mini-batches"))
        assert ("to_sparse" in code) == (name == "sparseadam-zero-grads")
        assert ("ReduceLROnPlateau" in code) == (name in ("rmsprop-plateau", "data-mini-batches"))
    code = pytorch_snippet(SCENES["custom-formula"])
    assert "torch.sqrt(x**2 + y**2 + 1) + torch.cos(x) * math.e**-y**2" in code
    assert "2 * math.pi * 0.01 * x" in code


def test_hostile_labels_and_formulas_stay_data():
    body = {"surface": {"expr": "x**2 + y**2", "domain": [[-1, 1], [-1, 1]]}, "steps": 3,
            "runs": [{"optimizer": "sgd", "params": {"lr": 0.1},
                      "label": "x\"\"\"\nimport os; os.system('echo pwned')  # 学习率\u2028"}]}
    code = pytorch_snippet(body)
    tree = ast.parse(code)
    calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call)
             and isinstance(n.func, ast.Attribute) and n.func.attr == "system"]
    assert not calls
    assert "学习率" in code


def test_refuses_what_the_api_refuses():
    from pydantic import ValidationError

    from app.engine.errors import RequestError
    with pytest.raises(ValidationError):
        pytorch_snippet({"surface": {"expr": "import os", "domain": [[-1, 1], [-1, 1]]},
                         "runs": [{"optimizer": "sgd"}]})
    with pytest.raises(RequestError):
        pytorch_snippet({"surface": "bowl", "runs": [{"optimizer": "sgd", "params": {"lr": -1.0}}]})
    with pytest.raises(RequestError):
        pytorch_snippet({"surface": "bowl", "runs": [{"optimizer": "sgd"}]}, run_index=3)
