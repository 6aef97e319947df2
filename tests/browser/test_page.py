"""The full page "/", driven as a student would: watch, add, drag, click, type, reload."""

from __future__ import annotations

import time

from .conftest import REPO, hook, poll, wait_ready, wait_recomputed


def plot_box(page):
    """The contour's plot area in page pixels (from Plotly's axes)."""
    return page.evaluate("""() => {
        const gd = document.querySelector('#contour .plot-graph');
        const r = gd.getBoundingClientRect(), fl = gd._fullLayout;
        return {left: r.left + fl.xaxis._offset, top: r.top + fl.yaxis._offset,
                width: fl.xaxis._length, height: fl.yaxis._length,
                x: fl.xaxis.range, y: fl.yaxis.range};
    }""")


def test_page_loads_clean_and_offline(page, server):
    page.goto(server.url + "/")
    wait_ready(page)
    # Contour drawn by Plotly, and every default row has a full path.
    assert page.locator("#contour .contourlayer path").count() > 5
    paths = hook(page, "h.paths()")
    assert len(paths) >= 3 and all(len(p) == 201 for p in paths)
    assert page.locator("#readout tbody tr:not(.reason-row)").count() == len(paths)
    assert page.locator("#rows .row-card").count() == len(paths)
    # Catalogue-driven controls: an lr slider and number box in each row.
    assert page.locator("#rows .row-card [data-param='lr'] input[type=range]").count() == len(paths)
    time.sleep(0.5)
    page.watch.assert_clean()
    assert any("/api/v1/optimizers" in u for u in page.watch.requests)


def test_default_scene_animates(page, server):
    page.goto(server.url + "/")
    wait_ready(page)
    k0 = hook(page, "h.currentStep()")
    assert poll(lambda: hook(page, "h.currentStep()") > k0 + 5, timeout=5)
    assert hook(page, "h.playing()") or hook(page, "h.currentStep()") == 200
    # The step label and scrubber follow the clock.
    label = page.locator("#player .step-label").inner_text()
    assert "/ 200" in label
    # Space pauses; L steps one forward while paused.
    page.locator("body").click(position={"x": 5, "y": 5})
    if hook(page, "h.playing()"):
        page.keyboard.press(" ")
    assert not hook(page, "h.playing()")
    k = round(hook(page, "h.currentStep()"))
    page.keyboard.press("l")
    assert hook(page, "h.currentStep()") == min(200, k + 1)
    page.keyboard.press("j")
    assert hook(page, "h.currentStep()") == k
    page.watch.assert_clean()


def test_add_optimizer_adds_a_path(page, server):
    page.goto(server.url + "/")
    wait_ready(page)
    n = len(hook(page, "h.paths()"))
    done = hook(page, "h.done()")
    page.get_by_role("button", name="Add optimizer").click()
    wait_recomputed(page, done)
    paths = hook(page, "h.paths()")
    assert len(paths) == n + 1
    assert len(paths[-1]) == 201
    assert page.locator("#rows .row-card").count() == n + 1
    page.wait_for_function("(n) => location.search.split('o=').length - 1 === n", arg=n + 1)
    # Duplicate and remove work on the same list.
    done = hook(page, "h.done()")
    page.locator("#rows .row-card").last.get_by_role("button", name="Remove").click()
    wait_recomputed(page, done)
    assert len(hook(page, "h.paths()")) == n
    page.watch.assert_clean()


def test_dragging_lr_redraws_before_release(page, server):
    page.goto(server.url + "/")
    wait_ready(page)
    page.locator("#player [data-action=reset]").click()  # pause: only the drag changes things
    slider = page.locator("#rows .row-card").first.locator("[data-param='lr'] input[type=range]")
    slider.scroll_into_view_if_needed()
    before = hook(page, "h.paths()[0]")
    requests = hook(page, "h.requests()")
    box = slider.bounding_box()
    value = float(slider.input_value())
    x = box["x"] + box["width"] * value / 1000
    y = box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    changed = False
    for i in range(1, 13):
        page.mouse.move(x + 6 * i, y)
        time.sleep(0.06)
        if hook(page, "h.paths()[0]") != before:
            changed = True
            break
    # Still pressed: the path on screen already follows the slider.
    assert changed, "the path did not change while the lr slider was being dragged"
    assert hook(page, "h.requests()") > requests
    page.mouse.move(x + 80, y)
    page.mouse.up()
    wait_ready(page)
    lr = hook(page, "h.state.rows[0].params.lr")
    assert lr > 0.002
    page.wait_for_function("(lr) => location.search.includes(`lr=${lr}`)", arg=lr)
    page.watch.assert_clean()


def test_click_on_contour_moves_start(page, server):
    page.goto(server.url + "/")
    wait_ready(page)
    box = plot_box(page)
    done = hook(page, "h.done()")
    # 75% across, 25% down: x = 1, y = 2 on Rosenbrock's [-2, 2] × [-1, 3].
    page.mouse.click(box["left"] + 0.75 * box["width"], box["top"] + 0.25 * box["height"])
    wait_recomputed(page, done)
    sx, sy = hook(page, "h.state.start")
    assert abs(sx - 1.0) < 0.05 and abs(sy - 2.0) < 0.05
    for p in hook(page, "h.paths()"):
        assert abs(p[0][0] - sx) < 1e-9 and abs(p[0][1] - sy) < 1e-9
    assert abs(float(page.locator("#start-x").input_value()) - sx) < 1e-9
    page.wait_for_function("() => location.search.includes('start=')")
    page.watch.assert_clean()


def test_typed_formula_draws_and_malformed_one_explains(page, server):
    page.goto(server.url + "/")
    wait_ready(page)
    page.select_option("#surface-select", "__custom__")
    formula = page.locator("#formula")
    done = hook(page, "h.done()")
    formula.fill("x**2 + 3*sin(y)")
    page.wait_for_function("() => window.__optplay.surface().expr === 'x**2 + 3*sin(y)'")
    wait_recomputed(page, done)
    assert page.locator("#formula-status").get_attribute("data-kind") == "ok"
    page.wait_for_function("() => location.search.includes('f=x**2+%2B+3*sin(y)')")
    z_before = page.evaluate("() => document.querySelector('#contour .plot-graph').data[0].z[5][5]")
    assert z_before is not None
    # A malformed formula: a message under the box, the drawing stays.
    formula.fill("x**2 + (3*y")
    page.wait_for_function("() => document.querySelector('#formula-status').dataset.kind === 'error'")
    message = page.locator("#formula-status").inner_text()
    assert len(message) > 5
    assert formula.get_attribute("aria-invalid") is not None
    assert hook(page, "h.surface().expr") == "x**2 + 3*sin(y)"
    page.watch.assert_clean(allow=("status of 422",))


def test_reload_reproduces_the_paths(page, server, context):
    page.goto(server.url + "/?s=himmelblau&start=-1,-1&steps=120"
              "&o=adam(lr=0.05;betas=0.8,0.99)&o=sgd(lr=0.003;momentum=0.5;nesterov=1)"
              "&sched2=StepLR(step_size=30;gamma=0.5)&c=112233,aa5500&hide=2&speed=2")
    wait_ready(page)
    # Change something on the page, then reload the URL it wrote.
    done = hook(page, "h.done()")
    box = page.locator("#rows .row-card").first.locator("[data-param='lr'] input.num")
    box.fill("0.07")
    wait_recomputed(page, done)
    # The URL is written shortly after a change (history.replaceState).
    page.wait_for_function("() => location.search.includes('lr=0.07')")
    url = page.evaluate("() => location.href")
    paths = hook(page, "h.paths()")
    state = hook(page, "h.state")
    other = context.new_page()
    other.goto(url)
    wait_ready(other)
    assert hook(other, "h.paths()") == paths
    again = hook(other, "h.state")
    for key in ("surface", "start", "steps", "rows", "speed"):
        assert again[key] == state[key], key
    assert again["rows"][1]["scheduler"] == {"name": "StepLR", "params": {"step_size": 30, "gamma": 0.5}}
    assert again["rows"][1]["visible"] is False and again["rows"][0]["color"] == "#112233"
    other.close()
    page.watch.assert_clean()


def test_unknown_keys_fall_back_to_defaults(page, server):
    page.goto(server.url + "/?s=nope&steps=abc&o=bogus(lr=1)&o=sgd(lr=zz;momentum=0.5;what=1)&x=1")
    wait_ready(page)
    state = hook(page, "h.state")
    assert state["surface"] == "rosenbrock" and state["steps"] == 200
    assert [r["optimizer"] for r in state["rows"]] == ["sgd"]
    assert state["rows"][0]["params"] == {"momentum": 0.5}
    page.watch.assert_clean()


def test_diverged_run_is_marked(page, server):
    page.goto(server.url + "/?s=rosenbrock&steps=100&o=sgd(lr=0.05)&o=adam(lr=0.05)")
    wait_ready(page)
    status = hook(page, "h.statuses()[0]")
    assert status["status"] == "diverged" or status["leftAt"] is not None
    page.locator("#player [data-action=reset]").click()
    hook(page, "h.player.seek(100)")
    text = page.locator("#readout tbody tr").first.locator("td.status").inner_text()
    assert "diverged at step" in text or "left the view at step" in text
    page.watch.assert_clean()


def test_language_switch_to_chinese(page, server):
    page.goto(server.url + "/")
    wait_ready(page)
    assert page.locator("h1").inner_text() == "Optimizer Playground"
    page.get_by_role("button", name="中文").click()
    assert page.locator("h1").inner_text() == "优化器游乐场"
    assert page.locator("#add-row").inner_text() == "添加优化器"
    assert page.locator("#readout thead th").first.inner_text() == "优化器"
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    # Hyperparameter descriptions come from the catalogue's doc_zh.
    doc = page.locator("#rows .row-card [data-param='lr'] .doc").first.inner_text()
    assert "学习率" in doc
    page.wait_for_function("() => location.search.includes('lang=zh')")
    page.reload()
    wait_ready(page)
    assert page.locator("h1").inner_text() == "优化器游乐场"
    page.watch.assert_clean()


def test_share_and_embed_snippet(page, server, context):
    context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.goto(server.url + "/")
    wait_ready(page)
    page.get_by_role("button", name="Share", exact=True).click()
    copied = poll(lambda: page.evaluate("() => navigator.clipboard.readText()"), timeout=3)
    assert copied.startswith(server.url + "/?") and "o=" in copied
    page.get_by_role("button", name="Embed", exact=True).click()
    code = page.locator("#embed-code").input_value()
    assert code.startswith("<iframe") and "/embed?" in code and "autoplay=1" in code
    page.get_by_role("button", name="Close").last.click()
    page.watch.assert_clean()


def test_screenshot_for_readme(page, server):
    """docs/screenshot.png, the picture the README shows."""
    page.goto(server.url + "/?s=rosenbrock&steps=200")
    wait_ready(page)
    page.locator("#player [data-action=reset]").click()
    hook(page, "h.player.seek(140)")
    time.sleep(0.3)
    out = REPO / "docs" / "screenshot.png"
    out.parent.mkdir(exist_ok=True)
    page.screenshot(path=str(out), full_page=False)
    assert out.stat().st_size > 20_000
    page.watch.assert_clean()


def test_narrow_phone_layout(browser, server):
    ctx = browser.new_context(viewport={"width": 320, "height": 640}, is_mobile=True, has_touch=True)
    pg = ctx.new_page()
    from .conftest import Watch
    watch = Watch(pg, server.url)
    pg.goto(server.url + "/")
    wait_ready(pg)
    # Nothing wider than the screen but the scrollable table.
    overflow = pg.evaluate("() => document.documentElement.scrollWidth")
    assert overflow <= 321
    watch.assert_clean()
    ctx.close()


def test_duplicate_and_visibility(page, server):
    page.goto(server.url + "/")
    wait_ready(page)
    n = len(hook(page, "h.paths()"))
    first = page.locator("#rows .row-card").first
    done = hook(page, "h.done()")
    first.get_by_role("button", name="Duplicate (compare another setting)").click()
    wait_recomputed(page, done)
    rows = hook(page, "h.state.rows")
    assert len(rows) == n + 1
    assert rows[1]["optimizer"] == rows[0]["optimizer"]
    assert rows[1]["params"]["lr"] != rows[0]["params"]["lr"]  # "same optimizer at another lr"
    assert rows[1]["color"] != rows[0]["color"]
    # Hiding a path redraws without recomputing, and lands in the URL.
    requests = hook(page, "h.requests()")
    first.get_by_role("button", name="Hide path").click()
    assert hook(page, "h.state.rows[0].visible") is False
    page.wait_for_function("() => location.search.includes('hide=1')")
    assert hook(page, "h.requests()") == requests
    assert first.get_by_role("button", name="Show path").get_attribute("aria-pressed") == "true"
    page.watch.assert_clean()


def test_url_encoding_round_trips_in_the_page(page, server):
    """The state module's encoding, exercised with the server's real catalogue."""
    page.goto(server.url + "/")
    wait_ready(page)
    result = page.evaluate("""async () => {
        const S = await import('/static/js/state.js');
        const { Catalog } = await import('/static/js/catalog.js');
        const { fetchCatalogues } = await import('/static/js/api.js');
        const cat = new Catalog(await fetchCatalogues());
        const q = 'f=x**2+%2B+3*sin(y)&d=-3,3,-2,2&start=-1.5,1&steps=300'
          + '&o=adam(lr=0.05;betas=0.9,0.99;amsgrad=1)&o=lookahead(optimizer=sgd(lr=0.003;momentum=0.9);k=6)'
          + '&o=adafactor(lr=0.1;eps=null,0.001)&o=lbfgs(lr=0.5;line_search_fn=strong_wolfe)'
          + '&sched1=StepLR(step_size=50;gamma=0.5)'
          + '&sched2=SequentialLR(schedulers=LinearLR(start_factor=0.1;total_iters=10),ExponentialLR(gamma=0.98);milestones=10)'
          + '&noise3=0.1&c=ff0000,00ff00,0000ff,123456&hide=2&speed=4&lang=zh';
        const a = S.decodeState(q, cat);
        const text = S.encodeState(a, cat);
        const b = S.decodeState(text, cat);
        const canon = (v) => Array.isArray(v) ? v.map(canon) : v && typeof v === 'object'
          ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, canon(v[k])])) : v;
        const A = canon(a), B = canon(b);
        const diff = Object.keys(A).filter((k) => JSON.stringify(A[k]) !== JSON.stringify(B[k]))
          .map((k) => `${k}: ${JSON.stringify(A[k])} != ${JSON.stringify(B[k])}`);
        return {same: !diff.length, diff, text, a,
                request: S.runRequest(a, cat)};
    }""")
    assert result["same"], (result["diff"], result["text"])
    a = result["a"]
    assert a["formula"] == {"expr": "x**2 + 3*sin(y)", "domain": [[-3, 3], [-2, 2]]}
    assert a["rows"][1]["params"]["optimizer"] == {"optimizer": "sgd", "params": {"lr": 0.003, "momentum": 0.9}}
    assert a["rows"][2]["noise"] == 0.1 and a["rows"][1]["visible"] is False
    assert a["rows"][3]["params"]["line_search_fn"] == "strong_wolfe"
    assert a["speed"] == 4 and a["lang"] == "zh"
    # Readable: no percent-escapes but the formula's "+".
    assert "%" not in result["text"].replace("%2B", "")
    children = result["request"]["runs"][1]["scheduler"]["params"]["schedulers"]
    assert [c["name"] for c in children] == ["LinearLR", "ExponentialLR"]


def test_eight_long_paths_animate_smoothly(page, server):
    rows = "&".join(f"o=adam(lr={0.01 * (i + 1)})" if i % 2 == 0 else f"o=sgd(lr={0.0003 * (i + 1)};momentum=0.9)"
                    for i in range(8))
    page.goto(server.url + f"/?s=rosenbrock&steps=2000&{rows}")
    wait_ready(page, timeout=40_000)
    assert sum(len(p) == 2001 for p in hook(page, "h.paths()")) >= 6
    stats = page.evaluate("""() => new Promise((done) => {
        const h = window.__optplay;
        h.player.seek(0); h.player.setSpeed(1); h.player.play();
        let frames = 0, worst = 0, last = performance.now();
        const t0 = last;
        function frame(now) {
          frames++; worst = Math.max(worst, now - last); last = now;
          if (now - t0 < 1500) requestAnimationFrame(frame);
          else done({fps: frames / ((now - t0) / 1000), worst, k: h.currentStep()});
        }
        requestAnimationFrame(frame);
    })""")
    assert stats["k"] > 100
    assert stats["fps"] > 25, stats
    page.watch.assert_clean()
