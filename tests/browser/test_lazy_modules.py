"""The first view loads only the modules it needs (issue #12): the code of the parts that
are closed on it (a row's torch.optim API section, the inspector's cards and state_dict()
printer, the tune chart, the PNG and video drawing, the 3D view, map mode, a surface from
data's controls and plot) is neither preloaded nor asked for until the part is first
used; then it loads once and works, in either language, and a link that opens a part
shows it at once."""

from __future__ import annotations

import re
from collections import Counter
from urllib.parse import urlparse

from .conftest import hook, poll, wait_ready

# Each lazily loaded module, and the part that loads it.
LAZY = {
    "torchapi.js": "torch.optim API", "i18nlabpanel.js": "torch.optim API",
    "inspectcards.js": "inspector", "inspectlab.js": "inspector",
    "statedict.js": "inspector", "torchprint.json": "inspector",
    "tunechart.js": "tune", "slidecanvas.js": "png", "recorder.js": "video",
    "view3d.js": "3d",
    "mapmode.js": "map", "mapstream.js": "map", "mapdata.js": "map", "mappaint.js": "map",
    "mapsweep.js": "map", "maplegend.js": "map",
    "datapanel.js": "data", "csvdata.js": "data", "dataview.js": "data",
}
MAP_PARTS = {name for name, part in LAZY.items() if part == "map"}
DATA_PARTS = {"datapanel.js", "csvdata.js", "dataview.js"}
SCENE = "/?s=bowl&start=1,-2&steps=40&o=sgd(lr=0.05)&o=adam(lr=0.1)"


def module_requests(page) -> Counter:
    """How many times each of static/js's files was asked for, by name."""
    seen: Counter = Counter()
    page.on("request", lambda r: "/static/js-" in r.url and seen.update([urlparse(r.url).path.rsplit("/", 1)[-1]]))
    return seen


def test_first_view_asks_for_no_lazy_module_and_each_part_loads_its_own(page, server):
    asked = module_requests(page)
    page.goto(server.url + SCENE)
    wait_ready(page)
    page.wait_for_timeout(300)
    preloaded = page.evaluate("() => [...document.querySelectorAll('link[rel=modulepreload]')].map((l) => l.href)")
    assert preloaded and not [u for u in preloaded if u.rsplit("/", 1)[-1] in LAZY], preloaded
    assert "main.js" in asked and not set(asked) & set(LAZY), sorted(asked)

    # A row's torch.optim API section: its body and its words come when it is opened.
    lab = page.locator(".row-card").first.locator("[data-torch-api]")
    assert lab.locator("> summary").inner_text() == "torch.optim API"
    lab.locator("> summary").click()
    zero = lab.get_by_role("checkbox", name="call optimizer.zero_grad() before each backward()")
    assert zero.is_checked()
    assert asked["torchapi.js"] == 1 and asked["i18nlabpanel.js"] == 1
    # The second row's section, opened later, is filled from the module already here.
    page.locator(".row-card").nth(1).locator("[data-torch-api] > summary").click()
    assert page.locator(".row-card").nth(1).locator(".lab-groups legend").inner_text() == "Param groups"

    # The inspector: its cards and the state_dict() printer come when it opens.
    assert not {"inspectcards.js", "statedict.js"} & set(asked)
    page.locator("#inspector .insp-toggle").click()
    page.wait_for_function("() => window.__optplay.hasState()")
    card = page.locator("#inspector .insp-card").first
    card.locator(".insp-sd > summary").click()
    text = poll(lambda: card.locator(".insp-sd").get_attribute("data-text"))
    assert text and text.startswith("{'state': ") and "'param_groups': [{'lr': 0.05," in text, text
    assert asked["inspectcards.js"] == asked["statedict.js"] == asked["torchprint.json"] == 1

    # The PNG export draws its slide with slidecanvas.js, loaded on the first press.
    with page.expect_download() as dl:
        page.locator("[data-export=png]").click()
    assert dl.value.suggested_filename == "scene.png"
    assert asked["slidecanvas.js"] == 1 and "recorder.js" not in asked

    # Tune lr: the chart's module comes with the first tuning, and draws.
    page.locator("#tune-panel .tune-btn").click()
    page.wait_for_function("() => document.querySelector('#tune-panel').dataset.state === 'done'", timeout=60_000)
    page.wait_for_function("() => document.querySelector('#tune-panel .tune-graph')?.data?.length >= 2")
    assert asked["tunechart.js"] == 1

    # 中文: the parts loaded later relabel with the rest of the page (the cards are built
    # again, their sections closed as on a first view).
    page.locator(".lang-switch [data-lang=zh]").click()
    lab = page.locator(".row-card").first.locator("[data-torch-api]")
    assert lab.locator("> summary").inner_text() == "torch.optim 接口"
    lab.locator("> summary").click()
    assert lab.locator(".lab-groups legend").inner_text() == "参数组"
    assert "lab." not in lab.inner_text()
    assert page.locator("#tune-panel .tune-btn").inner_text() != "Tune lr"
    # Nothing was asked for twice, and the 3D view was never needed.
    assert max(asked.values()) == 1, asked
    assert "view3d.js" not in asked
    page.watch.assert_clean()


def test_links_that_open_a_part_show_it_at_once(page, server):
    asked = module_requests(page)
    page.goto(server.url + SCENE.replace("&o=adam(lr=0.1)", "") + "&groups1=x,y(lr=0.01)&zero_grad1=never&insp=1")
    wait_ready(page)
    lab = page.locator(".row-card").first.locator("[data-torch-api]")
    assert lab.get_attribute("open") is not None
    assert lab.locator("> summary").inner_text() == "torch.optim API · 2 param groups · no zero_grad()"
    assert not lab.get_by_role("checkbox", name="call optimizer.zero_grad() before each backward()").is_checked()
    assert lab.locator(".lab-group[data-group=y] [data-param='lr'] input[type=number]").input_value() == "0.01"
    page.wait_for_function("() => window.__optplay.hasState()")
    card = page.locator("#inspector .insp-card").first
    card.locator(".insp-sd > summary").click()
    text = poll(lambda: card.locator(".insp-sd").get_attribute("data-text"))
    assert text and "'params': [1]" in text, text
    assert hook(page, "h.paths()[0].length") == 41
    assert max(asked.values()) == 1, asked
    page.watch.assert_clean()


def map_panel(page) -> dict:
    """The Map panel as the page shows it: its markup, and the strip's marks."""
    return page.evaluate("""() => ({
        html: document.querySelector('#map-panel').innerHTML,
        strip: {...document.querySelector('#map-strip').dataset},
        stripHidden: document.querySelector('#map-strip').hidden,
    })""")


def wait_map_done(page, shape):
    page.wait_for_function(
        "(n) => { const i = window.__optplayMap.info(); return i.status === 'done' && i.shape && i.shape[0] === n; }",
        arg=shape, timeout=30_000)


def test_map_and_data_surfaces_load_their_code_on_first_use(page, server):
    asked = module_requests(page)
    page.goto(server.url + "/?s=himmelblau&steps=40&o=sgd(lr=0.01)")
    wait_ready(page)
    page.wait_for_timeout(300)
    assert not (MAP_PARTS | DATA_PARTS) & set(asked), sorted(asked)
    # The map's panel, off: its head and intro line, as map mode draws them.
    off = map_panel(page)
    panel = page.locator("#map-panel")
    assert panel.locator("h2#map-h").inner_text() == "Map"
    assert panel.locator(".map-intro").inner_text().startswith("Run one optimizer many times at once")
    assert off["strip"] == {"state": "off", "kind": "basin", "request": "0", "shape": "", "painted": "0"}
    assert off["stripHidden"]
    assert hook(page, "window.__optplayMap.info()")["status"] == "off"

    # Switched on from the keyboard: map mode loads, the form comes, the switch keeps focus.
    switch = page.get_by_role("switch", name="Show map")
    switch.focus()
    page.keyboard.press("Space")
    page.locator("#map-run").wait_for()
    assert page.evaluate("() => document.activeElement.id") == "map-on"
    page.locator("[data-map-field=res] button[data-value='32']").click()
    wait_map_done(page, 32)
    assert asked["mapmode.js"] == 1 and MAP_PARTS <= set(asked)
    assert hook(page, "window.__optplayMap.info()")["on"] is True
    assert page.locator("#map-strip").is_visible()
    # Off again (focus on the switch all along): the panel is as the first view had it.
    switch.focus()
    page.keyboard.press("Space")
    page.wait_for_function("() => document.querySelector('#map-strip').hidden")
    assert page.evaluate("() => document.activeElement.id") == "map-on"
    page.keyboard.press("Space")
    page.locator("#map-run").wait_for()
    assert page.evaluate("() => document.activeElement.id") == "map-on"
    page.keyboard.press("Space")
    page.wait_for_function("() => document.querySelector('#map-strip').hidden")
    assert map_panel(page)["html"] == off["html"]

    # A data set chosen in the surface select: the data controls and plot load, and draw.
    assert not DATA_PARTS & set(asked)
    page.select_option("#surface-select", "data:line")
    page.wait_for_function("() => window.__optplay.dataLines().length === 1", timeout=30_000)
    assert page.locator("#data-box").is_visible() and page.locator("#data-view").is_visible()
    assert re.match(r"\d+ points", page.locator("#data-about").inner_text())
    assert page.locator("#surface-expr").inner_text().startswith("L(w, b)")
    assert all(asked[name] == 1 for name in DATA_PARTS), asked
    # Your own data: the text box, focused, with the set's points to edit.
    page.select_option("#surface-select", "__csv__")
    csv = page.locator("#csv-text")
    csv.wait_for()
    assert page.evaluate("() => document.activeElement.id") == "csv-text"
    page.wait_for_function("() => document.querySelector('#csv-status').dataset.kind === 'ok'", timeout=30_000)

    # 中文: the panels loaded later relabel with the rest of the page.
    page.locator(".lang-switch [data-lang=zh]").click()
    assert panel.locator("h2#map-h").inner_text() == "收敛地图"
    assert page.get_by_role("switch", name="显示地图").is_visible()
    assert page.locator("#data-view .data-title").inner_text().startswith("数据")
    assert max(asked.values()) == 1, asked
    page.watch.assert_clean()


def test_links_with_a_map_or_data_show_them_at_once_in_chinese(page, server, context):
    asked = module_requests(page)
    page.goto(server.url + "/?s=himmelblau&steps=40&o=sgd(lr=0.01)&map=basin&mres=32&lang=zh")
    wait_ready(page)
    # Ready means map mode is here: its form is on the panel, in 中文.
    assert page.locator("#map-run").is_visible()
    assert page.get_by_role("switch", name="显示地图").is_checked()
    wait_map_done(page, 32)
    assert page.locator("#map-strip").is_visible()
    assert not DATA_PARTS & set(asked)
    # Switched off, the panel is the first view's (no module asked for again).
    page.get_by_role("switch", name="显示地图").uncheck()
    assert page.locator("#map-panel .map-intro").inner_text().startswith("让同一个优化器")
    assert page.evaluate("() => document.activeElement.id") == "map-on"

    other = context.new_page()
    data_asked = module_requests(other)
    other.goto(server.url + "/?data=line&steps=40&o=sgd(lr=0.05)&lang=zh")
    wait_ready(other)
    assert other.locator("#data-box").is_visible() and other.locator("#data-view").is_visible()
    assert other.locator("#surface-select").input_value() == "data:line"
    assert len(hook(other, "h.dataLines()")) == 1
    assert other.locator("#data-view .data-title").inner_text().startswith("数据")
    assert not MAP_PARTS & set(data_asked), sorted(data_asked)
    assert all(data_asked[name] == 1 for name in DATA_PARTS), data_asked
    assert max(asked.values()) == 1 and max(data_asked.values()) == 1, (asked, data_asked)
    page.watch.assert_clean()
