"""Fair races on the page: "Tune lr" sets each row's lr to its best, races them again and
draws the curves the lrs were chosen from, in English and 中文; it can be cancelled (a
newer change cancels it); a refusal is shown at the control."""

from __future__ import annotations

import re

from .conftest import hook, poll, wait_ready, wait_recomputed
from .test_chinese_everywhere import CODE_WORDS, pytorch_names

SCENE = "/?s=rosenbrock&steps=200&o=sgd(lr=0.002)&o=adam(lr=0.1)&o=rmsprop(lr=0.01)"
# Slow to tune (LBFGS: one run per lr value, each up to 20 evaluations a step).
SLOW = "/?s=rosenbrock&steps=3000&o=lbfgs(lr=1)&o=lbfgs(lr=0.5)&o=lbfgs(lr=0.1)"

PANEL_TEXT = """() => {
  const out = [];
  for (const e of document.querySelectorAll('#tune-panel *'))
    for (const c of e.childNodes)
      if (c.nodeType === 3 && e.offsetParent !== null && !e.closest('select,.xtick,.ytick'))
        out.push(c.textContent);
  for (const e of document.querySelectorAll('#tune-panel [title], #tune-panel [aria-label]'))
    out.push(e.getAttribute('title') || '', e.getAttribute('aria-label') || '');
  return out;
}"""


def tune(page) -> dict:
    """Press Tune lr; the server's answer (as the page received it) once the race at the
    new lrs is done."""
    done = hook(page, "h.done()")
    with page.expect_response("**/api/v1/tune") as res:
        page.locator("#tune-panel .tune-btn").click()
    answer = res.value.json()
    page.wait_for_function("() => document.querySelector('#tune-panel').dataset.state === 'done'")
    wait_recomputed(page, done)
    return answer


def curves(page) -> list[dict]:
    return page.evaluate("""() => {
        const gd = document.querySelector('#tune-panel .tune-graph');
        return (gd.data || []).map((d) => ({x: d.x, y: d.y, color: d.marker.color,
                                            symbol: d.marker.symbol || null}));
    }""")


def test_tune_sets_the_best_lrs_races_them_and_draws_the_curves(page, server):
    page.goto(server.url + SCENE)
    wait_ready(page)
    before = [r["params"]["lr"] for r in hook(page, "h.state.rows")]
    assert not page.locator("#tune-panel .tune-chart").is_visible()
    answer = tune(page)
    best = [r["best_lr"] for r in answer["runs"]]
    assert all(b is not None for b in best) and best != before
    # every row took its lr through the store: the rows, the URL, the race
    state = hook(page, "h.state")
    assert [r["params"]["lr"] for r in state["rows"]] == best
    assert poll(lambda: all(f"lr={b:g}" in page.evaluate("location.search") for b in best))
    assert [lrs[0] for lrs in hook(page, "h.lrs()")] == best
    assert hook(page, "h.losses()") == [r["loss"] for r in answer["race"]["runs"]]
    # the race starts again from step 0 (motion allowed)
    assert hook(page, "h.currentStep()") < 200
    # one curve per row in its colour on a log lr axis, the chosen lr marked
    drawn = curves(page)
    colors = [r["color"] for r in state["rows"]]
    lines = [d for d in drawn if d["symbol"] != "diamond"]
    marks = [d for d in drawn if d["symbol"] == "diamond"]
    assert [d["color"] for d in lines] == colors == [d["color"] for d in marks]
    for line, mark, run in zip(lines, marks, answer["runs"]):
        assert line["x"] == run["lr"] and line["y"] == run["objective"]
        assert mark["x"] == [run["best_lr"]] and mark["y"] == [run["objective"][run["chosen"]]]
    assert page.evaluate("() => document.querySelector('#tune-panel .tune-graph')"
                         "._fullLayout.xaxis.type") == "log"
    items = page.locator("#tune-panel .tune-list li").all_inner_texts()
    assert len(items) == 3 and "SGD: lr = 0.002 → " in items[0], items
    # a row's lr moved by hand keeps the curves (they do not depend on it) ...
    page.locator("#rows .row-card").nth(1).locator("[data-param=lr] input.num").fill("0.05")
    page.wait_for_timeout(300)
    assert page.locator("#tune-panel .tune-chart").is_visible()
    # ... another number of steps makes them stale
    page.locator("#steps").fill("150")
    page.locator("#steps").dispatch_event("change")
    poll(lambda: not page.locator("#tune-panel .tune-chart").is_visible())
    assert not page.locator("#tune-panel .tune-chart").is_visible()
    page.watch.assert_clean()


def test_tune_reads_in_chinese(page, server):
    page.goto(server.url + SCENE + "&lang=zh")
    wait_ready(page)
    tune(page)
    allowed = pytorch_names(page, server.url) | CODE_WORDS
    texts = page.evaluate(PANEL_TEXT)
    assert any(re.search(r"[\u4e00-\u9fff]", s) for s in texts)
    left = {w for s in texts for w in re.findall(r"[A-Za-z][A-Za-z_]{2,}", s)
            if w.lower() not in allowed}
    assert not left, f"English left in the tuning panel: {left}"
    title = page.evaluate("() => document.querySelector('#tune-panel .gtitle').textContent")
    assert "步后的最终损失" in title
    # switching back relabels the panel
    page.get_by_role("button", name="EN").click()
    assert poll(lambda: "Final loss after 200 steps" in page.evaluate(
        "() => document.querySelector('#tune-panel .gtitle').textContent"))
    assert page.locator("#tune-panel .tune-btn").inner_text() == "Tune lr"
    page.watch.assert_clean()


def test_steps_to_a_minimum_and_its_curve(page, server):
    page.goto(server.url + "/?s=himmelblau&steps=150&o=adam(lr=0.01)&o=sgd(lr=0.001)")
    wait_ready(page)
    page.locator("#tune-objective").select_option("steps")
    answer = tune(page)
    assert answer["objective"] == "steps"
    title = page.evaluate("() => document.querySelector('#tune-panel .gtitle').textContent")
    assert title == "Steps to reach a minimum, by lr"
    assert "a minimum at step" in page.locator("#tune-panel .tune-list").inner_text()
    # a saddle has no minimum: the choice is not offered
    page.goto(server.url + "/?s=saddle&steps=50&o=adam(lr=0.01)")
    wait_ready(page)
    assert page.locator("#tune-objective option[value=steps]").is_disabled()
    page.watch.assert_clean()


def test_a_newer_change_or_the_button_cancels_a_tuning(page, server):
    page.goto(server.url + SLOW)
    wait_ready(page)
    lrs = [r["params"]["lr"] for r in hook(page, "h.state.rows")]
    panel = page.locator("#tune-panel")
    button = panel.locator(".tune-btn")
    # the button: pressed again, it cancels
    button.click()
    assert panel.get_attribute("data-state") == "running"
    assert button.inner_text() == "Cancel tuning"
    button.click()
    assert panel.get_attribute("data-state") == "cancelled"
    assert "Tuning cancelled" in panel.locator(".tune-status").inner_text()
    # a newer change: another number of steps
    button.click()
    assert panel.get_attribute("data-state") == "running"
    page.locator("#steps").fill("2500")
    page.locator("#steps").dispatch_event("change")
    assert poll(lambda: panel.get_attribute("data-state") == "cancelled")
    assert "the scene changed" in panel.locator(".tune-status").inner_text()
    page.wait_for_timeout(500)
    assert [r["params"]["lr"] for r in hook(page, "h.state.rows")] == lrs
    assert button.inner_text() == "Tune lr"
    page.watch.assert_clean()


def test_a_refusal_is_shown_at_the_control(page, server):
    rows = "".join(f"&o=sgd(lr=0.00{i + 1})" for i in range(6))
    page.goto(server.url + "/?s=bowl&steps=10000" + rows)
    wait_ready(page, timeout=60_000)
    page.locator("#tune-panel .tune-btn").click()
    error = page.locator("#tune-panel .tune-error")
    error.wait_for(state="visible")
    assert "OPTPLAY_MAX_TUNE_STEPS" in error.inner_text()
    assert page.locator("#tune-panel").get_attribute("data-state") == "error"
    page.watch.assert_clean(allow=("status of 422",))


def test_reduced_motion_shows_the_tuned_race_finished(browser, server):
    ctx = browser.new_context(viewport={"width": 1280, "height": 720}, reduced_motion="reduce")
    page = ctx.new_page()
    page.goto(server.url + SCENE)
    wait_ready(page)
    tune(page)
    assert hook(page, "h.currentStep()") == 200 and not hook(page, "h.playing()")
    ctx.close()
