"""A scene as a picture for a slide, drawn with Pillow (the animated GIF's frames): the
surface as the page colours it (log colours, contour bands), the paths up to a step, a
legend (colour, optimizer, its changed hyperparameters, status at that step) and the
step counter, laid out 16:9 so it fills a slide.

    r = SlideRenderer(scene, width=960)
    r.frame(k)  -> PIL.Image (RGB), the race at step k

The paths are drawn at twice the size and halved (Pillow's lines have no anti-aliasing);
text is drawn at the final size (FreeType smooths it).  Everything that does not move is
drawn once, in the background.
"""

from __future__ import annotations

import math
import unicodedata
from dataclasses import dataclass, field

import numpy as np
from PIL import Image, ImageColor, ImageDraw

from ..engine.data import DataSurface
from . import look
from .fonts import Fonts
from .labels import fmt

SS = 2                                   # supersampling of the plot layer
BG = (255, 255, 255)
INK = (29, 36, 51)                       # --fg
MUTED = (91, 100, 120)                   # --fg-muted
PLOT_BG = ImageColor.getrgb(look.PLOT_BG)
STATUS_COLORS = {"running": (71, 84, 103), "finished": (31, 122, 53),
                 "diverged": (180, 35, 24), "escaped": (163, 64, 6)}
STAR = ImageColor.getrgb(look.MINIMUM_COLOR)
DATA_ASPECT = 0.8                        # static/js/plot.js
EVAL_SIDE = 360                          # points a side where f is computed for the picture


@dataclass
class Track:
    """One run as the slide draws it."""

    name: str
    detail: str
    color: tuple[int, int, int]
    status: str                          # "ok" | "diverged" (the engine's word)
    steps_done: int
    path: np.ndarray                     # (n, 2) data coordinates, finite
    escaped_at: int | None = None
    left_at: int | None = None           # the step it left the plot for good
    px: np.ndarray = field(default=None, repr=False)    # layer pixels (SS times)
    keep: np.ndarray = field(default=None, repr=False)  # indices worth drawing

    @property
    def end(self) -> int:
        last = len(self.path) - 1
        return last if self.escaped_at is None else min(self.escaped_at, last)

    def kind(self, step: int) -> str:
        """static/js/readout.js statusKind, for a finished computation."""
        if self.left_at is not None and step >= self.left_at:
            return "escaped"
        if self.status == "diverged" and step >= self.steps_done:
            return "diverged"
        return "finished" if step >= self.steps_done else "running"


@dataclass
class Scene:
    """What a slide shows: texts already in the slide's language."""

    surface: object                      # app.engine.surfaces.Surface
    contour: dict                        # look.contour_data
    start: tuple[float, float]
    steps: int
    tracks: list[Track]
    title: str
    subtitle: str                        # "f(x, y) = …", or the loss over a data set
    strings: dict                        # status.*, player.stepOf
    fonts: Fonts


def printable(text: str) -> str:
    """Text FreeType can lay out: control and format characters (a run's label is the
    user's) become spaces."""
    return "".join(" " if unicodedata.category(c).startswith("C") else c for c in str(text))


def rgb(color: str, fallback: str) -> tuple[int, int, int]:
    try:
        return ImageColor.getrgb(color)[:3]
    except (ValueError, TypeError):
        return ImageColor.getrgb(fallback)[:3]


def left_view(path: np.ndarray, domain, end: int) -> int | None:
    """static/js/scene.js leftView: the step after which the path stays off the plot."""
    if len(path) < 2:
        return None
    (x0, x1), (y0, y1) = domain
    p = path[: end + 1]
    out = (p[:, 0] < x0) | (p[:, 0] > x1) | (p[:, 1] < y0) | (p[:, 1] > y1)
    if not out[-1]:
        return None
    inside = np.flatnonzero(~out)
    return int(inside[-1]) + 1 if len(inside) else None


class SlideRenderer:
    def __init__(self, scene: Scene, width: int = 960, check=None):
        """check(): called during long work (the surface's values); raises to stop."""
        self.s = scene
        self.check = check
        self.W = int(width)
        self.H = int(round(self.W * 9 / 16))
        self.k = self.W / 960
        self._layout()
        self._prepare_tracks()
        self.background = self._background()

    # ------------------------------------------------------------------ layout

    def px(self, v: float) -> int:
        return max(1, int(round(v * self.k)))

    def _layout(self) -> None:
        s, W, H = self.s, self.W, self.H
        self.pad = self.px(20)
        self.header = self.px(58)
        gut_l, gut_b = self.px(58), self.px(34)
        avail_w = W * 0.6 - self.pad - gut_l
        avail_h = H - self.header - self.pad - gut_b
        (x0, x1), (y0, y1) = s.surface.domain
        # A loss over data has no lengths to compare on its w and b axes: the page's
        # fixed aspect (plot.js DATA_ASPECT), else the axes 1:1.
        ratio = DATA_ASPECT if isinstance(s.surface, DataSurface) else (y1 - y0) / (x1 - x0)
        pw, ph = avail_w, avail_w * ratio
        if ph > avail_h:
            ph, pw = avail_h, avail_h / ratio
        self.pw, self.ph = max(16, int(pw)), max(16, int(ph))
        self.left = self.pad + gut_l
        self.top = self.header + max(0, int((avail_h - self.ph) / 2))
        self.legend_x = self.left + self.pw + self.px(36)
        self.legend_w = W - self.pad - self.legend_x

    def to_layer(self, pts: np.ndarray) -> np.ndarray:
        """Data coordinates -> pixels of the SS-times plot layer."""
        (x0, x1), (y0, y1) = self.s.surface.domain
        out = np.empty_like(pts, dtype=float)
        out[:, 0] = (pts[:, 0] - x0) / (x1 - x0) * self.pw * SS
        out[:, 1] = (y1 - pts[:, 1]) / (y1 - y0) * self.ph * SS
        return out

    def _prepare_tracks(self) -> None:
        limit = 4.0 * max(self.pw, self.ph) * SS
        for tr in self.s.tracks:
            tr.px = self.to_layer(tr.path) if len(tr.path) else np.zeros((0, 2))
            end = tr.end
            if end >= 1 and np.abs(tr.px[end]).max() > limit:
                # Only the last drawn point can lie far away (escaped_at ends the drawing
                # at the first point off the padded domain): cut that segment at a box
                # well outside the plot, so the visible part keeps its direction.
                tr.px = tr.px.copy()
                tr.px[end] = _cut(tr.px[end - 1], tr.px[end], limit)
            tr.keep = _thin(tr.px[: end + 1], 1.2 * SS)

    # -------------------------------------------------------------- background

    def _background(self) -> Image.Image:
        s, f = self.s, self.s.fonts
        im = Image.new("RGB", (self.W, self.H), BG)
        d = ImageDraw.Draw(im)
        title_font = f.bold(self.px(26))
        d.text((self.pad, self.px(16)), s.title, font=title_font, fill=INK)
        tw = d.textlength(s.title, font=title_font)
        formula = s.subtitle
        room = self.W * 0.62 - self.pad - tw - self.px(16)
        small = f.regular(self.px(16))
        if room > self.px(80):
            d.text((self.pad + tw + self.px(16), self.px(24)), _fit(d, formula, small, room),
                   font=small, fill=MUTED)
        # The surface, one colour per pixel of the plot, bands as the page draws them.
        rgba = look.band_rgba(self._surface_values(), s.contour)
        colours = Image.fromarray(rgba, "RGBA")
        plot = Image.new("RGB", (self.pw, self.ph), PLOT_BG)
        plot.paste(colours, (0, 0), colours)
        self.plot_layer = plot.resize((self.pw * SS, self.ph * SS), Image.Resampling.NEAREST)
        im.paste(plot, (self.left, self.top))
        d.rectangle([self.left - 1, self.top - 1, self.left + self.pw, self.top + self.ph],
                    outline=(201, 208, 220))
        self._axes(d)
        self._legend_static(d)
        self._sprites()
        self._reset_trails()
        self.base, self.base_statuses = im, None
        return im

    def _surface_values(self) -> np.ndarray:
        """f on the plot's pixels: computed on at most EVAL_SIDE points a side (a long
        typed formula over a 1600-pixel picture would be a million evaluations) and
        interpolated, under the fence."""
        s, pw, ph = self.s, self.pw, self.ph
        scale = min(1.0, EVAL_SIDE / max(pw, ph))
        nx, ny = max(2, round(pw * scale)), max(2, round(ph * scale))
        Z = look.surface_values(s.surface, s.contour, nx, ny, check=self.check)
        if (nx, ny) == (pw, ph):
            return Z
        finite = np.isfinite(Z)
        if not finite.any():
            return np.full((ph, pw), np.nan)
        filled = np.where(finite, Z, Z[finite].min()).astype(np.float32)
        big = np.asarray(Image.fromarray(filled, "F").resize((pw, ph), Image.Resampling.BILINEAR),
                         dtype=float)
        mask = np.asarray(Image.fromarray(finite.astype(np.uint8) * 255, "L")
                          .resize((pw, ph), Image.Resampling.NEAREST)) > 0
        return np.where(mask, big, np.nan)

    def _axes(self, d: ImageDraw.ImageDraw) -> None:
        (x0, x1), (y0, y1) = self.s.surface.domain
        font = self.s.fonts.regular(self.px(15))
        tick = self.px(5)
        for v in _ticks(x0, x1):
            x = self.left + (v - x0) / (x1 - x0) * self.pw
            d.line([(x, self.top + self.ph), (x, self.top + self.ph + tick)], fill=MUTED)
            d.text((x, self.top + self.ph + tick + 1), fmt(v), font=font, fill=MUTED, anchor="mt")
        for v in _ticks(y0, y1):
            y = self.top + (y1 - v) / (y1 - y0) * self.ph
            d.line([(self.left - tick, y), (self.left, y)], fill=MUTED)
            d.text((self.left - tick - 3, y), fmt(v), font=font, fill=MUTED, anchor="rm")

    def _legend_static(self, d: ImageDraw.ImageDraw) -> None:
        """Swatch, name and hyperparameters per run; the status line is left free."""
        tracks, f = self.s.tracks, self.s.fonts
        for scale in (1.0, 0.85, 0.72, 0.6, 0.5):
            rows = self._legend_rows(d, scale)
            if rows[-1]["bottom"] <= self.H - self.pad if rows else True:
                break
        self.legend_rows = rows
        for tr, row in zip(tracks, rows):
            sw = row["swatch"]
            d.rounded_rectangle([row["x"], row["y"] + sw * 0.15, row["x"] + sw,
                                 row["y"] + sw * 1.15], radius=max(2, sw // 5), fill=tr.color)
            d.text((row["tx"], row["y"]), tr.name, font=row["name_font"], fill=INK)
            for i, line in enumerate(row["detail"]):
                y = row["y"] + row["name_h"] + i * row["line_h"] if i or row["detail_below"] \
                    else row["y"] + (row["name_h"] - row["line_h"]) / 2 + row["line_h"] * 0.12
                x = row["tx"] if i or row["detail_below"] else row["tx"] + row["name_w"] + row["gap"]
                d.text((x, y), line, font=row["detail_font"], fill=MUTED)

    def _legend_rows(self, d: ImageDraw.ImageDraw, scale: float) -> list[dict]:
        f = self.s.fonts
        name_font, detail_font = f.bold(self.px(21 * scale)), f.regular(self.px(17 * scale))
        name_h, line_h = self.px(28 * scale), self.px(22 * scale)
        swatch, gap = self.px(18 * scale), self.px(10 * scale)
        x = self.legend_x
        tx = x + swatch + gap
        width = self.W - self.pad - tx
        y = self.header + self.px(6)
        rows = []
        for tr in self.s.tracks:
            name_w = d.textlength(tr.name, font=name_font)
            inline = width - name_w - gap
            detail_below = bool(tr.detail) and d.textlength(tr.detail, font=detail_font) > inline
            lines = _wrap(d, tr.detail, detail_font, width) if detail_below \
                else ([tr.detail] if tr.detail else [])
            body = name_h + (len(lines) * line_h if detail_below else 0)
            rows.append({"x": x, "y": y, "tx": tx, "swatch": swatch, "gap": gap,
                         "name_font": name_font, "detail_font": detail_font,
                         "status_font": detail_font, "name_h": name_h, "line_h": line_h,
                         "name_w": name_w, "detail": lines, "detail_below": detail_below,
                         "status_y": y + body, "bottom": y + body + line_h})
            y += body + line_h + self.px(12 * scale)
        return rows

    # ------------------------------------------------------------------ frames

    def frame(self, step: int) -> Image.Image:
        """The picture at `step` (a whole step of the race).  Frames in increasing
        order cost only what moved: the trails grow on a layer kept between calls, the
        heads and marks are small patches drawn once, the legend's statuses are redrawn
        only when one changes."""
        if step < self.trail_step:
            self._reset_trails()
        for tr in self.s.tracks:
            self._grow(tr, step)
        self.trail_step = step
        statuses = tuple(self.status_text(tr, step) for tr in self.s.tracks)
        if statuses != self.base_statuses:
            self.base = self._with_statuses(step, statuses)
            self.base_statuses = statuses
        im = self.base.copy()
        im.paste(self.trails.reduce(SS), (self.left, self.top))
        for tr, (dot, cross) in zip(self.s.tracks, self.heads):
            if not len(tr.px):
                continue
            patch = cross if step >= tr.end and tr.status == "diverged" \
                and tr.kind(step) != "escaped" else dot
            x, y = tr.px[min(step, tr.end)] / SS
            if self._near_plot(x, y):
                im.paste(patch, (self.left + int(round(x)) - patch.width // 2,
                                 self.top + int(round(y)) - patch.height // 2), patch)
        for patch, (x, y) in self.marks:
            if self._near_plot(x + patch.width / 2, y + patch.height / 2):
                im.paste(patch, (self.left + x, self.top + y), patch)
        # Anything the patches put over the plot's edge goes: the plot is clipped there.
        self._frame_edges(im)
        ImageDraw.Draw(im).text((self.W - self.pad, self.px(18)),
                                self.s.strings["player.stepOf"].format(k=step, n=self.s.steps),
                                font=self.s.fonts.bold(self.px(24)), fill=INK, anchor="ra")
        return im

    def _near_plot(self, x: float, y: float) -> bool:
        """Is a patch centred at (x, y) (plot pixels) at least partly on the plot?"""
        r = self.sprite_r
        return -r < x < self.pw + r and -r < y < self.ph + r

    def _with_statuses(self, step: int, statuses: tuple[str, ...]) -> Image.Image:
        im = self.background.copy()
        d = ImageDraw.Draw(im)
        for tr, row, text in zip(self.s.tracks, self.legend_rows, statuses):
            d.text((row["tx"], row["status_y"]), text, font=row["status_font"],
                   fill=STATUS_COLORS[tr.kind(step)])
        return im

    def _frame_edges(self, im: Image.Image) -> None:
        """Repaint the margins around the plot that a head or mark patch overlapped."""
        pad = self.sprite_r + 1
        L, T, R, B = self.left, self.top, self.left + self.pw, self.top + self.ph
        for box in ((L - pad, T - pad, R + pad, T), (L - pad, B, R + pad, B + pad),
                    (L - pad, T, L, B), (R, T, R + pad, B)):
            box = (max(0, box[0]), max(0, box[1]), min(self.W, box[2]), min(self.H, box[3]))
            if box[2] > box[0] and box[3] > box[1]:
                im.paste(self.base.crop(box), box[:2])

    def status_text(self, tr: Track, step: int) -> str:
        """static/js/readout.js statusText."""
        t = self.s.strings
        kind = tr.kind(step)
        diverged = t["status.diverged"].format(k=tr.steps_done + 1)
        if kind == "escaped":
            text = t["status.escaped"].format(k=tr.left_at)
            return f"{text} · {diverged}" if tr.status == "diverged" and step >= tr.steps_done \
                else text
        return diverged if kind == "diverged" else t[f"status.{kind}"]

    def _reset_trails(self) -> None:
        self.trails = self.plot_layer.copy()
        self.trail_step = 0
        self.drawn = [0] * len(self.s.tracks)     # the step each trail is drawn to

    def _grow(self, tr: Track, step: int) -> None:
        """Draw the trail from where it was drawn to up to `step`: the halo of the new
        piece, then the colour from one point earlier (over the halo's round end)."""
        i = self.s.tracks.index(tr)
        k = min(step, tr.end)
        done = self.drawn[i]
        if k <= done or not len(tr.keep):
            return
        lo = np.searchsorted(tr.keep, done, side="left")
        hi = np.searchsorted(tr.keep, k, side="right")
        idx = tr.keep[max(0, lo - 1):hi]
        if idx[-1] != k:
            idx = np.append(idx, k)
        pts = [tuple(p) for p in tr.px[idx].tolist()]
        self.drawn[i] = k
        if len(pts) < 2:
            return
        d = ImageDraw.Draw(self.trails)
        w = self.k * SS
        d.line(pts[1:] if len(pts) > 2 and lo > 0 else pts, fill=(255, 255, 255),
               width=max(2, round(5.5 * w)), joint="curve")
        d.line(pts, fill=tr.color, width=max(1, round(2.6 * w)), joint="curve")

    def _sprite(self, r: float, draw) -> Image.Image:
        """A small transparent patch drawn at SS times and halved (smooth edges):
        draw(d, cx, cy) draws around the patch's centre."""
        n = int(r * SS) + 2 * SS
        big = Image.new("RGBA", (2 * n, 2 * n), (0, 0, 0, 0))
        draw(ImageDraw.Draw(big), n, n)
        return big.reduce(SS)

    def _sprites(self) -> None:
        """Each run's head (a dot, or a cross where it diverged), the start point and the
        minima, drawn once."""
        k = self.k
        self.sprite_r = int(11 * k) + 2
        w = k * SS
        white = (255, 255, 255, 255)

        def dot(color):
            r = 6 * w
            return lambda d, x, y: d.ellipse([x - r, y - r, x + r, y + r], fill=(*color, 255),
                                             outline=white, width=max(1, round(2 * w)))

        def cross(color):
            return lambda d, x, y: _cross(d, x, y, 8 * w, (*color, 255))

        self.heads = [(self._sprite(7 * k, dot(tr.color)), self._sprite(9 * k, cross(tr.color)))
                      for tr in self.s.tracks]
        self.marks = []
        for kind, p in [("start", self.s.start)] + [("min", m) for m in self.s.surface.minima]:
            x, y = self.to_layer(np.array([p], dtype=float))[0] / SS
            patch = self._sprite(10 * k, (lambda d, cx, cy: _ring(d, cx, cy, k)) if kind == "start"
                                 else (lambda d, cx, cy: _star(d, cx, cy, 8 * SS * k)))
            self.marks.append((patch, (int(round(x)) - patch.width // 2,
                                       int(round(y)) - patch.height // 2)))


def _cut(a: np.ndarray, b: np.ndarray, limit: float) -> np.ndarray:
    """The point where segment a -> b leaves the square [-limit, limit]² (a inside)."""
    t = 1.0
    for i in range(2):
        dv = b[i] - a[i]
        if dv > 0 and b[i] > limit:
            t = min(t, (limit - a[i]) / dv)
        elif dv < 0 and b[i] < -limit:
            t = min(t, (-limit - a[i]) / dv)
    return a + (b - a) * max(0.0, t)


def _thin(px: np.ndarray, tol: float) -> np.ndarray:
    """Indices of the points to draw: a point closer than tol to the last one kept adds
    nothing (a 10,000-step run that has converged is thousands of points on one pixel)."""
    if len(px) <= 2:
        return np.arange(len(px))
    keep = [0]
    lx, ly = px[0]
    for i in range(1, len(px)):
        x, y = px[i]
        if abs(x - lx) >= tol or abs(y - ly) >= tol:
            keep.append(i)
            lx, ly = x, y
    return np.array(keep)


def _ticks(lo: float, hi: float, count: int = 5) -> list[float]:
    step = look.nice_step((hi - lo) / count)
    first = math.ceil(lo / step - 1e-9) * step
    out = []
    v = first
    while v <= hi + 1e-9 * step:
        out.append(0.0 if abs(v) < 1e-12 * step else round(v, 12))
        v += step
    return out


def _wrap(d: ImageDraw.ImageDraw, text: str, font, width: float) -> list[str]:
    lines, line = [], ""
    for word in text.split(" "):
        trial = f"{line} {word}".strip()
        if line and d.textlength(trial, font=font) > width:
            lines.append(line)
            line = word
        else:
            line = trial
    if line:
        lines.append(line)
    return [_fit(d, ln, font, width) for ln in lines]


def _fit(d: ImageDraw.ImageDraw, text: str, font, width: float) -> str:
    """text, cut with an ellipsis to fit `width`."""
    if d.textlength(text, font=font) <= width:
        return text
    while text and d.textlength(text + "…", font=font) > width:
        text = text[:-1]
    return text + "…"


def _ring(d: ImageDraw.ImageDraw, x: float, y: float, k: float) -> None:
    """The start point: a white ring on a dark one, with a dot (plot.js)."""
    r, w = 7.5 * SS * k, SS * k
    d.ellipse([x - r, y - r, x + r, y + r], outline=(60, 60, 60, 255), width=max(1, round(4 * w)))
    d.ellipse([x - r, y - r, x + r, y + r], outline=(255, 255, 255, 255),
              width=max(1, round(2 * w)))
    d.ellipse([x - 2 * w, y - 2 * w, x + 2 * w, y + 2 * w], fill=(255, 255, 255, 255))


def _star(d: ImageDraw.ImageDraw, x: float, y: float, r: float) -> None:
    pts = []
    for i in range(10):
        a = -math.pi / 2 + i * math.pi / 5
        rr = r * 0.45 if i % 2 else r
        pts.append((x + math.cos(a) * rr, y + math.sin(a) * rr))
    d.polygon(pts, fill=(*STAR, 255), outline=(27, 27, 27, 255), width=max(1, round(r / 6)))


def _cross(d: ImageDraw.ImageDraw, x: float, y: float, r: float, color) -> None:
    for w, c in ((r * 0.8, (255, 255, 255, 255)), (r * 0.4, color)):
        d.line([(x - r, y - r), (x + r, y + r)], fill=c, width=max(1, round(w)))
        d.line([(x + r, y - r), (x - r, y + r)], fill=c, width=max(1, round(w)))
