"""The limits of app/config.py, each refused with a 4xx that names it, the README's table
in step with them, the compute budget (a long LBFGS step and a grid included), and the
headers and origins: CSP, nosniff, Referrer-Policy, framing on /embed only, CORS."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app.api.compute import SLOTS
from app.config import Settings, settings

REPO = Path(__file__).resolve().parent.parent
HEAVY = "+".join(f"sin(x*y+{i})*exp(-x*x)" for i in range(90))    # ~125 µs an evaluation
SMALL = {"surface": "bowl", "steps": 5, "runs": [{"optimizer": "sgd"}]}


def readme_table() -> dict[str, list[str]]:
    """The operations table of the README: variable -> [default, what, over it]."""
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Operations", 1)[1].split("\n## ", 1)[0]
    rows = {}
    for line in section.splitlines():
        m = re.match(r"\| `OPTPLAY_([A-Z_]+)` \|(.*)\|\s*$", line)
        if m:
            rows[m.group(1)] = [c.strip() for c in re.split(r"(?<!\\)\|", m.group(2))]
    return rows


def test_every_setting_is_in_the_readme_table_with_its_default():
    rows = readme_table()
    fields = {name.upper(): f for name, f in Settings.model_fields.items()}
    assert set(fields) == set(rows), (f"missing from the README's table: "
                                      f"{sorted(set(fields) - set(rows))}; not settings: "
                                      f"{sorted(set(rows) - set(fields))}")
    for name, (default, what, over) in rows.items():
        value = fields[name].default
        assert what and over, name
        if isinstance(value, str):
            assert default == (f"`{value}`" if value else "(none)"), (name, default)
        else:
            assert float(default) == value, (name, default, value)


def test_limits_come_from_the_environment():
    code = ("from app.config import settings; s = settings(); "
            "print(s.max_steps, s.max_runs, s.max_concurrent_per_client, s.compute_budget_s)")
    env = {"OPTPLAY_MAX_STEPS": "7", "OPTPLAY_MAX_RUNS": "2",
           "OPTPLAY_MAX_CONCURRENT_PER_CLIENT": "9", "OPTPLAY_COMPUTE_BUDGET_S": "0.5"}
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True,
                         text=True, env={**os.environ, **env}, timeout=60)
    assert out.stdout.split() == ["7", "2", "9", "0.5"], out.stderr[-2000:]


MAP = {"kind": "basin", "surface": "bowl", "steps": 10, "run": {"optimizer": "sgd"},
       "x": {"n": 8}, "y": {"n": 8}}
OVER = [  # (path, body, status, words of the message besides the env variable)
    ("/api/v1/run", {**SMALL, "steps": 10_001}, 422, "limit of 10000", "MAX_STEPS"),
    ("/api/v1/run", {**SMALL, "state": True, "steps": 5_001}, 422, "limit of 5000",
     "MAX_STATE_STEPS"),
    ("/api/v1/run", {**SMALL, "runs": [{"optimizer": "sgd"}] * 17}, 422, "limit of 16",
     "MAX_RUNS"),
    ("/api/v1/run", {**SMALL, "start": [2e6, 0]}, 422, "±1e+06", "MAX_COORDINATE"),
    ("/api/v1/run", {**SMALL, "surface": {"expr": "x+" * 1000 + "y",
                                          "domain": [[-1, 1], [-1, 1]]}}, 422, "limit 2000",
     "MAX_FORMULA_LENGTH"),
    ("/api/v1/run", {**SMALL, "surface": {"expr": "(" * 101 + "x" + ")" * 101,
                                          "domain": [[-1, 1], [-1, 1]]}}, 422,
     "limit 100 levels", "MAX_FORMULA_DEPTH"),
    ("/api/v1/grid", {"surface": "bowl", "n": 401}, 422, "limit of 400", "MAX_GRID"),
    ("/api/v1/map", {**MAP, "x": {"n": 513}}, 422, "limit of 512", "MAX_MAP_SIDE"),
    ("/api/v1/map", {**MAP, "steps": 10_001}, 422, "limit of 10000", "MAX_MAP_STEPS"),
    ("/api/v1/map", {**MAP, "steps": 1000, "x": {"n": 512}, "y": {"n": 512}}, 422,
     "limit of 150000000", "MAX_MAP_RUN_STEPS"),
    ("/api/v1/tune", {**SMALL, "n": 129}, 422, "limit of 128", "MAX_TUNE_N"),
    ("/api/v1/tune", {**SMALL, "steps": 5001, "runs": [{"optimizer": "sgd"}] * 10}, 422,
     "limit of 50000", "MAX_TUNE_STEPS"),
    ("/api/v1/run", "x" * 300_000, 413, "limit of 262144 bytes", "MAX_BODY_BYTES"),
]


@pytest.mark.parametrize("path, body, status, words, env", OVER,
                         ids=[row[-1].lower() for row in OVER])
def test_every_limit_is_refused_naming_it_and_its_variable(client, path, body, status,
                                                           words, env):
    if isinstance(body, str):
        r = client.post(path, content=body.encode(), headers={"content-type": "application/json"})
    else:
        r = client.post(path, json=body)
    assert r.status_code == status, r.text[:300]
    msg = r.json()["detail"][0]["msg"]
    assert words in msg and f"OPTPLAY_{env}" in msg and "{" not in msg, msg
    assert env.lower() in Settings.model_fields


def test_map_cells_limit_is_named(client, monkeypatch):
    # 512 x 512 is the most a map may have by default: the cell limit needs a smaller one.
    monkeypatch.setattr(settings(), "max_map_cells", 1000)
    r = client.post("/api/v1/map", json={**MAP, "x": {"n": 40}, "y": {"n": 40}})
    assert r.status_code == 422
    msg = r.json()["detail"][0]["msg"]
    assert "1600 is over the limit of 1000 (OPTPLAY_MAX_MAP_CELLS)" in msg, msg


def test_q_over_the_body_limit_is_named(client, monkeypatch):
    monkeypatch.setattr(settings(), "max_body_bytes", 1000)
    r = client.get("/api/v1/run", params={"q": "e" * 2000})
    assert r.status_code == 422 and "OPTPLAY_MAX_BODY_BYTES" in r.text, r.text


@pytest.fixture
def crowded():
    """The test client's address already has all its computations in flight."""
    key, limit = "testclient", settings().max_concurrent_per_client
    for _ in range(limit):
        assert SLOTS.acquire(key, limit)
    yield limit
    for _ in range(limit):
        SLOTS.release(key)


def test_one_computation_too_many_is_a_429_naming_the_limit(client, crowded):
    for path, body in (("/api/v1/run", {**SMALL, "start": [0.123, 0.456]}),
                       ("/api/v1/grid", {"surface": "himmelblau", "n": 33})):
        t0 = time.perf_counter()
        r = client.post(path, json=body)
        assert time.perf_counter() - t0 < 0.05
        assert r.status_code == 429, r.text
        assert r.headers["retry-after"] == "1"
        item = r.json()["detail"][0]
        assert item["type"] == "limit" and item["limit"] == crowded
        assert "OPTPLAY_MAX_CONCURRENT_PER_CLIENT" in item["msg"]
    with client.websocket_connect("/api/v1/stream") as ws:
        ws.send_json({"id": 5, **SMALL})
        msg = ws.receive_json()
        assert msg["id"] == 5 and msg["error"]["detail"][0]["type"] == "limit"
        assert "OPTPLAY_MAX_CONCURRENT_PER_CLIENT" in msg["error"]["detail"][0]["msg"]


def test_slots_are_given_back(client):
    assert SLOTS.in_flight("testclient") == 0
    for _ in range(10):
        assert client.post("/api/v1/run", json={**SMALL, "steps": 7}).status_code == 200
        assert client.post("/api/v1/run", json={**SMALL, "steps": -1}).status_code == 422
    with client.websocket_connect("/api/v1/stream") as ws:
        for k in range(5):
            ws.send_json({"id": k, **SMALL, "steps": 2000})
        ws.send_json({"id": "last", **SMALL})
        while not ((m := ws.receive_json()).get("done") and m["id"] == "last"):
            pass
    deadline = time.monotonic() + 2
    while SLOTS.in_flight("testclient") and time.monotonic() < deadline:
        time.sleep(0.01)
    assert SLOTS.in_flight("testclient") == 0


@pytest.fixture
def budget(monkeypatch):
    def set_budget(seconds: float) -> float:
        monkeypatch.setattr(settings(), "compute_budget_s", seconds)
        return seconds
    return set_budget


def test_budget_cuts_a_single_long_lbfgs_step(client, budget):
    # One step: up to 1,000 iterations and 1,250 evaluations of a formula taking ~125 µs
    # (~150 ms); the budget is looked at inside the step.
    limit = budget(0.02)
    body = {"surface": {"expr": HEAVY, "domain": [[-2, 2], [-2, 2]]}, "start": [0.5, 0.3],
            "steps": 1, "runs": [{"optimizer": "lbfgs", "params": {
                "max_iter": 1000, "tolerance_grad": 0.0, "tolerance_change": 0.0,
                "lr": 1e-4}}]}
    t0 = time.perf_counter()
    r = client.post("/api/v1/run", json=body)
    assert time.perf_counter() - t0 < 0.1
    assert r.status_code == 422, r.text[:300]
    item = r.json()["detail"][0]
    assert item["type"] == "limit" and item["limit_s"] == limit and "budget" in item["msg"]
    assert "budget of 0.02 s (OPTPLAY_COMPUTE_BUDGET_S)" in item["msg"]


def test_budget_cuts_a_long_run_and_a_grid(client, budget):
    budget(0.05)
    heavy = {"expr": HEAVY, "domain": [[-2, 2], [-2, 2]]}
    t0 = time.perf_counter()
    r = client.post("/api/v1/run", json={"surface": heavy, "start": [0.5, 0.31], "steps": 10_000,
                                         "runs": [{"optimizer": "adam"}] * 16})
    assert time.perf_counter() - t0 < 0.3
    assert r.status_code == 422 and r.json()["detail"][0]["limit_s"] == 0.05
    budget(0.005)
    t0 = time.perf_counter()
    r = client.post("/api/v1/grid", json={"surface": {**heavy, "domain": [[-2, 2.01], [-2, 2]]},
                                          "n": 400})
    assert time.perf_counter() - t0 < 0.3
    assert r.status_code == 422 and "budget of 0.005 s" in r.text
    with client.websocket_connect("/api/v1/stream") as ws:
        ws.send_json({"id": 1, "surface": heavy, "start": [0.5, 0.32], "steps": 10_000,
                      "runs": [{"optimizer": "adam"}]})
        while "error" not in (msg := ws.receive_json()):
            assert not msg.get("done")
        assert msg["error"]["detail"][0]["type"] == "limit"


def test_websocket_message_size_and_rate_are_named(client):
    with client.websocket_connect("/api/v1/stream") as ws:
        ws.send_text("{" + " " * 300_000 + "}")
        msg = ws.receive_json()
        assert "over the limit of 262144 bytes (OPTPLAY_MAX_BODY_BYTES)" in \
            msg["error"]["detail"][0]["msg"]
        ws.send_text("é" * 140_000)                        # 280,000 bytes in UTF-8
        assert "OPTPLAY_MAX_BODY_BYTES" in ws.receive_json()["error"]["detail"][0]["msg"]
        kinds = []
        for k in range(100):
            ws.send_json({"id": k, **SMALL, "steps": -1})
        for k in range(100):
            kinds.append(ws.receive_json()["error"]["detail"][0])
        limited = [d for d in kinds if d["type"] == "rate_limit"]
        assert limited and "30 a second per socket (OPTPLAY_WS_MESSAGES_PER_SECOND)" in \
            limited[0]["msg"]


# --- headers and origins -----------------------------------------------------------

def test_headers_everywhere(client):
    for path in ("/", "/embed", "/healthz", "/api/v1/optimizers", "/static/img/favicon.svg",
                 "/openapi.json", "/nosuch"):
        r = client.get(path)
        assert r.headers["x-content-type-options"] == "nosniff", path
        assert r.headers["referrer-policy"] == "strict-origin-when-cross-origin", path
        csp = r.headers["content-security-policy"]
        script = next(d for d in csp.split("; ") if d.startswith("script-src"))
        assert script == "script-src 'self'", (path, csp)
        assert "unsafe-eval" not in csp and "object-src 'none'" in csp
    # Scripts and stylesheets are never documents: the strictest policy, and few bytes.
    for path in ("/static/js/main.js", "/static/css/app.css"):
        r = client.get(path)
        assert r.headers["x-content-type-options"] == "nosniff", path
        assert r.headers["content-security-policy"] == "default-src 'none'; frame-ancestors 'none'"
    assert "frame-ancestors 'none'" in client.get("/").headers["content-security-policy"]
    assert client.get("/").headers["x-frame-options"] == "DENY"
    assert "x-frame-options" not in client.get("/embed").headers


def test_pages_inline_no_script():
    for page in (REPO / "templates").glob("*.html"):
        html = page.read_text(encoding="utf-8")
        for tag in re.findall(r"<script\b[^>]*>", html):
            assert "src=" in tag, (page.name, tag)
        assert not re.search(r"<script\b[^>]*>\s*[^<\s]", html), page.name
        assert not re.search(r"\son[a-z]+\s*=", html), page.name


def test_the_413_carries_the_headers_too(client):
    r = client.post("/api/v1/run", content=b"x" * 300_000,
                    headers={"content-type": "application/json"})
    assert r.status_code == 413
    assert r.headers["x-content-type-options"] == "nosniff"
    assert "script-src 'self'" in r.headers["content-security-policy"]
    assert r.headers["x-frame-options"] == "DENY"


def test_framing_is_any_origin_by_default_on_embed_only(client):
    assert "frame-ancestors *" in client.get("/embed").headers["content-security-policy"]
    assert "frame-ancestors *" in client.get("/embed/").headers["content-security-policy"]
    for path in ("/", "/api/v1/optimizers", "/static/js/main.js", "/embed.html"):
        r = client.get(path)
        assert "frame-ancestors 'none'" in r.headers["content-security-policy"], path
        assert r.headers["x-frame-options"] == "DENY", path


def test_framing_origins_and_cors_are_settings(monkeypatch):
    from app.main import create_app
    monkeypatch.setattr(settings(), "frame_ancestors", "https://a.edu, https://b.edu")
    monkeypatch.setattr(settings(), "cors_origins", "https://course.example.edu, "
                                                    "https://other.example.edu")
    with TestClient(create_app()) as c:
        csp = c.get("/embed").headers["content-security-policy"]
        assert "frame-ancestors https://a.edu https://b.edu;" in csp + ";"
        assert "frame-ancestors 'none'" in c.get("/").headers["content-security-policy"]
        for origin in ("https://course.example.edu", "https://other.example.edu"):
            pre = c.options("/api/v1/run", headers={
                "Origin": origin, "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "content-type"})
            assert pre.status_code == 200
            assert pre.headers["access-control-allow-origin"] == origin
            r = c.post("/api/v1/run", json=SMALL, headers={"Origin": origin})
            assert r.status_code == 200 and r.headers["access-control-allow-origin"] == origin
            big = c.post("/api/v1/run", content=b"x" * 300_000, headers={
                "Origin": origin, "content-type": "application/json"})
            # the page's script may read why: the 413 carries CORS's header too
            assert big.status_code == 413
            assert big.headers["access-control-allow-origin"] == origin
            with c.websocket_connect("/api/v1/stream", headers={"origin": origin}) as ws:
                ws.send_json(SMALL)
                while not ws.receive_json().get("done"):
                    pass
        other = c.post("/api/v1/run", json=SMALL, headers={"Origin": "https://evil.example"})
        assert "access-control-allow-origin" not in other.headers
        pre = c.options("/api/v1/run", headers={"Origin": "https://evil.example",
                                                "Access-Control-Request-Method": "POST"})
        assert pre.status_code == 400 and "access-control-allow-origin" not in pre.headers
    monkeypatch.setattr(settings(), "cors_origins", "*")
    with TestClient(create_app()) as c:
        r = c.post("/api/v1/run", json=SMALL, headers={"Origin": "https://any.example"})
        assert r.headers["access-control-allow-origin"] == "*"
        with c.websocket_connect("/api/v1/map/stream",
                                 headers={"origin": "https://any.example"}) as ws:
            ws.send_json({"id": 1, "kind": "bogus"})
            assert ws.receive_json()["error"]["detail"]


def test_cors_is_off_by_default(client):
    r = client.post("/api/v1/run", json=SMALL, headers={"Origin": "https://course.example.edu"})
    assert r.status_code == 200 and "access-control-allow-origin" not in r.headers
    pre = client.options("/api/v1/run", headers={"Origin": "https://course.example.edu",
                                                 "Access-Control-Request-Method": "POST"})
    assert "access-control-allow-origin" not in pre.headers


@pytest.mark.parametrize("path", ["/api/v1/stream", "/api/v1/map/stream"])
def test_websockets_from_another_site_are_refused_by_default(client, path):
    from starlette.websockets import WebSocketDisconnect
    with pytest.raises(WebSocketDisconnect) as refused:
        with client.websocket_connect(path, headers={"origin": "https://evil.example"}):
            pass
    assert refused.value.code == 1008
    # a page of this server (the test client's host is "testserver"), and clients that
    # are no browser (no Origin), are let in
    for headers in ({"origin": "http://testserver"}, {}):
        with client.websocket_connect(path, headers=headers) as ws:
            ws.send_text("not json")
            assert ws.receive_json()["error"]["detail"][0]["type"] == "json"
    # behind a proxy that keeps the browser's host in X-Forwarded-Host
    with client.websocket_connect(path, headers={"origin": "https://course.edu",
                                                 "x-forwarded-host": "course.edu"}) as ws:
        ws.send_text("[]")
        assert ws.receive_json()["error"]["detail"][0]["type"] == "json"


def test_405_lists_every_method(client):
    r = client.delete("/api/v1/run")
    assert r.status_code == 405 and r.headers["allow"] == "GET, POST"


def test_budget_cuts_a_map_of_long_lbfgs_steps(client, budget):
    if client.post("/api/v1/map", json={}).status_code == 404:
        pytest.skip("no /api/v1/map in this build")
    budget(0.05)
    body = {"kind": "basin", "surface": {"expr": HEAVY, "domain": [[-2, 2], [-2, 2.02]]},
            "steps": 1, "x": {"n": 32}, "y": {"n": 32},
            "run": {"optimizer": "lbfgs", "params": {"max_iter": 1000, "tolerance_grad": 0.0,
                                                      "tolerance_change": 0.0, "lr": 1e-4}}}
    t0 = time.perf_counter()
    r = client.post("/api/v1/map", json=body)
    assert time.perf_counter() - t0 < 0.3
    assert r.status_code == 422 and r.json()["detail"][0]["limit_s"] == 0.05, r.text[:300]


def test_an_html_export_with_lr_variants_is_one_computation_in_one_budget(client, monkeypatch):
    """Every lr variant of an exported file runs against one deadline: twelve variants
    cannot take twelve budgets."""
    from app.teach import static_export
    deadlines = []
    real = static_export.execute

    def recording(req, **kwargs):
        deadlines.append(kwargs.get("deadline"))
        return real(req, **kwargs)

    monkeypatch.setattr(static_export, "execute", recording)
    t0 = time.monotonic()
    r = client.post("/api/v1/export/html", json={**SMALL, "lr_variants": [0.01, 0.1, 0.5]})
    assert r.status_code == 200
    budget = settings().compute_budget_s
    assert len(deadlines) == 3 and len(set(deadlines)) == 1, deadlines
    assert t0 <= deadlines[0] <= time.monotonic() + budget
