"""Nothing slow runs on the event loop: whatever takes more than a few milliseconds for
a large answer (computing, writing a CSV or JSON export, gzip) runs in a worker thread,
so /healthz and every other client never wait behind it.

Checked by the thread each piece runs in, against the event loop's own thread (the
TestClient runs the app's loop in a thread of its own): a deterministic check, where a
latency figure on a shared machine would be noise (bench/soak.py prints those)."""

from __future__ import annotations

import threading

import pytest
from fastapi.testclient import TestClient

from app.api import compute
from app.api.cached import encode_query
from app.engine import request as request_module
from app.engine.sched import base as sched_base
from app.main import app
from app.teach import data_export

SCENE = {"surface": "bowl", "start": [0.5, 0.5], "steps": 400,
         "runs": [{"optimizer": "adam"}] * 4}


@pytest.fixture
def threads_of(monkeypatch):
    """Records the thread of every call of the patched functions; yields (client, loop
    thread id, records)."""
    calls: dict[str, list[int]] = {}

    def watch(module, name):
        real = getattr(module, name)

        def watched(*args, **kwargs):
            calls.setdefault(name, []).append(threading.get_ident())
            return real(*args, **kwargs)
        monkeypatch.setattr(module, name, watched)

    watch(data_export, "to_csv")
    watch(data_export, "to_json")
    watch(compute, "gzip_bytes")
    watch(request_module, "_compiled")          # a typed formula compiled
    watch(sched_base, "check_steps")            # a schedule replayed to validate it
    watch(request_module, "check_labels")       # inline data checked
    watch(request_module, "_data_surface")      # ... and fitted
    with TestClient(app) as client:
        loop_thread = client.portal.call(threading.get_ident)
        yield client, loop_thread, calls


@pytest.mark.parametrize("path, writer", [("/api/v1/export/csv", "to_csv"),
                                          ("/api/v1/export/json", "to_json")])
def test_exports_are_written_and_compressed_off_the_loop(threads_of, path, writer):
    client, loop_thread, calls = threads_of
    r = client.post(path, json=SCENE, headers={"accept-encoding": "gzip"})
    assert r.status_code == 200 and r.headers["content-encoding"] == "gzip"
    assert r.headers["content-disposition"].startswith("attachment")
    assert calls[writer] and loop_thread not in calls[writer]
    assert calls["gzip_bytes"] and loop_thread not in calls["gzip_bytes"]


def test_a_big_grid_is_compressed_off_the_loop(threads_of):
    client, loop_thread, calls = threads_of
    body = {"surface": {"expr": "x*x + y*y + 0.123", "domain": [[-2, 2], [-2, 2]]}, "n": 400}
    r = client.post("/api/v1/grid", json=body, headers={"accept-encoding": "gzip"})
    assert r.status_code == 200 and r.headers["content-encoding"] == "gzip"
    assert r.headers["vary"] == "Accept-Encoding" and len(r.json()["z"]) == 400
    assert calls["gzip_bytes"] and loop_thread not in calls["gzip_bytes"]


def test_no_gzip_for_a_client_that_does_not_take_it(threads_of):
    client, _, calls = threads_of
    body = {"surface": {"expr": "x*x + y*y + 0.456", "domain": [[-2, 2], [-2, 2]]}, "n": 100}
    r = client.post("/api/v1/grid", json=body, headers={"accept-encoding": "identity"})
    assert r.status_code == 200 and "content-encoding" not in r.headers
    assert len(r.json()["z"]) == 100 and "gzip_bytes" not in calls


def _costly(seed: int) -> dict:
    """A request whose validation compiles a new formula and replays a schedule."""
    return {"surface": {"expr": f"x**2 + y**2 + {seed}.25*sin(x)", "domain": [[-2, 2], [-2, 2]]},
            "steps": 50, "runs": [{"optimizer": "sgd", "params": {"lr": 0.01},
                                   "scheduler": {"name": "StepLR",
                                                 "params": {"step_size": 10, "gamma": 1.01}}}]}


@pytest.mark.parametrize("how", ["run", "run?q", "code", "export/json", "grid", "map",
                                 "stream", "tune", "export/gif"])
def test_validation_is_off_the_loop(threads_of, how):
    """Validating a request compiles its formula and replays its schedule: in a worker
    thread, for every route and the stream, not on the event loop."""
    client, loop_thread, calls = threads_of
    body = _costly(hash(how) % 10_000)
    if how == "stream":
        with client.websocket_connect("/api/v1/stream") as ws:
            ws.send_json({"id": 1, **body})
            while not (msg := ws.receive_json()).get("done"):
                assert "error" not in msg, msg
    elif how == "run?q":
        assert client.get(f"/api/v1/run?q={encode_query(body)}").status_code == 200
    elif how == "grid":
        r = client.post("/api/v1/grid", json={"surface": body["surface"], "n": 20})
        assert r.status_code == 200
    elif how == "map":
        r = client.post("/api/v1/map", json={"kind": "basin", "surface": body["surface"],
                                             "steps": 20, "run": body["runs"][0],
                                             "x": {"n": 4}, "y": {"n": 4}})
        assert r.status_code == 200, r.text[:300]
    elif how == "export/gif":
        r = client.post("/api/v1/export/gif", json={**body, "frames": 3, "width": 320})
        assert r.status_code == 200, r.text[:300]
    elif how == "tune":
        r = client.post("/api/v1/tune", json={**body, "n": 4})
        assert r.status_code == 200, r.text[:300]
    else:
        assert client.post(f"/api/v1/{how}", json=body).status_code == 200
    assert calls["_compiled"] and loop_thread not in calls["_compiled"], how
    if how != "grid":
        assert calls["check_steps"] and loop_thread not in calls["check_steps"], how


def _inline_data(seed: int) -> dict:
    """A surface from 10,000 pairs of the client's own (max_data_points): read, checked
    and fitted when the request is validated."""
    xs = [((k * 7919 + seed) % 1000) / 100 for k in range(10_000)]
    return {"data": {"x": xs, "y": [1.0 if x > 4.5 + (k % 7) / 10 else 0.0
                                    for k, x in enumerate(xs)]}, "model": "logistic"}


@pytest.mark.parametrize("how", ["run", "tune", "grid", "stream"])
def test_inline_data_is_checked_off_the_loop(threads_of, how):
    client, loop_thread, calls = threads_of
    body = {"surface": _inline_data(hash(how) % 1000), "steps": 30,
            "runs": [{"optimizer": "sgd", "params": {"lr": 0.1}}]}
    if how == "stream":
        with client.websocket_connect("/api/v1/stream") as ws:
            ws.send_json({"id": 1, **body})
            while not (msg := ws.receive_json()).get("done"):
                assert "error" not in msg, msg
    elif how == "grid":
        r = client.post("/api/v1/grid", json={"surface": body["surface"], "n": 20})
        assert r.status_code == 200, r.text[:300]
    else:
        r = client.post(f"/api/v1/{how}", json={**body, "n": 4} if how == "tune" else body)
        assert r.status_code == 200, r.text[:300]
    for step in ("check_labels", "_data_surface"):
        assert calls[step] and loop_thread not in calls[step], (how, step)


def test_what_startup_built_is_out_of_the_collectors_sight(client):
    """A full garbage collection holds the GIL while it scans: over the ~80,000 objects
    the app builds at startup it stopped the event loop for ~0.2 s.  The lifespan
    freezes them (gc.freeze), so a collection scans only what requests allocate."""
    import gc
    assert gc.get_freeze_count() > 50_000
