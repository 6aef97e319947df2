"""What a student and a teacher hit in their first ten minutes (issue #17): a diverged run
says why, an optimizer switch starts from PyTorch's defaults, a default schedule acts
within the run, one diverged run leaves the loss chart readable, screen readers hear
values and outcomes, reduced motion is honoured, and a failed request says so."""

from __future__ import annotations

import json
import re

from .conftest import hook, poll, wait_ready, wait_recomputed

DIVERGING = "/?s=rosenbrock&steps=60&o=sgd(lr=0.01)&o=adam(lr=0.1)"


def to_end(page, steps: int) -> None:
    page.locator("#player [data-action=reset]").click()
    hook(page, f"h.player.seek({steps})")


def test_a_diverged_run_says_why_on_the_page(page, server):
    page.goto(server.url + DIVERGING)
    wait_ready(page)
    status = hook(page, "h.statuses()[0]")
    assert status["status"] == "diverged" and status["reason"]["en"]
    to_end(page, 60)
    why = page.locator("#readout tr.reason-row").first
    assert why.is_visible()
    text = why.inner_text()
    assert "2/λ_max" in text and "Try an lr below" in text
    # The step beside "diverged at step n" is n, not the last finite step before it.
    first = page.locator("#readout tbody tr").first
    n = status["stepsDone"] + 1
    assert first.locator("td").first.inner_text() == str(n)
    assert f"diverged at step {n}" in first.locator("td.status").inner_text()
    # Back at the start, before it blew up, the explanation is not shown yet.
    hook(page, "h.player.seek(0)")
    assert not why.is_visible()
    # In Chinese, the explanation is the server's Chinese one.
    page.get_by_role("button", name="中文").click()
    hook(page, "h.player.seek(60)")
    assert "学习率" in page.locator("#readout tr.reason-row").first.inner_text()
    page.watch.assert_clean()


def test_outcomes_are_announced_to_screen_readers(page, server):
    page.goto(server.url + DIVERGING)
    wait_ready(page)
    to_end(page, 60)
    region = page.locator("#announcer")
    assert region.get_attribute("aria-live") == "polite"
    page.wait_for_function("() => /finished/.test(document.querySelector('#announcer').textContent)")
    said = region.text_content()
    assert re.search(r"SGD lr=0\.01 .*diverged at step \d+: .*2/λ_max", said), said
    assert ".." not in said
    assert "Adam lr=0.1 finished" in said
    page.watch.assert_clean()


def test_sliders_tell_their_value_not_their_position(page, server):
    page.goto(server.url + "/?s=rosenbrock&steps=200&o=sgd(lr=0.002)&noise1=0.1")
    wait_ready(page)
    lr = page.locator("#rows [data-param='lr'] input[type=range]").first
    assert lr.get_attribute("aria-valuetext") == "0.002"
    page.locator("#rows [data-param='lr'] input.num").first.fill("0.0005")
    assert lr.get_attribute("aria-valuetext") == "0.0005"
    assert page.locator("#steps-slider").get_attribute("aria-valuetext") == "200 steps"
    assert page.locator("[data-noise] input[type=range]").first.get_attribute("aria-valuetext") == "σ = 0.1"
    to_end(page, 200)
    assert page.locator("#player .scrubber").get_attribute("aria-valuetext") == "step 200 / 200"
    page.watch.assert_clean()


def test_switching_the_optimizer_takes_its_pytorch_defaults(page, server):
    page.goto(server.url + "/?s=rosenbrock&steps=200&o=sgd(lr=0.002;momentum=0.9)")
    wait_ready(page)
    select = page.locator("#rows .row-card").first.locator(".opt-select")
    for opt, lr in (("lbfgs", 1), ("adadelta", 1), ("adagrad", 0.01), ("rprop", 0.01), ("sgd", 0.001)):
        done = hook(page, "h.done()")
        select.select_option(opt)
        wait_recomputed(page, done)
        assert hook(page, "h.state.rows[0].params") == {"lr": lr}, opt
    # LBFGS at its own lr = 1 reaches Rosenbrock's minimum, as the tutorials show.
    done = hook(page, "h.done()")
    select.select_option("lbfgs")
    wait_recomputed(page, done)
    assert hook(page, "h.losses()[0].at(-1)") < 1e-6
    page.watch.assert_clean()


def test_pytorch_defaults_button_resets_a_row(page, server):
    page.goto(server.url + "/?s=rosenbrock&steps=200&o=sgd(lr=0.02;momentum=0.5;nesterov=1)"
              "&sched1=StepLR(step_size=7;gamma=0.3)")
    wait_ready(page)
    card = page.locator("#rows .row-card").first
    reset = card.get_by_role("button", name="PyTorch defaults")
    assert reset.is_enabled()
    done = hook(page, "h.done()")
    reset.click()
    wait_recomputed(page, done)
    row = hook(page, "h.state.rows[0]")
    assert row["params"] == {"lr": 0.001}
    # The schedule keeps its kind and takes PyTorch's gamma, its step size sized by the run.
    assert row["scheduler"] == {"name": "StepLR", "params": {"step_size": 50, "gamma": 0.1}}
    assert page.locator("#rows .row-card").first.get_by_role("button", name="PyTorch defaults").is_disabled()
    page.wait_for_function("() => location.search.includes('sched1=StepLR(step_size=50)')")
    page.watch.assert_clean()


def test_a_default_schedule_acts_within_the_run(page, server):
    for steps, size in ((200, 50), (1000, 250)):
        page.goto(server.url + f"/?s=bowl&steps={steps}&o=sgd(lr=0.01)")
        wait_ready(page)
        done = hook(page, "h.done()")
        page.locator("#rows .row-card").first.locator(".sched-select").select_option("StepLR")
        wait_recomputed(page, done)
        assert hook(page, "h.state.rows[0].scheduler.params") == {"step_size": size, "gamma": 0.1}
        # Three drops within the run (lr 0.01 → 1e-5), not seven (→ 1e-9) in its first 200 steps.
        lrs = hook(page, "h.lrs()[0]")
        assert len(lrs) == steps and len(set(lrs)) == 4 and min(lrs) > 1e-6, sorted(set(lrs))
        page.wait_for_function("(n) => location.search.includes(`sched1=StepLR(step_size=${n})`)", arg=size)
    page.watch.assert_clean()


def test_one_diverged_run_leaves_the_loss_chart_readable(page, server):
    page.goto(server.url + "/?s=rosenbrock&steps=120&o=sgd(lr=0.01)&o=adam(lr=0.1)&o=sgd(lr=0.0005)")
    wait_ready(page)
    page.wait_for_function("() => document.querySelector('.loss-graph')?._fullLayout?.yaxis?.type === 'log'")
    highest_other = max(max(l) for l in hook(page, "h.losses().slice(1)"))
    # Plotly redraws shortly after the last piece: wait for the axis to settle.
    top = poll(lambda: (r := page.evaluate("() => document.querySelector('.loss-graph')._fullLayout.yaxis.range"))
               and r[1] < 10 and r, timeout=5)
    assert top, page.evaluate("() => document.querySelector('.loss-graph')._fullLayout.yaxis.range")
    # The axis ends a little above the other runs (log10), not at the diverged run's 1e100.
    assert top[1] < 1.5 + __import__("math").log10(highest_other)
    page.watch.assert_clean()


def test_a_failed_request_does_not_leave_old_results_finished(page, server):
    page.goto(server.url + "/?s=bowl&steps=50&o=sgd(lr=0.01)&o=adam(lr=0.1)")
    wait_ready(page)
    to_end(page, 50)
    done = hook(page, "h.done()")
    page.locator("#rows .row-card").first.locator("[data-param='lr'] input.num").fill("-1")
    page.wait_for_function("(n) => window.__optplay.done() > n", arg=done)
    statuses = page.locator("#readout td.status").all_inner_texts()
    assert statuses and not any("finished" in s for s in statuses), statuses
    assert all("not updated" in s for s in statuses), statuses
    assert page.locator(".field-error").first.inner_text()
    page.watch.assert_clean(allow=("status of 422",))


def test_reduced_motion_shows_the_finished_race(browser, server):
    ctx = browser.new_context(viewport={"width": 1280, "height": 720}, reduced_motion="reduce")
    page = ctx.new_page()
    page.goto(server.url + "/?s=rosenbrock&steps=150&o=sgd(lr=0.002)&o=adam(lr=0.1)")
    wait_ready(page)
    assert hook(page, "h.currentStep()") == 150 and not hook(page, "h.playing()")
    page.wait_for_timeout(300)
    assert hook(page, "h.currentStep()") == 150
    # A new start point: the new paths, finished, at once.
    done = hook(page, "h.done()")
    hook(page, "h.player.seek(10)")
    box = page.evaluate("""() => { const gd = document.querySelector('#contour .plot-graph');
        const r = gd.getBoundingClientRect(), fl = gd._fullLayout;
        return [r.left + fl.xaxis._offset + fl.xaxis._length * 0.3, r.top + fl.yaxis._offset + fl.yaxis._length * 0.3]; }""")
    page.mouse.click(*box)
    wait_recomputed(page, done)
    assert hook(page, "h.currentStep()") == 150 and not hook(page, "h.playing()")
    # Play still plays.
    page.locator("#player [data-action=play]").click()
    assert poll(lambda: 0 < hook(page, "h.currentStep()") < 150, timeout=3)
    # The embed with autoplay=1 does not play by itself either.
    page.goto(server.url + "/embed?s=rosenbrock&steps=150&o=sgd(lr=0.002)&autoplay=1")
    wait_ready(page)
    page.wait_for_timeout(300)
    assert hook(page, "h.currentStep()") == 150 and not hook(page, "h.playing()")
    ctx.close()


def test_embed_tells_rows_of_the_same_optimizer_apart(page, server):
    page.goto(server.url + "/embed?s=bowl&steps=40&o=sgd(lr=0.01)&o=sgd(lr=0.1)&o=adam(lr=0.1)")
    wait_ready(page)
    labels = page.locator("#embed-controls [data-param='lr'] > label").all_inner_texts()
    assert len(labels) == 3 and len(set(labels)) == 3, labels
    sliders = page.locator("#embed-controls input[type=range]")
    names = [sliders.nth(i).get_attribute("aria-label") for i in range(sliders.count())]
    assert len(set(names)) == 3, names
    page.watch.assert_clean()


def test_html_export_can_carry_an_lr_slider(page, server, tmp_path):
    page.goto(server.url + "/?s=bowl&steps=40&o=sgd(lr=0.01)&o=adam(lr=0.1)")
    wait_ready(page)
    page.get_by_label("with an lr slider").check()
    with page.expect_download() as info:
        page.locator("[data-export=html]").click()
    path = tmp_path / "scene.html"
    info.value.save_as(path)
    text = path.read_text(encoding="utf-8")
    data = json.loads(re.search(r'id="optplay-data">(.*?)</script>', text, re.S).group(1))
    lrs = [v["lr"] for v in data["variants"]]
    assert len(lrs) == 7 and 0.01 in lrs and min(lrs) == 0.001 and max(lrs) == 0.1
    page.watch.assert_clean()
