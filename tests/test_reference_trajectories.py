"""Every recorded PyTorch path, replayed through the engine, with check_parity.py's
tolerances: path and loss to 1e-6 relative, lr to 1e-9, status and steps_done exact."""

from __future__ import annotations

import math

import pytest

from app.engine import run_request

from .conftest import reference_cases, require_shared

CASES = reference_cases()
PATH_TOL, LOSS_TOL, LR_TOL, LR_FLOOR = 1e-6, 1e-6, 1e-9, 1e-6


def first_difference(expected: dict, got: dict) -> str | None:
    if got["status"] != expected["status"]:
        return f"status {got['status']!r} != {expected['status']!r}"
    if got["steps_done"] != expected["steps_done"]:
        return f"steps_done {got['steps_done']} != {expected['steps_done']}"
    for key in ("path", "loss", "lr"):
        if len(got[key]) != len(expected[key]):
            return f"len({key}) {len(got[key])} != {len(expected[key])}"
    for k, (p, r) in enumerate(zip(got["path"], expected["path"])):
        err = math.hypot(p[0] - r[0], p[1] - r[1]) / (1 + math.hypot(*r))
        if not err <= PATH_TOL:
            return f"path[{k}] {p} != {r} (err {err:.3g})"
    for k, (v, r) in enumerate(zip(got["loss"], expected["loss"])):
        err = abs(v - r) / (1 + abs(r))
        if not err <= LOSS_TOL:
            return f"loss[{k}] {v} != {r} (err {err:.3g})"
    for k, (v, r) in enumerate(zip(got["lr"], expected["lr"])):
        err = abs(v - r) / (abs(r) + LR_FLOOR)
        if not err <= LR_TOL:
            return f"lr[{k}] {v} != {r} (err {err:.3g})"
    return None


def test_reference_cases_present():
    require_shared()
    assert len(CASES) >= 100


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_matches_pytorch(case):
    answer = run_request(case["request"])
    problem = first_difference(case["expected"], answer["runs"][0])
    assert problem is None, f"{case['id']}: {problem}"
