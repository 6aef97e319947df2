"""The export bar under the plot: "Copy as PyTorch", CSV, JSON, the self-contained HTML
file (played from disk with the network blocked) and a PNG of the plot with its paths."""

from __future__ import annotations

import base64
import csv
import io
import json
import re
import struct

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


def test_png_is_the_plot_with_its_paths(page, server):
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
    assert (w, h) == (2 * size[0], 2 * size[1])
    # Decode it in the page and count the first path's red (#e8453c) and the second's blue
    # (#1f77d0): the contour's colours hold neither, so they come from the paths' canvas.
    counts = page.evaluate("""async (b64) => {
        const img = new Image(); img.src = 'data:image/png;base64,' + b64; await img.decode();
        const c = document.createElement('canvas'); c.width = img.width; c.height = img.height;
        const x = c.getContext('2d'); x.drawImage(img, 0, 0);
        const d = x.getImageData(0, 0, c.width, c.height).data;
        const near = (i, r, g, b) => Math.abs(d[i] - r) + Math.abs(d[i + 1] - g) + Math.abs(d[i + 2] - b) < 40;
        let red = 0, blue = 0;
        for (let i = 0; i < d.length; i += 4) { if (near(i, 232, 69, 60)) red++; if (near(i, 31, 119, 208)) blue++; }
        return {red, blue};
    }""", base64.b64encode(data).decode())
    assert counts["red"] > 400 and counts["blue"] > 400, counts
    page.watch.assert_clean()


def test_export_bar_speaks_chinese(page, server):
    page.goto(server.url + "/?lang=zh")
    wait_ready(page)
    labels = page.locator("#export-bar button").all_inner_texts()
    assert labels == ["复制为 PyTorch 代码", "CSV", "JSON", "HTML", "PNG"]
    assert re.search("离线", page.locator("[data-export=html]").get_attribute("title"))
    page.get_by_role("button", name="EN").click()
    assert page.locator("[data-export=code]").inner_text() == "Copy as PyTorch"
    page.watch.assert_clean()
