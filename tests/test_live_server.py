"""The real server on a loopback port, checked by the shared parity tool."""

from __future__ import annotations

import subprocess
import sys

from .conftest import SHARED, TRAJECTORIES, require_shared


def test_check_parity_against_live_server(live_server):
    require_shared()
    tool = SHARED / "tools" / "check_parity.py"
    out = subprocess.run([sys.executable, str(tool), live_server.url, str(TRAJECTORIES),
                          "--jobs", "2"], capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stdout[-4000:] + out.stderr[-2000:]
    assert "cases match (0 fail, 0 errors)" in out.stdout
