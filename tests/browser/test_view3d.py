"""The Contour | 3D switch: a WebGL surface with the paths lying on it at the height of
their loss, markers that follow the player, in the URL; and a plain message (and the
contour) where the browser has no WebGL."""

from __future__ import annotations

import math

from .conftest import CHROMIUM, CHROMIUM_ARGS, Watch, hook, wait_ready

# SwiftShader draws WebGL on the CPU: a redraw can take seconds on a busy machine.
SLOW = 90_000


def graph3d(page):
    return page.evaluate("""() => { const gd = document.querySelector('#surface3d .plot3d-graph');
        return (gd.data || []).map((d) => ({type: d.type, mode: d.mode || null,
            n: d.x ? d.x.length : 0, opacity: d.opacity ?? 1, x: d.x && d.type === 'scatter3d' ? [...d.x] : null,
            z: d.type === 'scatter3d' ? [...d.z] : null})); }""")


def wait_step(page, k: int) -> None:
    page.wait_for_function("(k) => document.querySelector('#surface3d').dataset.step === String(k)",
                           arg=k, timeout=SLOW)


def test_toggle_3d_draws_the_surface_and_paths_and_follows_the_player(page, server):
    page.goto(server.url + "/?s=rosenbrock&steps=120&o=adam(lr=0.05)&o=sgd(lr=0.001;momentum=0.9)")
    wait_ready(page, timeout=SLOW)
    assert page.locator("#surface3d").is_hidden()
    page.locator("#player [data-action=reset]").click()
    page.get_by_role("button", name="3D surface").click()
    assert page.get_by_role("button", name="3D surface").get_attribute("aria-pressed") == "true"
    page.wait_for_function("() => location.search.includes('view=3d')")
    wait_step(page, 0)
    assert page.locator("#surface3d canvas").count() >= 1           # Plotly's WebGL scene
    assert page.locator("#contour").is_hidden()
    traces = graph3d(page)
    assert traces[0]["type"] == "surface"
    lines = [t for t in traces if t["mode"] == "lines"]
    paths = hook(page, "h.paths()")
    losses = hook(page, "h.losses()")
    assert [t["n"] for t in lines] == [len(p) for p in paths] == [121, 121]
    # On the surface: heights are log10(1 + f − f_min) of the API's loss, lifted a little.
    zmin = hook(page, "h.grid().zmin")
    height = [math.log10(1 + max(0.0, v - zmin)) for v in losses[0]]
    lift = lines[0]["z"][0] - height[0]
    assert 0 < lift < 0.1
    assert all(abs(z - h - lift) < 1e-9 for z, h in zip(lines[0]["z"], height))
    title = page.evaluate("() => document.querySelector('#surface3d .plot3d-graph')._fullLayout.scene.zaxis.title.text")
    assert title.startswith("log<sub>10</sub>(1 + f")
    # The markers sit at the player's step, and move when it is scrubbed.
    markers = traces[-1]
    assert markers["mode"] == "markers" and markers["x"] == [p[0][0] for p in paths]
    page.locator("#player .scrubber").fill("80")
    wait_step(page, 80)
    markers = graph3d(page)[-1]
    assert markers["x"] == [p[80][0] for p in paths]
    # A PNG of "the current view" is the 3D picture.
    with page.expect_download(timeout=SLOW) as dl:
        page.get_by_role("button", name="PNG", exact=True).click()
    data = open(dl.value.path(), "rb").read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 20_000
    # Back to the contour, and out of the URL.
    page.get_by_role("button", name="Contour").click()
    assert page.locator("#surface3d").is_hidden() and page.locator("#contour").is_visible()
    page.wait_for_function("() => !location.search.includes('view=3d')")
    assert page.locator("#contour .contourlayer path").count() > 5
    page.watch.assert_clean()


def test_3d_from_a_link_in_chinese_with_a_fan(page, server):
    page.goto(server.url + "/?s=himmelblau&steps=60&o=adam(lr=0.1)&noise1=0.5&fan1=4&view=3d&lang=zh")
    wait_ready(page, timeout=SLOW)
    page.wait_for_function("() => document.querySelector('#surface3d').dataset.step !== undefined",
                           timeout=SLOW)
    assert page.get_by_role("button", name="三维曲面").get_attribute("aria-pressed") == "true"
    traces = graph3d(page)
    assert traces[0]["type"] == "surface"
    lines = [t for t in traces if t["mode"] == "lines"]
    # The run itself, and its fan's three other seeds in lighter lines under it.
    assert len(lines) == 4 and len(hook(page, "h.fans()")) == 3
    assert sorted(t["opacity"] for t in lines) == [0.35, 0.35, 0.35, 1]
    assert lines[-1]["n"] == 61
    page.watch.assert_clean()


def test_without_webgl_the_page_says_so_and_keeps_the_contour(browser, server):
    b = browser.browser_type.launch(executable_path=str(CHROMIUM), headless=True,
                                    args=CHROMIUM_ARGS + ["--disable-3d-apis", "--disable-webgl"])
    try:
        pg = b.new_page(viewport={"width": 1280, "height": 800})
        watch = Watch(pg, server.url)
        pg.goto(server.url + "/?view=3d")
        wait_ready(pg)
        assert pg.evaluate("() => !document.createElement('canvas').getContext('webgl')")
        note = pg.locator(".view3d-note")
        assert note.is_visible() and "WebGL" in note.inner_text()
        assert pg.locator("#contour").is_visible() and pg.locator("#surface3d").is_hidden()
        assert pg.locator("#contour .contourlayer path").count() > 5
        assert len(hook(pg, "h.paths()")[0]) == 201
        watch.assert_clean()
    finally:
        b.close()
