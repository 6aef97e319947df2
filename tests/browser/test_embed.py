"""/embed inside an <iframe> of a course page served from another origin."""

from __future__ import annotations

from .conftest import Watch, hook, poll, wait_ready


def test_embed_in_cross_origin_iframe_renders_and_plays(browser, server, host_page_server):
    state = "s=rosenbrock&steps=150&o=sgd(lr=0.001;momentum=0.9)&o=adam(lr=0.1)"
    course = host_page_server(
        "<!doctype html><meta charset=utf-8><link rel=icon href=\"data:,\"><title>Lecture 3</title><h1>Momentum</h1>"
        f'<iframe id="viz" src="{server.url}/embed?{state.replace("&", "&amp;")}&amp;autoplay=1&amp;controls=lr,momentum" '
        'width="100%" height="460" style="border:0;max-width:720px" title="Optimizer Playground"></iframe>')
    ctx = browser.new_context(viewport={"width": 800, "height": 700})
    page = ctx.new_page()
    course_host = course.split("/")[2]
    watch = Watch(page, server.url, allowed_hosts=(course_host,))
    page.goto(course)
    frame = page.frame_locator("#viz")
    frame.locator(".plot-graph .contourlayer").wait_for()
    embed = next(f for f in page.frames if "/embed" in f.url)
    wait_ready(embed)
    # Autoplay: the race advances on its own.
    k0 = hook(embed, "h.currentStep()")
    assert poll(lambda: hook(embed, "h.currentStep()") > k0 + 5, timeout=5)
    assert len(hook(embed, "h.paths()")) == 2
    # Only the controls asked for: lr for both rows, momentum for SGD (Adam has none).
    assert frame.locator("[data-param='lr']").count() == 2
    assert frame.locator("[data-param='momentum']").count() == 1
    # Sized to the iframe, and a link to the full app with the same state.
    width = embed.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 720
    href = frame.locator("#open-full").get_attribute("href")
    assert href.startswith("/?") and "o=sgd(lr=0.001;momentum=0.9)" in href and "autoplay" not in href
    watch.assert_clean()
    ctx.close()


def test_embed_controls_none_at_phone_width(browser, server):
    ctx = browser.new_context(viewport={"width": 320, "height": 480})
    page = ctx.new_page()
    watch = Watch(page, server.url)
    page.goto(server.url + "/embed?s=bowl&o=sgd(lr=0.1)&controls=none")
    wait_ready(page)
    assert page.locator("#embed-controls").is_hidden()
    # Without autoplay the embed opens on the finished race.
    assert hook(page, "h.currentStep()") == 200
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 320
    watch.assert_clean()
    ctx.close()


def test_embed_of_a_data_scene_shows_the_data_and_each_runs_model(browser, server):
    """A surface from data embedded in a course page: the data panel beside the contour
    (under it at phone width), each run's line at the step shown, nothing overlapping."""
    for width, height in ((720, 460), (360, 640)):
        ctx = browser.new_context(viewport={"width": width, "height": height})
        page = ctx.new_page()
        watch = Watch(page, server.url)
        page.goto(server.url + "/embed?data=line&steps=40&o=sgd(lr=0.05)&o=adam(lr=0.3)&batch=8&lang=zh")
        wait_ready(page)
        assert page.locator("#data-view").is_visible()
        paths = hook(page, "h.paths()")
        page.evaluate("() => { const p = window.__optplay.player; p.pause(); p.seek(25); }")
        page.wait_for_function("() => { const d = window.__optplay.dataLines(); "
                               "return d.length === 2 && d.every((l) => l.step === 25); }")
        for line, path in zip(hook(page, "h.dataLines()"), paths):
            assert [line["w"], line["b"]] == path[25]
        # The contour's axes are w and b (short: the embed is small).
        titles = page.eval_on_selector_all("#contour .g-xtitle, #contour .g-ytitle", "ts => ts.map(t => t.textContent)")
        assert titles == ["w", "b"]
        assert page.locator("#data-view .data-title").inner_text().startswith("数据，以及各优化器在第 25 步的模型")
        boxes = [page.locator(sel).bounding_box() for sel in ("#contour", "#data-view")]
        (a, b) = boxes
        apart = a["x"] + a["width"] <= b["x"] + 1 or a["y"] + a["height"] <= b["y"] + 1
        assert apart, boxes
        assert page.evaluate("() => document.documentElement.scrollWidth") <= width
        watch.assert_clean()
        ctx.close()
