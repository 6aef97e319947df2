"""Gradient noise per row (σ, seed) and the fan of seeds: in the URL, in the request, drawn
under the paths, and cut (with a message) at the server's runs-per-request limit."""

from __future__ import annotations

import json
import urllib.request

from app.config import settings

from .conftest import hook, wait_ready, wait_recomputed


def post_run(server, body: dict) -> dict:
    req = urllib.request.Request(server.url + "/api/v1/run", data=json.dumps(body).encode(),
                                 headers={"content-type": "application/json"})
    with urllib.request.urlopen(req, timeout=30) as r:
        return json.loads(r.read())


def set_range(locator, value: int) -> None:
    locator.evaluate("(el, v) => { el.value = String(v); el.dispatchEvent(new Event('input', {bubbles: true})); }",
                     value)


def test_noise_seed_and_fan_from_the_url(page, server):
    page.goto(server.url + "/?s=bowl&steps=80&o=sgd(lr=0.05;momentum=0.9)&noise1=0.3&seed1=5&fan1=8")
    wait_ready(page)
    fans = hook(page, "h.fans()")
    assert [f["seed"] for f in fans] == list(range(6, 13)) and all(f["row"] == 0 for f in fans)
    main = hook(page, "h.paths()[0]")
    # The page's paths are the server's for those seeds, and every seed goes its own way.
    body = {"surface": "bowl", "steps": 80, "runs": [
        {"optimizer": "sgd", "params": {"lr": 0.05, "momentum": 0.9}, "noise": {"std": 0.3, "seed": s}}
        for s in (5, 6, 12)]}
    answer = post_run(server, body)["runs"]
    assert answer[0]["path"] == main
    assert answer[1]["path"] == fans[0]["path"] and answer[2]["path"] == fans[-1]["path"]
    ends = {tuple(f["path"][-1]) for f in fans} | {tuple(main[-1])}
    assert len(ends) == 8
    card = page.locator("#rows .row-card").first
    box = card.locator("details.noise-box")
    assert box.get_attribute("open") is not None
    assert "Seeds 5 … 12" in box.locator(".noise-status").inner_text()
    # The fan is drawn: the overlay has the row's colour (#e8453c) in light strokes.
    page.locator("#player [data-action=reset]").click()
    hook(page, "h.player.seek(80)")
    page.wait_for_timeout(200)
    reds = page.evaluate("""() => { const c = document.querySelector('#contour canvas.plot-overlay');
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data; let n = 0;
        for (let i = 0; i < d.length; i += 4) if (d[i + 3] > 40 && d[i] > 150 && d[i + 1] < 120 && d[i + 2] < 110) n++;
        return n; }""")
    assert reds > 300
    page.watch.assert_clean()


def test_noise_controls_recompute_and_land_in_the_url(page, server):
    page.goto(server.url + "/?s=bowl&steps=60&o=sgd(lr=0.05)&o=adam(lr=0.05)")
    wait_ready(page)
    card = page.locator("#rows .row-card").first
    card.locator("details.noise-box > summary").click()
    clean = hook(page, "h.paths()[0]")
    slider = card.locator("details.noise-box input[type=range]")
    done = hook(page, "h.done()")
    set_range(slider, 800)                      # log scale: 10^(-3 + 5·0.8) = 10
    wait_recomputed(page, done)
    sigma = hook(page, "h.state.rows[0].noise")
    assert abs(sigma - 10) < 1e-9
    assert card.locator("details.noise-box input.num").first.input_value() == "10"
    noisy = hook(page, "h.paths()[0]")
    assert noisy != clean and noisy[0] == clean[0]
    page.wait_for_function("() => location.search.includes('noise1=10')")
    # A new seed: another path; seed 0 is the default and stays out of the URL.
    done = hook(page, "h.done()")
    card.locator("input.seed").fill("42")
    wait_recomputed(page, done)
    assert hook(page, "h.paths()[0]") != noisy
    page.wait_for_function("() => location.search.includes('seed1=42')")
    # A fan of 4: three extra runs, seeds 43 … 45.
    done = hook(page, "h.done()")
    card.locator("select.fan-select").select_option("4")
    wait_recomputed(page, done)
    assert [f["seed"] for f in hook(page, "h.fans()")] == [43, 44, 45]
    page.wait_for_function("() => location.search.includes('fan1=4')")
    # Back to σ = 0: the fan asks for noise instead of drawing 4 equal paths.
    done = hook(page, "h.done()")
    set_range(slider, 0)
    wait_recomputed(page, done)
    assert hook(page, "h.fans()") == [] and hook(page, "h.paths()[0]") == clean
    assert "Set σ above 0" in card.locator(".noise-status").inner_text()
    page.watch.assert_clean()


def test_fan_is_cut_at_the_runs_limit_and_says_so(page, server):
    limit = settings().max_runs
    rows = "&".join(f"o=adam(lr={0.02 * (i + 1)})&noise{i + 1}=0.2&fan{i + 1}=16" for i in range(3))
    page.goto(server.url + f"/?s=bowl&steps=40&{rows}&lang=zh")
    wait_ready(page)
    fans = hook(page, "h.fans()")
    assert len(fans) == limit - 3
    # Shared out evenly between the three fans.
    counts = [sum(f["row"] == r for f in fans) for r in range(3)]
    assert max(counts) - min(counts) <= 1
    status = page.locator("#rows .row-card").first.locator(".noise-status")
    assert f"最多计算 {limit} 条路径" in status.inner_text()
    assert "warn" in (status.get_attribute("class") or "")
    # Every path arrived: nothing was refused by the server.
    assert all(len(f["path"]) == 41 for f in fans)
    page.watch.assert_clean()
