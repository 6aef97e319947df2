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
def test_chunks_rebuild_the_run_answer(client, monkeypatch, every_s, no_memo):
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



@pytest.mark.parametrize("remembered", [True, False])
def test_a_page_that_holds_paths_is_sent_their_keys_instead(client, request, remembered):
    """"have": the keys the done message gave; a run whose path is one of them comes as
    {"run", "same": key}, remembered or stepped again; the others whole."""
    if not remembered:
        request.getfixturevalue("no_memo")
    with client.websocket_connect("/api/v1/stream") as ws:
        ws.send_json({"id": 1, **REQ})
        first, done1 = collect(ws, 1)
        keys = [r["key"] for r in done1["runs"]]
        assert len(set(keys)) == 2 and all(isinstance(k, str) and len(k) == 32 for k in keys)
        moved = {**REQ, "runs": [REQ["runs"][0], {**REQ["runs"][1], "params": {"lr": 0.002}}]}
        ws.send_json({"id": 2, "have": keys, **moved})
        second, done2 = collect(ws, 2)
        # the state along the same paths: every path by its key
        ws.send_json({"id": 3, "have": [r["key"] for r in done2["runs"]], **moved, "state": True})
        third, done3 = collect(ws, 3)
    assert [c for c in second if c["run"] == 0] == [{"id": 2, "run": 0, "same": keys[0]}]
    assert done2["runs"][0]["key"] == keys[0] and done2["runs"][1]["key"] != keys[1]
    path1 = [p for c in second if c["run"] == 1 for p in c["path"]]
    assert path1 == client.post("/api/v1/run", json=moved).json()["runs"][1]["path"]
    assert third == [{"id": 3, "run": i, "same": r["key"]} for i, r in enumerate(done2["runs"])]
    assert [r["key"] for r in done3["runs"]] == [r["key"] for r in done2["runs"]]
    assert all(len(r["state"]) > 0 for r in done3["runs"])


@pytest.mark.parametrize("have", ["abc", [1, 2], ["k" * 65], ["k"] * 17, {"a": 1}])
def test_a_bad_have_is_an_error_naming_it_and_the_socket_stays(client, have):
    with client.websocket_connect("/api/v1/stream") as ws:
        ws.send_json({"id": "a", "have": have, **REQ})
        msg = ws.receive_json()
        assert msg["id"] == "a" and msg["error"]["detail"][0]["loc"] == ["body", "have"], msg
        ws.send_json({"id": "b", "have": [], **REQ})
        chunks, done = collect(ws, "b")
        assert done["done"] and all("path" in c for c in chunks)
