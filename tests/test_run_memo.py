"""A finished run is computed once (app/engine/memo.py): a request that repeats a run,
beside runs that changed, gets that run's answer without stepping it again, bit for bit
the answer a fresh computation gives, whole or streamed."""

from __future__ import annotations

import numpy as np
import orjson
import pytest

from app.config import settings
from app.engine import errors, memo, runner, scene
from app.engine.lru import LRU
from app.engine.request import RunRequest

from .conftest import TRAJECTORIES_NEXT, reference_cases

SCENE = {"surface": "rosenbrock", "steps": 300, "runs": [
    {"optimizer": "adam", "params": {"lr": 0.01}},
    {"optimizer": "sgd", "params": {"lr": 0.0005, "momentum": 0.9}},
    {"optimizer": "rmsprop", "params": {"lr": 0.003}},
    {"optimizer": "adagrad", "params": {"lr": 0.1}, "noise": {"std": 0.5, "seed": 3}}]}

# every family the engine serves, one case or two of each: formulas, schedulers, LBFGS,
# param groups, zero_grad, events, state, surfaces from data with mini-batches
CASES = reference_cases()[::9] + reference_cases(
    TRAJECTORIES_NEXT, ("groups-", "zerograd-", "events-", "evals-", "data-"))[::4]


@pytest.fixture(autouse=True)
def fresh_memo(monkeypatch):
    monkeypatch.setattr(memo, "_memo", LRU(1024, 32 * 1024 * 1024))


@pytest.fixture
def stepped(monkeypatch):
    """The (index of the) runs actually stepped, in order."""
    calls: list[int] = []
    real = runner.run_one

    def counted(*args, loc, **kw):
        calls.append(loc[1])
        return real(*args, loc=loc, **kw)
    monkeypatch.setattr(scene, "run_one", counted)
    return calls


def streamed(body: dict) -> tuple[dict, dict[int, dict]]:
    """The answer and each run's pieces joined into one (start 0, lists concatenated)."""
    joined: dict[int, dict] = {}

    def on_chunk(i: int, chunk: dict) -> None:
        run = joined.setdefault(i, {"start": chunk["start"]})
        assert chunk["start"] == len(run.get("path", [])), "pieces in order, none missing"
        for k, v in chunk.items():
            if k != "start":
                run[k] = run.get(k, []) + v
    answer = scene.execute(RunRequest.model_validate(body), on_chunk=on_chunk)
    return answer, joined


def exact(x) -> bytes:
    return orjson.dumps(x, option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c["id"])
def test_a_remembered_run_is_the_computed_one_bit_for_bit(case, stepped):
    body = case["request"]
    first, first_pieces = streamed(body)
    n = len(body["runs"])
    assert stepped == list(range(n))
    again, again_pieces = streamed(body)
    assert stepped == list(range(n)), "the repeat stepped no run"
    assert exact(again) == exact(first)
    # the stream of a remembered run is one piece: what the computed run's pieces add up to
    assert exact(again_pieces) == exact(first_pieces)
    # and through the whole answer, no stream
    assert exact(scene.execute(RunRequest.model_validate(body))) == exact(first)


def test_a_slider_move_steps_only_the_run_it_changed(stepped):
    scene.execute(RunRequest.model_validate(SCENE))
    assert stepped == [0, 1, 2, 3]
    moved = orjson.loads(orjson.dumps(SCENE))
    moved["runs"][2]["params"]["lr"] = 0.004
    answer, pieces = streamed(moved)
    assert stepped == [0, 1, 2, 3, 2]
    memo.memo().clear()
    fresh, fresh_pieces = streamed(moved)
    assert exact(answer) == exact(fresh) and exact(pieces) == exact(fresh_pieces)


@pytest.mark.parametrize("change", [
    {"steps": 301}, {"start": [-1.0, 1.5]}, {"state": True}, {"surface": "himmelblau"},
    {"surface": {"expr": "(1 - x)**2 + 100*(y - x**2)**2", "domain": [[-2, 2], [-1, 3]]}},
])
def test_what_the_request_says_of_every_run_is_part_of_the_key(change, stepped):
    scene.execute(RunRequest.model_validate(SCENE))
    scene.execute(RunRequest.model_validate({**SCENE, **change}))
    assert stepped == [0, 1, 2, 3] * 2


def test_a_run_is_the_same_whatever_runs_stand_beside_it(stepped):
    """Its place and its neighbours are not part of it: noise is seeded per run."""
    alone = {**SCENE, "runs": [SCENE["runs"][3]]}
    swapped = {**SCENE, "runs": SCENE["runs"][::-1]}
    computed = scene.execute(RunRequest.model_validate(swapped))
    recalled = scene.execute(RunRequest.model_validate(alone))
    assert stepped == [0, 1, 2, 3]
    assert exact(recalled["runs"][0]) == exact(computed["runs"][0])
    memo.memo().clear()
    assert exact(scene.execute(RunRequest.model_validate(alone))["runs"][0]) \
        == exact(computed["runs"][0])


def test_a_run_stopped_by_its_budget_or_cancelled_is_not_kept(stepped):
    req = RunRequest.model_validate({**SCENE, "steps": 5000})
    with pytest.raises(errors.Cancelled):
        scene.execute(req, cancelled=lambda: True)
    with pytest.raises(errors.ComputationTimeout):
        scene.execute(req, deadline=0.0)
    assert len(memo.memo()) == 0
    scene.execute(req)
    assert len(memo.memo()) == 4


def test_a_recall_is_a_copy_its_callers_may_annotate():
    req = RunRequest.model_validate(SCENE)
    scene.execute(req)["runs"][0]["path"].append([9.0, 9.0])
    assert scene.execute(req)["runs"][0]["path"][-1] != [9.0, 9.0]


def test_the_memo_keeps_to_its_bounds(monkeypatch, stepped):
    monkeypatch.setattr(memo, "_memo", None)
    monkeypatch.setattr(settings(), "run_memo_entries", 0)
    req = RunRequest.model_validate(SCENE)
    scene.execute(req)
    scene.execute(req)
    assert stepped == [0, 1, 2, 3] * 2 and len(memo.memo()) == 0
    # bytes: a 300-step run's JSON is ~20 KB; 90 KB keeps the last four of them
    monkeypatch.setattr(memo, "_memo", LRU(1024, 90_000))
    scene.execute(req)
    scene.execute(RunRequest.model_validate({**SCENE, "steps": 301}))
    assert 60_000 < memo.memo().nbytes <= 90_000 and len(memo.memo()) == 4
    stepped.clear()
    scene.execute(req)
    assert stepped == [0, 1, 2, 3], "the oldest runs went first"


def test_over_the_socket_a_move_streams_the_unchanged_runs_in_one_piece_each(client, stepped):
    def answer(ws, rid, body):
        ws.send_json({"id": rid, **body})
        pieces: dict[int, list] = {}
        while "done" not in (msg := ws.receive_json()):
            assert msg["id"] == rid and "error" not in msg, msg
            pieces.setdefault(msg["run"], []).append(msg)
        return pieces, msg

    moved = orjson.loads(orjson.dumps(SCENE))
    moved["runs"][1]["params"]["lr"] = 0.0006
    with client.websocket_connect("/api/v1/stream") as ws:
        before, _ = answer(ws, 1, SCENE)
        after, done = answer(ws, 2, moved)
    assert stepped == [0, 1, 2, 3, 1]
    for i in (0, 2, 3):
        assert len(after[i]) == 1 and after[i][0]["start"] == 0
        assert after[i][0]["path"] == [p for m in before[i] for p in m["path"]]
    assert [p for m in after[1] for p in m["path"]] != [p for m in before[1] for p in m["path"]]
    memo.memo().clear()
    fresh = client.post("/api/v1/run", json=moved).json()
    for i, run in enumerate(fresh["runs"]):
        assert [p for m in after[i] for p in m["path"]] == run["path"]
        assert done["runs"][i]["status"] == run["status"]


def test_a_run_that_is_not_plain_json_is_stepped_every_time(monkeypatch, stepped):
    """A NumPy value in an answer would come back as a float: such a run is not kept."""
    counted = scene.run_one

    def with_numpy(*args, **kw):
        run = counted(*args, **kw)
        run["steps_done"] = np.int64(run["steps_done"])
        return run
    monkeypatch.setattr(scene, "run_one", with_numpy)
    req = RunRequest.model_validate({**SCENE, "runs": SCENE["runs"][:1]})
    scene.execute(req)
    scene.execute(req)
    assert stepped == [0, 0] and len(memo.memo()) == 0


def test_a_path_is_named_whatever_its_label_colour_or_state():
    """The stream's "key" (app/api/stream.py) names a path: a run's label and colour are
    only echoed, and its state is beside the path; the memo keeps all of them apart."""
    base = RunRequest.model_validate(SCENE)
    dressed = RunRequest.model_validate({**SCENE, "state": True, "runs": [
        {**SCENE["runs"][0], "label": "mine", "color": "#123456"}]})
    assert memo.path_keys(base)[0] == memo.path_keys(dressed)[0]
    assert memo.keys_of(base)[0] != memo.keys_of(dressed)[0]
    assert len(set(memo.path_keys(base))) == len(set(memo.keys_of(base))) == 4


def test_keys_are_made_quietly_from_defaults_left_unvalidated(recwarn):
    """An event without "params" holds the default {} where a params model is declared:
    its key is made without pydantic's serializer warning (a line in the server's log
    per request)."""
    req = RunRequest.model_validate({**SCENE, "runs": [
        {"optimizer": "sgd", "params": {"lr": 0.01}, "events": [{"at": 5, "state": "reset"}]}]})
    memo.keys_of(req)
    memo.path_keys(req)
    assert not [w for w in recwarn if "serializ" in str(w.message)]
