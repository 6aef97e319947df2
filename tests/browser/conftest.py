"""Browser tests: Debian's Chromium (never a Playwright browser download) driving the page
served by a real uvicorn on a loopback port.

Without /usr/bin/chromium (or the playwright package) the tests skip on a developer's
machine and fail in CI, where .ci/run installs Chromium.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlparse

import pytest


CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
IN_CI = os.environ.get("CI", "").lower() == "true"
REPO = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.browser


def _unavailable(reason: str) -> None:
    if IN_CI:
        pytest.fail(reason)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def server(live_server):
    """The suite's one uvicorn (tests/conftest.py), shared with the API tests."""
    return live_server


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        _unavailable(f"{CHROMIUM} not found (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("the playwright package is not installed")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


class Watch:
    """What a page did that a user would not want: console errors, uncaught exceptions,
    and any request to a host other than the test server (the page must work offline)."""

    def __init__(self, page, server_url: str, allowed_hosts: tuple[str, ...] = ()):
        self.errors: list[str] = []
        self.foreign: list[str] = []
        self.requests: list[str] = []
        self.allowed = {urlparse(server_url).netloc, *allowed_hosts}
        page.on("console", lambda m: m.type == "error" and self.errors.append(m.text))
        page.on("pageerror", lambda e: self.errors.append(f"uncaught: {e}"))
        page.on("request", self._request)
        page.on("websocket", lambda ws: self._check(ws.url))

    def _request(self, req) -> None:
        self.requests.append(req.url)
        self._check(req.url)

    def _check(self, url: str) -> None:
        parsed = urlparse(url)
        if parsed.scheme in ("data", "blob", "about"):
            return
        if parsed.netloc not in self.allowed:
            self.foreign.append(url)

    def assert_clean(self, allow: tuple[str, ...] = ()) -> None:
        """`allow`: parts of console messages a test expects (Chromium logs every 4xx
        answer, such as the 422 that explains a malformed formula, as an error)."""
        errors = [e for e in self.errors if not any(a in e for a in allow)]
        assert not errors, f"console errors: {errors}"
        assert not self.foreign, f"requests to other hosts: {self.foreign}"


@pytest.fixture
def context(browser):
    ctx = browser.new_context(viewport={"width": 1400, "height": 900}, locale="en-US")
    yield ctx
    ctx.close()


@pytest.fixture
def page(context, server):
    pg = context.new_page()
    pg.set_default_timeout(15_000)
    pg.watch = Watch(pg, server.url)
    yield pg
    pg.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def host_page_server(tmp_path):
    """A tiny http.server on another loopback port: a course page that embeds the app."""
    servers = []

    def start(html: str) -> str:
        (tmp_path / "course.html").write_text(html, encoding="utf-8")
        handler = partial(_QuietHandler, directory=str(tmp_path))
        httpd = ThreadingHTTPServer(("127.0.0.1", free_port()), handler)
        threading.Thread(target=httpd.serve_forever, daemon=True).start()
        servers.append(httpd)
        return f"http://127.0.0.1:{httpd.server_address[1]}/course.html"

    yield start
    for s in servers:
        s.shutdown()
        s.server_close()


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


# ----------------------------------------------------------------- page helpers

def wait_ready(frame, done_at_least: int = 1, timeout: float = 20_000) -> None:
    """Until the page's scene has answered `done_at_least` computations and is idle.
    (Predicates are functions, not strings: the page's CSP forbids eval.)"""
    frame.wait_for_function(
        "(n) => window.__optplay && window.__optplay.done() >= n && window.__optplay.idle()",
        arg=done_at_least, timeout=timeout)


def wait_recomputed(frame, before: int, timeout: float = 20_000) -> None:
    """Until a computation newer than `before` answers and the scene is idle."""
    frame.wait_for_function(
        "(n) => window.__optplay.done() > n && window.__optplay.idle()", arg=before, timeout=timeout)


def request_body(message: dict) -> dict:
    """A run request the page sent on its socket, as POST /api/v1/run takes it: without
    the message's "id" and "have" (the keys of paths the page held)."""
    return {k: v for k, v in message.items() if k not in ("id", "have")}


def hook(frame, expr: str):
    """Read a value from the page's test hooks: expr is JavaScript over `h` (window.__optplay)."""
    return frame.evaluate(f"() => {{ const h = window.__optplay; return {expr}; }}")


def poll(fn, timeout: float = 5.0, interval: float = 0.05):
    """fn() until it is truthy; returns its value (or the last falsy one at the deadline)."""
    deadline = time.monotonic() + timeout
    while True:
        value = fn()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(interval)
