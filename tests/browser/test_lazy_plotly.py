"""plotly.js in parts: the first view loads the cartesian bundle only; the 3D bundle and
the 3D view's module come from this server the first time the 3D view is shown, and work
with every other host out of reach; the rest of the page keeps drawing with its own plotly.js after."""

from __future__ import annotations

from urllib.parse import urlparse

from .conftest import hook, wait_ready, wait_recomputed

SLOW = 90_000   # SwiftShader draws WebGL on the CPU


def test_3d_loads_on_first_use_and_works_offline(context, server):
    ours = urlparse(server.url).netloc
    blocked: list[str] = []

    def offline(route):
        if urlparse(route.request.url).netloc == ours:
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort("internetdisconnected")

    context.route("**/*", offline)
    page = context.new_page()
    page.set_default_timeout(SLOW)
    scripts: list[str] = []
    page.on("request", lambda r: r.resource_type == "script" and scripts.append(urlparse(r.url).path))
    errors: list[str] = []
    page.on("console", lambda m: m.type == "error" and errors.append(m.text))
    page.on("pageerror", lambda e: errors.append(str(e)))

    page.goto(server.url + "/?s=himmelblau&steps=80&o=adam(lr=0.1)&o=sgd(lr=0.01)")
    wait_ready(page, timeout=SLOW)
    plotly = [s for s in scripts if "/vendor/" in s]
    assert len(plotly) == 1 and "plotly-cartesian" in plotly[0], scripts
    assert page.evaluate("() => window.Plotly.version") == "4.1.1"
    # The first view's graphs are drawn without any 3D code: no trace type of it there.
    assert page.evaluate("() => ['surface', 'scatter3d'].some((t) => window.Plotly.PlotSchema.get().traces[t])") is False
    # Nor the 3D view's own module (view3d.js): the first view has only its switch.
    assert not [s for s in scripts if s.endswith("/view3d.js")], scripts

    page.get_by_role("button", name="3D surface").click()
    page.wait_for_function("() => document.querySelector('#surface3d').dataset.step !== undefined",
                           timeout=SLOW)
    gl3d = [s for s in scripts if "plotly-gl3d" in s]
    assert len([s for s in scripts if s.endswith("/view3d.js")]) == 1
    assert len(gl3d) == 1 and gl3d[0].startswith("/static/vendor/plotly-gl3d.min.")
    types = page.evaluate("() => document.querySelector('#surface3d .plot3d-graph').data.map((d) => d.type)")
    assert types[0] == "surface" and types.count("scatter3d") >= 2
    assert page.locator("#surface3d canvas").count() >= 1
    # window.Plotly is still the page's own: back on the contour, a new answer redraws the
    # loss chart with it.
    assert page.evaluate("() => Boolean(window.Plotly.PlotSchema.get().traces.surface)") is False
    page.get_by_role("button", name="Contour").click()
    before = hook(page, "h.done()")
    slider = page.locator("#rows .row-card").first.locator("[data-param='lr'] input[type=range]")
    slider.fill("600")
    wait_recomputed(page, before, timeout=SLOW)
    page.wait_for_function("""() => { const gd = document.querySelector('#loss .loss-graph');
        const ys = gd && gd.data && gd.data[0].y; const l = window.__optplay.losses()[0];
        return ys && ys.length === l.length && ys[ys.length - 1] === l[l.length - 1]; }""", timeout=SLOW)
    # Switching again reuses the bundle already loaded.
    page.get_by_role("button", name="3D surface").click()
    page.wait_for_function("() => !document.querySelector('#surface3d').hidden")
    page.wait_for_timeout(300)
    assert len([s for s in scripts if "plotly-gl3d" in s]) == 1
    assert len([s for s in scripts if s.endswith("/view3d.js")]) == 1
    assert not errors, errors
    assert not blocked, blocked   # nothing was even asked of another host
    page.close()



def test_the_surface_and_paths_are_on_screen_before_plotly_js_has_run(context, server):
    """#12: plotly.js takes ~0.3 s to evaluate and more to draw, so the contour view first
    shows a picture of the surface in the plot area Plotly will draw, the paths over it.
    With plotly.js out of reach the race is still on screen (and the page says what
    failed); once it loads (a retry, here by a language switch) its contour takes the
    picture's place within a few pixels, and the picture goes."""
    context.route("**/vendor/plotly-cartesian*", lambda route: route.abort("failed"))
    page = context.new_page()
    page.goto(server.url + "/?s=himmelblau&steps=80&o=adam(lr=0.1)&o=sgd(lr=0.01)")
    page.wait_for_function("() => window.__optplay && window.__optplay.paths().every((p) => p.length === 81)"
                           " && document.querySelector('#contour canvas.plot-preview')")
    assert page.evaluate("() => window.Plotly") is None
    page.wait_for_function("() => !document.getElementById('global-error').hidden")
    assert "plotly.js" in page.locator("#global-error").inner_text()
    # The picture: the surface's colours in its plot area, the paths over it.
    colours = page.evaluate("""() => {
      const c = document.querySelector('#contour canvas.plot-preview');
      const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
      const seen = new Set();
      for (let i = 0; i < d.length; i += 4 * 97) if (d[i + 3]) seen.add(`${d[i]},${d[i + 1]},${d[i + 2]}`);
      return seen.size;
    }""")
    assert colours >= 10, colours
    inked = page.evaluate("""() => {
      const c = document.querySelector('#contour canvas.plot-overlay');
      const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
      let n = 0;
      for (let i = 3; i < d.length; i += 4) if (d[i]) n++;
      return n;
    }""")
    assert inked > 500, inked
    picture = hook(page, "h.plotArea()")
    assert picture and not picture["plotly"], picture
    # A click on the picture puts the start where it shows that point (Plotly's own
    # mapping is not there yet).
    (x0, x1), (y0, y1) = hook(page, "h.surface().domain")
    box = page.locator("#contour .plot-graph").bounding_box()
    page.mouse.click(box["x"] + picture["left"] + (1 - x0) / (x1 - x0) * picture["width"],
                     box["y"] + picture["top"] + (y1 - 2) / (y1 - y0) * picture["height"])
    page.wait_for_function("() => { const s = window.__optplay.state.start;"
                           " return s && Math.abs(s[0] - 1) < 0.05 && Math.abs(s[1] - 2) < 0.05; }")

    context.unroute("**/vendor/plotly-cartesian*")
    page.get_by_role("button", name="中文").click()
    wait_ready(page)
    assert page.evaluate("() => window.Plotly.version") == "4.1.1"
    assert page.locator("#contour canvas.plot-preview").count() == 0
    assert page.locator("#contour .contourlayer").count() == 1
    drawn = hook(page, "h.plotArea()")
    assert drawn["plotly"], drawn
    for key in ("left", "top"):
        assert abs(drawn[key] - picture[key]) <= 8, (picture, drawn)
    for key in ("width", "height"):
        assert abs(drawn[key] - picture[key]) <= 0.03 * drawn[key], (picture, drawn)
    page.close()
