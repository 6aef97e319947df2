"""Surfaces from data through the API: bad data is a 422 naming the field, GET
/api/v1/datasets, the grid, basin and sweep maps (with and without batches), and the
surface as answers carry it."""

from __future__ import annotations

import numpy as np
import pytest
from pydantic import ValidationError

from app.api.errors import validation_detail
from app.api.schemas import DatasetCatalogue, GridAnswer, RunResponse
from app.engine.data import DATASETS, builtin_surface
from app.engine.map_request import MapRequest
from app.engine.request import RunRequest

RUN = {"steps": 5, "runs": [{"optimizer": "sgd", "params": {"lr": 0.01}}]}
MAP = {"kind": "basin", "steps": 200, "run": {"optimizer": "sgd",
                                              "params": {"lr": 0.1, "momentum": 0.5}},
       "x": {"n": 12}, "y": {"n": 10}}
XY = {"x": [0.5, 1.0, 1.5, 2.0], "y": [1.1, 2.3, 2.9, 4.2]}


def detail(response) -> list[dict]:
    assert response.status_code == 422, response.text
    return response.json()["detail"]


BAD_SURFACES = [  # (surface, loc below body, words of the message)
    ({"data": {"x": [1, 2, 3], "y": [1, 2]}}, ["surface", "data", "y"], "y has 2 values and x has 3"),
    ({"data": {"x": [1] * 10_001, "y": [1] * 10_001}}, ["surface", "data", "x"],
     "OPTPLAY_MAX_DATA_POINTS"),
    ({"data": {"x": [], "y": []}}, ["surface", "data", "x"], "at least 1"),
    ({"data": {"x": [0, 1, 2], "y": [0, 1, 0.5]}, "model": "logistic"},
     ["surface", "data", "y", 2], "0 or 1"),
    ({"data": {"x": [0, 1, 2], "y": [0, "1", 0]}}, ["surface", "data", "y", 1], "number"),
    ({"data": "line", "model": "logistic"}, ["surface", "model"], "0 or 1"),
    ({"data": "no-such-set"}, ["surface", "data"], "'line'"),
    ({"data": 3}, ["surface", "data"], ""),
    ({"data": XY, "model": "quadratic"}, ["surface", "model"], "linear"),
    ({"data": XY, "domain": [[1, 0], [0, 1]]}, ["surface", "domain"], "lower end"),
    ({"data": XY, "domain": [[0, 2e6], [0, 1]]}, ["surface", "domain"], "OPTPLAY_MAX_COORDINATE"),
    ({"data": {**XY, "z": [1]}}, ["surface", "data", "z"], "Extra"),
]


@pytest.mark.parametrize("surface, loc, words", BAD_SURFACES)
def test_bad_data_is_a_422_naming_the_field(client, surface, loc, words):
    for path, body in (("/api/v1/run", {**RUN, "surface": surface}),
                       ("/api/v1/grid", {"surface": surface, "n": 10}),
                       ("/api/v1/map", {**MAP, "surface": surface})):
        d = detail(client.post(path, json=body))
        assert d[0]["loc"] == ["body", *loc], (path, d)
        assert words in d[0]["msg"], (path, d)


def test_non_finite_data_names_the_pair():
    """JSON cannot carry NaN or Infinity (a body with 1e999 is refused as not JSON);
    Python callers can, and are told which pair."""
    for key, i in (("x", 1), ("y", 0)):
        xy = {"x": [1.0, 2.0], "y": [3.0, 4.0]}
        xy[key][i] = float("nan") if key == "x" else float("inf")
        with pytest.raises(ValidationError) as e:
            RunRequest.model_validate({**RUN, "surface": {"data": xy}})
        d = validation_detail(e.value)
        assert d[0]["loc"] == ["body", "surface", "data", key, i] and "finite" in d[0]["msg"]


def test_infinite_json_number_is_a_422(client):
    raw = '{"surface": {"data": {"x": [1, 1e999], "y": [1, 2]}}, "runs": [{"optimizer": "sgd"}]}'
    d = detail(client.post("/api/v1/run", content=raw,
                           headers={"content-type": "application/json"}))
    assert "infinity" in d[0]["msg"]


@pytest.mark.parametrize("batch, loc", [
    ({"size": 0}, ["batch", "size"]),
    ({"size": 10_001}, ["batch", "size"]),
    ({"size": 4, "seed": -1}, ["batch", "seed"]),
    ({"size": 4, "shuffle": "yes"}, ["batch", "shuffle"]),
    ({"seed": 3}, ["batch", "size"]),
    ({"size": 4, "epochs": 2}, ["batch", "epochs"]),
])
def test_bad_batch_is_a_422_naming_the_field(client, batch, loc):
    for path, body in (("/api/v1/run", {**RUN, "surface": {"data": "line"}, "batch": batch}),
                       ("/api/v1/map", {**MAP, "surface": {"data": "line"}, "batch": batch})):
        assert detail(client.post(path, json=body))[0]["loc"] == ["body", *loc]


def test_batch_needs_a_surface_from_data(client):
    for surface in ("bowl", {"expr": "x**2 + y**2", "domain": [[-1, 1], [-1, 1]]}):
        for path, body in (("/api/v1/run", {**RUN, "surface": surface, "batch": {"size": 4}}),
                           ("/api/v1/map", {**MAP, "surface": surface, "batch": {"size": 4}})):
            d = detail(client.post(path, json=body))
            assert d[0]["loc"] == ["body", "batch"] and "surface from data" in d[0]["msg"]


# --------------------------------------------------------------------------- datasets

def test_datasets_lists_the_builtins_with_their_points(client):
    r = client.get("/api/v1/datasets")
    assert r.status_code == 200
    body = r.json()
    DatasetCatalogue.model_validate(body)
    assert [d["id"] for d in body["datasets"]] == list(DATASETS)
    for d in body["datasets"]:
        ds, s = DATASETS[d["id"]], builtin_surface(d["id"])
        assert (d["name"], d["name_zh"], d["model"], d["n"]) == \
            (ds.name, ds.name_zh, ds.model, ds.n)
        assert d["x"] == ds.x.tolist() and d["y"] == ds.y.tolist()
        assert d["domain"] == [list(s.domain[0]), list(s.domain[1])]
        assert d["start"] == list(s.start) and d["minima"] == [list(p) for p in s.minima]
    again = client.get("/api/v1/datasets", headers={"if-none-match": r.headers["etag"]})
    assert again.status_code == 304


# --------------------------------------------------------------------------- answers

def test_run_answer_carries_the_data_surface(client):
    r = client.post("/api/v1/run", json={**RUN, "surface": {"data": "pass-fail"}})
    body = r.json()
    RunResponse.model_validate(body)
    s = body["surface"]
    assert (s["data"], s["model"], s["n"]) == ("pass-fail", "logistic", 30)
    assert s["domain"] == [[-1, 5], [-12, 3]] and len(s["minima"]) == 1
    assert body["start"] == [0.0, 0.0]
    run = body["runs"][0]
    f = builtin_surface("pass-fail").formula
    assert run["loss"] == pytest.approx(f.losses_along(np.array(run["path"])).tolist(),
                                        rel=1e-12)


def test_inline_data_frames_its_minimum_and_starts_at_zero(client):
    body = client.post("/api/v1/run", json={**RUN, "surface": {"data": XY}}).json()
    s = body["surface"]
    assert (s["data"], s["model"], s["n"]) == ("inline", "linear", 4)
    (w, b), = s["minima"]
    (x0, x1), (y0, y1) = s["domain"]
    assert x0 < w < x1 and y0 < b < y1 and body["start"] == [0.0, 0.0]
    ref = np.polyfit(XY["x"], XY["y"], 1)
    assert (w, b) == pytest.approx(ref.tolist(), rel=1e-12)
    # a domain of the user's own is kept
    own = client.post("/api/v1/run", json={**RUN, "surface": {
        "data": XY, "domain": [[-1, 4], [-2, 2]]}}).json()
    assert own["surface"]["domain"] == [[-1, 4], [-2, 2]]


def test_grid_of_a_data_surface_is_the_full_data_loss(client):
    g = client.post("/api/v1/grid", json={"surface": {"data": "line"}, "n": 30}).json()
    GridAnswer.model_validate(g)
    assert g["surface"]["data"] == "line" and len(g["z"]) == 30
    f = builtin_surface("line").formula
    for j, i in ((0, 0), (7, 22), (29, 29), (15, 3)):
        want = f.value_and_grad_at(g["x"][i], g["y"][j])[0]
        assert g["z"][j][i] == pytest.approx(want, rel=1e-12)
    (w, b), = g["surface"]["minima"]
    assert g["zmin"] >= f.value_and_grad_at(w, b)[0] * (1 - 1e-12)


def test_grid_of_logistic_inline_data(client):
    rng = np.random.default_rng(1)
    x = rng.normal(0, 1, 2000)
    y = (x + rng.normal(0, 0.8, 2000) > 0).astype(int)
    g = client.post("/api/v1/grid", json={"surface": {"data": {"x": x.tolist(),
                                                                "y": y.tolist()},
                                                       "model": "logistic"}, "n": 20}).json()
    assert g["surface"]["model"] == "logistic" and g["surface"]["n"] == 2000
    assert all(v is not None and v > 0 for row in g["z"] for v in row)


def test_basin_map_on_a_data_surface_finds_the_minimum(client):
    body = {**MAP, "surface": {"data": "line"}}
    m = client.post("/api/v1/map", json=body).json()
    assert m["surface"]["data"] == "line" and m["minima"] == m["surface"]["minima"]
    assert m["minimum"] == [0] * 120 and not any(m["diverged"])
    # every cell is the run from its start, as a single run computes it
    f = builtin_surface("line").formula
    for k in (0, 17, 119):
        assert m["final_loss"][k] == pytest.approx(
            f.value_and_grad_at(*m["final"][k])[0], rel=1e-12)


def test_map_with_batches_uses_step_js_batch(client):
    """A cell of a map with `batch` is plain SGD stepped on the contract's batches."""
    lr, steps = 0.05, 40
    body = {"kind": "basin", "surface": {"data": "line"}, "batch": {"size": 8, "seed": 3},
            "steps": steps, "run": {"optimizer": "sgd", "params": {"lr": lr}},
            "x": {"n": 5}, "y": {"n": 4}}
    m = client.post("/api/v1/map", json=body).json()
    s = builtin_surface("line")
    order = s.batch_order(8, 3)
    for k in (0, 7, 19):
        i, j = k % 5, k // 5
        w, b = m["x"][i], m["y"][j]
        for step in range(steps):
            _, gw, gb = s.formula.value_and_grad_of_floats_on(w, b, order.indices(step))
            w, b = w - lr * gw, b - lr * gb
        assert m["final"][k] == pytest.approx([w, b], rel=1e-12)
        assert m["final_loss"][k] == pytest.approx(s.formula.value_and_grad_at(w, b)[0],
                                                   rel=1e-12)
    # without the batch, the cells differ
    full = client.post("/api/v1/map", json={**body, "batch": None}).json()
    assert full["final"][0] != m["final"][0]


def test_sweep_map_on_a_data_surface(client):
    body = {"kind": "sweep", "surface": {"data": "pass-fail"}, "batch": {"size": 8},
            "steps": 50, "run": {"optimizer": "adam"},
            "x": {"param": "lr", "range": [1e-3, 1.0], "scale": "log", "n": 6},
            "y": {"param": "betas", "index": 0, "range": [0.0, 0.95], "n": 5}}
    m = client.post("/api/v1/map", json=body).json()
    assert m["shape"] == [5, 6] and m["start"] == [0.0, 0.0]
    assert all(v is not None for v in m["final_loss"])


def test_map_request_keeps_its_batch():
    req = MapRequest.model_validate({**MAP, "surface": {"data": "line"},
                                     "batch": {"size": 8, "shuffle": False}})
    assert (req.batch.size, req.batch.seed, req.batch.shuffle) == (8, 0, False)


@pytest.mark.parametrize("data, model", [
    ({"x": [1e300, -1e300, 5], "y": [1e300, 2, 3]}, "linear"),
    ({"x": [1e-320, 0], "y": [1, 2]}, "linear"),
    ({"x": [1e308, -1e308, 3, 4], "y": [0, 1, 1, 0]}, "logistic"),
    ({"x": [1, 2, 3], "y": [1e308, -1e308, 1e308]}, "linear"),
    ({"x": [0, 0, 0], "y": [0, 1, 1]}, "logistic"),
    ({"x": [5, 5], "y": [3, 4]}, "linear"),
])
def test_data_at_the_edges_of_float64_answers_cleanly(client, data, model):
    """Squares that overflow, spreads that underflow, one x value: a 200 with a real
    view (or a 422 at start where the loss is not finite there), never a 500 or NaN."""
    surface = {"data": data, "model": model}
    g = client.post("/api/v1/grid", json={"surface": surface, "n": 4})
    assert g.status_code == 200, g.text
    (x0, x1), (y0, y1) = g.json()["surface"]["domain"]
    assert x0 < x1 and y0 < y1
    for w, b in g.json()["surface"]["minima"]:
        assert abs(w) < 1e300 and abs(b) < 1e300
    r = client.post("/api/v1/run", json={**RUN, "surface": surface})
    assert r.status_code in (200, 422), r.text
    if r.status_code == 422:
        assert r.json()["detail"][0]["loc"] == ["body", "start"]
