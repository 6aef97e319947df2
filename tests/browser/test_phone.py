"""The page on a phone (390 x 844, touch, Playwright's touch emulation through the
DevTools protocol's touch events): a swipe that starts on the plot scrolls the page, a
tap still moves the start, and one row's main sliders stay within reach while the plot
is on screen."""

from __future__ import annotations

import re
import time

import pytest

from .conftest import Watch, hook, wait_ready, wait_recomputed

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def phone(browser, server):
    ctx = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, device_scale_factor=2,
                              locale="en-US")
    page = ctx.new_page()
    page.set_default_timeout(15_000)
    page.watch = Watch(page, server.url)
    yield page, ctx.new_cdp_session(page)
    ctx.close()


def plot_centre(page) -> tuple[float, float]:
    return tuple(page.evaluate("""() => { const gd = document.querySelector('#contour .plot-graph');
        const r = gd.getBoundingClientRect(), fl = gd._fullLayout;
        return [r.left + fl.xaxis._offset + fl.xaxis._length / 2, r.top + fl.yaxis._offset + fl.yaxis._length / 2]; }"""))


def swipe(cdp, x: float, y: float, dy: float, moves: int = 12) -> None:
    """A finger on (x, y), moved dy pixels (negative: up, scrolling the page down)."""
    cdp.send("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [{"x": x, "y": y}]})
    for i in range(1, moves + 1):
        cdp.send("Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": [{"x": x, "y": y + dy * i / moves}]})
        time.sleep(0.016)
    cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})


def x_range(page):
    return page.evaluate("() => document.querySelector('#contour .plot-graph')._fullLayout.xaxis.range")


def test_a_swipe_on_the_plot_scrolls_and_a_tap_moves_the_start(phone, server):
    page, cdp = phone
    page.goto(server.url + "/")
    wait_ready(page)
    before = x_range(page)
    x, y = plot_centre(page)
    swipe(cdp, x, y, -260)
    page.wait_for_function("() => scrollY > 150")
    assert x_range(page) == before, "the swipe zoomed the plot instead of scrolling"
    assert not page.locator(".notifier-note").count(), "Plotly's zoom hint showed"
    page.evaluate("() => scrollTo(0, 0)")
    page.wait_for_function("() => scrollY === 0")
    done = hook(page, "h.done()")
    x, y = plot_centre(page)
    page.touchscreen.tap(x + 60, y - 40)
    wait_recomputed(page, done)
    sx, sy = hook(page, "h.state.start")
    assert (sx, sy) != (-1.2, 1) and all(abs(p[0][0] - sx) < 1e-9 for p in hook(page, "h.paths()"))
    # No keyboard on a phone: no key hints; the plot's hint says what a tap does.
    assert not page.locator(".keys-hint").is_visible()
    assert "tap" in page.locator("[data-i18n='start.hint']").inner_text()
    page.watch.assert_clean()


def test_the_active_rows_sliders_are_in_reach_with_the_plot(phone, server):
    page, cdp = phone
    page.goto(server.url + "/?s=rosenbrock&steps=150&o=sgd(lr=0.002)&o=sgd(lr=0.001;momentum=0.9)&o=adam(lr=0.1)")
    wait_ready(page)
    strip = page.locator("#phone-strip")
    assert strip.is_visible()
    plot = page.locator("#contour").bounding_box()
    lr = strip.locator("[data-param='lr'] input[type=range]")
    box = lr.bounding_box()
    # The plot and the slider on one screen, the slider under the finger's reach.
    assert plot["y"] >= 0 and plot["y"] + plot["height"] * 0.6 < box["y"]
    assert box["y"] + box["height"] <= PHONE["height"]
    # Row 2 picked: its lr and momentum, and a change goes to that row, and the path.
    strip.get_by_role("button", name=re.compile(r"^2 · ")).tap()
    assert strip.locator("[data-param='momentum'] input.num").input_value() == "0.9"
    done = hook(page, "h.done()")
    strip.locator("[data-param='lr'] input.num").fill("0.0004")
    wait_recomputed(page, done)
    assert hook(page, "h.state.rows[1].params.lr") == 0.0004
    assert hook(page, "h.state.rows[0].params.lr") == 0.002
    # The row's own card follows.
    card = page.locator("#rows .row-card").nth(1)
    assert card.locator("[data-param='lr'] input.num").input_value() == "0.0004"
    # Scrolled down to the rows themselves: the strip makes way.
    card.scroll_into_view_if_needed()
    page.wait_for_function("() => !document.querySelector('#phone-strip').classList.contains('is-shown')")
    page.watch.assert_clean()

