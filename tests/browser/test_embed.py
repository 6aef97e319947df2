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
