"""The torch.optim API lab's options on the API (api-v1.md, "Per-run options from the
torch.optim API"): param groups, zero_grad, events, LBFGS's closure points: what the
answer carries, PyTorch's refusals as 422s naming the field, the stream, and the float
loop giving the array loop's bits with every option."""

from __future__ import annotations

import numpy as np
import orjson
import pytest

from app.engine.build import RunSpec
from app.engine.runner import run_one
from app.engine.surfaces import SURFACES

BASE = {"surface": "booth", "steps": 20}


def refusal(client, run: dict, **top) -> dict:
    r = client.post("/api/v1/run", json={**BASE, **top, "runs": [run]})
    assert r.status_code == 422, r.text[:300]
    return r.json()["detail"][0]


@pytest.mark.parametrize("run, loc, words", [
    ({"optimizer": "lbfgs", "groups": {"x": {"lr": 0.5}}}, ["groups"],
     "LBFGS doesn't support per-parameter options"),
    ({"optimizer": "lookahead", "params": {"optimizer": {"optimizer": "lbfgs"}},
      "groups": {"y": {}}}, ["groups"], "per-parameter options"),
    ({"optimizer": "sgd", "groups": {"x": {"lr": -1}}}, ["groups", "x", "lr"],
     "Invalid learning rate: -1.0"),
    ({"optimizer": "adam", "groups": {"y": {"betas": [0.9, 1.5]}}}, ["groups", "y", "betas"],
     "Invalid beta parameter at index 1"),
    ({"optimizer": "lookahead", "groups": {"x": {"lr": -0.5}}}, ["groups", "x", "lr"],
     "Invalid learning rate"),
    ({"optimizer": "sgd", "events": [{"at": 5, "params": {"lr": 0.1}},
                                     {"at": 5, "params": {}}]}, ["events", 1, "at"], "6..19"),
    ({"optimizer": "sgd", "events": [{"at": 20, "params": {}}]}, ["events", 0, "at"], "1..19"),
    ({"optimizer": "sgd", "events": [{"at": 5, "params": {"lr": -0.1}}]},
     ["events", 0, "params", "lr"], "Invalid learning rate"),
    ({"optimizer": "sgd", "events": [{"at": 5, "params": {"nesterov": True}}]},
     ["events", 0, "params", "nesterov"], "Nesterov momentum requires"),
    ({"optimizer": "sgd", "scheduler": {"name": "StepLR", "params": {"step_size": 5}},
      "events": [{"at": 5, "params": {"lr": 0.1}}]}, ["events"], "cannot have a scheduler"),
    ({"optimizer": "sgd", "zero_grad": "sometimes"}, ["zero_grad"], "every_step"),
    ({"optimizer": "sgd", "params": {"momentum": 0.9},
      "scheduler": {"name": "OneCycleLR", "params": {"max_lr": [0.01, 0.02], "total_steps": 20}}},
     ["scheduler", "params", "max_lr"], "max_lr has 2 values, param_groups has 1"),
])
def test_refusals_name_the_field(client, run, loc, words):
    item = refusal(client, run)
    assert item["loc"] == ["body", "runs", 0, *loc], item
    assert words in item["msg"], item


def test_too_many_events(client):
    item = refusal(client, {"optimizer": "sgd", "events": [{"at": i, "params": {}}
                                                           for i in range(1, 18)]})
    assert item["loc"] == ["body", "runs", 0, "events"] and "16" in item["msg"]


def test_groups_answer_both_lrs_and_move_each_axis_at_its_own_rate(client):
    body = {"surface": "bowl", "start": [1.0, 1.0], "steps": 30,
            "runs": [{"optimizer": "sgd", "params": {"lr": 0.01},
                      "groups": {"x": {"lr": 0.1}},
                      "scheduler": {"name": "StepLR", "params": {"step_size": 10, "gamma": 0.5}}}]}
    run = client.post("/api/v1/run", json=body).json()["runs"][0]
    assert run["lrs"][0] == [0.1, 0.01] and run["lrs"][10] == [0.05, 0.005]
    assert run["lr"] == [lrs[0] for lrs in run["lrs"]]          # lr stays group x's
    x, y = run["path"][-1]
    assert abs(x) < abs(y)            # the larger lr went further along its axis


def test_groups_state_is_per_coordinate_with_group_x_s_step(client):
    body = {"surface": "bowl", "start": [1.0, 1.0], "steps": 3, "state": True,
            "runs": [{"optimizer": "sgd", "params": {"lr": 0.1, "momentum": 0.9},
                      "groups": {"y": {"momentum": 0.0}}},
                     {"optimizer": "adam", "groups": {"x": {"lr": 0.2}}}]}
    sgd, adam = client.post("/api/v1/run", json=body).json()["runs"]
    # y's group has no momentum: torch keeps no buffer for it
    assert all(b[1] is None and b[0] is not None for b in sgd["state"]["momentum_buffer"])
    assert adam["state"]["step"] == [1.0, 2.0, 3.0]
    assert all(len(m) == 2 for m in adam["state"]["exp_avg"])


def test_zero_grad_never_hands_the_optimizer_the_sum_of_gradients(client):
    body = {"surface": "bowl", "start": [1.0, -2.0], "steps": 4, "state": True,
            "runs": [{"optimizer": "sgd", "params": {"lr": 0.01}, "zero_grad": "never"}]}
    run = client.post("/api/v1/run", json=body).json()["runs"][0]
    f = SURFACES["bowl"].formula
    grads = [f.value_and_grad_at(*p)[1:] for p in run["path"][:4]]
    for k, g in enumerate(run["grad"]):
        want = np.sum(grads[:k + 1], axis=0)
        np.testing.assert_allclose(g, want, rtol=1e-15)


def test_lbfgs_answers_its_closure_points_with_state(client):
    body = {"surface": "rosenbrock", "steps": 5, "state": True,
            "runs": [{"optimizer": "lbfgs", "params": {"lr": 0.5}}]}
    run = client.post("/api/v1/run", json=body).json()["runs"][0]
    assert len(run["evals"]) == 5
    evaluations = [0, *run["state"]["func_evals"]]     # torch's running count
    for k, points in enumerate(run["evals"]):
        assert points[0] == run["path"][k]            # the point the step started from
        assert len(points) == evaluations[k + 1] - evaluations[k] >= 1
    assert len(run["evals"][0]) > 2                 # many evaluations in one step
    body["state"] = False
    assert "evals" not in client.post("/api/v1/run", json=body).json()["runs"][0]


def test_a_reset_event_starts_adam_over(client):
    body = {"surface": "bowl", "start": [1.0, 1.0], "steps": 40, "state": True,
            "runs": [{"optimizer": "adam", "params": {"lr": 0.05},
                      "events": [{"at": 20, "params": {}, "state": "reset"}]},
                     {"optimizer": "adam", "params": {"lr": 0.05},
                      "events": [{"at": 20, "params": {}, "state": "keep"}]}]}
    reset, keep = client.post("/api/v1/run", json=body).json()["runs"]
    assert reset["state"]["step"][19:22] == [20.0, 1.0, 2.0]      # state empty again
    assert keep["state"]["step"][19:22] == [20.0, 21.0, 22.0]
    # bias correction starting over: the first step after the reset is a full lr step
    assert reset["path"][:21] == keep["path"][:21]
    step = np.subtract(reset["path"][21], reset["path"][20])
    np.testing.assert_allclose(np.abs(step), [0.05, 0.05], rtol=1e-6)


def test_the_stream_carries_each_group_s_lr(client):
    body = {"surface": "booth", "steps": 300,
            "runs": [{"optimizer": "sgd", "params": {"lr": 0.01}, "groups": {"x": {"lr": 0.02}}}]}
    with client.websocket_connect("/api/v1/stream") as ws:
        ws.send_json(body)
        chunks = []
        while True:
            message = ws.receive_json()
            if message.get("done"):
                break
            chunks.append(message)
    lrs = sum((c["lrs"] for c in chunks), [])
    assert len(lrs) == 300 and lrs[0] == [0.02, 0.01]


OPTIONS = [
    {"groups": {"x": {"lr": 0.02}, "y": {"momentum": 0.5}}},
    {"zero_grad": "never"},
    {"events": [{"at": 7, "params": {"lr": 0.003}, "state": "keep"},
                {"at": 30, "params": {"lr": 0.001}, "state": "reset"}]},
    {"groups": {"x": {"lr": 0.02}}, "zero_grad": "never",
     "events": [{"at": 11, "params": {"lr": 0.005}, "state": "reset"}]},
]


@pytest.mark.parametrize("opt_id", ["sgd", "adam", "rmsprop", "adagrad", "rprop", "lion",
                                    "adafactor", "asgd", "lookahead"])
@pytest.mark.parametrize("options", OPTIONS, ids=["groups", "never", "events", "all"])
def test_floats_give_the_arrays_bits_with_every_option(opt_id, options):
    params = {"lr": 0.01, "momentum": 0.9} if opt_id == "sgd" else {"lr": 0.01}
    if opt_id == "lookahead":
        params = {"optimizer": {"optimizer": "sgd", "params": {"lr": 0.01, "momentum": 0.9}}}
    if opt_id not in ("sgd", "lookahead") and "groups" in options:
        options = {**options, "groups": {"x": {"lr": 0.02}}}
    spec = RunSpec(opt_id, params, noise={"std": 0.5, "seed": 3}, **options)
    surface = SURFACES["himmelblau"]
    runs = [run_one(surface, (0.5, -1.0), 60, spec, record_state=True, fast=fast)
            for fast in (True, False)]
    assert orjson.dumps(runs[0]) == orjson.dumps(runs[1])
