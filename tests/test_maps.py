"""Maps: basin maps, sweep maps, their exactness, streaming and cancellation, and refusals."""

from __future__ import annotations

import math
import time

import numpy as np
import pytest

from app import cache
from app.api.compute import SLOTS, client_key
from app.engine.batch import run_batch
from app.engine.build import RunSpec
from app.engine.maps import SCALAR_ONLY, run_map_request
from app.engine.optim import REGISTRY
from app.engine.runner import run_one
from app.engine.surfaces import SURFACES

HIMMELBLAU = {"kind": "basin", "surface": "himmelblau", "steps": 400,
              "run": {"optimizer": "sgd", "params": {"lr": 0.01}},
              "x": {"n": 21}, "y": {"n": 21}}


def grid(answer: dict, name: str) -> np.ndarray:
    ny, nx = answer["shape"]
    return np.array(answer[name]).reshape(ny, nx, *np.shape(answer[name])[1:])


def test_basin_map_of_himmelblau_assigns_each_minimum_to_the_cells_around_it(client):
    a = client.post("/api/v1/map", json=HIMMELBLAU).json()
    assert a["kind"] == "basin" and a["shape"] == [21, 21]
    assert a["x"][0] == -5 and a["x"][-1] == 5 and len(a["y"]) == 21
    minimum, steps = grid(a, "minimum"), grid(a, "steps_to_min")
    xs, ys = np.array(a["x"]), np.array(a["y"])
    assert len(a["minima"]) == 4
    for k, (mx, my) in enumerate(a["minima"]):
        # every cell within 1.2 of the minimum (a few cells in each direction) reaches it
        near = (xs[None, :] - mx) ** 2 + (ys[:, None] - my) ** 2 <= 1.2 ** 2
        assert near.sum() >= 9
        assert (minimum[near] == k).all(), (k, minimum[near])
        assert (steps[near] >= 0).all()
    assert not any(a["diverged"])
    # cells that reached a minimum end within tol of it
    final = grid(a, "final")
    for j, i in zip(*np.nonzero(minimum >= 0)):
        m = a["minima"][minimum[j, i]]
        assert math.dist(final[j, i], m) <= a["tol"]


def test_map_cells_are_the_runs_of_the_run_endpoint():
    a = run_map_request({**HIMMELBLAU, "x": {"n": 5, "range": [-4, 4]},
                         "y": {"n": 4, "range": [-4, 3]}, "steps": 120, "tol": 0.05})
    s = SURFACES["himmelblau"]
    minima = np.array(a["minima"])
    for k in range(20):
        j, i = divmod(k, 5)
        run = run_one(s, (a["x"][i], a["y"][j]), 120, RunSpec("sgd", {"lr": 0.01}))
        path = np.array(run["path"])
        assert a["final"][k] == path[-1].tolist()
        assert a["final_loss"][k] == run["loss"][-1]
        d = np.sqrt(((path[:, None, :] - minima[None]) ** 2).sum(axis=2))
        hit = np.flatnonzero((d <= 0.05).any(axis=1))
        assert a["steps_to_min"][k] == (int(hit[0]) if hit.size else -1)
        assert a["minimum"][k] == (int(d[hit[0]].argmin()) if hit.size else -1)


def test_sweep_of_sgd_lr_on_the_bowl_follows_one_minus_two_lr():
    # f = x² + y² has curvature 2: one SGD step multiplies the point by (1 − 2·lr).
    lrs = [0.05, 0.25, 0.5, 0.75, 0.95, 1.05, 1.25, 1.5]
    steps = 60
    a = run_map_request({"kind": "sweep", "surface": "bowl", "start": [1.0, -0.5],
                         "steps": steps, "run": {"optimizer": "sgd"},
                         "x": {"param": "lr", "range": [0.05, 1.5], "n": 30},
                         "y": {"param": "dampening", "range": [0, 0.5], "n": 2}})
    assert a["x_param"] == "lr" and a["y_param"] == "dampening"
    xs = np.array(a["x"])
    final = grid(a, "final")
    for lr in lrs:
        i = int(np.argmin(abs(xs - lr)))
        factor = (1 - 2 * xs[i]) ** steps
        for j in range(2):
            assert final[j, i] == pytest.approx([1.0 * factor, -0.5 * factor], rel=1e-9,
                                                abs=1e-300)
            r = math.hypot(*final[j, i])
            if xs[i] < 1:
                assert r < math.hypot(1, 0.5) * 0.9 ** steps
            else:
                assert r > math.hypot(1, 0.5)
    converged = (grid(a, "minimum") == 0)[0]
    assert converged[xs < 0.9].all() and not converged[xs > 1].any()


def test_sweep_of_adam_lr_and_beta2():
    a = run_map_request({"kind": "sweep", "surface": "rosenbrock", "steps": 200,
                         "run": {"optimizer": "adam", "params": {"betas": [0.8, 0.999]}},
                         "x": {"param": "lr", "range": [1e-3, 1.0], "n": 4, "scale": "log"},
                         "y": {"param": "betas", "index": 1, "range": [0.9, 0.999], "n": 3}})
    assert a["x"] == pytest.approx([1e-3, 1e-2, 1e-1, 1.0])
    assert a["y_param"] == "betas[1]" and a["start"] == [-1.2, 1.0]
    s = SURFACES["rosenbrock"]
    for k in (0, 5, 11):
        j, i = divmod(k, 4)
        run = run_one(s, (-1.2, 1.0), 200, RunSpec("adam", {"lr": a["x"][i],
                                                            "betas": (0.8, a["y"][j])}))
        # batch and single-path evaluation may differ in the last bit (the parity
        # checker's tolerance is 1e-6 relative); 200 steps of Rosenbrock amplify that
        assert a["final"][k] == pytest.approx(run["path"][-1], rel=1e-7)


def sweepable():
    for name, cls in REGISTRY.items():
        for h in cls.hypers:
            if h.kind == "float":
                yield name, h.name, None, h.default
            elif h.kind == "pair":
                for i in (0, 1):
                    yield name, h.name, i, h.default[i]


@pytest.mark.parametrize("optimizer,param,index,default",
                         [c for c in sweepable() if (c[0], c[1]) not in SCALAR_ONLY])
def test_a_swept_column_gives_what_each_value_gives_alone(optimizer, param, index, default):
    """Every float hyperparameter not in maps.SCALAR_ONLY works as a (B, 1) column."""
    cls = REGISTRY[optimizer]
    base = {"optimizer": {"optimizer": "sgd", "params": {"lr": 0.01}}} \
        if optimizer == "lookahead" else {}
    d = 1e-3 if default is None or default == 0 else default
    h = next(h for h in cls.hypers if h.name == param)
    values = [d, d * 1.05, d * 0.95] if h.high is None or d * 1.05 < h.high else [d, d * 0.95,
                                                                                   d * 0.9]
    if param == "d":            # Adafactor's clipping threshold must stay >= 1
        values = [1.0, 1.5, 2.0]
    key = param if index is None else f"{param}[{index}]"
    s = SURFACES["himmelblau"]
    starts = np.repeat([[-1.0, 1.5]], len(values), axis=0)
    together = run_batch(s, starts, 40, optimizer, base, per_run={key: np.array(values)})
    for k, v in enumerate(values):
        params = dict(base)
        if index is None:
            params[param] = v
        else:
            pair = list(h.default)
            pair[index] = v
            params[param] = pair
        alone = run_batch(s, starts[:1], 40, optimizer, params)
        np.testing.assert_allclose(together.final[k], alone.final[0], rtol=1e-12, atol=1e-300)
        assert together.diverged_at[k] == alone.diverged_at[0]


def test_scalar_only_hyperparameters_are_swept_value_by_value():
    a = run_map_request({"kind": "sweep", "surface": "himmelblau", "steps": 30,
                         "start": [-1.0, 1.5], "run": {"optimizer": "yogi"},
                         "x": {"param": "lr", "range": [0.01, 0.1], "n": 3},
                         "y": {"param": "betas", "index": 1, "range": [0.9, 0.99], "n": 2}})
    s = SURFACES["himmelblau"]
    for k in range(6):
        j, i = divmod(k, 3)
        alone = run_batch(s, [[-1.0, 1.5]], 30, "yogi",
                          {"lr": a["x"][i], "betas": (0.9, a["y"][j])})
        assert a["final"][k] == alone.final[0].tolist()


def test_divergence_is_marked_and_the_answer_has_no_nan(client):
    body = {"kind": "basin", "surface": "rosenbrock", "steps": 100,
            "run": {"optimizer": "sgd", "params": {"lr": 0.01}}, "x": {"n": 8}, "y": {"n": 8}}
    r = client.post("/api/v1/map", json=body)
    assert r.status_code == 200
    assert b"NaN" not in r.content and b"Infinity" not in r.content
    a = r.json()
    assert any(a["diverged"]) and not all(a["diverged"])
    for k, div in enumerate(a["diverged"]):
        assert all(math.isfinite(v) for v in a["final"][k])
        assert a["final_loss"][k] is not None and math.isfinite(a["final_loss"][k])
        if div:
            assert a["minimum"][k] == -1


def test_openapi_lists_the_map_endpoints(client):
    paths = client.get("/openapi.json").json()["paths"]
    assert "post" in paths["/api/v1/map"] and "get" in paths["/api/v1/map"]
    assert "get" in paths["/api/v1/run"]


@pytest.mark.parametrize("change,loc,words", [
    ({"run": {"optimizer": "adam", "params": {"lr": -1}}}, ["run", "params", "lr"],
     "Invalid learning rate"),
    ({"kind": "sweep", "x": {"param": "lr", "range": [1e-3, 1]},
      "y": {"param": "amsgrad", "range": [0, 1]}, "run": {"optimizer": "adam"}},
     ["y", "param"], "only numbers"),
    ({"kind": "sweep", "x": {"param": "lr", "range": [1e-3, 1]},
      "y": {"param": "betas", "range": [0, 0.9]}, "run": {"optimizer": "adam"}},
     ["y", "index"], "pair"),
    ({"kind": "sweep", "x": {"param": "lr", "range": [-1, 1]},
      "y": {"param": "momentum", "range": [0, 0.9]}, "run": {"optimizer": "sgd"}},
     ["x", "range"], "Invalid learning rate"),
    ({"kind": "sweep", "x": {"param": "lr", "range": [1e-3, 1]},
      "y": {"param": "betas", "index": 1, "range": [0.9, 1.0]}, "run": {"optimizer": "adam"}},
     ["y", "range"], "beta"),
    ({"kind": "sweep", "x": {"param": "lr", "range": [1e-3, 1]},
      "y": {"param": "nope", "range": [0, 1]}, "run": {"optimizer": "sgd"}},
     ["y", "param"], "no keyword"),
    ({"kind": "sweep", "x": {"param": "lr", "range": [1e-3, 1]}}, ["y"], "needs a param"),
    ({"x": {"n": 8, "param": "lr"}}, ["x", "param"], "basin"),
    ({"start": [0, 0]}, ["start"], "basin"),
    ({"x": {"n": 8, "range": [0, 1], "scale": "log"}}, ["x", "range"], "above 0"),
    ({"x": {"n": 8, "range": [1, 0]}}, ["x", "range"], "below"),
    ({"x": {"n": 513}}, ["x", "n"], "limit"),
    ({"x": {"n": 512}, "y": {"n": 512}, "steps": 1000}, [], "limit"),
    ({"run": {"optimizer": "sgd", "noise": {"std": 1}}}, ["run", "noise"], "noise"),
])
def test_bad_map_requests_name_the_field(client, change, loc, words):
    r = client.post("/api/v1/map", json={**HIMMELBLAU, **change})
    assert r.status_code == 422, r.text
    detail = r.json()["detail"]
    assert any(d["loc"][1:len(loc) + 1] == loc and words.lower() in d["msg"].lower()
               for d in detail), detail


def receive_map(ws, rid):
    """(header, row messages, done) of one map on the socket."""
    head = ws.receive_json()
    assert head.get("id") == rid and head.get("progress") == 0, head
    rows = []
    while True:
        msg = ws.receive_json()
        assert msg.get("id") == rid and "error" not in msg, msg
        if msg.get("done"):
            return head, rows, msg
        rows.append(msg)


def test_stream_sends_rows_as_computed_and_they_rebuild_the_answer(client):
    body = {**HIMMELBLAU, "steps": 200, "x": {"n": 64}, "y": {"n": 96},
            "run": {"optimizer": "adam", "params": {"lr": 0.04}}}
    cache.cache().clear()
    with client.websocket_connect("/api/v1/map/stream") as ws:
        ws.send_json({"id": "m", **body})
        head, rows, done = receive_map(ws, "m")
        assert done["cached"] is False
        ws.send_json({"id": "again", **body})
        head2, rows2, done2 = receive_map(ws, "again")
        assert done2["cached"] is True
    whole = client.post("/api/v1/map", json=body).json()
    assert head["shape"] == [96, 64] and head["x"] == whole["x"] and head["y"] == whole["y"]
    assert len(rows) >= 2
    assert rows[0]["rows"][0] == 0 and rows[-1]["rows"][1] == 96
    assert all(a["rows"][1] == b["rows"][0] for a, b in zip(rows, rows[1:]))
    progress = [m["progress"] for m in rows]
    assert progress == sorted(progress) and progress[-1] == 1
    for rebuilt in (rows, rows2):
        for name in ("final", "final_loss", "minimum", "steps_to_min", "diverged"):
            assert [v for m in rebuilt for v in m[name]] == whole[name]


def test_a_new_map_cancels_the_one_in_flight(client):
    big = {**HIMMELBLAU, "steps": 2000, "x": {"n": 256}, "y": {"n": 256},
           "run": {"optimizer": "adam", "params": {"lr": 0.001}}}
    small = {**HIMMELBLAU, "steps": 10, "x": {"n": 8}, "y": {"n": 8}}
    with client.websocket_connect("/api/v1/map/stream") as ws:
        ws.send_json({"id": 1, **big})
        head = ws.receive_json()
        assert head["id"] == 1 and head["shape"] == [256, 256]   # it has started
        ws.send_json({"id": 2, **small})
        while True:
            msg = ws.receive_json()
            assert not (msg["id"] == 1 and msg.get("done")), "the old map finished"
            assert "error" not in msg, msg
            if msg["id"] == 2 and msg.get("done"):
                break
        # the big map's thread has stopped: its computation slot is free again
        deadline = time.monotonic() + 5
        while SLOTS.in_flight(client_key(ws.scope)) and time.monotonic() < deadline:
            time.sleep(0.01)
        assert SLOTS.in_flight(client_key(ws.scope)) == 0


def test_a_bad_map_message_keeps_the_socket(client):
    with client.websocket_connect("/api/v1/map/stream") as ws:
        ws.send_json({"id": "x", **HIMMELBLAU, "run": {"optimizer": "sgd",
                                                        "params": {"lr": -1}}})
        msg = ws.receive_json()
        assert msg["id"] == "x" and msg["error"]["detail"][0]["loc"][-1] == "lr"
        ws.send_text("{")
        assert "error" in ws.receive_json()
        ws.send_json({"id": "y", **HIMMELBLAU, "steps": 5, "x": {"n": 4}, "y": {"n": 4}})
        head, rows, done = receive_map(ws, "y")
        assert done["done"] and sum(len(m["minimum"]) for m in rows) == 16
