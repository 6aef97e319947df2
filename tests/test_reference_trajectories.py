"""Every recorded PyTorch path, replayed through the engine and compared by the shared
checker's own `compare` (../shared/tools/check_parity.py: path and loss to 1e-6
relative, lr and each group's lr to 1e-9, LBFGS's evaluation points as path, status and
steps_done exact): trajectories/, and the families of trajectories-next/ the engine
serves."""

from __future__ import annotations

import importlib.util

import pytest

from app.engine import run_request

from .conftest import (CHECK_PARITY, TRAJECTORIES_NEXT, reference_cases, require_shared)

# trajectories-next/: the torch.optim API lab (param groups, zero_grad, events, LBFGS's
# closure points) and surfaces from data (mini-batches, batch_loss)
NEXT_FAMILIES = ("groups-", "zerograd-", "events-", "evals-", "data-")
CASES = reference_cases()
NEXT = reference_cases(TRAJECTORIES_NEXT, NEXT_FAMILIES)


def _checker():
    if not CHECK_PARITY.is_file():
        return None
    spec = importlib.util.spec_from_file_location("check_parity", CHECK_PARITY)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


CHECKER = _checker()


def test_reference_cases_present():
    require_shared()
    assert CHECKER is not None, f"{CHECK_PARITY} not found"
    assert len(CASES) >= 100
    for family in NEXT_FAMILIES:
        assert sum(c["id"].startswith(family) for c in NEXT) >= 5, family


@pytest.mark.parametrize("case", CASES + NEXT, ids=[c["id"] for c in CASES + NEXT])
def test_matches_pytorch(case):
    answer = run_request(case["request"])
    problem = CHECKER.compare(case["expected"], answer["runs"][0])
    assert problem is None, f"{case['id']}: {problem}"
