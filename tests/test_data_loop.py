"""Surfaces from data in the step loop: each step's gradient from its mini-batch, the
full-data loss along the path computed in bulk, `batch_loss`, the stream's chunks, the
float loop giving the array loop's bits, and a run whose full-data loss overflows."""

from __future__ import annotations

import numpy as np
import orjson
import pytest

from app.engine import loop
from app.engine.build import RunSpec
from app.engine.request import RunRequest, batch_order, resolve_surface
from app.engine.runner import run_one
from app.engine.scene import execute, run_request


@pytest.fixture(autouse=True)
def chunks_at_every_look(monkeypatch):
    """Chunk for chunk: a chunk every CHECK_EVERY steps, not when the clock says one is due."""
    monkeypatch.setattr(loop, "STREAM_EVERY_S", 0.0)


LINE = {"surface": {"data": "line"}, "steps": 120, "batch": {"size": 8, "seed": 3}}


def both_ways(body: dict, spec: RunSpec, record_state: bool = True):
    req = RunRequest.model_validate(body | {"runs": [{"optimizer": spec.optimizer}]})
    surface = resolve_surface(req.surface)
    out = []
    for fast in (True, False):
        chunks: list = []
        order = batch_order(req, surface)
        run = run_one(surface, tuple(surface.start), req.steps, spec,
                      record_state=record_state, on_chunk=chunks.append, fast=fast,
                      batches=surface.formula.batched(order) if order else None)
        out.append((run, chunks))
    return out


@pytest.mark.parametrize("spec", [
    RunSpec("sgd", {"lr": 0.05, "momentum": 0.9}),
    RunSpec("adam", {"lr": 0.3}, {"name": "ReduceLROnPlateau", "params": {"patience": 2}}),
    RunSpec("rmsprop", {"lr": 0.05}, groups={"x": {"lr": 0.1}}, zero_grad="never"),
    RunSpec("lion", {"lr": 0.05}, events=[{"at": 30, "params": {"lr": 0.01}, "state": "reset"}]),
    RunSpec("adagrad", {"lr": 0.5}, noise={"std": 0.3, "seed": 1}),
], ids=["sgd", "plateau", "groups-never", "events", "noise"])
def test_floats_give_the_arrays_bits_on_mini_batches(spec):
    (fast, chunks_fast), (arrays, chunks_arrays) = both_ways(LINE, spec)
    assert orjson.dumps(fast) == orjson.dumps(arrays)
    assert orjson.dumps(chunks_fast) == orjson.dumps(chunks_arrays)


def test_batch_loss_is_each_batch_s_and_loss_the_full_data_s():
    run = run_request(LINE | {"runs": [{"optimizer": "sgd", "params": {"lr": 0.05}}]})["runs"][0]
    req = RunRequest.model_validate(LINE | {"runs": [{"optimizer": "sgd"}]})
    surface = resolve_surface(req.surface)
    order, f = batch_order(req, surface), surface.formula
    assert len(run["batch_loss"]) == run["steps_done"] == len(run["path"]) - 1
    for k in (0, 1, 4, 5, 6, 119):            # 40 points, batches of 8: epochs of 5 steps
        idx = order.indices(k)
        want = f.value_and_grad_of_floats_on(*run["path"][k], idx)[0]
        assert run["batch_loss"][k] == pytest.approx(want, rel=1e-14)
        assert run["loss"][k] == pytest.approx(f.value_and_grad_at(*run["path"][k])[0],
                                               rel=1e-12)
    # without batches every step sees all the data: the batch loss is the loss
    full = run_request({"surface": {"data": "line"}, "steps": 20,
                        "runs": [{"optimizer": "sgd", "params": {"lr": 0.05}}]})["runs"][0]
    assert full["batch_loss"] == full["loss"][:-1]


def test_the_stream_carries_full_data_losses_and_batch_losses():
    body = LINE | {"steps": 300, "runs": [{"optimizer": "adam", "params": {"lr": 0.2}}]}
    chunks: list = []
    answer = execute(RunRequest.model_validate(body), on_chunk=lambda i, c: chunks.append(c))
    run = answer["runs"][0]
    assert sum((c["loss"] for c in chunks), []) == run["loss"]
    assert sum((c["batch_loss"] for c in chunks), []) == run["batch_loss"]
    assert sum((c["path"] for c in chunks), []) == run["path"]


def test_a_run_whose_full_data_loss_overflows_diverges_there():
    """One point far out (x = 1e160): the first step, on another point's batch, moves w off
    0, where that point's squared error overflows to inf; the next batch's loss is finite,
    so only the full-data loss, computed in bulk, ends the run: at the start, every list
    cut to match, as on a formula."""
    body = {"surface": {"data": {"x": [1.0, 2.0, 1e160], "y": [10.0, 0.0, 0.0]},
                        "domain": [[-5, 5], [-5, 5]]},
            "start": [0.0, 0.0], "steps": 20, "batch": {"size": 1, "shuffle": False},
            "state": True, "runs": [{"optimizer": "sgd", "params": {"lr": 0.01}}]}
    run = run_request(body)["runs"][0]
    assert run["status"] == "diverged" and run["steps_done"] == 0
    assert run["path"] == [[0.0, 0.0]] and run["loss"] == [pytest.approx(100 / 3)]
    assert run["lr"] == run["batch_loss"] == run["grad"] == []
