"""API v1 through FastAPI's test client: shapes, errors that name the field, headers."""

from __future__ import annotations

import json
import re

import pytest

BODY = {"surface": "rosenbrock", "start": [-1.2, 1.0], "steps": 50,
        "runs": [{"optimizer": "sgd", "params": {"lr": 0.001, "momentum": 0.9, "nesterov": True}},
                 {"optimizer": "adam", "params": {"lr": 0.05},
                  "scheduler": {"name": "StepLR", "params": {"step_size": 10, "gamma": 0.5}}}]}


def loc_of(response) -> list:
    return response.json()["detail"][0]["loc"]


def test_healthz(client):
    r = client.get("/healthz")
    assert r.status_code == 200 and r.json() == {"status": "ok"}


def test_run_answers_the_contract(client):
    r = client.post("/api/v1/run", json=BODY)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["surface"]["id"] == "rosenbrock"
    assert body["surface"]["domain"] == [[-2, 2], [-1, 3]]
    assert len(body["runs"]) == 2
    for run in body["runs"]:
        assert run["status"] == "ok" and run["steps_done"] == 50
        assert len(run["path"]) == 51 and len(run["loss"]) == 51 and len(run["lr"]) == 50
        assert run["path"][0] == [-1.2, 1.0]
    lrs = body["runs"][1]["lr"]
    assert lrs[0] == 0.05 and lrs[10] == pytest.approx(0.025) and lrs[20] == pytest.approx(0.0125)


def test_default_start_is_the_surface_start(client):
    body = {"surface": "himmelblau", "steps": 3, "runs": [{"optimizer": "adam"}]}
    r = client.post("/api/v1/run", json=body)
    assert r.status_code == 200, r.text
    assert r.json()["runs"][0]["path"][0] == [0.0, 0.0]


def test_state_is_returned_under_torch_names(client):
    body = {**BODY, "state": True, "runs": [{"optimizer": "adam", "params": {"lr": 0.05}}]}
    run = client.post("/api/v1/run", json=body).json()["runs"][0]
    assert set(run["state"]) >= {"step", "exp_avg", "exp_avg_sq"}
    assert len(run["state"]["exp_avg"]) == 50 and len(run["grad"]) == 50
    assert run["state"]["step"][:3] == [1.0, 2.0, 3.0]


def test_noise_reproduces_from_its_seed(client):
    run = {"optimizer": "sgd", "params": {"lr": 0.01}, "noise": {"std": 0.5, "seed": 7}}
    body = {"surface": "bowl", "steps": 20, "runs": [run]}
    a = client.post("/api/v1/run", json=body).json()["runs"][0]["path"]
    b = client.post("/api/v1/run", json=body).json()["runs"][0]["path"]
    run2 = {**run, "noise": {"std": 0.5, "seed": 8}}
    c = client.post("/api/v1/run", json={**body, "runs": [run2]}).json()["runs"][0]["path"]
    assert a == b and a != c


def test_divergence_ends_cleanly(client):
    body = {"surface": "rosenbrock", "steps": 100,
            "runs": [{"optimizer": "sgd", "params": {"lr": 0.01, "momentum": 0.9}}]}
    r = client.post("/api/v1/run", content=json.dumps(body),
                    headers={"content-type": "application/json"})
    assert r.status_code == 200
    assert "NaN" not in r.text and "Infinity" not in r.text
    run = r.json()["runs"][0]
    assert run["status"] == "diverged"
    assert run["steps_done"] == len(run["path"]) - 1 == len(run["lr"])


def test_custom_formula(client):
    body = {"surface": {"expr": "x**2 + 3*sin(y)", "domain": [[-3, 3], [-3, 3]]},
            "start": [2.5, 1.0], "steps": 10, "runs": [{"optimizer": "sgd", "params": {"lr": 0.1}}]}
    r = client.post("/api/v1/run", json=body)
    assert r.status_code == 200, r.text
    assert r.json()["surface"]["id"] == "custom"


@pytest.mark.parametrize("body, loc, words", [
    ({**BODY, "runs": [{"optimizer": "adam", "params": {"lr": -1.0}}]},
     ["body", "runs", 0, "params", "lr"], "Invalid learning rate"),
    ({**BODY, "runs": [{"optimizer": "adam", "params": {"betas": [1.0, 0.999]}}]},
     ["body", "runs", 0, "params", "betas"], "beta"),
    ({**BODY, "runs": [{"optimizer": "nosuch"}]}, ["body", "runs", 0], "optimizer"),
    ({**BODY, "runs": [{"optimizer": "sgd", "params": {"nesterov": True}}]},
     ["body", "runs", 0, "params"], "Nesterov"),
    ({**BODY, "runs": [{"optimizer": "sgd", "params": {"lrr": 0.1}}]},
     ["body", "runs", 0, "params", "lrr"], "xtra"),
    ({**BODY, "surface": "nosuch"}, ["body", "surface"], ""),
    ({**BODY, "surface": {"expr": "x + (y", "domain": [[-1, 1], [-1, 1]]}},
     ["body", "surface", "expr"], "column"),
    ({**BODY, "steps": 0}, ["body", "steps"], ""),
    ({**BODY, "steps": 10**9}, ["body"], "steps"),
    ({**BODY, "runs": []}, ["body", "runs"], ""),
    ({**BODY, "runs": [{"optimizer": "sgd", "params": {"lr": True}}]},
     ["body", "runs", 0, "params", "lr"], ""),
    ({**BODY, "runs": [{"optimizer": "adam", "scheduler": {"name": "StepLR", "params": {}}}]},
     ["body", "runs", 0, "scheduler"], "step_size"),
    ({**BODY, "runs": [{"optimizer": "adam", "scheduler": {"name": "Nope"}}]},
     ["body", "runs", 0, "scheduler", "name"], ""),
])
def test_bad_input_names_the_field(client, body, loc, words):
    r = client.post("/api/v1/run", json=body)
    assert r.status_code == 422, r.text
    got = loc_of(r)
    assert got[:len(loc)] == loc, got
    assert words.lower() in r.text.lower()


def test_formula_error_says_where(client):
    r = client.post("/api/v1/grid", json={"surface": {"expr": "x**2 + )", "domain": [[-1, 1], [-1, 1]]}})
    assert r.status_code == 422
    item = r.json()["detail"][0]
    assert item["loc"] == ["body", "surface", "expr"]
    assert "column 8" in item["msg"] and item["column"] == 8


def test_non_finite_numbers_are_refused(client):
    raw = '{"surface": "bowl", "steps": 5, "runs": [{"optimizer": "sgd", "params": {"lr": NaN}}]}'
    r = client.post("/api/v1/run", content=raw, headers={"content-type": "application/json"})
    assert r.status_code == 422
    raw = '{"surface": "bowl", "steps": 5, "start": [1e999, 0], "runs": [{"optimizer": "sgd"}]}'
    r = client.post("/api/v1/run", content=raw, headers={"content-type": "application/json"})
    assert r.status_code == 422


def test_deeply_nested_json_is_a_422(client):
    raw = '{"surface": "bowl", "steps": 5, "runs": [{"optimizer": "sgd", "params": {"x": ' \
          + "[" * 5000 + "]" * 5000 + "}}]}"
    r = client.post("/api/v1/run", content=raw, headers={"content-type": "application/json"})
    assert r.status_code == 422


def test_huge_body_is_a_413(client):
    raw = '{"surface": "bowl", "pad": "' + "x" * (2 * 1024 * 1024) + '"}'
    r = client.post("/api/v1/run", content=raw, headers={"content-type": "application/json"})
    assert r.status_code == 413
    assert "limit" in r.json()["detail"][0]["msg"]


def test_catalogues(client):
    opts = client.get("/api/v1/optimizers").json()["optimizers"]
    ids = {o["id"] for o in opts}
    assert {"sgd", "adam", "adamw", "adagrad", "adadelta", "rmsprop", "adamax", "nadam", "radam",
            "asgd", "rprop", "lbfgs", "sparseadam", "adafactor", "lion", "adabelief", "yogi",
            "lookahead"} <= ids
    adam = next(o for o in opts if o["id"] == "adam")
    lr = next(p for p in adam["params"] if p["name"] == "lr")
    assert lr["default"] == 0.001 and lr["log"] is True and lr["min"] == 0
    assert lr["doc"] and lr["doc_zh"]
    scheds = {s["id"] for s in client.get("/api/v1/schedulers").json()["schedulers"]}
    assert {"StepLR", "MultiStepLR", "ExponentialLR", "CosineAnnealingLR",
            "CosineAnnealingWarmRestarts", "ReduceLROnPlateau", "LinearLR", "ConstantLR",
            "OneCycleLR", "CyclicLR", "PolynomialLR", "SequentialLR", "ChainedScheduler"} <= scheds
    surfaces = client.get("/api/v1/surfaces").json()["surfaces"]
    rosen = next(s for s in surfaces if s["id"] == "rosenbrock")
    assert rosen["latex"] and rosen["start"] == [-1.2, 1.0] and rosen["minima"] == [[1, 1]]


def test_catalogue_etag(client):
    r = client.get("/api/v1/optimizers")
    again = client.get("/api/v1/optimizers", headers={"if-none-match": r.headers["etag"]})
    assert again.status_code == 304


def test_grid_marks_a_log_scale_for_rosenbrock(client):
    g = client.post("/api/v1/grid", json={"surface": "rosenbrock", "n": 50}).json()
    assert len(g["x"]) == 50 and len(g["z"]) == 50 and len(g["z"][0]) == 50
    assert g["log_scale"] is True
    assert client.post("/api/v1/grid", json={"surface": "bowl", "n": 20}).json()["log_scale"] is False


def test_grid_with_undefined_points_has_nulls(client):
    g = client.post("/api/v1/grid", json={"surface": {"expr": "log(x)", "domain": [[-1, 1], [-1, 1]]},
                                          "n": 10}).json()
    assert g["z"][0][0] is None and g["z"][0][-1] is not None


def test_responses_are_compressed(client):
    r = client.post("/api/v1/run", json={**BODY, "steps": 500}, headers={"accept-encoding": "gzip"})
    assert r.headers.get("content-encoding") == "gzip"


def test_security_headers(client):
    page = client.get("/")
    csp = page.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert page.headers["x-frame-options"] == "DENY"
    assert page.headers["x-content-type-options"] == "nosniff"
    embed = client.get("/embed")
    assert "frame-ancestors *" in embed.headers["content-security-policy"]
    assert "x-frame-options" not in embed.headers


def test_plotly_is_served_locally_with_a_long_cache(client):
    html = client.get("/").text
    url = re.search(r'<link rel="preload" href="(/static/vendor/plotly-cartesian[^"]+)" as="script"', html)[1]
    r = client.get(url)
    assert r.status_code == 200 and len(r.content) > 1_000_000
    assert "max-age=31536000" in r.headers["cache-control"]


def test_docs_work_offline(client):
    html = client.get("/docs").text
    assert "cdn" not in html and "/docs-assets/swagger-ui-bundle.js" in html
    assert client.get("/docs-assets/swagger-ui-bundle.js").status_code == 200
    assert client.get("/openapi.json").json()["paths"]["/api/v1/run"]
