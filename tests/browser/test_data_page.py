"""Surfaces from data on the page (issue #16), driven as a student would: the data panel
follows the scrubbed step, your own CSV (a bad line named before anything is sent),
mini-batch controls, epochs on the loss chart, links that reload to the same view."""

from __future__ import annotations

import json
import math
import re
import subprocess
import sys

import pytest

from .conftest import hook, poll, wait_ready, wait_recomputed

LINE = "/?data=line&steps=60&o=sgd(lr=0.05)&o=adam(lr=0.3)&batch=8"


def api_paths(page, server, body: dict) -> list[list[list[float]]]:
    res = page.request.post(f"{server.url}/api/v1/run", data=json.dumps(body),
                            headers={"content-type": "application/json"})
    assert res.ok, res.text()
    return [run["path"] for run in res.json()["runs"]]


def seek(page, k: int) -> None:
    page.evaluate("(k) => { const p = window.__optplay.player; p.pause(); p.seek(k); }", k)
    page.wait_for_function("(k) => { const d = window.__optplay.dataLines(); "
                           "return d.length && d.every((l) => l.step === k); }", arg=k)


def canvas_colours_at(page, x: float, y: float) -> list[list[int]]:
    """The data panel's canvas pixels around data coordinates (x, y) (3 × 3: a line's
    centre falls between pixels)."""
    return page.evaluate("""([x, y]) => {
        const gd = document.querySelector('#data-view .data-graph'), fl = gd._fullLayout;
        const c = document.querySelector('#data-view canvas'), dpr = c.width / c.clientWidth;
        const px = (fl.xaxis._offset + fl.xaxis.l2p(x)) * dpr, py = (fl.yaxis._offset + fl.yaxis.l2p(y)) * dpr;
        const d = c.getContext('2d').getImageData(Math.round(px) - 1, Math.round(py) - 1, 3, 3).data;
        const out = [];
        for (let i = 0; i < d.length; i += 4) out.push([d[i], d[i + 1], d[i + 2], d[i + 3]]);
        return out;
    }""", [x, y])


def rgb(hex_colour: str) -> list[int]:
    return [int(hex_colour[i:i + 2], 16) for i in (1, 3, 5)]


def test_data_panel_draws_each_runs_line_at_the_scrubbed_step(page, server):
    page.goto(server.url + LINE)
    wait_ready(page)
    assert page.locator("#data-view").is_visible()
    # The contour's axes are the model's parameters, and say so.
    titles = page.eval_on_selector_all("#contour .g-xtitle, #contour .g-ytitle", "ts => ts.map(t => t.textContent)")
    assert titles == ["w (weight)", "b (bias)"]
    body = {"surface": {"data": "line"}, "batch": {"size": 8, "seed": 0, "shuffle": True},
            "steps": 60, "runs": [{"optimizer": "sgd", "params": {"lr": 0.05}},
                                  {"optimizer": "adam", "params": {"lr": 0.3}}]}
    paths = api_paths(page, server, body)
    assert hook(page, "h.paths()") == paths
    probed = 0
    for k in (0, 7, 33, 60):
        seek(page, k)
        lines = hook(page, "h.dataLines()")
        assert len(lines) == 2
        for line, path in zip(lines, paths):
            w, b = path[k]
            assert (line["w"], line["b"]) == (w, b)
            for x, y in (line["from"], line["to"]):
                assert math.isclose(y, w * x + b, rel_tol=1e-12, abs_tol=1e-12)
        # The last run drawn is on top: its colour is on the canvas where its line
        # crosses the middle of the plot's y range (when it does: at step 0 it is below).
        last = lines[-1]
        w, b = paths[-1][k]
        (x0, _), (x1, _) = last["from"], last["to"]
        y0, y1 = page.evaluate("() => document.querySelector('#data-view .data-graph')._fullLayout.yaxis.range")
        xm = ((y0 + y1) / 2 - b) / w
        if x0 < xm < x1:
            probed += 1
            colours = canvas_colours_at(page, xm, w * xm + b)
            assert any(all(abs(c - e) <= 24 for c, e in zip(px[:3], rgb(last["color"]))) and px[3] == 255
                       for px in colours), (colours, last)
    assert probed >= 2
    assert page.locator("#data-view .data-title").inner_text().startswith("The data, and each optimizer's model at step 60")
    page.watch.assert_clean()


def test_logistic_data_draws_the_sigmoid(page, server):
    page.goto(server.url + "/?data=pass-fail&steps=40&o=sgd(lr=0.5)")
    wait_ready(page)
    seek(page, 20)
    [line] = hook(page, "h.dataLines()")
    w, b = hook(page, "h.paths()")[0][20]
    for x, p in (line["from"], line["to"]):
        assert math.isclose(p, 1 / (1 + math.exp(-(w * x + b))), rel_tol=1e-9)
    assert "σ(w·x + b)" in page.locator("#data-view .data-model").inner_text()
    page.watch.assert_clean()


def test_csv_with_a_bad_line_is_named_at_that_line_before_anything_is_sent(page, server):
    page.goto(server.url + "/?s=bowl&steps=30&o=sgd(lr=0.05)")
    wait_ready(page)
    page.select_option("#surface-select", "__csv__")
    # Your data starts as the first built-in set, ready to edit.
    page.wait_for_function("() => { const d = window.__optplay.state.data; return d && d.x && d.x.length === 40; }")
    wait_ready(page)
    grids = lambda: sum("/api/v1/grid" in u for u in page.watch.requests)
    before = grids()
    page.fill("#csv-text", "hours,score\n1,2\n2,4.1\n3, abc\n4,8")
    status = page.locator("#csv-status")
    poll(lambda: "Line 4" in status.inner_text(), timeout=5)
    assert status.inner_text() == "Line 4: “abc” is not a number."
    assert page.locator("#csv-caret").inner_text() == "4 │ 3, abc\n       ^"
    assert page.locator("#csv-text").get_attribute("aria-invalid") is not None
    page.wait_for_timeout(600)
    assert grids() == before                                 # nothing was sent
    assert hook(page, "h.state.data.x.length") == 40          # the scene is unchanged
    # Fixed: read, checked by the server, computed, and in the URL.
    done = hook(page, "h.done()")
    page.fill("#csv-text", "hours,score\n1,2\n2,4.1\n3,6.2\n4,8")
    poll(lambda: status.inner_text() == "4 points read.", timeout=5)
    wait_recomputed(page, done)
    assert hook(page, "h.state.data") == {"x": [1, 2, 3, 4], "y": [2, 4.1, 6.2, 8]}
    poll(lambda: "pts=1:2,2:4.1,3:6.2,4:8" in page.url, timeout=3)
    # A logistic model wants labels 0 or 1: said at the line, before anything is sent.
    page.select_option("#data-model", "logistic")
    poll(lambda: status.inner_text().startswith("Line 2"), timeout=3)
    assert status.inner_text() == "Line 2: y = 2; a logistic model needs every y to be 0 or 1."
    page.watch.assert_clean()


def test_a_link_with_data_the_server_refuses_says_why_at_the_data_control(page, server):
    page.goto(server.url + "/?pts=1:2,2:0,3:1&model=logistic&o=sgd(lr=0.1)")
    wait_ready(page)
    note = page.locator("#data-note")
    assert note.is_visible()
    assert "a logistic model needs every y to be 0 or 1" in note.inner_text()
    assert hook(page, "h.state.data") is None                # fell back to the default surface
    page.watch.assert_clean(allow=("422",))


def test_batch_controls_change_the_request_and_the_url(page, server):
    frames: list[dict] = []
    page.on("websocket", lambda ws: ws.on("framesent", lambda payload: frames.append(json.loads(payload))))
    page.goto(server.url + "/?data=line&steps=50&o=sgd(lr=0.05)")
    wait_ready(page)
    assert "batch" not in frames[-1]
    assert page.locator("#batch-info").inner_text() == "Every step uses all 40 points (full batch): the gradient has no noise."
    assert page.locator("#loss .loss-graph").evaluate("gd => gd.data.filter(t => t.meta === 'batch').length") == 0
    done = hook(page, "h.done()")
    page.fill("#batch-size", "8")
    wait_recomputed(page, done)
    assert frames[-1]["batch"] == {"size": 8, "seed": 0, "shuffle": True}
    assert page.locator("#batch-info").inner_text() == "8 of 40 points per step · an epoch is 5 steps."
    poll(lambda: "batch=8" in page.url, timeout=3)
    batch_losses = hook(page, "h.batchLosses()")
    assert [len(b) for b in batch_losses] == [50]
    # Drawn faintly behind the full-data loss, one per run.
    drawn = poll(lambda: page.locator("#loss .loss-graph").evaluate(
        "gd => gd.data.filter(t => t.meta === 'batch').map(t => [t.y.length, t.opacity])"), timeout=3)
    assert drawn == [[50, 0.3]]
    done = hook(page, "h.done()")
    page.fill("#batch-seed", "3")
    wait_recomputed(page, done)
    assert frames[-1]["batch"] == {"size": 8, "seed": 3, "shuffle": True}
    done = hook(page, "h.done()")
    page.uncheck("#batch-shuffle")
    wait_recomputed(page, done)
    assert frames[-1]["batch"] == {"size": 8, "seed": 3, "shuffle": False}
    poll(lambda: "bseed=3" in page.url and "shuffle=0" in page.url, timeout=3)
    # The slider's right end is the whole data set again.
    done = hook(page, "h.done()")
    page.locator("#batch-slider").fill("1000")
    wait_recomputed(page, done)
    assert "batch" not in frames[-1]
    poll(lambda: "batch=" not in page.url, timeout=3)
    page.watch.assert_clean()


def test_epochs_are_marked_on_the_loss_chart(page, server):
    page.goto(server.url + "/?data=line&steps=50&o=sgd(lr=0.05)&batch=8")
    wait_ready(page)
    assert hook(page, "h.epochSteps()") == 5                  # ceil(40 / 8)
    layout = poll(lambda: page.locator("#loss .loss-graph").evaluate(
        "gd => gd.layout.shapes && gd.layout.shapes.length && {shapes: gd.layout.shapes, notes: gd.layout.annotations}"), timeout=3)
    lines = sorted(s["x0"] for s in layout["shapes"] if s["type"] == "line")
    assert lines == [5 * e for e in range(1, 11)]
    bands = [(s["x0"], s["x1"]) for s in layout["shapes"] if s["type"] == "rect"]
    assert bands == [(5, 10), (15, 20), (25, 30), (35, 40), (45, 50)]
    assert layout["notes"][0]["text"] == "epoch 1"
    assert page.locator("#loss-batch-hint").is_visible()
    # 40 points in batches of 7: ceil(40 / 7) = 6 steps an epoch.
    done = hook(page, "h.done()")
    page.fill("#batch-size", "7")
    wait_recomputed(page, done)
    poll(lambda: page.locator("#loss").get_attribute("data-epoch") == "6", timeout=3)
    page.watch.assert_clean()


def test_links_reload_to_the_same_view(page, server):
    url = server.url + "/?data=pass-fail&steps=40&o=adam(lr=0.1)&batch=4&bseed=2&shuffle=0"
    page.goto(url)
    wait_ready(page)
    paths = hook(page, "h.paths()")
    page.wait_for_timeout(300)                                 # the URL is saved (debounced)
    saved = page.url
    page.reload()
    wait_ready(page)
    assert page.url == saved
    assert hook(page, "h.paths()") == paths
    assert page.locator("#surface-select").input_value() == "data:pass-fail"
    assert page.locator("#batch-size").input_value() == "4"
    assert page.locator("#batch-seed").input_value() == "2"
    assert not page.locator("#batch-shuffle").is_checked()
    assert page.locator("#data-model").input_value() == "logistic"
    # Your data travels in the link: a fresh tab opens it with the same paths.
    page.goto(server.url + "/?pts=0.5:1,1.5:2.2,2:2.9,3.5:5.1&steps=30&o=sgd(lr=0.1)&batch=2")
    wait_ready(page)
    paths = hook(page, "h.paths()")
    other = page.context.new_page()
    other.goto(page.url)
    wait_ready(other)
    assert hook(other, "h.paths()") == paths
    assert other.locator("#csv-text").input_value() == "x,y\n0.5,1\n1.5,2.2\n2,2.9\n3.5,5.1"
    other.close()
    page.watch.assert_clean()


def test_data_too_long_for_a_link_says_so_and_survives_a_reload(page, server, context):
    page.goto(server.url + "/?s=bowl&steps=20&o=sgd(lr=0.01)")
    wait_ready(page)
    page.select_option("#surface-select", "__csv__")
    page.wait_for_function("() => { const d = window.__optplay.state.data; return d && d.x; }")
    wait_ready(page)
    text = "x,y\n" + "\n".join(f"{i / 100:.2f},{(3 * i / 100 + 1 + (i % 7) / 10):.3f}" for i in range(800))
    done = hook(page, "h.done()")
    page.fill("#csv-text", text)
    wait_recomputed(page, done)
    assert hook(page, "h.state.data.x.length") == 800
    share = page.locator("#csv-share")
    assert share.is_visible()
    assert re.search(r"As a link this data is [\d,]+ characters, more than the 6,000", share.inner_text())
    poll(lambda: "data=local" in page.url and "pts=" not in page.url, timeout=3)
    paths = hook(page, "h.paths()")
    # This tab keeps it across a reload ...
    page.reload()
    wait_ready(page)
    assert hook(page, "h.state.data.x.length") == 800
    assert hook(page, "h.paths()") == paths
    # ... another browser does not have it, and says so.
    fresh = page.context.browser.new_context(viewport={"width": 1400, "height": 900}, locale="en-US")
    other = fresh.new_page()
    other.goto(page.url)
    wait_ready(other)
    note = other.locator("#data-note")
    assert note.is_visible()
    assert note.inner_text().startswith("This link was made with data too long to travel in a link")
    assert hook(other, "h.state.data") == {"id": "line"}
    fresh.close()
    page.watch.assert_clean()


def test_html_export_of_a_data_scene_plays_offline_with_its_data(page, server, browser, tmp_path):
    from .test_static_export_browser import _open
    from .test_static_export_browser import hook as export_hook

    page.goto(server.url + "/?pts=0.5:1,1.5:2.2,2:2.9,3.5:5.1,4:5.8&steps=40&o=sgd(lr=0.05)&batch=2&lang=zh")
    wait_ready(page)
    paths = hook(page, "h.paths()")
    with page.expect_download() as dl:
        page.locator("[data-export=html]").click()
    out = tmp_path / "scene.html"
    dl.value.save_as(out)
    page.watch.assert_clean()
    ctx = browser.new_context(viewport={"width": 1000, "height": 900}, offline=True)
    other, blocked, errors = _open(ctx, out)
    k0 = export_hook(other, "h.step()")
    assert poll(lambda: export_hook(other, "h.step()") > k0 + 3, timeout=5)
    other.click("#play")
    export_hook(other, "h.seek(25)")
    assert other.locator("#data-title").inner_text() == "数据，以及各优化器在第 25 步的模型"
    [line] = export_hook(other, "h.dataLines()")
    w, b = paths[0][25]
    assert math.isclose(line["w"], w, rel_tol=1e-8) and math.isclose(line["b"], b, rel_tol=1e-8)
    assert "你的数据" in other.locator("header").inner_text()
    assert not blocked and not errors, (blocked, errors)
    ctx.close()


def test_copy_as_pytorch_on_a_data_scene_trains_the_same_path_in_real_pytorch(page, server, context, tmp_path):
    """The page's Copy as PyTorch on a surface from data is a training loop (the data as
    tensors, the same mini-batch order, the model, the loss) that real PyTorch runs to the
    paths the page shows: built-in data with mini-batches, and pasted logistic data."""
    pytest.importorskip("torch")
    context.grant_permissions(["clipboard-read", "clipboard-write"])
    for query in ("/?data=line&steps=40&o=sgd(lr=0.05;momentum=0.9)&o=adam(lr=0.3)&batch=8&bseed=3",
                  "/?pts=-2:0,-1:0,-0.5:1,0.5:0,1:1,2:1&model=logistic&steps=30&o=adagrad(lr=0.5)"
                  "&batch=4&shuffle=0"):
        page.goto(server.url + query)
        wait_ready(page)
        page.get_by_role("button", name="Copy as PyTorch").click()
        page.wait_for_selector("#code-dialog[open]")
        code = poll(lambda: page.evaluate("() => navigator.clipboard.readText()"), timeout=5)
        assert "DataLoader" in code or "torch.tensor" in code, code[:400]
        script = tmp_path / "scene.py"
        script.write_text(code, encoding="utf-8")
        done = subprocess.run([sys.executable, str(script), "--json"], capture_output=True,
                              text=True, timeout=300, cwd=tmp_path)
        assert done.returncode == 0, done.stderr
        theirs = json.loads(done.stdout)
        paths, batch = hook(page, "h.paths()"), hook(page, "h.batchLosses()")
        assert len(theirs) == len(paths)
        for run, path, bl in zip(theirs, paths, batch):
            assert len(run["path"]) == len(path) and len(run["batch_loss"]) == len(bl) > 0
            for (a, b), (c, d) in zip(run["path"], path):
                assert math.isclose(a, c, rel_tol=1e-6, abs_tol=1e-9) and math.isclose(b, d, rel_tol=1e-6, abs_tol=1e-9)
            for u, v in zip(run["batch_loss"], bl):
                assert math.isclose(u, v, rel_tol=1e-6, abs_tol=1e-9)
        page.locator("#code-dialog [data-act=close]").click()
    page.watch.assert_clean()


def test_a_data_link_opens_while_plotly_js_is_still_loading(context, server):
    """plotly.js is a deferred script that may arrive after the grid: the data panel waits
    for it (it once drew with a Plotly not yet there, and the page stayed loading, its
    start point fields at 0, 0), on the page and in the embed."""
    import time

    def slow_plotly(route):
        time.sleep(1.5)
        route.continue_()

    context.route("**/vendor/plotly-cartesian*", slow_plotly)
    for path in ("/", "/embed"):
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(server.url + path + "?data=line&steps=30&o=sgd(lr=0.05)&batch=8")
        wait_ready(page)
        page.wait_for_function("() => !document.body.classList.contains('is-loading')", timeout=10_000)
        page.wait_for_selector("#data-view .data-graph .main-svg")
        poll(lambda: hook(page, "h.dataLines().length") == 1, timeout=5)
        if path == "/":
            assert [page.input_value("#start-x"), page.input_value("#start-y")] == ["-1", "-3"]
        assert errors == []
        page.close()
