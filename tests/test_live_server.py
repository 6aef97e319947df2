"""The real server on a loopback port, checked by the shared parity tool."""

from __future__ import annotations

import subprocess
import sys

import pytest

from .conftest import SHARED, TRAJECTORIES, require_shared
from .test_reference_trajectories import NEXT, NEXT_FAMILIES


def test_check_parity_against_live_server(live_server):
    require_shared()
    tool = SHARED / "tools" / "check_parity.py"
    out = subprocess.run([sys.executable, str(tool), live_server.url, str(TRAJECTORIES),
                          "--jobs", "2"], capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stdout[-4000:] + out.stderr[-2000:]
    assert "cases match (0 fail, 0 errors)" in out.stdout


@pytest.mark.parametrize("family", NEXT_FAMILIES)
def test_check_parity_of_the_api_lab_against_live_server(live_server, family):
    """trajectories-next/: param groups, zero_grad, events, LBFGS's closure points (the
    cases the engine serves: NEXT in test_reference_trajectories)."""
    require_shared()
    files = [c["_file"] for c in NEXT if c["id"].startswith(family)]
    tool = SHARED / "tools" / "check_parity.py"
    out = subprocess.run([sys.executable, str(tool), live_server.url, *files, "--jobs", "2"],
                         capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stdout[-4000:] + out.stderr[-2000:]
    assert f"{len(files)}/{len(files)} cases match (0 fail, 0 errors)" in out.stdout
