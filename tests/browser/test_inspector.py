""""Inside the optimizer" (issue #4) on the full page, driven as a student would: open the
inspector, scrub, read the numbers, switch the arrows on, click the lr strip, read it in
Chinese. The numbers on screen are checked against POST /api/v1/run with "state": true."""

from __future__ import annotations

import json
import re
import time
import urllib.request

from .conftest import hook, poll, request_body, wait_ready

# Adam next to SGD with momentum and a StepLR: a first moment of each kind, an adaptive
# method (effective step chart) and a staircase lr.
SCENE = ("/?s=rosenbrock&steps=120&o=adam(lr=0.05)&o=sgd(lr=0.001;momentum=0.9)"
         "&sched2=StepLR(step_size=30;gamma=0.5)")


def post_run(server, body: dict) -> dict:
    req = urllib.request.Request(server.url + "/api/v1/run", data=json.dumps(body).encode(),
                                 headers={"content-type": "application/json"})
    with urllib.request.urlopen(req, timeout=30) as r:
        return json.loads(r.read())


def sent_frames(page) -> list[dict]:
    """Every request the page sends over its WebSocket, decoded (listen before goto)."""
    frames: list[dict] = []
    page.on("websocket", lambda ws: ws.on("framesent", lambda payload: frames.append(json.loads(payload))))
    return frames


def shown_number(text: str) -> tuple[float, float]:
    """A number as format.js fmt() writes it, and half a unit in its last shown place."""
    text = text.strip().replace("−", "-")
    mantissa, _, exp = text.partition("e")
    decimals = len(mantissa.split(".")[1]) if "." in mantissa else 0
    scale = 10.0 ** int(exp or 0)
    return float(mantissa) * scale, 0.5 * 10.0 ** -decimals * scale * 1.0001


def assert_shown(text: str, expected: float, what: str) -> None:
    value, tol = shown_number(text)
    assert abs(value - expected) <= tol, f"{what}: shown {text!r}, API {expected!r}"


def panel_values(page) -> dict:
    """{run index: {"_header": "after step k", row name: [cell texts]}} of the inspector's cards."""
    return page.evaluate("""() => {
        const out = {};
        for (const card of document.querySelectorAll('#inspector .insp-card')) {
            const rows = {_header: card.querySelector('.insp-step').textContent};
            for (const tr of card.querySelectorAll('tr[data-name]')) {
                rows[tr.dataset.name] = [...tr.querySelectorAll('td')].map((td) => td.textContent);
            }
            out[card.dataset.run] = rows;
        }
        return out;
    }""")


def pause_at(page, k: int) -> None:
    page.locator("#player [data-action=reset]").click()
    page.locator("#player .scrubber").fill(str(k))
    assert hook(page, "h.currentStep()") == k


def test_inspector_shows_the_api_state_at_the_scrubbed_step(page, server):
    frames = sent_frames(page)
    page.goto(server.url + SCENE)
    wait_ready(page)
    # Closed by default: no state asked for (it costs bytes), nothing of it on screen.
    toggle = page.get_by_role("button", name="Inside the optimizer")
    assert toggle.get_attribute("aria-expanded") == "false"
    assert not page.locator("#insp-body").is_visible()
    assert frames and not any("state" in f for f in frames)
    assert "insp=" not in page.evaluate("() => location.search")

    toggle.click()
    assert toggle.get_attribute("aria-expanded") == "true"
    page.wait_for_function("() => window.__optplay.hasState() && window.__optplay.idle()")
    asked = [f for f in frames if f.get("state") is True]
    assert asked, "opening the inspector did not ask the server for the state"
    page.wait_for_function("() => location.search.includes('insp=1')")
    # The header says which index is shown.
    definition = page.locator("#inspector .insp-def").inner_text()
    assert "after k calls of optimizer.step()" in definition and "step k used" in definition

    k = 37
    pause_at(page, k)
    body = request_body(asked[-1])
    api = post_run(server, body)["runs"]
    shown = poll(lambda: (v := panel_values(page)) and all(v[str(i)]["_header"] == f"after step {k}" for i in range(2)) and v)
    assert shown, panel_values(page)
    for i, run in enumerate(api):
        cells = shown[str(i)]
        for c in range(2):
            assert_shown(cells["grad"][c], run["grad"][k - 1][c], f"run {i} grad[{c}]")
            assert_shown(cells["update"][c], run["path"][k][c] - run["path"][k - 1][c], f"run {i} Δθ[{c}]")
        assert_shown(cells["lr"][0], run["lr"][k - 1], f"run {i} lr")
        held = [name for name, series in run["state"].items() if any(v is not None for v in series)]
        assert held, run["optimizer"]
        for name in held:
            value = run["state"][name][k - 1]
            if isinstance(value, list):
                for c in range(2):
                    assert_shown(cells[name][c], value[c], f"run {i} {name}[{c}]")
            else:
                assert_shown(cells[name][0], value, f"run {i} {name}")
        # Entries PyTorch never fills for this setting (Adam's max_exp_avg_sq without
        # amsgrad) are not listed.
        assert set(held) == {name for name in cells if name not in ("_header", "grad", "update", "lr")}
    assert set(shown[str(0)]) >= {"step", "exp_avg", "exp_avg_sq"}
    assert "momentum_buffer" in shown[str(1)]

    # Step 0: nothing taken yet, said in words.
    pause_at(page, 0)
    page.wait_for_function("() => document.querySelector('#inspector .insp-note').textContent.includes('Step 0')")

    # Closing keeps the page's answer but leaves the URL without the key.
    toggle.click()
    assert not page.locator("#insp-body").is_visible()
    page.wait_for_function("() => !location.search.includes('insp=')")
    page.watch.assert_clean()


def test_effective_step_chart_follows_the_definition_and_the_scrubber(page, server):
    frames = sent_frames(page)
    page.goto(server.url + SCENE + "&insp=1")
    wait_ready(page)
    page.wait_for_function("() => window.__optplay.hasState()")
    k = 52
    pause_at(page, k)
    # Only the adaptive method (Adam) gets the chart.
    assert page.locator("#inspector .insp-card[data-run='0'] .insp-eff-chart").count() == 1
    assert page.locator("#inspector .insp-card[data-run='1'] .insp-eff-chart").count() == 0
    chart = "#inspector .insp-card[data-run='0'] .insp-eff-chart"
    page.wait_for_function("(sel) => { const gd = document.querySelector(sel + ' .strip-graph'); "
                           "return gd && gd.data && gd.data.length === 2; }", arg=chart)
    data = page.evaluate("(sel) => document.querySelector(sel + ' .strip-graph').data"
                         ".map((t) => ({x: t.x, y: t.y}))", chart)
    body = request_body(frames[-1])
    run = post_run(server, body)["runs"][0]
    for c in range(2):
        assert data[c]["x"][0] == 1 and len(data[c]["x"]) == 120
        for step in (1, 10, k, 120):
            g = run["grad"][step - 1][c]
            expected = abs(run["path"][step][c] - run["path"][step - 1][c]) / abs(g)
            assert abs(data[c]["y"][step - 1] - expected) <= 1e-12 * expected
    # The cursor stands at the scrubbed step.
    page.wait_for_function("([sel, k]) => document.querySelector(sel).dataset.step === String(k)", arg=[chart, k])
    title = page.locator("#inspector .insp-eff-title").first.get_attribute("title")
    assert "|Δθᵢ| / |gᵢ|" in title
    page.watch.assert_clean()


def run_color_pixels(page, boxes: list[list[float]], color: str) -> int:
    """Pixels of the contour's path canvas near the given points that are the run's colour."""
    return page.evaluate("""([boxes, color]) => {
        const canvas = document.querySelector('#contour canvas.plot-overlay');
        const ctx = canvas.getContext('2d');
        const dpr = canvas.width / canvas.clientWidth;
        const want = [1, 3, 5].map((i) => parseInt(color.slice(i, i + 2), 16));
        let n = 0;
        for (const [x, y] of boxes) {
            const r = 5 * dpr;
            const img = ctx.getImageData(Math.round(x * dpr - r), Math.round(y * dpr - r), 2 * r, 2 * r).data;
            for (let i = 0; i < img.length; i += 4) {
                const d = Math.abs(img[i] - want[0]) + Math.abs(img[i + 1] - want[1]) + Math.abs(img[i + 2] - want[2]);
                if (img[i + 3] > 200 && d < 60) n++;
            }
        }
        return n;
    }""", [boxes, color])


def test_arrows_draw_gradient_momentum_and_step_in_the_run_colour(page, server):
    page.goto(server.url + SCENE)
    wait_ready(page)
    k = 30
    pause_at(page, k)
    assert hook(page, "h.arrows()") == []
    box = page.get_by_role("checkbox", name="Arrows on the plot")
    box.check()
    page.wait_for_function("() => location.search.includes('arrows=1')")
    page.wait_for_function("() => window.__optplay.hasState() && window.__optplay.idle()")
    pause_at(page, k)
    arrows = poll(lambda: hook(page, "h.arrows()"))
    colors = hook(page, "h.state.rows.map((r) => r.color)")
    paths = hook(page, "h.paths()")
    # Each run: −g, −m (Adam's exp_avg, SGD's momentum_buffer) and Δθ, from its current point.
    for i in range(2):
        mine = [a for a in arrows if a["run"] == i]
        assert sorted(a["kind"] for a in mine) == ["grad", "momentum", "update"]
        assert all(a["color"] == colors[i] for a in mine)
        point = page.evaluate("""(p) => {
            const fl = document.querySelector('#contour .plot-graph')._fullLayout;
            return [fl.xaxis._offset + fl.xaxis.l2p(p[0]), fl.yaxis._offset + fl.yaxis.l2p(p[1])];
        }""", paths[i][k])
        for a in mine:
            assert abs(a["x0"] - point[0]) < 0.5 and abs(a["y0"] - point[1]) < 0.5
            length = ((a["x1"] - a["x0"]) ** 2 + (a["y1"] - a["y0"]) ** 2) ** 0.5
            assert 5.9 <= length <= 72.1
        # The Δθ arrow points along the step just taken (y grows upwards on screen).
        update = next(a for a in mine if a["kind"] == "update")
        dx, dy = paths[i][k][0] - paths[i][k - 1][0], paths[i][k][1] - paths[i][k - 1][1]
        sx, sy = update["x1"] - update["x0"], update["y0"] - update["y1"]
        assert (dx * sx + dy * sy) / ((dx * dx + dy * dy) ** 0.5 * (sx * sx + sy * sy) ** 0.5) > 0.999
    # Something is really drawn: the arrow heads are in the run's colour on the canvas.
    time.sleep(0.2)
    tips = {i: [[a["x1"], a["y1"]] for a in arrows if a["run"] == i] for i in range(2)}
    with_arrows = {i: run_color_pixels(page, tips[i], colors[i]) for i in range(2)}
    box.uncheck()
    page.wait_for_function("() => window.__optplay.arrows().length === 0")
    time.sleep(0.2)
    without = {i: run_color_pixels(page, tips[i], colors[i]) for i in range(2)}
    for i in range(2):
        assert with_arrows[i] >= without[i] + 20, (i, with_arrows, without)
    # The legend says what the three are, and that lengths are scaled.
    legend = page.locator("#inspector .arrow-legend")
    assert legend.is_hidden()
    box.check()
    assert "−g" in legend.inner_text() and "Δθ" in legend.inner_text()
    assert "scaled" in legend.get_attribute("title")
    page.watch.assert_clean()


def test_lr_strip_shows_the_staircase_and_scrubs(page, server):
    page.goto(server.url + SCENE)
    wait_ready(page)
    strip = page.locator("#lr-section")
    assert strip.is_visible()
    graph = "#lr-section .strip-graph"
    page.wait_for_function("(sel) => { const gd = document.querySelector(sel); return gd && gd.data && gd.data.length === 2; }", arg=graph)
    traces = page.evaluate("(sel) => document.querySelector(sel).data.map((t) => ({x: t.x, y: t.y, color: t.line.color, shape: t.line.shape}))", graph)
    colors = hook(page, "h.state.rows.map((r) => r.color)")
    adam = next(t for t in traces if t["color"] == colors[0])
    sgd = next(t for t in traces if t["color"] == colors[1])
    assert set(adam["y"]) == {0.05}
    # StepLR(step_size=30, gamma=0.5): the point at step k is the lr step k used.
    lr_at = dict(zip(sgd["x"], sgd["y"]))
    assert sgd["shape"] == "hv" and sgd["x"][0] == 1 and len(sgd["x"]) == 120
    for step, lr in ((1, 0.001), (30, 0.001), (31, 0.0005), (60, 0.0005), (61, 0.00025), (91, 0.000125), (120, 0.000125)):
        assert abs(lr_at[step] - lr) <= 1e-15, step

    # A click on the strip moves the shared step, and its cursor follows.
    page.locator("#player [data-action=reset]").click()
    strip.scroll_into_view_if_needed()
    target = page.evaluate("""(sel) => {
        const gd = document.querySelector(sel), r = gd.getBoundingClientRect(), fl = gd._fullLayout;
        return [r.left + fl.xaxis._offset + fl.xaxis.l2p(75), r.top + fl.yaxis._offset + fl.yaxis._length / 2];
    }""", graph)
    page.mouse.click(*target)
    assert abs(hook(page, "h.currentStep()") - 75) <= 1
    assert not hook(page, "h.playing()")
    k = hook(page, "h.currentStep()")
    assert page.locator("#player .scrubber").input_value() == str(k)
    page.wait_for_function("(k) => document.querySelector('#lr-section .strip-wrap').dataset.step === String(k)", arg=k)
    page.watch.assert_clean()


def test_lr_strip_takes_no_space_without_a_scheduler(page, server):
    page.goto(server.url + "/?s=rosenbrock&steps=60&o=adam(lr=0.05)&o=sgd(lr=0.001;momentum=0.9)")
    wait_ready(page)
    time.sleep(0.3)
    assert page.locator("#lr-section").is_hidden()
    assert page.evaluate("() => document.querySelector('#lr-section').getBoundingClientRect().height") == 0
    page.watch.assert_clean()


def test_url_keys_restore_the_panels_and_old_urls_keep_working(page, server):
    page.goto(server.url + SCENE + "&insp=1&arrows=1")
    wait_ready(page)
    assert page.get_by_role("button", name="Inside the optimizer").get_attribute("aria-expanded") == "true"
    assert page.get_by_role("checkbox", name="Arrows on the plot").is_checked()
    page.wait_for_function("() => window.__optplay.hasState()")
    assert page.locator("#inspector .insp-card").count() == 2
    # A card per visible run only, and no arrows for a hidden path.
    page.goto(server.url + SCENE + "&insp=1&arrows=1&hide=2")
    wait_ready(page)
    page.wait_for_function("() => window.__optplay.hasState()")
    assert page.locator("#inspector .insp-card").count() == 1
    assert page.locator("#inspector .insp-card").get_attribute("data-run") == "0"
    pause_at(page, 20)
    assert {a["run"] for a in poll(lambda: hook(page, "h.arrows()"))} == {0}
    # Malformed values fall back to closed / off.
    page.goto(server.url + SCENE + "&insp=yes&arrows=2")
    wait_ready(page)
    assert page.get_by_role("button", name="Inside the optimizer").get_attribute("aria-expanded") == "false"
    assert not page.get_by_role("checkbox", name="Arrows on the plot").is_checked()
    assert not hook(page, "h.hasState()")
    page.watch.assert_clean()


# Allowed Latin in the Chinese panels: PyTorch's own names and code, symbols, numbers.
CODE = re.compile(r"(print\()?optimizer\.state_dict\(\)\)?|optimizer\.step\(\)|optimizer\.state(\[p\]\[\"\w+\"\])?|param_groups\[0\]\[\"lr\"\]|p\.grad")


def test_new_panels_speak_chinese(page, server):
    page.goto(server.url + SCENE + "&insp=1&arrows=1")
    wait_ready(page)
    page.wait_for_function("() => window.__optplay.hasState() && window.__optplay.idle()")
    page.get_by_role("button", name="中文").click()
    pause_at(page, 45)
    page.wait_for_function("() => document.querySelector('#lr-section .xtitle')?.textContent === '步数'")
    page.wait_for_function("() => document.querySelector('#inspector .insp-eff-chart .xtitle')?.textContent === '步数'")
    text = page.evaluate("""() => {
        const parts = [];
        for (const sel of ['#inspector', '#lr-section']) {
            const root = document.querySelector(sel);
            parts.push(root.innerText);
            for (const t of root.querySelectorAll('svg text')) parts.push(t.textContent);
            for (const e of root.querySelectorAll('[title], [aria-label]')) parts.push(e.title || '', e.getAttribute('aria-label') || '');
        }
        return parts.join('\\n');
    }""")
    assert "优化器内部" in text and "学习率随步数的变化" in text and "第 45 步之后" in text
    catalogue = page.evaluate("""async () => {
        const [o, s] = await Promise.all([fetch('/api/v1/optimizers').then((r) => r.json()),
                                           fetch('/api/v1/schedulers').then((r) => r.json())]);
        return [...o.optimizers.flatMap((x) => [x.id, x.name, ...x.state, ...x.params.map((p) => p.name)]),
                ...s.schedulers.flatMap((x) => [x.id, ...x.params.map((p) => p.name)])];
    }""")
    allowed = {w.lower() for name in catalogue for w in re.findall(r"[A-Za-z_]+", name)} | {"none", "lr", "pytorch"}
    words = [w for w in re.findall(r"[A-Za-z_]{2,}", CODE.sub(" ", text)) if w.lower() not in allowed]
    assert not words, f"English left in the Chinese panels: {sorted(set(words))}"
    page.watch.assert_clean()


def test_too_many_steps_for_the_state_is_explained_not_an_error(page, server):
    frames = sent_frames(page)
    page.goto(server.url + "/?s=rosenbrock&steps=6000&o=adam(lr=0.05)&insp=1&arrows=1")
    wait_ready(page, timeout=40_000)
    # The server refuses "state" above its limit (a 422): the page does not ask, and says why.
    assert frames and not any("state" in f for f in frames)
    assert page.locator("#global-error").is_hidden()
    note = page.locator("#inspector .insp-limit")
    assert note.is_visible() and "5000" in note.inner_text()
    assert "5000" in page.locator("#inspector .insp-card .insp-note").inner_text()
    assert hook(page, "h.arrows()") == []
    # Back under the limit, the state comes.
    done = hook(page, "h.done()")
    page.locator("#steps").fill("300")
    page.locator("#steps").press("Enter")
    page.wait_for_function("(n) => window.__optplay.done() > n && window.__optplay.hasState()", arg=done)
    assert note.is_hidden()
    assert any(f.get("state") is True and f["steps"] == 300 for f in frames)
    page.watch.assert_clean()


def test_numbers_follow_playback_and_settle_on_the_paused_step(page, server):
    page.goto(server.url + "/?s=rosenbrock&steps=400&o=adam(lr=0.05)&insp=1")
    wait_ready(page)
    page.wait_for_function("() => window.__optplay.hasState()")
    page.locator("#player [data-action=reset]").click()
    page.locator("#player .play-btn").click()
    header = page.locator("#inspector .insp-card .insp-step")
    # While playing, the card keeps up with the clock (a few updates a second) ...
    seen = set()
    deadline = time.monotonic() + 1.5
    while time.monotonic() < deadline:
        seen.add(header.inner_text())
        time.sleep(0.1)
    assert len(seen) >= 3, seen
    # ... and once paused it shows exactly the step the player stopped on.
    page.locator("#player .play-btn").click()
    assert not hook(page, "h.playing()")
    k = int(hook(page, "Math.floor(h.currentStep() + 1e-9)"))
    page.wait_for_function("(k) => document.querySelector('#inspector .insp-card .insp-step').textContent === `after step ${k}`", arg=k)
    page.watch.assert_clean()


def test_the_paths_come_first_and_their_state_follows_in_a_request_of_its_own(page, server):
    """With the inspector open, a slider move asks for the paths alone (drawn as soon as
    they are in: #12) and, once they are complete, for the same runs with "state": true;
    meanwhile the cards keep their rows and the effective-step chart its graph."""
    frames = sent_frames(page)
    page.goto(server.url + SCENE + "&insp=1")
    wait_ready(page)
    page.wait_for_function("() => window.__optplay.hasState() && window.__optplay.idle()")
    graph = "#inspector .insp-card[data-run='0'] .insp-eff-chart .strip-graph"
    page.evaluate("(sel) => { window.__graphBefore = document.querySelector(sel); }", graph)
    assert page.evaluate("() => window.__graphBefore !== null")
    seen, done = len(frames), hook(page, "h.done()")
    page.locator("#rows .row-card [data-param='lr'] input[type=range]").first.evaluate(
        "(s) => { s.value = String(Number(s.min) + 0.4 * (Number(s.max) - Number(s.min)));"
        " s.dispatchEvent(new Event('input', { bubbles: true })); }")
    page.wait_for_function("(n) => window.__optplay.done() > n && window.__optplay.hasState()"
                           " && window.__optplay.idle()", arg=done)
    new = frames[seen:]
    paths = [f for f in new if "state" not in f]
    asked = [f for f in new if f.get("state") is True]
    assert paths and asked, new
    assert new.index(asked[-1]) > new.index(paths[-1])
    without = lambda f: {k: v for k, v in request_body(f).items() if k != "state"}  # noqa: E731
    assert without(asked[-1]) == without(paths[-1])
    # (and it names the new paths: the socket need not send them again)
    assert len(asked[-1]["have"]) == len(paths[-1]["runs"])
    # The state shown is the new paths' own, and the card was not rebuilt for it.
    api = post_run(server, without(asked[-1]) | {"state": True})["runs"]
    assert hook(page, "h.paths()") == [run["path"] for run in api]
    assert page.evaluate("(sel) => document.querySelector(sel) === window.__graphBefore", graph)
    page.watch.assert_clean()
