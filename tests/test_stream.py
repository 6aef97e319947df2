"""WebSocket /api/v1/stream: chunks, done, errors that keep the socket, cancellation."""

from __future__ import annotations

import pytest

from app.engine import loop

REQ = {"surface": "rosenbrock", "steps": 600,
       "runs": [{"optimizer": "adam", "params": {"lr": 0.05}},
                {"optimizer": "sgd", "params": {"lr": 0.001, "momentum": 0.9}}]}


def collect(ws, rid):
    chunks = []
    while True:
        msg = ws.receive_json()
        assert msg.get("id") == rid, msg
        if msg.get("done"):
            return chunks, msg
        assert "error" not in msg, msg
        chunks.append(msg)


@pytest.mark.parametrize("every_s", [0.0, loop.STREAM_EVERY_S, 3600.0])
def test_chunks_rebuild_the_run_answer(client, monkeypatch, every_s):
    """Chunks as often as the loop looks (every CHECK_EVERY steps), at most once a frame
    (the default), or (besides the request's first, at once) only at each run's end:
    the same paths."""
    monkeypatch.setattr(loop, "STREAM_EVERY_S", every_s)
    full = client.post("/api/v1/run", json=REQ).json()
    with client.websocket_connect("/api/v1/stream") as ws:
        ws.send_json({"id": 1, **REQ})
        chunks, done = collect(ws, 1)
    per_run = [len([c for c in chunks if c["run"] == i]) for i in range(len(REQ["runs"]))]
    if every_s == 0:
        assert per_run == [-(-(REQ["steps"] + 1) // loop.CHECK_EVERY)] * len(per_run)
    elif every_s > 60:
        # the request's first piece at once, then nothing due before each run's end
        assert per_run == [2] + [1] * (len(per_run) - 1)
    else:
        assert all(n >= 1 for n in per_run)
    for i, run in enumerate(full["runs"]):
        mine = [c for c in chunks if c["run"] == i]
        path = [p for c in mine for p in c["path"]]
        lr = [v for c in mine for v in c["lr"]]
        assert [c["start"] for c in mine] == sorted(c["start"] for c in mine)
        assert path == run["path"] and lr == run["lr"]
        assert done["runs"][i]["status"] == run["status"]
        assert done["runs"][i]["steps_done"] == run["steps_done"]


def test_bad_request_gets_an_error_and_the_socket_stays(client):
    with client.websocket_connect("/api/v1/stream") as ws:
        ws.send_json({"id": "a", **REQ, "runs": [{"optimizer": "adam", "params": {"lr": -1}}]})
        msg = ws.receive_json()
        assert msg["id"] == "a" and msg["error"]["detail"][0]["loc"][-1] == "lr"
        ws.send_text("not json")
        assert "error" in ws.receive_json()
        ws.send_json({"id": "b", **REQ, "steps": 5})
        chunks, done = collect(ws, "b")
        assert done["runs"][0]["steps_done"] == 5


def test_a_new_request_cancels_the_one_in_flight(client):
    long = {**REQ, "steps": 10_000, "runs": [{"optimizer": "adam"}] * 8}
    with client.websocket_connect("/api/v1/stream") as ws:
        ws.send_json({"id": 1, **long})
        ws.send_json({"id": 2, **REQ, "steps": 10})
        seen_done = []
        while True:
            msg = ws.receive_json()
            if msg.get("done"):
                seen_done.append(msg["id"])
                if msg["id"] == 2:
                    break
    assert seen_done == [2]

