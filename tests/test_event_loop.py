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
