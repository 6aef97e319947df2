"""A race as a plotly figure for notebooks, in the playground's look:

    fig = optplay.figure("rosenbrock", [("adam", {"lr": 0.05}), ("sgd", {"lr": 1e-3})],
                         steps=200)
    fig                     # contour, paths, minima, ▶ play / pause and a step slider

`mode="3d"` draws the surface in 3D with the paths on it.  The animation is made of
Plotly frames (at most `max_frames`, long runs are subsampled), so the figure needs no
server and survives nbconvert to HTML.
"""

from __future__ import annotations

import numpy as np

from app.engine.notebook import Result, as_run, run
from app.teach import look
from app.teach.labels import run_label

TEXT = {
    "en": {"play": "▶ Play", "pause": "❚❚ Pause", "step": "step ", "minimum": "minimum",
           "saddle": "saddle point", "start": "start", "loss": "f(x, y)",
           "w": "w (weight)", "b": "b (bias)"},
    "zh": {"play": "▶ 播放", "pause": "❚❚ 暂停", "step": "步数 ", "minimum": "极小值点",
           "saddle": "鞍点", "start": "起点", "loss": "f(x, y)",
           "w": "w（权重）", "b": "b（偏置）"},
}


def _plane(result: Result, t: dict) -> dict:
    """The names of the plane's coordinates and of the height: (x, y) and f on a
    formula; on a surface from data the model's weight and bias, and the loss L."""
    if "data" in result.surface:
        return {"x": t["w"], "y": t["b"], "loss": "L(w, b)", "hx": "w", "hy": "b", "hz": "L"}
    return {"x": "x", "y": "y", "loss": t["loss"], "hx": "x", "hy": "y", "hz": "f"}


def _surface_of(result: Result):
    from app.engine.request import DataSurfaceSpec, resolve_surface
    from app.engine.surfaces import SURFACES, custom_surface
    s = result.surface
    if "data" in s:                  # a surface from data: the request's, resolved again
        return resolve_surface(DataSurfaceSpec.model_validate(
            result.raw_request["surface"]))
    return SURFACES[s["id"]] if s["id"] in SURFACES and s["id"] != "custom" \
        else custom_surface(s["expr"], s["domain"])


def _visible(path: np.ndarray, domain) -> np.ndarray:
    """The path as the page draws it: up to where it leaves the domain padded by half its
    size on each side, ending on that edge (points far off would break the contour)."""
    from app.engine.surfaces import ESCAPE_PAD, escaped_at
    e = escaped_at(path, domain)
    if e is None:
        return path
    (x0, x1), (y0, y1) = domain
    px, py = (x1 - x0) * ESCAPE_PAD, (y1 - y0) * ESCAPE_PAD
    lo, hi = np.array([x0 - px, y0 - py]), np.array([x1 + px, y1 + py])
    a, b = path[e - 1], path[e]
    t = 1.0
    with np.errstate(all="ignore"):
        for i in range(2):
            d = b[i] - a[i]
            if np.isfinite(d) and d != 0:
                for edge in (lo[i], hi[i]):
                    s = (edge - a[i]) / d
                    if 0 <= s < t:
                        t = s
    return np.vstack([path[:e], a + t * (b - a)])


def _frame_steps(steps: int, max_frames: int) -> list[int]:
    n = max(2, min(max_frames, steps + 1))
    return sorted({int(round(k)) for k in np.linspace(0, steps, n)})


def figure(surface=None, runs=("sgd",), steps: int = 100, start=None, lang: str = "en",
           mode: str = "contour", max_frames: int = 200, *, data=None,
           model: str | None = None, batch: dict | None = None):
    """The race of `runs` on `surface` (as optplay.run takes them, `data`, `model` and
    `batch` too; or pass a Result of optplay.run as `runs`) as a
    plotly.graph_objects.Figure with an animation."""
    import plotly.graph_objects as go

    if mode not in ("contour", "3d"):
        raise ValueError("mode must be 'contour' or '3d'")
    if lang not in TEXT:
        raise ValueError("lang must be 'en' or 'zh'")
    t = TEXT[lang]
    if isinstance(runs, Result):
        result, specs = runs, [{"optimizer": r.optimizer, "label": r.label} for r in runs]
    else:
        result = run(surface, [as_run(r) for r in runs], steps=steps, start=start,
                     data=data, model=model, batch=batch)
        specs = result.raw_request["runs"]
    plane = _plane(result, t)
    surf = _surface_of(result)
    contour = look.contour_data(surf, 80 if mode == "3d" else 100)
    colors = look.colors_for(specs)
    labels = [r.label or run_label(spec) for r, spec in zip(result, specs)]
    total = max(len(r.path) - 1 for r in result)
    ks = _frame_steps(total, max_frames)
    three_d = mode == "3d"
    domain = result.surface["domain"]
    tracks = []
    for r in result:
        path = _visible(r.path, domain)
        clipped = len(path) < len(r.path) or not np.array_equal(path[-1], r.path[-1])
        loss = list(r.loss[:len(path)])
        if clipped:
            loss[-1] = float(surf.formula.value(path[-1:])[0])
        tracks.append({"path": path, "z": [look.height_of(contour, float(v)) for v in loss],
                       "diverged": r.status == "diverged" and not clipped})

    colorbar = {"title": {"text": plane["loss"], "side": "right"}, "thickness": 12,
                "outlinewidth": 0, "tickfont": {"size": 10}}
    if contour["log"]:
        colorbar.update(tickvals=contour["tickvals"], ticktext=contour["ticktext"])
    data = []
    if three_d:
        data.append(go.Surface(x=contour["x"], y=contour["y"], z=contour["z"],
                               text=contour["text"], colorscale=look.COLORSCALE,
                               colorbar=colorbar, opacity=0.92, showlegend=False,
                               hovertemplate=f"{plane['hx']} = %{{x:.3f}}<br>"
                                             f"{plane['hy']} = %{{y:.3f}}<br>"
                                             f"{plane['hz']} = %{{text}}<extra></extra>"))
    else:
        # The filled contour is a picture under the axes: Plotly's frame transitions
        # remove contour traces, so the race could not play over one.  An invisible
        # marker trace carries the colour bar.
        lo, hi = look.color_range(contour)
        data.append(go.Scatter(x=[None], y=[None], mode="markers", showlegend=False,
                               hoverinfo="skip",
                               marker={"color": [lo, hi], "cmin": lo, "cmax": hi,
                                       "colorscale": look.COLORSCALE, "showscale": True,
                                       "colorbar": colorbar, "size": 0}))
        s = result.surface
        if s["minima"]:
            data.append(go.Scatter(x=[p[0] for p in s["minima"]], y=[p[1] for p in s["minima"]],
                                   mode="markers", name=t["minimum"], showlegend=False,
                                   marker={"symbol": "star", "size": 15,
                                           "color": look.MINIMUM_COLOR,
                                           "line": {"color": "#1b1b1b", "width": 1.2}}))
        if s.get("saddles"):
            data.append(go.Scatter(x=[p[0] for p in s["saddles"]], y=[p[1] for p in s["saddles"]],
                                   mode="markers", name=t["saddle"], showlegend=False,
                                   marker={"symbol": "x-thin", "size": 14, "color": "#ffffff",
                                           "line": {"color": "#ffffff", "width": 3}}))

    def line(r, upto, color, label, ghost=False, legend=False):
        p = r["path"][:upto]
        style = {"color": color, "width": 1.4 if ghost else 2.6}
        if ghost:
            style["dash"] = "dot"
        common = dict(mode="lines+markers" if not ghost else "lines", name=label,
                      legendgroup=label, showlegend=legend, line=style,
                      opacity=0.45 if ghost else 1.0, hoverinfo="skip" if ghost else None)
        if not ghost:
            common["marker"] = {"size": 3, "color": color}
        if three_d:
            return go.Scatter3d(x=p[:, 0], y=p[:, 1], z=r["z"][:upto], **common)
        return go.Scatter(x=p[:, 0], y=p[:, 1], **common)

    def head(r, upto, color, label):
        j = min(upto, len(r["path"])) - 1
        end = r["diverged"] and upto > len(r["path"]) - 1
        marker = {"size": 11 if not three_d else 6, "color": color,
                  "line": {"color": "#ffffff", "width": 2},
                  "symbol": "x" if end else "circle"}
        kw = dict(mode="markers", name=label, legendgroup=label, showlegend=False,
                  marker=marker, hovertemplate=f"{label}<br>{t['step']}{j}<extra></extra>")
        if three_d:
            return go.Scatter3d(x=[r["path"][j, 0]], y=[r["path"][j, 1]], z=[r["z"][j]], **kw)
        return go.Scatter(x=[r["path"][j, 0]], y=[r["path"][j, 1]], **kw)

    for r, color, label in zip(tracks, colors, labels):
        data.append(line(r, len(r["path"]), color, label, ghost=True))
    moving = []
    for r, color, label in zip(tracks, colors, labels):
        moving.append(len(data))
        data.append(line(r, 1, color, label, legend=True))
        data.append(head(r, 1, color, label))

    frames = []
    for k in ks:
        frame_data = []
        for r, color, label in zip(tracks, colors, labels):
            frame_data += [line(r, k + 1, color, label, legend=True), head(r, k + 1, color, label)]
        frames.append(go.Frame(data=frame_data, name=str(k),
                               traces=[i + d for i in moving for d in (0, 1)]))

    redraw = three_d       # 3D scenes redraw; 2D paths move without touching the picture
    play = {"frame": {"duration": 40, "redraw": redraw}, "transition": {"duration": 0},
            "fromcurrent": True, "mode": "immediate"}
    (x0, x1), (y0, y1) = result.surface["domain"]
    layout = dict(
        font={"family": look.FONT, "size": 12, "color": "#475467"},
        paper_bgcolor="white", margin={"l": 50, "r": 20, "t": 40, "b": 40},
        legend={"orientation": "h", "y": 1.02, "yanchor": "bottom", "x": 0},
        updatemenus=[{"type": "buttons", "direction": "left", "x": 0, "y": 0,
                      "xanchor": "left", "yanchor": "top", "showactive": False,
                      "pad": {"t": 45, "r": 10},
                      "buttons": [
                          {"label": t["play"], "method": "animate", "args": [None, play]},
                          {"label": t["pause"], "method": "animate",
                           "args": [[None], {"frame": {"duration": 0, "redraw": redraw},
                                             "mode": "immediate",
                                             "transition": {"duration": 0}}]}]}],
        sliders=[{"active": 0, "x": 0.2, "len": 0.8, "y": 0, "yanchor": "top",
                  "currentvalue": {"prefix": t["step"], "font": {"size": 12}},
                  "pad": {"t": 40, "b": 0}, "ticklen": 2, "font": {"size": 9},
                  "steps": [{"label": str(k), "method": "animate",
                             "args": [[str(k)], {"frame": {"duration": 0, "redraw": redraw},
                                                 "mode": "immediate",
                                                 "transition": {"duration": 0}}]}
                            for k in ks]}],
    )
    if three_d:
        layout.update(height=640, scene={"xaxis": {"title": {"text": plane["x"]}, "range": [x0, x1]},
                                         "yaxis": {"title": {"text": plane["y"]}, "range": [y0, y1]},
                                         "zaxis": {"title": {"text": plane["loss"]}},
                                         "aspectmode": "manual",
                                         "aspectratio": {"x": 1, "y": (y1 - y0) / (x1 - x0),
                                                         "z": 0.6}})
    else:
        layout.update(
            height=680, plot_bgcolor=look.PLOT_BG,
            images=[{"source": look.contour_image(surf, contour), "xref": "x", "yref": "y",
                     "x": x0, "y": y1, "sizex": x1 - x0, "sizey": y1 - y0,
                     "sizing": "stretch", "layer": "below"}],
            xaxis={"range": [x0, x1], "title": {"text": plane["x"]}, "zeroline": False,
                   "showgrid": False, "constrain": "domain"},
            yaxis={"range": [y0, y1], "title": {"text": plane["y"]}, "zeroline": False,
                   "showgrid": False, "scaleanchor": "x", "scaleratio": 1,
                   "constrain": "domain"})
    return go.Figure(data=data, layout=layout, frames=frames)
