"""Fair races (POST /api/v1/tune): each run's best lr on its grid, found with the batch
engine (or single runs), respecting the run's scheduler and noise seed; the race at
those lrs is POST /api/v1/run's answer; cancelled, budgeted, cached, refused with 422s
that name the field."""

from __future__ import annotations

import numpy as np
import pytest

from app import cache
from app.api import tune as tune_api
from app.config import settings
from app.engine.batch import run_batch
from app.engine.build import RunSpec
from app.engine.errors import Cancelled, ComputationTimeout
from app.engine.optim import REGISTRY
from app.engine.runner import run_one
from app.engine.surfaces import SURFACES
from app.engine.tune import (GRID_DECADES, default_lr, first_reach, lr_grid, lr_range, plan,
                             run_tune, tune_request, with_lr)
from app.engine.tune_request import TuneRequest

ROSEN = SURFACES["rosenbrock"]
SCENE = {"surface": "rosenbrock", "steps": 200, "n": 24,
         "runs": [{"optimizer": "sgd", "params": {"momentum": 0.9}},
                  {"optimizer": "adam"}, {"optimizer": "rmsprop"}]}


def single(optimizer: str, params: dict, lr: float, steps: int, scheduler=None, noise=None,
           surface=ROSEN, **options) -> dict:
    """One run at `lr`, as POST /api/v1/run computes it."""
    spec = with_lr(RunSpec(optimizer, params, scheduler, noise, **options), lr)
    return run_one(surface, surface.start, steps, spec)


@pytest.fixture(scope="module")
def tuned(client):
    r = client.post("/api/v1/tune", json=SCENE)
    assert r.status_code == 200, r.text
    return r.json()


def test_the_chosen_lr_is_the_argmin_of_the_grid(tuned):
    for run in tuned["runs"]:
        values = run["objective"]
        assert len(values) == len(run["lr"]) == SCENE["n"]
        finite = [(v, i) for i, v in enumerate(values) if v is not None]
        assert finite, run["optimizer"]
        best = min(finite)[1]                        # the first of equal values
        assert run["chosen"] == best and run["best_lr"] == run["lr"][best]
        # diverged values have no objective, and only they
        assert [v is None for v in values] == run["diverged"]


def test_the_race_is_post_run_at_the_chosen_lrs(client, tuned):
    body = {"surface": SCENE["surface"], "steps": SCENE["steps"],
            "runs": [{**r, "params": {**r.get("params", {}), "lr": t["best_lr"]}}
                     for r, t in zip(SCENE["runs"], tuned["runs"])]}
    race = client.post("/api/v1/run", json=body)
    assert race.status_code == 200
    assert tuned["race"] == race.json()
    for t, run in zip(tuned["runs"], tuned["race"]["runs"]):
        # the single run at the chosen lr ends where the batch's run for that lr ended
        assert run["loss"][-1] == t["objective"][t["chosen"]]


def test_every_value_of_a_batch_grid_is_what_the_single_run_gives():
    req = {**SCENE, "runs": [{"optimizer": "nadam"}], "n": 8}
    t = tune_request(req)["runs"][0]
    assert t["method"] == "batch"
    for lr, loss, diverged in zip(t["lr"], t["final_loss"], t["diverged"]):
        one = single("nadam", {}, lr, SCENE["steps"])
        assert one["loss"][-1] == loss and (one["status"] == "diverged") == diverged


def test_the_noise_seed_is_respected():
    noise = {"std": 3.0, "seed": 11}
    runs = [{"optimizer": "adam", "noise": noise},
            {"optimizer": "sgd", "params": {"momentum": 0.5}, "noise": noise}]
    answer = tune_request({**SCENE, "runs": runs})
    for t, race, r in zip(answer["runs"], answer["race"]["runs"], runs):
        # the tuned single run at the chosen lr gives exactly the batch's final loss ...
        assert race["loss"][-1] == t["final_loss"][t["chosen"]]
        # ... and so does every other value: each saw the draws the single run sees
        for j in (0, len(t["lr"]) // 2, len(t["lr"]) - 1):
            one = single(r["optimizer"], r.get("params", {}), t["lr"][j], SCENE["steps"],
                         noise=noise)
            assert one["loss"][-1] == t["final_loss"][j]
    other = tune_request({**SCENE, "runs": [{**runs[0], "noise": {"std": 3.0, "seed": 12}}]})
    assert other["runs"][0]["final_loss"] != answer["runs"][0]["final_loss"]


def test_the_scheduler_is_respected():
    sched = {"name": "StepLR", "params": {"step_size": 20, "gamma": 0.5}}
    plateau = {"name": "ReduceLROnPlateau", "params": {"patience": 3, "factor": 0.5}}
    for s in (sched, plateau):
        run = {"optimizer": "adam", "scheduler": s}
        answer = tune_request({**SCENE, "runs": [run, {"optimizer": "adam"}]})
        with_s, without = answer["runs"]
        assert with_s["final_loss"] != without["final_loss"]
        race = answer["race"]["runs"][0]
        assert race["loss"][-1] == with_s["final_loss"][with_s["chosen"]]
        assert race["lr"][-1] < with_s["best_lr"]           # the schedule cut it
        j = len(with_s["lr"]) // 3
        one = single("adam", {}, with_s["lr"][j], SCENE["steps"], scheduler=s)
        assert one["loss"][-1] == with_s["final_loss"][j]


def test_lookahead_tunes_its_inner_optimizers_lr_in_a_batch():
    params = {"optimizer": {"optimizer": "adam", "params": {"betas": [0.8, 0.99]}}, "k": 4}
    answer = tune_request({**SCENE, "n": 8, "runs": [{"optimizer": "lookahead",
                                                      "params": params}]})
    t = answer["runs"][0]
    assert t["method"] == "batch" and t["default_lr"] == 1e-3
    for j in (0, 5, 7):
        assert single("lookahead", params, t["lr"][j], SCENE["steps"])["loss"][-1] == \
            t["final_loss"][j]
    inner = answer["race"]["runs"][0]
    assert inner["lr"][0] == t["best_lr"]


@pytest.mark.parametrize("run", [
    {"optimizer": "lbfgs", "params": {"line_search_fn": "strong_wolfe"}},
    {"optimizer": "sgd", "params": {"momentum": 0.9}, "groups": {"y": {"momentum": 0.0}}},
    {"optimizer": "adam", "zero_grad": "never"},
    {"optimizer": "sgd", "events": [{"at": 50, "params": {"momentum": 0.9}}]},
], ids=["lbfgs", "groups", "zero_grad", "events"])
def test_runs_the_batch_cannot_take_are_tuned_by_single_runs(run):
    options = {k: run[k] for k in ("groups", "zero_grad", "events") if k in run}
    if "groups" in options:
        options["groups"] = {"x": {}, **options["groups"]}
    answer = tune_request({**SCENE, "n": 40, "steps": 60, "runs": [run]})
    t = answer["runs"][0]
    assert t["method"] == "single" and len(t["lr"]) == 10       # a quarter of n
    lo, hi = lr_range(run["optimizer"], run.get("params", {}))
    assert t["lr"][0] == lo and t["lr"][-1] == hi
    for j in (0, 4, 9):
        one = single(run["optimizer"], run.get("params", {}), t["lr"][j], 60, **options)
        assert one["loss"][-1] == t["final_loss"][j]
    assert answer["race"]["runs"][0]["loss"][-1] == t["final_loss"][t["chosen"]]


def test_steps_to_a_minimum_as_basin_maps_measure_it():
    req = {**SCENE, "objective": "steps", "surface": "himmelblau", "steps": 150,
           "runs": [{"optimizer": "adam"}, {"optimizer": "sgd"}]}
    answer = tune_request(req)
    surface = SURFACES["himmelblau"]
    tol = 1e-3 * 10.0                   # the larger side of the domain
    assert answer["tol"] == tol
    for t, race in zip(answer["runs"], answer["race"]["runs"]):
        steps = [s for s in t["objective"] if s is not None]
        assert t["objective"][t["chosen"]] == min(steps)
        # ties go to the lower final loss
        tied = [j for j, s in enumerate(t["objective"]) if s == min(steps)]
        assert t["chosen"] == min(tied, key=lambda j: (t["final_loss"][j], j))
        path = np.array(race["path"])
        assert first_reach(path, np.array(surface.minima), tol) == min(steps)
    # the batch engine's own measure, cell by cell, is the one reported
    t = answer["runs"][0]
    starts = np.repeat(np.array([surface.start]), len(t["lr"]), axis=0)
    r = run_batch(surface, starts, 150, "adam", per_run={"lr": np.array(t["lr"])},
                  targets=np.array(surface.minima), tol=tol)
    assert r.reached_at.tolist() == t["steps_to_min"]


def test_steps_never_reached_chooses_nothing_and_races_as_it_was():
    run = {"optimizer": "sgd", "params": {"lr": 0.003}}
    answer = tune_request({**SCENE, "objective": "steps", "steps": 3, "runs": [run]})
    t = answer["runs"][0]
    assert t["chosen"] is None and t["best_lr"] is None and t["note"] == "none_reached"
    assert answer["race"]["runs"][0]["lr"][0] == 0.003


def test_a_run_whose_lr_has_no_effect_is_raced_as_it_is():
    one_cycle = {"name": "OneCycleLR", "params": {"max_lr": 0.05, "total_steps": 200}}
    runs = [{"optimizer": "adam", "params": {"lr": 0.02}, "scheduler": one_cycle},
            {"optimizer": "sgd", "groups": {"x": {"lr": 1e-3}, "y": {"lr": 1e-4}}},
            {"optimizer": "adam", "scheduler": {"name": "SequentialLR", "params": {
                "schedulers": [{"name": "ConstantLR", "params": {}}, {
                    "name": "CyclicLR", "params": {"base_lr": 0.01, "max_lr": 0.1,
                                                   "cycle_momentum": False}}],
                "milestones": [10]}}}]
    answer = tune_request({**SCENE, "runs": runs})
    notes = [t["note"] for t in answer["runs"]]
    assert notes == ["scheduler_sets_lr", "groups_set_lr", "scheduler_sets_lr"]
    for t in answer["runs"]:
        assert t["method"] == "none" and t["lr"] == [] and t["chosen"] is None
    assert len(answer["race"]["runs"]) == 3


def test_the_grids():
    for name, cls in REGISTRY.items():
        params = {"optimizer": {"optimizer": "rmsprop"}} if name == "lookahead" else {}
        lo, hi = lr_range(name, params)
        d = default_lr(name, params)
        assert lo < d < hi, name
        assert name in GRID_DECADES or name == "lookahead", f"{name}: no grid decided"
        g = lr_grid(lo, hi, 64)
        assert len(g) == 64 and (np.diff(g) > 0).all() and g[0] == lo and g[-1] == hi
        # three significant digits (a chosen lr reads well in the URL and the row)
        assert all(float(f"{v:.3g}") == v for v in g), name
    # more digits where three would make two values meet
    g = lr_grid(1.0, 1.05, 20)
    assert len(set(g.tolist())) == 20 and (np.diff(g) > 0).all()
    assert default_lr("lookahead", {}) == 1e-3           # its default inner SGD


def flag_after(n: int):
    """A cancel flag that rises at its n-th look; counts the looks after that."""
    looks = {"n": 0}

    def cancelled() -> bool:
        looks["n"] += 1
        return looks["n"] >= n
    return cancelled, looks


def looks_of(p) -> int:
    """How many times a whole tuning looks at its cancel flag."""
    cancelled, looks = flag_after(10**9)
    run_tune(p, cancelled=cancelled)
    return looks["n"]


@pytest.mark.parametrize("runs, when", [
    ([{"optimizer": "adam"}], "batch"),
    ([{"optimizer": "lbfgs"}], "single runs"),
    ([{"optimizer": "rprop"}, {"optimizer": "lbfgs"}], "race"),
])
def test_cancelled_stops_at_the_first_look(runs, when, no_memo):
    p = plan(TuneRequest.model_validate({**SCENE, "steps": 200, "runs": runs}))
    # the race is the last thing a tuning does: it looks at the flag a dozen times
    n = looks_of(p) - 3 if when == "race" else 40
    cancelled, looks = flag_after(n)
    with pytest.raises(Cancelled):
        run_tune(p, cancelled=cancelled)
    assert looks["n"] == n


def test_a_tuning_is_cut_at_its_budget():
    p = plan(TuneRequest.model_validate({**SCENE, "runs": [{"optimizer": "adam"}]}))
    with pytest.raises(ComputationTimeout):
        run_tune(p, deadline=0.0)


def test_a_client_that_leaves_stops_its_tuning(live_server):
    """The real server: tunings nobody waits for any more stop, and free their client's
    computation slots (they would hold them for the 10 s budget otherwise)."""
    import http.client
    import json
    import time
    host, port = live_server.url.removeprefix("http://").split(":")
    heavy = {"expr": "+".join(f"sin(x*y+{i})*exp(-x*x)" for i in range(60)),
             "domain": [[-2, 2], [-2, 2]]}
    for i in range(settings().max_concurrent_per_client):
        body = {"surface": heavy, "start": [0.5, 0.01 * i], "steps": 3000, "n": 128,
                "runs": [{"optimizer": "adam"}] * 16}
        conn = http.client.HTTPConnection(host, int(port), timeout=5)
        conn.request("POST", "/api/v1/tune", json.dumps(body).encode(),
                     {"content-type": "application/json"})
        time.sleep(0.3)
        conn.close()                               # gone before the answer
    deadline = time.monotonic() + 3
    while True:
        conn = http.client.HTTPConnection(host, int(port), timeout=30)
        conn.request("POST", "/api/v1/tune", json.dumps({**SCENE, "n": 8}).encode(),
                     {"content-type": "application/json"})
        status = conn.getresponse().status
        if status != 429 or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert status == 200


@pytest.fixture
def counted(monkeypatch):
    calls = {"n": 0}
    fn = tune_api.tune

    def counting(*a, **k):
        calls["n"] += 1
        return fn(*a, **k)

    monkeypatch.setattr(tune_api, "tune", counting)
    cache.cache().clear()
    return calls


def test_the_answer_is_cached(client, counted):
    body = {**SCENE, "n": 8}
    first = client.post("/api/v1/tune", json=body)
    second = client.post("/api/v1/tune", json=dict(reversed(list(body.items()))))
    assert first.status_code == second.status_code == 200
    assert first.content == second.content and first.headers["etag"] == second.headers["etag"]
    assert counted["n"] == 1
    client.post("/api/v1/tune", json={**body, "objective": "steps"})
    assert counted["n"] == 2


@pytest.mark.parametrize("change, loc, words", [
    ({"objective": "loss"}, ["body", "objective"], "'final_loss' or 'steps'"),
    ({"objective": "steps", "surface": "saddle"}, ["body", "objective"], "no known minimum"),
    ({"n": 3}, ["body", "n"], "greater than or equal to 4"),
    ({"n": 129}, ["body", "n"], "limit of 128 (OPTPLAY_MAX_TUNE_N)"),
    ({"steps": 10_000, "runs": [{"optimizer": "sgd"}] * 6}, ["body"],
     "60000 is over the limit of 50000 (OPTPLAY_MAX_TUNE_STEPS)"),
    ({"tol": 0}, ["body", "tol"], "greater than 0"),
    ({"runs": [{"optimizer": "sgd", "params": {"momentum": -1}}]},
     ["body", "runs", 0, "params", "momentum"], "Invalid momentum value"),
    ({"runs": [{"optimizer": "sgd", "params": {"nesterov": True, "momentum": 0.5,
                                                "dampening": 0.5}}]},
     ["body", "runs", 0, "params", "nesterov"], "Nesterov"),
    ({"runs": [{"optimizer": "adam", "scheduler": {"name": "OneCycleLR", "params": {
        "max_lr": 0.1, "total_steps": 10}}}]}, ["body", "runs", 0, "scheduler"], "step"),
], ids=["objective", "no-minimum", "n-low", "n-limit", "steps-limit", "tol", "params",
        "nesterov", "schedule"])
def test_bad_input_is_a_422_naming_the_field(client, change, loc, words):
    r = client.post("/api/v1/tune", json={**SCENE, **change})
    assert r.status_code == 422, r.text
    detail = r.json()["detail"][0]
    assert detail["loc"][:len(loc)] == loc and words in detail["msg"], detail


def test_the_schema_documents_it(client):
    spec = client.get("/openapi.json").json()
    op = spec["paths"]["/api/v1/tune"]["post"]
    assert "422" in op["responses"] and "200" in op["responses"]
    request = spec["components"]["schemas"]["TuneRequest"]["properties"]
    assert {"objective", "n", "runs", "steps", "surface"} <= set(request)
    answer = spec["components"]["schemas"]["TuneResponse"]["properties"]
    assert {"runs", "race", "objective"} <= set(answer)


def test_the_scenes_mini_batches_are_respected(client):
    """A surface from data with `batch`: every lr value steps on the batches its single
    run steps on (to rounding: the batch engine sums a batch's gradient over an array, a
    single run over floats), the race is POST /api/v1/run's at the chosen lrs."""
    scene = {"surface": {"data": "line"}, "batch": {"size": 8, "seed": 3}, "steps": 120,
             "n": 12, "runs": [{"optimizer": "sgd", "params": {"momentum": 0.9}},
                               {"optimizer": "adam", "noise": {"std": 0.2, "seed": 4}},
                               {"optimizer": "sgd", "zero_grad": "never"}]}
    r = client.post("/api/v1/tune", json=scene)
    assert r.status_code == 200, r.text
    answer = r.json()
    assert [t["method"] for t in answer["runs"]] == ["batch", "batch", "single"]
    for t, run in zip(answer["runs"], scene["runs"]):
        for j in (0, 4, 7):
            if t["diverged"][j]:
                continue
            body = {**{k: scene[k] for k in ("surface", "batch", "steps")},
                    "runs": [{**run, "params": {**run.get("params", {}), "lr": t["lr"][j]}}]}
            one = client.post("/api/v1/run", json=body).json()["runs"][0]
            assert one["loss"][-1] == pytest.approx(t["final_loss"][j], rel=1e-9)
            if t["method"] == "single":
                assert one["loss"][-1] == t["final_loss"][j]
    race = client.post("/api/v1/run", json={
        **{k: scene[k] for k in ("surface", "batch", "steps")},
        "runs": [{**run, "params": {**run.get("params", {}), "lr": t["best_lr"]}}
                 for run, t in zip(scene["runs"], answer["runs"])]}).json()
    assert answer["race"] == race
    full = client.post("/api/v1/tune", json={k: v for k, v in scene.items() if k != "batch"})
    assert full.json()["runs"][0]["final_loss"] != answer["runs"][0]["final_loss"]


# --- under the server's rules (issue #13) ----------------------------------------------

def test_the_race_explains_its_divergences_as_run_does(client):
    """The race is POST /api/v1/run's answer, its diverged runs explained in both
    languages (the engine's race has no words: teaching adds them, in the request's
    computation)."""
    blows_up = {"optimizer": "sgd", "scheduler": {"name": "OneCycleLR", "params": {
        "max_lr": 0.5, "total_steps": 200}}}                 # lr has no effect: raced as is
    r = client.post("/api/v1/tune", json={**SCENE, "n": 8, "runs": [blows_up]})
    assert r.status_code == 200, r.text[:300]
    raced = r.json()["race"]["runs"][0]
    assert raced["status"] == "diverged" and set(raced["diverged_reason"]) == {"en", "zh"}
    ran = client.post("/api/v1/run", json={k: v for k, v in SCENE.items() if k != "n"}
                      | {"runs": [blows_up]}).json()["runs"][0]
    assert raced["diverged_reason"] == ran["diverged_reason"]


def test_a_tuning_keeps_to_the_budget_of_its_request():
    """On the server a request's budget starts when its computation does, validation
    included (the gate runs it inside a Fence, app/engine/budget.py): a tuning takes
    what is left of it, not a budget of its own."""
    import time

    from app.engine import budget
    from app.engine.fence import Fence
    p = plan(TuneRequest.model_validate({**SCENE, "runs": [{"optimizer": "adam"}]}))
    spent = Fence(time.monotonic() - 0.001, settings().compute_budget_s)
    with budget.within(spent), pytest.raises(ComputationTimeout):
        run_tune(p)
    stopped = Fence(time.monotonic() + 60, 60, lambda: True)
    with budget.within(stopped), pytest.raises(Cancelled):
        run_tune(p)
