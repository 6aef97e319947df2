"""The exported HTML file, opened from disk (file://) in Chromium with every network
request blocked: it draws, plays, and its lr slider switches the precomputed runs."""

from __future__ import annotations

import math
from urllib.parse import urlparse

import pytest

from app.engine import run_request
from app.teach.static_export import export_html

from .conftest import poll

SCENE = {"surface": "rosenbrock", "start": [-1.2, 1.0], "steps": 300,
         "runs": [{"optimizer": "sgd", "params": {"lr": 0.001, "momentum": 0.9}},
                  {"optimizer": "adam", "params": {"lr": 0.1}},
                  {"optimizer": "sgd", "params": {"lr": 0.01}, "label": "太大的 lr"}]}


def _open(context, path):
    page = context.new_page()
    blocked, errors = [], []

    def route(r):
        if urlparse(r.request.url).scheme in ("file", "data", "blob", "about"):
            r.continue_()
        else:
            blocked.append(r.request.url)
            r.abort()

    page.route("**/*", route)
    page.on("console", lambda m: m.type == "error" and errors.append(m.text))
    page.on("pageerror", lambda e: errors.append(f"uncaught: {e}"))
    page.goto(path.as_uri())
    page.wait_for_function("() => window.__optplayExport && window.__optplayExport.ready()",
                           timeout=30_000)
    return page, blocked, errors


def hook(page, expr: str):
    return page.evaluate(f"() => {{ const h = window.__optplayExport; return {expr}; }}")


def test_export_plays_offline_from_disk(browser, tmp_path):
    out = tmp_path / "scene.html"
    out.write_text(export_html(SCENE, lang="zh"), encoding="utf-8")
    ctx = browser.new_context(viewport={"width": 1100, "height": 850}, offline=True)
    page, blocked, errors = _open(ctx, out)
    # Autoplay: the race advances by itself.
    k0 = hook(page, "h.step()")
    assert poll(lambda: hook(page, "h.step()") > k0 + 5, timeout=5)
    assert page.locator("#plot .contourlayer").count() == 1
    # Pause, scrub, and the readout follows (in Chinese).
    page.click("#play")
    assert not hook(page, "h.playing()")
    hook(page, "h.seek(120)")
    assert page.locator("#readout").inner_text() == "第 120 / 300 步"
    assert page.locator("#legend-body tr").count() == 3
    assert page.locator("#lr-bar").is_hidden()                # no lr variants asked for
    # The diverged run says why, in Chinese.
    assert "学习率对这里的曲率来说太大了" in page.locator("#legend-body").inner_text()
    # The overlay canvas has drawn something.
    painted = page.evaluate("""() => { const c = document.getElementById('overlay');
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        let n = 0; for (let i = 3; i < d.length; i += 4) if (d[i]) n++; return n; }""")
    assert painted > 500
    assert not blocked, f"network requests: {blocked}"
    assert not errors, errors
    ctx.close()


def test_lr_slider_switches_precomputed_runs(browser, tmp_path):
    out = tmp_path / "scene.html"
    out.write_text(export_html(SCENE, lr_variants=[0.0003, 0.001, 0.003]), encoding="utf-8")
    ctx = browser.new_context(viewport={"width": 900, "height": 800})
    page, blocked, errors = _open(ctx, out)
    assert hook(page, "h.variants()") == 3
    assert hook(page, "h.variant()") == 1            # nearest to the first run's lr
    page.locator("#lr").fill("2")
    assert poll(lambda: hook(page, "h.variant()") == 2)
    assert hook(page, "h.runs()[0].lr") == 0.003
    assert page.locator("#lr-value").inner_text() == "lr = 0.003"
    hook(page, "h.pause()")
    k = hook(page, "h.step()")
    page.locator("h1").click()                       # keys act when no control has focus
    page.keyboard.press("l")
    # JavaScript's Math.round: halves go up (Python's round would give 22 for 22.5).
    assert hook(page, "h.step()") == min(300, math.floor(k + 0.5) + 1)
    assert not blocked and not errors, (blocked, errors)
    ctx.close()


def test_a_scene_from_data_plays_offline_with_its_data_panel(browser, tmp_path):
    body = {"surface": {"data": "pass-fail"}, "batch": {"size": 4}, "steps": 80,
            "runs": [{"optimizer": "sgd", "params": {"lr": 0.5}},
                     {"optimizer": "adam", "params": {"lr": 0.3}}]}
    out = tmp_path / "data.html"
    out.write_text(export_html(body), encoding="utf-8")
    paths = [r["path"] for r in run_request(body)["runs"]]
    ctx = browser.new_context(viewport={"width": 1100, "height": 900}, offline=True)
    page, blocked, errors = _open(ctx, out)
    k0 = hook(page, "h.step()")
    assert poll(lambda: hook(page, "h.step()") > k0 + 5, timeout=5)
    page.click("#play")
    hook(page, "h.seek(40)")
    assert page.locator("#data-panel").is_visible()
    assert page.locator("#data-title").inner_text() == "The data, and each optimizer's model at step 40"
    lines = hook(page, "h.dataLines()")
    assert [d["step"] for d in lines] == [40, 40]
    for line, path in zip(lines, paths):
        w, b = path[40]
        assert line["w"] == pytest.approx(w, rel=1e-8) and line["b"] == pytest.approx(b, rel=1e-8)
        for x, p in (line["from"], line["to"]):       # the sigmoid of a logistic model
            assert p == pytest.approx(1 / (1 + math.exp(-(line["w"] * x + line["b"]))), rel=1e-9)
    # Epochs of ceil(30 / 4) = 8 steps, banded behind the loss; batch losses drawn faintly.
    bands = [(s["x0"], s["x1"]) for s in hook(page, "h.lossShapes()") if s["type"] == "rect"]
    assert bands[:3] == [(8, 16), (24, 32), (40, 48)]
    faint = page.locator("#loss").evaluate("gd => gd.data.filter(t => t.opacity === 0.3).length")
    assert faint == 2
    titles = page.eval_on_selector_all("#plot .g-xtitle, #plot .g-ytitle", "ts => ts.map(t => t.textContent)")
    assert titles == ["w (weight)", "b (bias)"]
    assert not blocked, f"network requests: {blocked}"
    assert not errors, errors
    ctx.close()
