"""The torch.optim API lab on the page (issue #15), driven as a student would: split a row
into param groups, switch zero_grad() off, put a change of course on the timeline (keep
the state or re-create the optimizer), read optimizer.state_dict(), count LBFGS's closure
calls, and reload the link. What the page shows is checked against POST /api/v1/run."""

from __future__ import annotations

import math
import re

from .conftest import hook, poll, request_body, wait_ready, wait_recomputed
from .test_inspector import assert_shown, panel_values, pause_at, post_run, sent_frames


def open_lab(page, row: int = 0):
    lab = page.locator(".row-card").nth(row).locator("[data-torch-api]")
    if lab.get_attribute("open") is None:
        lab.locator("> summary").click()
    return lab


def last_body(frames) -> dict:
    return request_body(frames[-1])


def test_param_groups_give_each_axis_its_lr_on_the_strip_and_the_path(page, server):
    frames = sent_frames(page)
    page.goto(server.url + "/?s=bowl&start=1,1&steps=40&o=sgd(lr=0.05)")
    wait_ready(page)
    # Quiet by default: the lab is closed, the lr strip hidden (a constant lr).
    lab = page.locator(".row-card").first.locator("[data-torch-api]")
    assert lab.get_attribute("open") is None
    assert page.locator("#lr-section").is_hidden()
    lab = open_lab(page)
    before = hook(page, "h.done()")
    lab.get_by_role("checkbox", name="Two param groups: x and y, each with its own values").check()
    wait_recomputed(page, before)
    # y starts at a third of the row's lr; set it to 0.01 by hand.
    box = lab.locator("[data-group='y'] [data-param='lr'] input.num")
    before = hook(page, "h.done()")
    box.fill("0.01")
    wait_recomputed(page, before)
    body = last_body(frames)
    assert body["runs"][0]["groups"] == {"x": {}, "y": {"lr": 0.01}}
    api = post_run(server, body)["runs"][0]
    assert api["lrs"][0] == [0.05, 0.01]
    # The lr strip shows both groups' lr (x solid, y dashed), as the API's lrs.
    assert page.locator("#lr-section").is_visible()
    want = [[lr[0] for lr in api["lrs"]], [lr[1] for lr in api["lrs"]]]

    def strip():
        return page.evaluate("() => { const gd = document.querySelector('#lr-section .strip-graph');"
                             " return gd && gd.data ? gd.data.map((t) => ({name: t.name, y: t.y,"
                             " dash: t.line.dash || null})) : []; }")
    traces = poll(lambda: (t := strip()) and [x["y"] for x in t] == want and t)   # redrawn at most every 100 ms
    assert traces, strip()
    assert "group x" in traces[0]["name"] and "group y" in traces[1]["name"]
    assert traces[1]["dash"] == "dash"
    assert hook(page, "h.groupLrs()[0]") == api["lrs"]
    # The path moves further along x, whose group has the larger lr.
    path = hook(page, "h.paths()[0]")
    assert path == api["path"]
    x, y = path[-1]
    assert abs(1 - x) > 1.5 * abs(1 - y)
    # The label says so, as code.
    assert "x() y(lr=0.01)" in page.locator("#readout").inner_text()
    page.watch.assert_clean()


def test_zero_grad_off_the_inspector_shows_grad_as_the_sum(page, server):
    frames = sent_frames(page)
    page.goto(server.url + "/?s=bowl&start=1,-2&steps=60&o=sgd(lr=0.02)&insp=1")
    wait_ready(page)
    page.wait_for_function("() => window.__optplay.hasState()")
    on = hook(page, "h.paths()[0]")
    lab = open_lab(page)
    before = hook(page, "h.done()")
    lab.get_by_role("checkbox", name="call optimizer.zero_grad() before each backward()").uncheck()
    assert "never cleared" in lab.locator(".lab-zero .lab-warn").inner_text()
    wait_recomputed(page, before)
    body = last_body(frames)
    assert body["runs"][0]["zero_grad"] == "never"
    api = post_run(server, body)["runs"][0]
    k = 9
    pause_at(page, k)
    shown = poll(lambda: (v := panel_values(page)) and v["0"]["_header"] == f"after step {k}" and v)
    # .grad is the sum of the gradients at θ₀ … θₖ₋₁ (bowl: ∇f = (2x, 2y)).
    for c in range(2):
        total = sum(2 * p[c] for p in api["path"][:k])
        assert math.isclose(api["grad"][k - 1][c], total, rel_tol=1e-12)
        assert_shown(shown["0"]["grad"][c], total, f".grad[{c}]")
    card = page.locator("#inspector .insp-card").first
    assert ".grad: the sum" in card.locator("tr[data-name='grad'] th").inner_text()
    assert f"sum of the gradients of steps 1 … {k}" in card.locator(".insp-lab-note").inner_text()
    # Off, the path never settles: the summed gradient keeps pushing it past the minimum,
    # as far out as it started, long after the run with zero_grad() has come in.
    off = hook(page, "h.paths()[0]")
    assert off == api["path"]
    assert max(math.hypot(*p) for p in off[30:]) > 3 * max(math.hypot(*p) for p in on[30:])
    page.watch.assert_clean()


def test_a_change_at_a_step_keep_against_re_create(page, server):
    frames = sent_frames(page)
    page.goto(server.url + "/?s=bowl&start=1,1&steps=40&o=adam(lr=0.05)&insp=1")
    wait_ready(page)
    pause_at(page, 20)
    lab = open_lab(page)
    add = lab.locator("[data-lab='add-event']")
    assert add.inner_text() == "Add a change at step 20"
    before = hook(page, "h.done()")
    add.click()
    wait_recomputed(page, before)
    lab = open_lab(page)
    assert lab.locator(".lab-event").count() == 1
    assert lab.locator(".lab-event input[type=radio][value=keep]").is_checked()
    # The scheduler is off limits now, and the row says why.
    assert page.locator(".row-card").first.locator(".sched-select").is_disabled()
    before = hook(page, "h.done()")
    lab.locator("[data-lab='compare']").click()
    wait_recomputed(page, before)
    page.wait_for_function("() => window.__optplay.hasState() && window.__optplay.idle()")
    body = last_body(frames)
    keep, reset = body["runs"]
    assert keep["events"] == [{"at": 20, "params": {"lr": 0.005}, "state": "keep"}]
    assert reset["events"] == [{"at": 20, "params": {"lr": 0.005}, "state": "reset"}]
    api = post_run(server, body)["runs"]
    # Two markers on the scrubber at step 20, hollow (kept) and filled (re-created).
    marks = page.locator("#player .scrub-mark[data-at='20']")
    assert marks.count() == 2
    assert sorted(m.get_attribute("class") for m in marks.all()) == ["scrub-mark is-keep", "scrub-mark is-reset"]
    assert hook(page, "h.labMarks().events") == 2
    # A click on a marker seeks there.
    page.locator("#player [data-action=reset]").click()
    marks.first.click()
    assert hook(page, "h.currentStep()") == 20
    # After the change: the re-created Adam's step counts from 1 again, the kept one's on.
    k = 21
    pause_at(page, k)
    shown = poll(lambda: (v := panel_values(page)) and all(v[i]["_header"] == f"after step {k}" for i in "01") and v)
    assert shown["0"]["step"] == ["21"] and shown["1"]["step"] == ["1"]
    assert api[0]["state"]["step"][k - 1] == 21 and api[1]["state"]["step"][k - 1] == 1
    assert "built anew" in page.locator("#inspector .insp-card[data-run='1'] .insp-lab-note").inner_text()
    # The restart spike: bias correction starts over, the first step is a whole lr.
    jump = [abs(a - b) for a, b in zip(api[1]["path"][k], api[1]["path"][k - 1])]
    kept = [abs(a - b) for a, b in zip(api[0]["path"][k], api[0]["path"][k - 1])]
    assert all(math.isclose(j, 0.005, rel_tol=1e-6) for j in jump) and max(kept) < 0.7 * min(jump)
    for c in range(2):
        assert_shown(shown["1"]["update"][c], api[1]["path"][k][c] - api[1]["path"][k - 1][c], "Δθ")
    assert hook(page, "h.paths()") == [r["path"] for r in api]
    page.watch.assert_clean()


def test_state_dict_at_the_scrubbed_step_is_the_api_state_and_copies(page, server, context):
    context.grant_permissions(["clipboard-read", "clipboard-write"])
    frames = sent_frames(page)
    page.goto(server.url + "/?s=himmelblau&steps=30&o=adam(lr=0.1)&groups1=x(lr=0.2),y&insp=1")
    wait_ready(page)
    page.wait_for_function("() => window.__optplay.hasState()")
    k = 7
    pause_at(page, k)
    card = page.locator("#inspector .insp-card").first
    card.locator(".insp-sd > summary").click()
    # (data-text: the text as printed; on screen exponents hold non-breaking hyphens)
    text = poll(lambda: (s := card.locator(".insp-sd").get_attribute("data-text")) and "tensor(7.)" in s and s)
    assert card.locator(".insp-sd-text").inner_text().replace("\u2011", "-") == text
    api = post_run(server, last_body(frames))["runs"][0]
    state = api["state"]
    # Two parameters (x, y), each in its own param group, as PyTorch prints them.
    assert text.startswith("{'state': {0: {'step': tensor(7.), 'exp_avg': tensor([")
    assert "1: {'step': tensor(7.), 'exp_avg': tensor([" in text
    assert "'param_groups': [{'lr': 0.2, 'betas': (0.9, 0.999), 'eps': 1e-08, 'weight_decay': 0," in text
    assert text.endswith("'decoupled_weight_decay': False, 'params': [1]}]}")
    assert "'foreach': None" in text and "'params': [0]}, {'lr': 0.1," in text
    for name in ("exp_avg", "exp_avg_sq"):
        for i in range(2):
            shown = re.search(rf"{i}: {{[^}}]*'{name}': tensor\(\[\s*([-\d.e+]+)\]\)", text).group(1)
            assert_shown(shown, state[name][k - 1][i], f"{name} of parameter {i}")
    # The copy button puts exactly that text on the clipboard.
    card.locator(".insp-sd-copy").click()
    assert poll(lambda: page.evaluate("() => navigator.clipboard.readText()") == text)
    # Another step, another state.
    pause_at(page, 12)
    assert poll(lambda: "tensor(12.)" in card.locator(".insp-sd").get_attribute("data-text"))
    page.watch.assert_clean()


def test_lbfgs_closure_marks_are_the_api_s_evaluations(page, server):
    frames = sent_frames(page)
    page.goto(server.url + "/?s=rosenbrock&steps=6&o=lbfgs(lr=0.5)")
    wait_ready(page)
    lab = open_lab(page)
    assert "calls the closure several times" in lab.locator(".lab-closure").inner_text()
    # LBFGS refuses param groups, as PyTorch does: the switch says so and stays off.
    assert lab.get_by_role("checkbox", name="Two param groups: x and y, each with its own values").is_disabled()
    assert hook(page, "h.labMarks().evals") == 0        # no state asked for, no evals
    lab.locator("[data-lab='show-evals']").click()
    page.wait_for_function("() => location.search.includes('insp=1')")
    page.wait_for_function("() => window.__optplay.hasState() && window.__optplay.idle()")
    api = post_run(server, last_body(frames))["runs"][0]
    evals = api["evals"]
    assert hook(page, "h.evals()[0]") == evals
    for k in (1, 3, 6):
        pause_at(page, k)
        want = sum(len(points) for points in evals[:k])
        assert poll(lambda: hook(page, "h.labMarks().evals") == want), (k, hook(page, "h.labMarks()"), want)
        shown = poll(lambda: (v := panel_values(page)) and v["0"]["_header"] == f"after step {k}" and v)
        assert shown["0"]["evals"] == [str(len(evals[k - 1]))]
    assert sum(len(points) for points in evals) == api["state"]["func_evals"][-1]
    page.watch.assert_clean()


def test_a_link_with_all_of_it_reloads_to_the_same_view(page, server, context):
    page.goto(server.url + "/?s=booth&steps=50&o=sgd(lr=0.01;momentum=0.9)&o=adam(lr=0.3)")
    wait_ready(page)
    # Row 1: param groups with y's own momentum, and no zero_grad().
    lab = open_lab(page, 0)
    lab.get_by_role("checkbox", name="Two param groups: x and y, each with its own values").check()
    lab = open_lab(page, 0)
    lab.get_by_role("button", name="y lr: Use the row's value").click()     # y takes the row's lr
    lab = open_lab(page, 0)
    lab.locator("[data-group='y'] [data-param='momentum'] input.num").fill("0.5")
    lab.get_by_role("checkbox", name="call optimizer.zero_grad() before each backward()").uncheck()
    # Row 2: two changes of course, the second re-creating Adam with other betas.
    pause_at(page, 10)
    lab2 = open_lab(page, 1)
    lab2.locator("[data-lab='add-event']").click()
    pause_at(page, 30)
    lab2 = open_lab(page, 1)
    lab2.locator("[data-lab='add-event']").click()
    lab2 = open_lab(page, 1)
    second = lab2.locator(".lab-event").nth(1)
    second.locator("input[type=radio][value=reset]").check()
    lab2 = open_lab(page, 1)
    lab2.locator(".lab-event").nth(1).locator("select.lab-add-param").select_option("betas")
    lab2 = open_lab(page, 1)
    lab2.locator(".lab-event").nth(1).locator("[data-param='betas'] input.num").nth(1).fill("0.99")
    wait_ready(page)
    page.wait_for_function("() => location.search.includes('events2=')")
    page.wait_for_timeout(300)                                  # the URL is saved debounced
    query = page.evaluate("() => location.search")
    assert "groups1=x,y(momentum=0.5)" in query and "zero_grad1=never" in query
    assert "events2=10:keep(lr=0.03),30:reset(lr=0.003;betas=0.9,0.99)" in query
    state, paths = hook(page, "h.state"), hook(page, "h.paths()")

    again = context.new_page()
    again.goto(server.url + "/" + query)
    wait_ready(again)
    assert hook(again, "h.state")["rows"] == state["rows"]
    assert hook(again, "h.paths()") == paths
    # The view too: the labs open on what they hold, the marks on the scrubber.
    labs = again.locator("[data-torch-api]")
    assert labs.nth(0).get_attribute("open") is not None and labs.nth(1).get_attribute("open") is not None
    assert labs.nth(0).locator("[data-lab='groups']").is_checked()
    assert not labs.nth(0).locator("[data-lab='zero_grad']").is_checked()
    assert labs.nth(1).locator(".lab-event").count() == 2
    assert labs.nth(1).locator(".lab-event").nth(1).locator("input[value=reset]").is_checked()
    assert [m.get_attribute("data-at") for m in again.locator("#player .scrub-mark").all()] == ["10", "30"]
    # Python reads the link as the page does (the share-URL decoder, exports).
    from app.teach.share_url import request_from_url
    body, _ = request_from_url(query)
    assert body["runs"][0]["groups"] == {"x": {}, "y": {"momentum": 0.5}}
    assert body["runs"][1]["events"][1] == {"at": 30, "params": {"lr": 0.003, "betas": [0.9, 0.99]}, "state": "reset"}
    page.watch.assert_clean()
    again.close()


def test_the_embed_runs_a_scene_with_the_options(browser, server):
    ctx = browser.new_context(viewport={"width": 700, "height": 520})
    page = ctx.new_page()
    frames = sent_frames(page)
    page.goto(server.url + "/embed?s=bowl&start=1,1&steps=40&o=adam(lr=0.05)&events1=20:reset(lr=0.005)"
              "&o=sgd(lr=0.05)&groups2=y(lr=0.01)&zero_grad2=never")
    wait_ready(page)
    body = last_body(frames)
    assert body["runs"][0]["events"] == [{"at": 20, "params": {"lr": 0.005}, "state": "reset"}]
    assert body["runs"][1]["groups"] == {"x": {}, "y": {"lr": 0.01}} and body["runs"][1]["zero_grad"] == "never"
    assert hook(page, "h.paths()") == [r["path"] for r in post_run(server, body)["runs"]]
    assert page.locator("#player .scrub-mark.is-reset[data-at='20']").count() == 1
    ctx.close()


def test_the_html_export_plays_such_a_scene(browser, server, tmp_path):
    from app.teach.static_export import export_html
    from .test_static_export_browser import _open
    from .test_static_export_browser import hook as export_hook
    scene = {"surface": "bowl", "start": [1.0, 1.0], "steps": 40,
             "runs": [{"optimizer": "adam", "params": {"lr": 0.05},
                       "events": [{"at": 20, "params": {"lr": 0.005}, "state": "reset"}]},
                      {"optimizer": "sgd", "params": {"lr": 0.05}, "groups": {"y": {"lr": 0.01}},
                       "zero_grad": "never"},
                      {"optimizer": "lbfgs", "params": {"lr": 0.5}}]}
    out = tmp_path / "lab.html"
    out.write_text(export_html(scene, lang="en"), encoding="utf-8")
    ctx = browser.new_context(viewport={"width": 1100, "height": 850}, offline=True)
    page, blocked, errors = _open(ctx, out)
    assert poll(lambda: export_hook(page, "h.step()") > 3, timeout=5)       # it plays
    api = post_run(server, scene)["runs"]
    for mine, run in zip(export_hook(page, "h.paths()"), api):     # 9 digits in the file
        theirs = run["path"]
        assert len(mine) == len(theirs)
        assert all(math.isclose(a, b, rel_tol=1e-8, abs_tol=1e-12) for p, q in zip(mine, theirs) for a, b in zip(p, q))
    runs = export_hook(page, "h.runs()")
    assert runs[0]["events"] == [[20, "reset"]]
    assert "@20 Adam(lr=0.005)" in runs[0]["label"] and "no zero_grad()" in runs[1]["label"]
    assert not blocked and not errors, (blocked, errors)
    ctx.close()
