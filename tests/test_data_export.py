"""CSV and JSON downloads: one CSV row per run per step, the state columns when asked
for, and the endpoints that serve them as attachments."""

from __future__ import annotations

import csv
import io
import json

from app.engine import run_request
from app.teach.data_export import to_csv, to_json

BODY = {"surface": "himmelblau", "steps": 40,
        "runs": [{"optimizer": "adam", "params": {"lr": 0.1}},
                 {"optimizer": "sgd", "params": {"lr": 0.01, "momentum": 0.9},
                  "label": "动量 SGD"},
                 {"optimizer": "sgd", "params": {"lr": 1.0}}]}


def rows(text: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))


def test_one_row_per_run_per_step():
    answer = run_request(BODY)
    table = rows(to_csv(answer, BODY))
    assert list(table[0]) == ["run", "optimizer", "label", "step", "x", "y", "loss", "lr"]
    assert len(table) == sum(len(r["path"]) for r in answer["runs"])
    first = [r for r in table if r["run"] == "1"]
    assert first[0]["label"] == "Adam lr=0.1" and first[0]["step"] == "0"
    for r, (x, y), loss in zip(first, answer["runs"][0]["path"], answer["runs"][0]["loss"]):
        assert (float(r["x"]), float(r["y"]), float(r["loss"])) == (x, y, loss)   # full precision
    assert first[-1]["lr"] == "" and float(first[0]["lr"]) == 0.1
    assert {r["label"] for r in table if r["run"] == "2"} == {"动量 SGD"}
    diverged = answer["runs"][2]
    assert diverged["status"] == "diverged"
    assert len([r for r in table if r["run"] == "3"]) == diverged["steps_done"] + 1


def test_state_columns():
    body = {**BODY, "state": True}
    answer = run_request(body)
    table = rows(to_csv(answer, body))
    cols = list(table[0])
    for name in ("grad_x", "grad_y", "state_step", "state_exp_avg_x", "state_exp_avg_y",
                 "state_exp_avg_sq_x", "state_momentum_buffer_x"):
        assert name in cols
    adam = [r for r in table if r["run"] == "1"]
    assert adam[0]["state_step"] == "" and float(adam[1]["state_step"]) == 1.0
    assert float(adam[3]["state_exp_avg_x"]) == answer["runs"][0]["state"]["exp_avg"][2][0]
    assert [float(adam[0]["grad_x"]), float(adam[0]["grad_y"])] == answer["runs"][0]["grad"][0]
    lbfgs = {"surface": "bowl", "steps": 3, "state": True, "runs": [{"optimizer": "lbfgs"}]}
    table = rows(to_csv(run_request(lbfgs), lbfgs))
    answer = run_request(lbfgs)
    assert json.loads(table[1]["state_old_dirs"]) == answer["runs"][0]["state"]["old_dirs"][0]
    assert float(table[1]["state_n_iter"]) == answer["runs"][0]["state"]["n_iter"][0]


def test_json_is_the_answer():
    answer = run_request(BODY)
    assert json.loads(to_json(answer)) == json.loads(json.dumps(answer))


def test_endpoints(client):
    r = client.post("/api/v1/export/csv", json=BODY)
    assert r.status_code == 200 and r.headers["content-type"] == "text/csv; charset=utf-8"
    assert r.headers["content-disposition"] == 'attachment; filename="scene.csv"'
    assert r.content.startswith("\ufeff".encode())          # Excel reads the labels as UTF-8
    diverged = run_request(BODY)["runs"][2]["steps_done"]
    assert len(rows(r.text)) == sum(s + 1 for s in (40, 40, diverged))
    r = client.post("/api/v1/export/json", json=BODY)
    assert r.headers["content-disposition"] == 'attachment; filename="scene.json"'
    runs = r.json()["runs"]
    assert "diverged_reason" in runs[2] and set(runs[2]["diverged_reason"]) == {"en", "zh"}
    r = client.post("/api/v1/export/csv", json={**BODY, "steps": 0})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"][:2] == ["body", "steps"]


def test_code_endpoint(client):
    r = client.post("/api/v1/code", json=BODY)
    assert r.status_code == 200
    out = r.json()
    assert out["filename"] == "scene.py" and out["code"].count("**race(param") == 3
    r = client.post("/api/v1/code?run=1", json=BODY)
    assert "torch.optim.SGD([param], lr=0.01, momentum=0.9)" in r.json()["code"]
    r = client.post("/api/v1/code?run=7", json=BODY)
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "run"]
    r = client.post("/api/v1/code", json={**BODY, "runs": [{"optimizer": "adam",
                                                            "params": {"betas": [0.9, 1.0]}}]})
    assert r.status_code == 422
