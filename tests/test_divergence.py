"""Why a run diverged: the SGD stability bound from the Hessian, a step out of the domain
of log or sqrt, steps that kept growing; in English and Chinese."""

from __future__ import annotations

import re

import pytest

from app.engine import run_request
from app.teach.divergence import annotate, explain

C_LOGX = {"expr": "x - log(x) + 0.1*(y - 1)**2", "domain": [[0.01, 4], [-2, 3]]}


def _one(body):
    answer = annotate(run_request(body), body)
    return answer["runs"]


def test_sgd_above_two_over_lambda_max():
    (run,) = _one({"surface": "rosenbrock", "steps": 100,
                   "runs": [{"optimizer": "sgd", "params": {"lr": 0.01}}]})
    why = run["diverged_reason"]
    assert "2/λ_max" in why["en"] and "λ_max = 1506" in why["en"]
    bound = float(re.search(r"lr < ([0-9.e-]+) here", why["en"]).group(1))
    assert bound == pytest.approx(2 / 1506.0, rel=1e-3)
    assert "学习率对这里的曲率来说太大了" in why["zh"] and "Hessian" in why["zh"]


def test_momentum_and_nesterov_bounds():
    runs = _one({"surface": "rosenbrock", "steps": 100, "runs": [
        {"optimizer": "sgd", "params": {"lr": 0.005, "momentum": 0.9}},
        {"optimizer": "sgd", "params": {"lr": 0.005, "momentum": 0.5, "nesterov": True}}]})
    assert "2(1+μ)/λ_max" in runs[0]["diverged_reason"]["en"]
    assert "μ = 0.9" in runs[0]["diverged_reason"]["zh"]
    bound = float(re.search(r"lr < ([0-9.e-]+) here", runs[0]["diverged_reason"]["en"]).group(1))
    assert bound == pytest.approx(2 * 1.9 / 1506.0, rel=1e-3)
    if runs[1]["status"] == "diverged":
        assert "Nesterov" in runs[1]["diverged_reason"]["en"]


def test_left_the_domain_of_log():
    runs = _one({"surface": C_LOGX, "start": [1.5, 0.0], "steps": 100, "runs": [
        {"optimizer": "sgd", "params": {"lr": 5.0}},
        {"optimizer": "adam", "params": {"lr": 3.0}}]})
    for run in runs:
        assert run["status"] == "diverged"
        assert "left the domain of log(x)" in run["diverged_reason"]["en"]
        assert "log(x) 的定义域" in run["diverged_reason"]["zh"]


def test_growing_steps_and_no_reason_when_fine():
    runs = _one({"surface": "bowl", "steps": 100, "runs": [
        {"optimizer": "lbfgs", "params": {"lr": 100}},
        {"optimizer": "adam", "params": {"lr": 0.1}}]})
    assert "each step was longer than the one before" in runs[0]["diverged_reason"]["en"]
    assert "diverged_reason" not in runs[1]
    assert explain("bowl", runs[1], "adam", {"lr": 0.1}) is None


def test_every_diverged_run_gets_a_reason():
    surfaces = ["rosenbrock", "beale", "goldstein_price", "himmelblau", C_LOGX,
                {"expr": "exp(x**2) + sqrt(y + 3)", "domain": [[-2, 2], [-2, 2]]}]
    runs = [{"optimizer": o, "params": {"lr": lr}} for o, lr in
            [("sgd", 0.05), ("adam", 50.0), ("rmsprop", 10.0), ("adagrad", 100.0),
             ("nadam", 30.0), ("lion", 10.0)]]
    seen = 0
    for s in surfaces:
        for run in _one({"surface": s, "steps": 200, "runs": runs}):
            if run["status"] == "diverged":
                seen += 1
                assert run["diverged_reason"]["en"] and run["diverged_reason"]["zh"]
    assert seen >= 3
