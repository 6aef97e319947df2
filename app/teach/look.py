"""The page's plot style in Python, so that an exported file and a notebook figure look
like the playground: its colour scale, path colours and font (static/js/table.json
look), log colours for surfaces whose valley a linear scale would hide (the rule of
static/js/logcolors.js, with the table's numbers), and the contour grid of
POST /api/v1/grid."""

from __future__ import annotations

import base64
import math
import struct
import zlib

import numpy as np

from ..engine.grid import grid
from ..engine.surfaces import Surface
from .labels import fmt
from .table import LOOK

COLORSCALE = LOOK["colorscale"]          # low = dark teal, high = pale sand
PALETTE = LOOK["palette"]                # path colours, in row order
FONT = LOOK["font"]
PLOT_BG = LOOK["plot_bg"]
MINIMUM_COLOR = LOOK["minimum_color"]
LOG_RULE = LOOK["log_colors"]


def colors_for(runs: list[dict]) -> list[str]:
    """Each run's own colour, else the first palette colour no other run uses."""
    out: list[str | None] = [r.get("color") for r in runs]
    for i, c in enumerate(out):
        if c:
            continue
        used = {x for x in out if x}
        out[i] = next((p for p in PALETTE if p not in used), PALETTE[i % len(PALETTE)])
    return out  # type: ignore[return-value]


def wants_log_scale(g: dict) -> bool:
    """logcolors.js wantsLogScale: the server's hint, or most of the grid in the bottom
    floor_share of the range."""
    z, zmin, zmax = g["z"], g["zmin"], g["zmax"]
    if zmin is None or zmax is None or not zmax > zmin:
        return False
    if g["log_scale"]:
        return True
    stride = max(1, len(z) // LOG_RULE["samples"])
    sample = sorted(v for row in z[::stride] for v in row[::stride] if v is not None)
    median = sample[len(sample) // 2]
    return (median - zmin) / (zmax - zmin) < LOG_RULE["floor_share"]


def _nice(v: float, k: int) -> float:
    unit = 10.0 ** (k - 1)
    return math.floor(v / unit + 0.5) * unit


def log_ticks(zmin: float, zmax: float, delta: float) -> list[float]:
    """logcolors.js logTicks: round values of f about a decade apart above the minimum."""
    lo = math.ceil(math.log10(delta))
    hi = math.floor(math.log10(zmax - zmin + delta))
    out: list[float] = []
    for k in range(lo, hi + 1):
        v = _nice(zmin + 10.0 ** k, k)
        if v - zmin >= delta and v <= zmax and v not in out:
            out.append(v)
    if len(out) < LOG_RULE["min_ticks"]:
        for k in range(lo - 1, hi + 1):
            for m in LOG_RULE["fill"]:
                v = _nice(zmin + m * 10.0 ** k, k)
                if v - zmin >= delta and v <= zmax and v not in out:
                    out.append(v)
        out.sort()
    return out


def contour_data(surface: Surface, n: int = 100, hover: bool = True) -> dict:
    """The contour as the page draws it: x, y, z (log10(f - min + δ) where a log scale
    shows the valley better), hover text with f itself (unless `hover` is False: a
    picture has no hover), colour-bar ticks."""
    g = grid(surface, n)
    z, zmin, zmax = g["z"], g["zmin"], g["zmax"]
    text = [["" if v is None else fmt(v) for v in row] for row in z] if hover else None
    out = {"x": g["x"], "y": g["y"], "z": z, "text": text, "log": False, "delta": None,
           "tickvals": None, "ticktext": None, "zmin": zmin, "zmax": zmax}
    if wants_log_scale(g):
        delta = max((zmax - zmin) * LOG_RULE["delta_share"], LOG_RULE["delta_min"])
        out["z"] = [[None if v is None else math.log10(v - zmin + delta) for v in row]
                    for row in z]
        ticks = log_ticks(zmin, zmax, delta)
        out.update(log=True, delta=delta, tickvals=[math.log10(v - zmin + delta) for v in ticks],
                   ticktext=[fmt(v, LOG_RULE["tick_digits"]) for v in ticks])
    return out


def height_of(contour: dict, value: float) -> float:
    """A value of f on the contour's colour axis (log10(f - min + δ) for log colours)."""
    if not contour["log"] or value is None:
        return value
    return math.log10(max(value - contour["zmin"] + contour["delta"], contour["delta"] * 1e-3))


def _hex_rgb(color: str) -> tuple[int, int, int]:
    return int(color[1:3], 16), int(color[3:5], 16), int(color[5:7], 16)


def colorscale_rgb(t: np.ndarray) -> np.ndarray:
    """COLORSCALE at positions t in [0, 1], as (..., 3) floats in 0..255."""
    stops = np.array([s for s, _ in COLORSCALE], dtype=float)
    rgb = np.array([_hex_rgb(c) for _, c in COLORSCALE], dtype=float)
    return np.stack([np.interp(t, stops, rgb[:, i]) for i in range(3)], axis=-1)


def _png(rgba: np.ndarray) -> bytes:
    """A minimal PNG encoder (8-bit RGBA, no filter): rows top to bottom."""
    h, w, _ = rgba.shape
    raw = np.concatenate([np.zeros((h, 1), dtype=np.uint8), rgba.reshape(h, w * 4)], axis=1)

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", w, h, 8, 6, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(raw.tobytes(), 9)) + chunk(b"IEND", b""))


def contour_image(surface: Surface, contour: dict, size: int = 360, levels: int = 26) -> str:
    """The filled contour as a PNG data URI, for a figure whose animation must not redraw
    it (Plotly's frame transitions remove contour traces)."""
    (x0, x1), (y0, y1) = surface.domain
    ratio = (y1 - y0) / (x1 - x0)
    nx = size if ratio <= 1 else max(16, int(round(size / ratio)))
    ny = max(16, int(round(nx * ratio))) if ratio <= 1 else size
    rgba = contour_rgba(surface, contour, nx, ny, levels)
    return "data:image/png;base64," + base64.b64encode(_png(rgba)).decode("ascii")


def contour_rgba(surface: Surface, contour: dict, nx: int, ny: int,
                 levels: int = 26) -> np.ndarray:
    """The filled contour as (ny, nx, 4) uint8 pixels, top row first (one value of f per
    pixel centre): see band_rgba."""
    return band_rgba(surface_values(surface, contour, nx, ny), contour, levels)


def surface_values(surface: Surface, contour: dict, nx: int, ny: int, check=None) -> np.ndarray:
    """f at the centres of an nx × ny grid of pixels over the domain, top row first, on
    the contour's colour axis (log10(f - min + δ) for log colours).  `check()` is called
    every few milliseconds of a long formula (it raises to stop)."""
    (x0, x1), (y0, y1) = surface.domain
    xs = x0 + (np.arange(nx) + 0.5) * (x1 - x0) / nx
    ys = y1 - (np.arange(ny) + 0.5) * (y1 - y0) / ny          # top row first
    X, Y = np.meshgrid(xs, ys)
    with np.errstate(all="ignore"):
        Z = surface.formula.value(X.ravel(), Y.ravel(), check=check).reshape(ny, nx)
        if contour["log"]:
            Z = np.log10(np.maximum(Z - contour["zmin"] + contour["delta"],
                                    contour["delta"] * 1e-3))
    return Z


def band_rgba(Z: np.ndarray, contour: dict, levels: int = 26) -> np.ndarray:
    """Values on the contour's colour axis as (ny, nx, 4) uint8 pixels: `levels` colour
    bands as Plotly spaces them, with light lines between bands; transparent where Z is
    not finite (f has no value there)."""
    finite = np.isfinite(Z)
    lo, hi = color_range(contour)
    span = hi - lo if hi > lo else 1.0
    step = nice_step(span / levels)
    first = math.floor(lo / step) * step
    band = np.floor((np.where(finite, Z, lo) - first) / step)
    band = np.clip(band, 0, math.ceil((hi - first) / step) - 1)
    rgb = colorscale_rgb(np.clip((first + (band + 0.5) * step - lo) / span, 0.0, 1.0))
    edge = np.zeros_like(finite)
    edge[:, :-1] |= band[:, :-1] != band[:, 1:]
    edge[:-1, :] |= band[:-1, :] != band[1:, :]
    rgb = np.where(edge[..., None], rgb * 0.65 + 255 * 0.35, rgb)
    alpha = np.where(finite, 255, 0)[..., None]
    return np.concatenate([rgb, alpha], axis=-1).round().astype(np.uint8)


def nice_step(raw: float) -> float:
    """The contour spacing Plotly would pick: 1, 2, 2.5 or 5 times a power of ten."""
    if not raw > 0:
        return 1.0
    power = 10.0 ** math.floor(math.log10(raw))
    return next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)


def color_range(contour: dict) -> tuple[float, float]:
    """The colour axis of `contour`: its z values' range (after the log transform)."""
    values = [v for row in contour["z"] for v in row if v is not None]
    return (min(values), max(values)) if values else (0.0, 1.0)
