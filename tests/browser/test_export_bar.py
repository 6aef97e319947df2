"""The export bar under the plot: "Copy as PyTorch", CSV, JSON, the self-contained HTML
file (played from disk with the network blocked) and a PNG of the plot with its paths."""

from __future__ import annotations

import base64
import csv
import io
import json
import re
import struct

import numpy as np
from PIL import Image

from .conftest import hook, poll, wait_ready
from .test_static_export_browser import _open
from .test_static_export_browser import hook as export_hook

SCENE = "/?s=rosenbrock&steps=120&o=sgd(lr=0.0015;momentum=0.9)&o=adam(lr=0.05)&o=rmsprop(lr=0.01)&hide=3"


def test_copy_as_pytorch_copies_and_shows_the_code(page, server, context):
    context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.goto(server.url + SCENE)
    wait_ready(page)
    page.get_by_role("button", name="Copy as PyTorch").click()
    page.wait_for_selector("#code-dialog[open]")
    copied = poll(lambda: page.evaluate("() => navigator.clipboard.readText()"), timeout=5)
    assert "torch.optim.SGD([param], lr=0.0015, momentum=0.9)" in copied
    assert "torch.optim.Adam([param], lr=0.05)" in copied
    assert "RMSprop" not in copied                          # row 3 is hidden
    assert "STEPS = 120" in copied
    shown = page.locator("#code-dialog .code-view").inner_text()
    assert shown.strip() == copied.strip()
    assert page.locator("#code-dialog .code-status").inner_text() == "Code copied to the clipboard."
    # The script can also be saved as a file.
    with page.expect_download() as dl:
        page.locator("#code-dialog [data-act=save]").click()
    assert dl.value.suggested_filename == "scene.py"
    assert "torch.optim.SGD" in open(dl.value.path(), encoding="utf-8").read()
    page.locator("#code-dialog [data-act=close]").click()
    assert page.locator("#code-dialog[open]").count() == 0
    page.watch.assert_clean()


def test_csv_and_json_downloads_hold_the_shown_runs(page, server):
    page.goto(server.url + SCENE)
    wait_ready(page)
    paths = hook(page, "h.paths()")
    with page.expect_download() as dl:
        page.get_by_role("button", name="CSV", exact=True).click()
    assert dl.value.suggested_filename == "scene.csv"
    text = open(dl.value.path(), encoding="utf-8-sig").read()
    rows = list(csv.DictReader(io.StringIO(text)))
    assert {r["optimizer"] for r in rows} == {"sgd", "adam"}
    assert len(rows) == 2 * 121
    adam = [r for r in rows if r["optimizer"] == "adam"]
    assert [float(adam[-1]["x"]), float(adam[-1]["y"])] == paths[1][-1]
    assert adam[0]["label"] == "Adam lr=0.05" and adam[0]["lr"] == "0.05"

    with page.expect_download() as dl:
        page.get_by_role("button", name="JSON", exact=True).click()
    assert dl.value.suggested_filename == "scene.json"
    answer = json.loads(open(dl.value.path(), encoding="utf-8").read())
    assert [r["optimizer"] for r in answer["runs"]] == ["sgd", "adam"]
    assert answer["runs"][0]["path"] == paths[0] and answer["runs"][1]["path"] == paths[1]
    assert [r["color"] for r in answer["runs"]] == ["#e8453c", "#1f77d0"]
    page.watch.assert_clean()


def test_html_download_plays_offline_from_disk(page, server, browser, tmp_path):
    page.goto(server.url + SCENE + "&lang=zh")
    wait_ready(page)
    with page.expect_download() as dl:
        page.locator("[data-export=html]").click()
    assert dl.value.suggested_filename == "scene.html"
    out = tmp_path / "scene.html"
    dl.value.save_as(out)
    page.watch.assert_clean()
    ctx = browser.new_context(viewport={"width": 1000, "height": 800}, offline=True)
    other, blocked, errors = _open(ctx, out)
    k0 = export_hook(other, "h.step()")
    assert poll(lambda: export_hook(other, "h.step()") > k0 + 5, timeout=5)
    assert other.locator("#legend-body tr").count() == 2
    assert other.locator("html").get_attribute("lang") == "zh-CN"
    assert "优化器" in other.locator("thead").inner_text()
    assert not blocked, blocked
    assert not errors, errors
    ctx.close()


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


COUNT_COLOURS = """async ([b64, bands, colours]) => {
    // Per band of rows [y0, y1), how many pixels are near each colour.
    const img = new Image(); img.src = 'data:image/png;base64,' + b64; await img.decode();
    const c = document.createElement('canvas'); c.width = img.width; c.height = img.height;
    const x = c.getContext('2d'); x.drawImage(img, 0, 0);
    const d = x.getImageData(0, 0, c.width, c.height).data;
    return bands.map(([y0, y1]) => colours.map(([r, g, b]) => {
        let n = 0;
        for (let i = y0 * c.width * 4; i < Math.min(y1, c.height) * c.width * 4; i += 4)
            if (Math.abs(d[i] - r) + Math.abs(d[i + 1] - g) + Math.abs(d[i + 2] - b) < 40) n++;
        return n;
    }));
}"""
RED, BLUE, AMBER, INK = (232, 69, 60), (31, 119, 208), (242, 169, 0), (29, 36, 51)


def test_png_is_the_plot_with_its_paths_a_title_and_the_legend(page, server):
    page.goto(server.url + SCENE)
    wait_ready(page)
    page.locator("#player [data-action=reset]").click()
    hook(page, "h.player.seek(120)")
    with page.expect_download() as dl:
        page.get_by_role("button", name="PNG", exact=True).click()
    assert dl.value.suggested_filename == "scene.png"
    data = open(dl.value.path(), "rb").read()
    w, h = _png_size(data)
    size = page.evaluate("() => { const g = document.querySelector('#contour .plot-graph');"
                         " return [g.clientWidth, g.clientHeight]; }")
    # As wide as the plot; taller by a title line (40 px) and the legend (a row of 24 px).
    head, plot = 2 * 40, 2 * size[1]
    assert w == 2 * size[0] and h >= head + plot + 2 * 24, (w, h, size)
    title, paths, legend = page.evaluate(COUNT_COLOURS, [base64.b64encode(data).decode(), [
        [0, head], [head, head + plot], [head + plot, h]], [RED, BLUE, AMBER, INK]])
    # The paths: the first one's red (#e8453c) and the second's blue (#1f77d0), which the
    # contour's colours hold neither of, come from the paths' canvas.
    assert paths[0] > 400 and paths[1] > 400, paths
    # The title line: dark text (the surface's name and the step counter).
    assert title[3] > 200, title
    # The legend: a swatch of each shown run's colour and its text; the hidden third row
    # (amber) is not named.
    assert legend[0] > 150 and legend[1] > 150 and legend[3] > 300, legend
    assert legend[2] == 0, legend
    page.watch.assert_clean()


def test_export_bar_speaks_chinese(page, server):
    page.goto(server.url + "/?lang=zh")
    wait_ready(page)
    labels = page.locator("#export-bar button").all_inner_texts()
    assert labels == ["复制为 PyTorch 代码", "CSV", "JSON", "HTML", "PNG", "GIF", "视频"]
    assert re.search("离线", page.locator("[data-export=html]").get_attribute("title"))
    page.get_by_role("button", name="EN").click()
    assert page.locator("[data-export=code]").inner_text() == "Copy as PyTorch"
    page.watch.assert_clean()


def _phone_png(browser, server, lang: str):
    ctx = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True,
                              has_touch=True, device_scale_factor=2, accept_downloads=True)
    page = ctx.new_page()
    page.goto(server.url + f"/?s=rosenbrock&steps=120&o=sgd(lr=0.01)&o=sgd(lr=0.001;momentum=0.9)&lang={lang}")
    wait_ready(page)
    hook(page, "h.player.seek(120)")
    button = page.locator("[data-export=png]")
    button.scroll_into_view_if_needed()
    with page.expect_download() as dl:
        button.click()
    data = open(dl.value.path(), "rb").read()
    ctx.close()
    return np.asarray(Image.open(io.BytesIO(data)).convert("RGB"), dtype=int)


def rows_near(img, colour, x0=0, x1=None, min_count=3):
    hit = (abs(img[:, x0:x1] - colour).sum(axis=-1) < 40).sum(axis=1) >= min_count
    return [int(y) for y in hit.nonzero()[0]]


def test_png_on_a_phone_breaks_lines_instead_of_cutting_them(browser, server):
    """390 px wide: a title with the step beside it, or a run's hyperparameters with a
    long status beside them, do not fit on one line: they go on the next, never "…"."""
    zh = _phone_png(browser, server, "zh")
    head = 2 * 40                                    # the first line, at the PNG's 2x
    right = zh[:head, zh.shape[1] * 2 // 3:]
    assert (abs(right - INK).sum(axis=-1) < 40).sum() == 0   # the step is not beside the title
    assert any(head <= y < head + 2 * 24 for y in rows_near(zh, INK))   # ... but under it
    en = _phone_png(browser, server, "en")
    swatch = rows_near(en, RED, 2 * 14, 2 * 26)      # the first run's swatch in the legend
    warn = rows_near(en, (156, 80, 0))               # "left the view at step 2 · diverged ..."
    assert swatch and warn and min(warn) > max(swatch), (swatch[-3:], warn[:3])
