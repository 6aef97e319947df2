"""Where validation lives: one check of every optimizer's and scheduler's keywords
(engine/hyper.py), the schema typed from the same Hyper specs (schedulers included, so
/docs shows their keywords), and the shape of a request (events, a map) in its model."""

from __future__ import annotations

import math

import pytest
from pydantic import ValidationError

from app.api.errors import validation_detail
from app.engine.errors import RequestError
from app.engine.hyper import Hyper, HyperparameterError
from app.engine.map_request import MapRequest
from app.engine.optim import REGISTRY as OPTIMIZERS
from app.engine.request import RunRequest
from app.engine.sched import REGISTRY as SCHEDULERS
from app.engine.sched import build_scheduler
from app.engine.scene import validate_all
from app.main import app


class _Optimizer:
    def __init__(self):
        self.group = {"lr": 0.1, "momentum": 0.9}
        self.defaults = set(self.group)


def _refusal(make) -> HyperparameterError:
    with pytest.raises(HyperparameterError) as e:
        make()
    return e.value


# -- the schema ------------------------------------------------------------------------------
def test_openapi_shows_every_schedulers_keywords_and_types():
    schemas = app.openapi()["components"]["schemas"]
    kinds = {"float": "number", "int": "integer", "bool": "boolean", "int_list": "array",
             "schedulers": "array"}
    for name, cls in SCHEDULERS.items():
        params = schemas[f"{name}Params"]
        assert list(params["properties"]) == [h.name for h in cls.all_hypers()], name
        assert params.get("required", []) == list(cls.required), name
        for h in cls.all_hypers():
            prop = params["properties"][h.name]
            types = {t.get("type") for t in prop.get("anyOf", [prop])} - {"null"}
            if h.kind == "choice":
                assert set(prop.get("enum", ())) >= {c for c in h.choices if c is not None}
            elif h.per_group:                    # a number, or one per param group
                assert types == {"number", "array"}, (name, h.name)
            else:
                assert types == {kinds[h.kind]}, (name, h.name)
        assert schemas[f"{name}Spec"]["properties"]["name"]["const"] == name
    for composite in ("SequentialLR", "ChainedScheduler"):       # children: specs again
        items = schemas[f"{composite}Params"]["properties"]["schedulers"]["items"]
        assert items == {"$ref": "#/components/schemas/SchedulerSpec"}
    alternatives = schemas["SchedulerSpec"]["oneOf"]
    assert {c["$ref"].rsplit("/", 1)[1] for c in alternatives} == {f"{n}Spec" for n in SCHEDULERS}
    assert schemas["StepLRParams"]["properties"]["step_size"]["minimum"] == 1


def _run_422(scheduler: dict) -> list[dict]:
    body = {"surface": "bowl", "steps": 10,
            "runs": [{"optimizer": "sgd", "params": {"momentum": 0.5}, "scheduler": scheduler}]}
    with pytest.raises(ValidationError) as e:
        RunRequest.model_validate(body)
    return validation_detail(e.value)


def test_scheduler_types_are_refused_at_their_field_nested_ones_too():
    detail = _run_422({"name": "StepLR", "params": {"step_size": 3, "gamma": "fast"}})
    assert detail[0]["loc"] == ["body", "runs", 0, "scheduler", "params", "gamma"]
    detail = _run_422({"name": "SequentialLR", "params": {"milestones": [5], "schedulers": [
        {"name": "StepLR", "params": {"step_size": 2.5}}, {"name": "ConstantLR"}]}})
    assert detail[0]["loc"] == ["body", "runs", 0, "scheduler", "params", "schedulers", 0,
                                "params", "step_size"]
    detail = _run_422({"name": "ChainedScheduler", "params": {"schedulers": [{"name": "Nope"}]}})
    assert detail[0]["loc"] == ["body", "runs", 0, "scheduler", "params", "schedulers", 0, "name"]
    detail = _run_422({"name": "StepLR", "params": {}})
    assert detail[0]["loc"] == ["body", "runs", 0, "scheduler", "params", "step_size"]


def test_per_group_values_are_a_number_or_one_per_group():
    ok = {"surface": "bowl", "steps": 10, "runs": [{"optimizer": "sgd", "params": {"momentum": 0.5},
          "scheduler": {"name": "OneCycleLR", "params": {"max_lr": [0.1, 0.2], "total_steps": 10}}}]}
    RunRequest.model_validate(ok)
    detail = _run_422({"name": "OneCycleLR", "params": {"max_lr": [0.1, 0.2, 0.3],
                                                        "total_steps": 10}})
    assert detail[0]["loc"][-1] == "max_lr" and "per param group" in detail[0]["msg"]


# -- the one check, in the engine --------------------------------------------------------------
def test_integral_floats_are_integers_for_schedulers_too():
    # torch takes StepLR(step_size=5.0); JSON has one number type
    sched = build_scheduler({"name": "StepLR", "params": {"step_size": 5.0}}, _Optimizer())
    assert sched.step_size == 5 and isinstance(sched.step_size, int)
    assert OPTIMIZERS["lbfgs"](max_iter=8.0).group["max_iter"] == 8
    e = _refusal(lambda: build_scheduler({"name": "OneCycleLR", "params": {
        "max_lr": 0.1, "total_steps": 10.0}}, _Optimizer()))        # torch checks isinstance
    assert e.message == "Expected positive integer total_steps, but got 10.0"


@pytest.mark.parametrize("opt_id,params,name", [
    ("adam", {"lr": math.inf}, "lr"),
    ("sgd", {"momentum": math.inf}, "momentum"),          # torch: -inf < 0, inf passes
    ("adafactor", {"eps": (None, math.inf)}, "eps"),
    ("lion", {"lr": math.nan}, "lr"),            # pytorch-optimizer's `lr < 0.0` lets NaN by
])
def test_non_finite_numbers_are_refused_by_name(opt_id, params, name):
    e = _refusal(lambda: OPTIMIZERS[opt_id](**params))
    assert e.name == name and "must be finite" in e.message


def test_a_nan_pct_start_is_refused():
    e = _refusal(lambda: build_scheduler({"name": "OneCycleLR", "params": {
        "max_lr": 0.1, "total_steps": 10, "pct_start": math.nan}}, _Optimizer()))
    assert e.name == "pct_start" and "must be finite" in e.message


@pytest.mark.parametrize("opt_id,name", [("adam", "betas"), ("rprop", "etas"),
                                         ("adafactor", "eps")])
def test_a_pair_holding_a_string_names_the_field(opt_id, name):
    e = _refusal(lambda: OPTIMIZERS[opt_id](**{name: [0.5, "x"]}))
    assert e.name == name and e.message == f"Invalid {name}[1]: expected a number, got 'x'"


def test_no_class_keeps_a_validator_of_its_own():
    for cls in [*OPTIMIZERS.values(), *SCHEDULERS.values()]:
        assert "validate" not in vars(cls), cls.__name__
        for entry in cls.checks:
            assert callable(entry) or entry in {h.name for h in
                                                getattr(cls, "all_hypers", lambda: cls.hypers)()}


def test_a_hyper_of_unknown_kind_is_refused_where_it_is_written():
    with pytest.raises(ValueError, match="unknown kind"):
        Hyper("lr", "float_list", (), "a list of floats")


# -- the map's shape, in MapRequest ------------------------------------------------------------
BASIN = {"kind": "basin", "surface": "himmelblau", "steps": 20, "x": {"n": 8}, "y": {"n": 8},
         "run": {"optimizer": "sgd", "params": {"lr": 0.01}}}
SWEEP = {"kind": "sweep", "surface": "rosenbrock", "steps": 20,
         "run": {"optimizer": "adam", "params": {"lr": 0.01}},
         "x": {"param": "lr", "range": [1e-4, 1e-1], "n": 4, "scale": "log"},
         "y": {"param": "betas", "index": 1, "range": [0.9, 0.999], "n": 4}}


@pytest.mark.parametrize("body,loc,words", [
    ({**BASIN, "x": {"n": 8, "param": "lr"}}, ["x", "param"], "basin"),
    ({**BASIN, "start": [0, 0]}, ["start"], "basin"),
    ({**BASIN, "x": {"n": 8, "scale": "log"}}, ["x", "scale"], "above 0"),
    ({**BASIN, "run": {"optimizer": "sgd", "noise": {"std": 1}}}, ["run", "noise"], "noise"),
    ({**SWEEP, "y": {"param": "betas", "range": [0.9, 0.99]}}, ["y", "index"], "pair"),
    ({**SWEEP, "x": {"param": "amsgrad", "range": [0, 1]}}, ["x", "param"], "only numbers"),
    ({**SWEEP, "x": {"param": "nope", "range": [0, 1]}}, ["x", "param"], "no keyword"),
    ({**SWEEP, "x": {"n": 4}}, ["x"], "needs a param"),
    ({**SWEEP, "y": {"param": "lr", "range": [1e-3, 1]}}, ["y", "param"], "same"),
])
def test_the_maps_shape_is_checked_by_map_request(body, loc, words):
    with pytest.raises(ValidationError) as e:
        MapRequest.model_validate(body)
    item = validation_detail(e.value)[0]
    assert item["loc"] == ["body", *loc] and words in item["msg"], item


@pytest.mark.parametrize("option,value", [("groups", {"x": {"lr": 0.1}}),
                                          ("events", [{"at": 5, "params": {"lr": 0.1}}]),
                                          ("zero_grad", "never")])
def test_a_map_refuses_the_torch_optim_api_options_it_would_not_run(option, value):
    # every cell is one optimizer of one param group: a map never ran these
    body = {**BASIN, "run": {"optimizer": "sgd", option: value}}
    with pytest.raises(ValidationError) as e:
        MapRequest.model_validate(body)
    item = validation_detail(e.value)[0]
    assert item["loc"] == ["body", "run", option] and f"leave {option} out" in item["msg"]


# -- the events' shape, in RunRequest ----------------------------------------------------------
@pytest.mark.parametrize("run,loc,words", [
    ({"optimizer": "sgd", "events": [{"at": 5, "params": {}}, {"at": 5, "params": {}}]},
     ["events", 1, "at"], "at must lie in 6..9"),
    ({"optimizer": "sgd", "events": [{"at": 10, "params": {}}]},
     ["events", 0, "at"], "at must lie in 1..9"),
    ({"optimizer": "sgd", "scheduler": {"name": "StepLR", "params": {"step_size": 5}},
      "events": [{"at": 5, "params": {}}]}, ["events"], "cannot have a scheduler"),
])
def test_the_events_shape_is_checked_by_run_request(run, loc, words):
    with pytest.raises(ValidationError) as e:
        RunRequest.model_validate({"surface": "bowl", "steps": 10, "runs": [run]})
    item = validation_detail(e.value)[0]
    assert item["loc"] == ["body", "runs", 0, *loc] and words in item["msg"], item


# -- keywords per param group, with two groups -------------------------------------------------
@pytest.mark.parametrize("name,params", [
    ("OneCycleLR", {"max_lr": [0.01], "total_steps": 10}),
    ("CyclicLR", {"base_lr": [0.1], "max_lr": 1.0}),
    ("ReduceLROnPlateau", {"min_lr": [0.1]}),
])
def test_a_list_per_param_group_of_another_length_is_refused_in_torchs_words(name, params):
    torch = pytest.importorskip("torch")
    x, y = torch.zeros(1, requires_grad=True), torch.zeros(1, requires_grad=True)
    opt = torch.optim.SGD([{"params": [x]}, {"params": [y]}], lr=0.1, momentum=0.9)
    with pytest.raises(ValueError) as theirs:
        getattr(torch.optim.lr_scheduler, name)(opt, **params)
    run = {"optimizer": "sgd", "params": {"lr": 0.1, "momentum": 0.9},
           "groups": {"x": {"lr": 0.2}}, "scheduler": {"name": name, "params": params}}
    req = RunRequest.model_validate({"surface": "bowl", "steps": 10, "runs": [run]})
    with pytest.raises(RequestError) as ours:
        validate_all(req)
    key = next(k for k, v in params.items() if isinstance(v, list))
    assert ours.value.loc == ("runs", 0, "scheduler", "params", key)
    assert ours.value.msg == str(theirs.value)


def test_an_lr_that_a_schedule_makes_nan_is_null_in_the_answer_as_documented():
    # PyTorch gives NaN here too (0 * inf); the typed schema lets schemathesis find it
    from fastapi.testclient import TestClient
    from app.api.schemas import RunAnswer
    body = {"surface": "rosenbrock", "steps": 4, "runs": [{
        "optimizer": "lbfgs", "params": {"lr": 0.0, "max_iter": 0},
        "scheduler": {"name": "LinearLR", "params": {"start_factor": 5e-324}}}]}
    run = TestClient(app).post("/api/v1/run", json=body).json()["runs"][0]
    assert run["status"] == "ok" and run["lr"][0] == 0.0 and run["lr"][1] is None
    RunAnswer.model_validate(run)
