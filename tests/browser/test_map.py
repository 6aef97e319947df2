"""Map mode on the page "/": basin and sweep maps streamed from the real server, painted
under or beside the contour, clicked, reloaded from the URL, and cancelled mid-stream."""

from __future__ import annotations

import math
import time

from .conftest import hook, poll, wait_ready, wait_recomputed

HIMMELBLAU_MINIMA = [(3.0, 2.0), (-2.805118, 3.131312), (-3.77931, -3.283186), (3.584428, -1.848126)]


def map_info(page):
    return page.evaluate("() => window.__optplayMap.info()")


def map_cells(page):
    return page.evaluate("() => window.__optplayMap.cells()")


def wait_map(page, shape, kind, timeout=30_000):
    """Until a map of this kind and [ny, nx] has streamed in completely."""
    page.wait_for_function(
        "([shape, kind]) => { const i = window.__optplayMap && window.__optplayMap.info();"
        " return i && i.status === 'done' && i.kind === kind && i.shape"
        " && i.shape[0] === shape[0] && i.shape[1] === shape[1]; }",
        arg=[shape, kind], timeout=timeout)
    return map_info(page)


def turn_on(page):
    page.get_by_role("switch", name="Show map").check()


def pick_resolution(page, n):
    page.locator(f"[data-map-field=res] button[data-value='{n}']").click()


CONTOUR = "#contour .plot-graph"
SWEEP = "#sweep-view .sweep-graph"
# Where data point (x, y) is on a Plotly graph, in CSS pixels from the graph's corner
# (a log axis is linear in log10).
_AT = """const fl = gd._fullLayout;
    const l = (ax, v) => ax.type === 'log' ? Math.log10(v) : v;
    const at = [fl.xaxis._offset + fl.xaxis.l2p(l(fl.xaxis, x)), fl.yaxis._offset + fl.yaxis.l2p(l(fl.yaxis, y))];"""


def graph_pixel(page, graph, x, y):
    """Page pixel of data point (x, y) on a graph, from Plotly's own axes."""
    return page.evaluate(f"""([sel, x, y]) => {{
        const gd = document.querySelector(sel), r = gd.getBoundingClientRect();
        {_AT}
        return [r.left + at[0], r.top + at[1]];
    }}""", [graph, x, y])


def map_rgba(page, graph, x, y):
    """The colour of the map canvas under data point (x, y) of a graph."""
    return page.evaluate(f"""([sel, x, y]) => {{
        const gd = document.querySelector(sel), c = gd.querySelector('canvas.map-underlay');
        const dpr = c.width / gd.clientWidth;
        {_AT}
        return [...c.getContext('2d').getImageData(Math.round(at[0] * dpr), Math.round(at[1] * dpr), 1, 1).data];
    }}""", [graph, x, y])


def hex_rgb(text):
    v = int(text.lstrip("#"), 16)
    return [(v >> 16) & 255, (v >> 8) & 255, v & 255]


def test_basin_map_paints_four_basins_and_a_click_starts_the_race_there(page, server):
    page.goto(server.url + "/?s=himmelblau")
    wait_ready(page)
    assert page.locator("#map-strip").is_hidden()
    turn_on(page)
    pick_resolution(page, 32)
    page.locator("#map-run").select_option("2")  # the default Adam row (lr=0.1)
    info = wait_map(page, [32, 32], "basin")
    assert page.locator("#map-strip").is_visible()

    # Progress finished, every cell painted, and the legend names Himmelblau's four minima.
    strip = page.locator("#map-strip")
    assert strip.get_attribute("data-state") == "done"
    assert strip.get_attribute("data-painted") == "1024"
    assert page.locator("#map-strip .map-progress").get_attribute("aria-valuenow") == "100"
    legend = page.locator("#map-strip [data-minimum]")
    assert legend.count() == 4
    counts = [int(legend.nth(i).get_attribute("data-count")) for i in range(4)]
    assert all(c > 100 for c in counts), counts
    none = int(page.locator("#map-strip [data-none]").get_attribute("data-count"))
    diverged = int(page.locator("#map-strip [data-diverged]").get_attribute("data-count"))
    assert sum(counts) + none + diverged == 1024
    text = legend.all_inner_texts()
    assert any("(3, 2)" in s for s in text) and any("(-2.81, 3.13)" in s for s in text)
    assert info["minima"] == [list(m) for m in HIMMELBLAU_MINIMA]
    assert info["basinImage"] == [32, 32]

    # The canvas under the contour shows each minimum's colour around it.
    colors = page.evaluate("() => import('/static/js/mappaint.js').then((m) => m.MINIMA_COLORS)")
    for m, (mx, my) in enumerate(HIMMELBLAU_MINIMA):
        r, g, b, a = map_rgba(page, CONTOUR, mx, my)
        want = hex_rgb(colors[m])
        assert a == 255
        # Shaded towards pale by steps, never towards another hue.
        assert max(abs(r - want[0]), abs(g - want[1]), abs(b - want[2])) < 120, (m, [r, g, b], want)

    # Click the cell nearest (3, 2): the race starts from that cell's centre.
    xs, ys = info["x"], info["y"]
    i = min(range(32), key=lambda k: abs(xs[k] - 3.0))
    j = min(range(32), key=lambda k: abs(ys[k] - 2.0))
    cells = map_cells(page)
    assert cells["minimum"][j * 32 + i] == 0  # this cell's run reaches (3, 2)
    request = info["requestId"]
    done = hook(page, "h.done()")
    # A little off the centre, still inside the cell: the start snaps to the centre.
    px, py = graph_pixel(page, CONTOUR, xs[i] + 0.1, ys[j] - 0.08)
    page.mouse.click(px, py)
    wait_recomputed(page, done)
    start = hook(page, "h.state.start")
    assert start == [xs[i], ys[j]]
    page.wait_for_function("() => new URLSearchParams(location.search).get('start') !== null")
    url_start = [float(v) for v in page.evaluate("() => new URLSearchParams(location.search).get('start')").split(",")]
    assert all(math.isclose(a, b, rel_tol=1e-11) for a, b in zip(url_start, start))
    path = hook(page, "h.paths()[2]")
    assert path[0] == start
    assert math.dist(path[-1], HIMMELBLAU_MINIMA[0]) < 1e-3
    # The basin map does not depend on the start: no new map for a new start.
    time.sleep(0.4)
    assert map_info(page)["requestId"] == request
    page.watch.assert_clean()


def test_basin_map_comes_back_from_the_url_in_chinese(page, server, context):
    page.goto(server.url + "/?s=himmelblau&o=sgd(lr=0.01)&o=adam(lr=0.1)&map=basin&mres=32&mrun=2&lang=zh")
    info = wait_map(page, [32, 32], "basin")
    assert page.get_by_role("switch").is_checked()
    assert page.locator("[data-map-field=res] button[aria-pressed=true]").inner_text() == "32²"
    assert page.locator("#map-run").input_value() == "1"
    assert page.locator("#map-strip [data-minimum]").count() == 4
    assert "极小值点 (3, 2)" in page.locator("#map-strip .map-legend").inner_text()
    assert "吸引域" in page.locator("#map-panel").inner_text()
    # The URL the page writes back keeps the map, and a second tab opens the same map.
    page.wait_for_function("() => location.search.includes('map=basin')")
    other = context.new_page()
    other.goto(page.url)
    again = wait_map(other, [32, 32], "basin")
    assert again["counts"] == info["counts"]
    other.close()
    page.watch.assert_clean()


def test_sweep_of_sgd_lr_and_momentum_marks_divergence_and_loads_a_cell(page, server, context):
    page.goto(server.url + "/?s=himmelblau&o=sgd(lr=0.002)")
    wait_ready(page)
    turn_on(page)
    page.get_by_role("button", name="Hyperparameter sweep").click()
    pick_resolution(page, 32)
    info = wait_map(page, [32, 32], "sweep")
    assert (info["xParam"], info["yParam"]) == ("lr", "momentum")
    # lr over the catalogue's slider range, on a log axis; momentum linear.
    assert math.isclose(info["x"][0], 1e-5) and math.isclose(info["x"][-1], 10)
    assert math.isclose(info["x"][1] / info["x"][0], info["x"][2] / info["x"][1])
    assert info["y"][0] == 0 and math.isclose(info["y"][-1], 0.99)
    assert page.locator("#sweep-view").is_visible()
    assert info["sweepImage"] == [32, 32]
    layout = page.evaluate("() => { const l = document.querySelector('#sweep-view .sweep-graph')._fullLayout;"
                           " return [l.xaxis.title.text, l.yaxis.title.text, l.xaxis.type]; }")
    assert layout == ["lr", "momentum", "log"]

    # Large lr diverges, small lr does not; the legend counts the diverged cells.
    cells = map_cells(page)
    div = cells["diverged"]
    assert all(div[j * 32 + 31] for j in range(32))
    assert not any(div[j * 32] for j in range(32))
    assert int(page.locator("#map-strip [data-diverged]").get_attribute("data-count")) == sum(div)
    # On the sweep's canvas, diverged cells are dark red, the others are not.
    for k in range(0, 32 * 32, 37):
        r, g, b, a = map_rgba(page, SWEEP, info["x"][k % 32], info["y"][k // 32])
        assert a == 255
        assert (r > g + 40 and r > b + 40) == bool(div[k]), (k, [r, g, b])

    # Click a cell that converges: its values go into the row, the sliders follow, the race reruns.
    k = next(k for k in range(32 * 32) if cells["minimum"][k] >= 0 and 0.3 < info["y"][k // 32] < 0.8)
    i, j = k % 32, k // 32
    lr, momentum = info["x"][i], info["y"][j]
    request = info["requestId"]
    done = hook(page, "h.done()")
    page.mouse.click(*graph_pixel(page, SWEEP, lr, momentum))
    wait_recomputed(page, done)
    params = hook(page, "h.state.rows[0].params")
    assert params["lr"] == lr and params["momentum"] == momentum
    card = page.locator("#rows .row-card").first
    assert math.isclose(float(card.locator("[data-param='lr'] input.num").input_value()), lr, rel_tol=1e-11)
    assert math.isclose(float(card.locator("[data-param='momentum'] input.num").input_value()), momentum, rel_tol=1e-11)
    path = hook(page, "h.paths()[0]")
    reached = info["minima"][cells["minimum"][k]]
    assert math.dist(path[-1], reached) < 0.05
    # The sweep does not depend on the row's own lr and momentum: the map stays.
    time.sleep(0.4)
    assert map_info(page)["requestId"] == request

    # Reloading the URL brings the sweep back, with its axes.
    page.wait_for_function("() => location.search.includes('map=sweep') && location.search.includes('mx=lr')")
    other = context.new_page()
    other.goto(page.url)
    again = wait_map(other, [32, 32], "sweep")
    assert (again["xParam"], again["yParam"]) == ("lr", "momentum")
    assert map_cells(other)["diverged"] == div
    other.close()
    page.watch.assert_clean()


def test_a_refused_range_is_explained_next_to_its_axis(page, server):
    page.goto(server.url + "/?s=himmelblau&o=sgd(lr=0.01)&map=sweep&mres=32")
    wait_map(page, [32, 32], "sweep")
    box = page.locator("#map-y-lo")
    box.fill("-0.5")
    error = page.locator("[data-map-field=y] .field-error")
    poll(lambda: error.inner_text().strip(), timeout=10)
    assert "momentum" in error.inner_text().lower()
    assert "-0.5" in error.inner_text()
    assert page.locator("#map-strip").get_attribute("data-state") == "error"
    assert page.locator("[data-map-field=x] .field-error").inner_text() == ""
    # Put it right: the error goes, the map comes.
    box.fill("0")
    page.wait_for_function("() => window.__optplayMap.info().status === 'done'")
    assert error.inner_text() == ""
    page.watch.assert_clean()


def test_changing_resolution_mid_stream_paints_only_the_new_map(page, server):
    # 256 × 256 starts of 600 steps take seconds: long enough to change our mind.
    page.goto(server.url + "/?s=himmelblau&steps=600&o=sgd(lr=0.002)")
    wait_ready(page)
    turn_on(page)
    pick_resolution(page, 256)
    page.wait_for_function("() => { const i = window.__optplayMap.info();"
                           " return i.shape && i.shape[1] === 256 && i.rowsDone > 0; }", timeout=30_000)
    first = map_info(page)
    assert first["status"] == "streaming" and first["rowsDone"] < 256
    pick_resolution(page, 32)
    info = wait_map(page, [32, 32], "basin")
    assert info["requestId"] > first["requestId"]
    # Rows of the 256 map still on the wire are dropped: the 32 map stays whole.
    time.sleep(1.5)
    info = map_info(page)
    assert info["shape"] == [32, 32] and info["basinImage"] == [32, 32]
    assert info["rowsDone"] == 32 and info["counts"]["cells"] == 1024
    assert page.locator("#map-strip").get_attribute("data-painted") == "1024"
    assert page.locator("#map-strip").get_attribute("data-shape") == "32x32"
    page.watch.assert_clean()


def test_zooming_in_maps_the_view_and_zooming_out_the_domain(page, server):
    page.goto(server.url + "/?s=himmelblau&o=adam(lr=0.1)&map=basin&mres=32")
    whole = wait_map(page, [32, 32], "basin")
    assert (whole["x"][0], whole["x"][-1]) == (-5, 5)
    page.evaluate("() => Plotly.relayout(document.querySelector('#contour .plot-graph'),"
                  " {'xaxis.range': [1, 4], 'yaxis.range': [0.5, 3.5]})")
    page.wait_for_function("() => { const i = window.__optplayMap.info();"
                           " return i.status === 'done' && i.x[0] === 1; }")
    zoomed = map_info(page)
    assert zoomed["shape"] == [32, 32] and zoomed["x"][-1] == 4 and (zoomed["y"][0], zoomed["y"][-1]) == (0.5, 3.5)
    # Nearly every start in this window around (3, 2) ends there.
    assert zoomed["counts"]["perMinimum"][0] > 0.8 * 1024
    page.mouse.dblclick(*graph_pixel(page, CONTOUR, 2, 2))  # Plotly's reset: the whole domain again
    page.wait_for_function("() => { const i = window.__optplayMap.info();"
                           " return i.status === 'done' && i.x[0] === -5; }")
    assert map_info(page)["counts"] == whole["counts"]
    page.watch.assert_clean()
