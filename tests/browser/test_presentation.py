"""Presentation mode and the plot's own legend: the Present button and present=1 (page
and embed) fill the screen with the plot, its text at projector size, a legend that
names each run, its changed hyperparameters and its status; Esc leaves. On the normal
page at 1280x720 the legend is on the plot, above the fold. The GIF and the video come
out of the export bar."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from .conftest import hook, wait_ready
from .test_chinese_everywhere import english_left

# SGD lr=0.01 leaves the view at step 2 and diverges at step 6; the others finish.
SCENE = ("/?s=rosenbrock&steps=120&o=sgd(lr=0.01)&o=adam(lr=0.1)"
         "&o=sgd(lr=0.001;momentum=0.9)&o=rmsprop(lr=0.01)&hide=4")

TICK_FONT = """() => parseFloat(getComputedStyle(
    document.querySelector('#contour .xtick text')).fontSize)"""
LEGEND = """() => [...document.querySelectorAll('.plot-legend li')].map((li) => ({
    name: li.querySelector('.name').textContent, detail: li.querySelector('.detail').textContent,
    status: li.querySelector('.status').textContent,
    colour: getComputedStyle(li.querySelector('.swatch')).backgroundColor}))"""
BOXES = """() => {
    const box = (s) => { const e = document.querySelector(s); if (!e || !e.offsetParent) return null;
                         const r = e.getBoundingClientRect();
                         return {x: r.x, y: r.y, w: r.width, h: r.height}; };
    const plot = document.querySelector('#contour .nsewdrag');
    const p = plot.getBoundingClientRect();
    return {graph: box('#contour .plot-graph'), legend: box('.plot-legend'),
            plot: {x: p.x, y: p.y, w: p.width, h: p.height}, topbar: box('.topbar'),
            sidebar: box('.sidebar'), player: box('#player'),
            mode: document.querySelector('.plot-legend').dataset.mode,
            font: parseFloat(getComputedStyle(document.querySelector('.plot-legend')).fontSize)};
}"""


def wait_drawn(page, presenting: bool) -> None:
    page.wait_for_function(
        "(on) => document.body.classList.contains('is-presenting') === on"
        " && document.querySelector('#contour .xtick text')"
        " && (parseFloat(getComputedStyle(document.querySelector('#contour .xtick text')).fontSize) > 12) === on",
        arg=presenting)


def inside(inner: dict, outer: dict, slack: float = 1) -> bool:
    return (inner["x"] >= outer["x"] - slack and inner["y"] >= outer["y"] - slack
            and inner["x"] + inner["w"] <= outer["x"] + outer["w"] + slack
            and inner["y"] + inner["h"] <= outer["y"] + outer["h"] + slack)


def viewport(page) -> dict:
    v = page.viewport_size
    return {"x": 0, "y": 0, "w": v["width"], "h": v["height"]}


def test_present_button_fills_the_screen_and_esc_leaves(page, server):
    page.set_viewport_size({"width": 1280, "height": 720})
    page.goto(server.url + SCENE)
    wait_ready(page)
    assert page.evaluate(TICK_FONT) <= 12                  # the page's own size
    page.get_by_role("button", name="Present").click()
    wait_drawn(page, True)
    b = page.evaluate(BOXES)
    # The plot fills the screen: the page's bars are gone, the graph is most of the height.
    assert b["topbar"] is None and b["sidebar"] is None
    assert b["graph"]["h"] >= 0.7 * 720 and inside(b["graph"], viewport(page))
    assert inside(b["player"], viewport(page))
    # Text at projector size, and the legend beside the plot at the same size.
    assert page.evaluate(TICK_FONT) >= 18
    assert b["mode"] == "beside" and b["font"] >= 18 and inside(b["legend"], viewport(page))
    assert b["legend"]["x"] >= b["plot"]["x"] + b["plot"]["w"]
    page.wait_for_function("() => location.search.includes('present=1')")
    hook(page, "h.player.seek(120)")
    legend = page.evaluate(LEGEND)
    assert [e["name"] for e in legend] == ["SGD", "Adam", "SGD"]   # the hidden row is not named
    assert [e["detail"] for e in legend] == ["lr=0.01", "lr=0.1", "lr=0.001 momentum=0.9"]
    assert legend[0]["status"] == "left the view at step 2 · diverged at step 6"
    assert [e["status"] for e in legend[1:]] == ["finished", "finished"]
    assert legend[0]["colour"] == "rgb(232, 69, 60)"
    hook(page, "h.player.seek(1)")
    assert [e["status"] for e in page.evaluate(LEGEND)] == ["running"] * 3
    page.keyboard.press("Escape")
    wait_drawn(page, False)
    b = page.evaluate(BOXES)
    assert b["topbar"] is not None and b["sidebar"] is not None and b["mode"] == "overlay"
    page.wait_for_function("() => !location.search.includes('present=1')")
    assert page.evaluate("() => document.activeElement.id") == "present-btn"
    page.watch.assert_clean()


def test_the_leave_button_leaves_too(page, server):
    page.goto(server.url + SCENE + "&present=1")
    wait_ready(page)
    wait_drawn(page, True)
    page.get_by_role("button", name="Leave presentation (Esc)").click()
    wait_drawn(page, False)
    assert page.locator("#present-btn").get_attribute("aria-pressed") == "false"
    page.watch.assert_clean()


def test_present_from_the_url_in_chinese(page, server):
    page.goto(server.url + SCENE + "&present=1&lang=zh")
    wait_ready(page)
    wait_drawn(page, True)
    assert page.evaluate(TICK_FONT) >= 22                  # 1400x900: a bigger screen
    assert "香蕉谷" in page.locator("#present-title").inner_text()
    assert page.locator("#present-exit").inner_text() == "退出演示（Esc）"
    hook(page, "h.player.seek(120)")
    statuses = [e["status"] for e in page.evaluate(LEGEND)]
    assert statuses == ["在第 2 步离开视野 · 在第 6 步发散", "已完成", "已完成"]
    assert page.locator(".plot-legend").get_attribute("aria-label") == "图例"
    page.watch.assert_clean()


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_present_on_a_phone_puts_the_legend_below(browser, server, lang):
    ctx = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True,
                              has_touch=True, device_scale_factor=2)
    page = ctx.new_page()
    page.goto(server.url + SCENE + f"&present=1&lang={lang}")
    wait_ready(page)
    wait_drawn(page, True)
    b = page.evaluate(BOXES)
    assert b["mode"] == "below" and b["legend"]["y"] >= b["plot"]["y"] + b["plot"]["h"]
    assert inside(b["graph"], viewport(page)) and inside(b["legend"], viewport(page))
    assert inside(b["player"], viewport(page))
    assert page.evaluate(TICK_FONT) >= 14 and b["font"] >= 15
    assert len(page.evaluate(LEGEND)) == 3
    ctx.close()


@pytest.mark.parametrize("size", [(1280, 720), (800, 500)])
def test_present_in_the_embed(page, server, size):
    page.set_viewport_size({"width": size[0], "height": size[1]})
    page.goto(server.url + SCENE.replace("/?", "/embed?") + "&present=1")
    wait_ready(page)
    wait_drawn(page, True)
    assert page.evaluate(TICK_FONT) >= (18 if size[0] >= 1280 else 14)
    assert page.locator("#embed-controls").is_hidden()
    assert page.locator(".embed-foot").is_hidden()
    b = page.evaluate(BOXES)
    assert inside(b["legend"], viewport(page)) and inside(b["player"], viewport(page))
    hook(page, "h.player.seek(120)")
    legend = page.evaluate(LEGEND)
    assert [e["name"] for e in legend] == ["SGD", "Adam", "SGD"]
    assert legend[0]["status"].endswith("diverged at step 6")
    page.watch.assert_clean()


@pytest.mark.parametrize("size", [(1280, 720), (1400, 900)])
def test_the_normal_page_has_the_legend_on_the_plot(page, server, size):
    """At 1280x720 the readout table is below the fold: the plot names its paths."""
    page.set_viewport_size({"width": size[0], "height": size[1]})
    page.goto(server.url + SCENE)
    wait_ready(page)
    page.wait_for_function("() => { const s = document.querySelector('.plot-legend').style; return s.left + s.right !== ''; }")
    b = page.evaluate(BOXES)
    assert b["mode"] == "overlay" and inside(b["legend"], b["plot"], slack=0)
    assert inside(b["legend"], viewport(page))
    assert not page.locator(".readout").is_visible() or \
        page.locator(".readout").bounding_box()["y"] > 0      # (the table may well be below)
    start = page.evaluate("""() => { const a = document.querySelector('#contour .nsewdrag')
        .getBoundingClientRect(); const s = window.__optplay.start();
        const gd = document.querySelector('#contour .plot-graph');
        const xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis;
        return [a.x + xa.l2p(s[0]), a.y + ya.l2p(s[1])]; }""")
    lg = b["legend"]
    assert not (lg["x"] <= start[0] <= lg["x"] + lg["w"] and lg["y"] <= start[1] <= lg["y"] + lg["h"])
    assert [e["name"] for e in page.evaluate(LEGEND)] == ["SGD", "Adam", "SGD"]
    page.watch.assert_clean()


def test_gif_and_video_from_the_export_bar(page, server):
    page.goto(server.url + "/?s=rosenbrock&steps=40&o=sgd(lr=0.001;momentum=0.9)&o=adam(lr=0.1)")
    wait_ready(page)
    with page.expect_download() as dl:
        page.get_by_role("button", name="GIF", exact=True).click()
    assert dl.value.suggested_filename == "scene.gif"
    im = Image.open(io.BytesIO(open(dl.value.path(), "rb").read()))
    assert im.format == "GIF" and im.n_frames == 41 and im.size == (960, 540)
    with page.expect_download(timeout=30_000) as dl:
        page.get_by_role("button", name="Video", exact=True).click()
        page.wait_for_function("() => /Recording/.test(document.querySelector('[data-export=video]').textContent)")
    name = dl.value.suggested_filename
    data = open(dl.value.path(), "rb").read()
    assert name in ("scene.mp4", "scene.webm") and len(data) > 10_000
    # MP4 opens with an ftyp box, WebM with the EBML magic number.
    assert data[4:8] == b"ftyp" if name.endswith("mp4") else data[:4] == b"\x1a\x45\xdf\xa3"
    assert page.locator("[data-export=video]").inner_text() == "Video"
    page.watch.assert_clean()


def test_presentation_in_chinese_leaves_no_english(page, server):
    page.goto(server.url + SCENE)
    wait_ready(page)
    page.get_by_role("button", name="中文").click()
    page.get_by_role("button", name="演示").click()
    wait_drawn(page, True)
    hook(page, "h.player.seek(120)")
    # What the projector shows; the screen reader's live region (announce.js) reads the
    # server's explanation of a divergence, which names the Hessian and λ_max.
    left = english_left(page, server.url, skip="[aria-live]")
    assert not left, f"English left in the presentation: {left}"
    assert "已完成" in page.locator(".plot-legend").inner_text()
    page.watch.assert_clean()


def test_the_embed_dialog_offers_presentation_mode(page, server):
    page.goto(server.url + SCENE)
    wait_ready(page)
    page.get_by_role("button", name="Embed").click()
    code = page.locator("#embed-code")
    assert "present=1" not in code.input_value()
    page.get_by_label("Presentation mode: large text, the legend on the plot").check()
    assert "present=1" in code.input_value() and "/embed?" in code.input_value()
    page.watch.assert_clean()


def test_the_legend_writes_the_torch_optim_api_options(page, server):
    """A change of course and param groups are hyperparameters too: the legend writes
    them as the row's label does (catalog.js labLabel)."""
    page.goto(server.url + "/?s=rosenbrock&steps=60&o=adam(lr=0.05)&events1=20:keep(lr=0.01)"
              "&o=sgd(lr=0.001)&groups2=x,y(lr=0.003)&present=1")
    wait_ready(page)
    wait_drawn(page, True)
    legend = page.evaluate(LEGEND)
    assert [e["detail"] for e in legend] == ["lr=0.05 · @20 lr=0.01",
                                             "lr=0.001 · x() y(lr=0.003)"], legend
    page.watch.assert_clean()
