"""Shared fixtures: where the contracts live, and a real uvicorn on a loopback port."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("OPTPLAY_SHARED", REPO.parent / "shared"))
REFERENCE = SHARED / "reference"
TRAJECTORIES = REFERENCE / "trajectories"
TRAJECTORIES_NEXT = REFERENCE / "trajectories-next"
CHECK_PARITY = SHARED / "tools" / "check_parity.py"
IN_CI = os.environ.get("CI", "").lower() == "true"


def reference_cases(folder: Path = TRAJECTORIES, prefixes: tuple[str, ...] = ("",)) -> list[dict]:
    """The recorded PyTorch cases of a folder whose ids start with one of `prefixes`."""
    if not folder.is_dir():
        return []
    cases = []
    for path in sorted(folder.glob("*.json")):
        case = json.loads(path.read_text())
        if not case["id"].startswith(prefixes):
            continue
        case["_file"] = str(path)
        cases.append(case)
    return cases


def require_shared() -> None:
    """The contracts sit beside the checkout; in CI their absence is a failure."""
    if not TRAJECTORIES.is_dir():
        if IN_CI:
            pytest.fail(f"reference trajectories not found at {TRAJECTORIES}")
        pytest.skip(f"reference trajectories not found at {TRAJECTORIES}")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LiveServer:
    """`python -m uvicorn app.main:app` on a free loopback port: the real thing."""

    def __init__(self, env: dict | None = None, workers: int = 1, cwd: Path = REPO):
        """`cwd`: the checkout to serve (bench/live.py compares two)."""
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        cmd = [sys.executable, "-m", "uvicorn", "app.main:app", "--host", "127.0.0.1",
               "--port", str(self.port), "--log-level", "warning"]
        if workers > 1:
            cmd += ["--workers", str(workers)]
        self.proc = subprocess.Popen(cmd, cwd=cwd, env={**os.environ, **(env or {})},
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                out = self.proc.stdout.read().decode(errors="replace")
                raise RuntimeError(f"uvicorn exited early:\n{out}")
            try:
                with urllib.request.urlopen(self.url + "/healthz", timeout=1) as r:
                    if r.status == 200:
                        return
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError("uvicorn did not answer /healthz within 30 s")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()


@pytest.fixture
def no_memo(monkeypatch):
    """Every run stepped, none remembered (app/engine/memo.py): for tests of how a run
    steps, streams and looks at its cancel flag."""
    from app.engine import memo
    from app.engine.lru import LRU
    monkeypatch.setattr(memo, "_memo", LRU(0, 0))


@pytest.fixture(scope="session")
def live_server():
    server = LiveServer()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def client():
    from fastapi.testclient import TestClient

    from app.main import app
    with TestClient(app) as c:
        yield c


def run_async(coro):
    """asyncio.run in a thread of its own: Playwright's sync API keeps an event loop
    running in the main thread once the browser tests have started."""
    import asyncio
    import concurrent.futures

    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coro).result()
