// The surface and the paths before plotly.js has run (#12): plotly.js takes ~300 ms to
// evaluate and ~150 ms more to draw its first contour, while the grid and the first paths
// are in long before. So the contour view first shows a picture of the surface, banded as
// the filled contour is, in the plot area Plotly will give it, and the paths over it on
// the usual canvas; Plotly's contour, axes and colour bar replace the picture when ready.

import { LOOK } from "./table.js";

const BANDS = 26; // the contour's ncontours: at most this many levels, at a round step

/** The plot area Plotly will draw for a graph of `size` with `margin` (its colour bar's
 *  room included) over `domain`, its axes kept 1:1 unless `free` (a surface from data),
 *  the constrained axis centred as Plotly centres it: axis functions as plot.js's axes(). */
export function previewAxes(size, margin, domain, free) {
  const [[x0, x1], [y0, y1]] = domain;
  let left = margin.l, top = margin.t;
  let width = size.w - margin.l - margin.r, height = size.h - margin.t - margin.b;
  if (!free) {
    const scale = Math.min(width / (x1 - x0), height / (y1 - y0));
    left += (width - scale * (x1 - x0)) / 2;
    top += (height - scale * (y1 - y0)) / 2;
    width = scale * (x1 - x0);
    height = scale * (y1 - y0);
  }
  if (!(width > 0 && height > 0)) return null;
  const sx = width / (x1 - x0), sy = height / (y1 - y0);
  return {
    left, top, width, height,
    px: (x) => left + (x - x0) * sx,
    py: (y) => top + (y1 - y) * sy,
    dx: (px) => x0 + (px - left) / sx,
    dy: (py) => y1 - (py - top) / sy,
  };
}

/** Paint the grid's values `zt` (as the contour shows them: log-scaled or not) into the
 *  plot area of `ax` on `canvas` (CSS pixels × dpr), in BANDS bands of the colour scale:
 *  the grid interpolated at every other CSS pixel, then scaled (a picture for ~0.3 s). */
export function paintPreview(canvas, dpr, grid, zt, ax) {
  const ctx = canvas.getContext("2d");
  ctx.setTransform(1, 0, 0, 1, 0, 0);
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  const w = Math.max(1, Math.round(ax.width / 2)), h = Math.max(1, Math.round(ax.height / 2));
  const { x, y } = grid;
  const nx = x.length, ny = y.length;
  let lo = Infinity, hi = -Infinity;
  for (const row of zt) for (const v of row) if (v !== null) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
  if (!(hi > lo)) return;
  // Levels as Plotly's contour picks them: a round step (1, 2, 2.5 or 5 × 10^k) giving at
  // most BANDS levels; each band coloured at its middle.
  const step = roundStep((hi - lo) / BANDS);
  const first = Math.floor(lo / step) * step;
  const count = Math.ceil((hi - first) / step);
  const colors = Array.from({ length: count }, (_, k) => colorAt((first + (k + 0.5) * step - lo) / (hi - lo)));
  // Where each column and row of the picture falls in the grid (index and fraction).
  const cols = new Int32Array(w), tx = new Float64Array(w);
  for (let i = 0; i < w; i++) {
    const g = ((ax.dx(ax.left + ((i + 0.5) * ax.width) / w) - x[0]) * (nx - 1)) / (x[nx - 1] - x[0]);
    cols[i] = Math.max(0, Math.min(nx - 2, Math.floor(g)));
    tx[i] = g - cols[i];
  }
  const image = ctx.createImageData(w, h);
  const px = new Uint32Array(image.data.buffer);
  const scale = 1 / step;
  for (let j = 0; j < h; j++) {
    const g = ((ax.dy(ax.top + ((j + 0.5) * ax.height) / h) - y[0]) * (ny - 1)) / (y[ny - 1] - y[0]);
    const j0 = Math.max(0, Math.min(ny - 2, Math.floor(g))), ty = g - j0;
    const r0 = zt[j0], r1 = zt[j0 + 1];
    for (let i = 0; i < w; i++) {
      const i0 = cols[i], t = tx[i];
      const a = r0[i0], b = r0[i0 + 1], c = r1[i0], d = r1[i0 + 1];
      if (a === null || b === null || c === null || d === null) continue; // a gap: the plot's background
      const v = (a + (b - a) * t) * (1 - ty) + (c + (d - c) * t) * ty;
      px[j * w + i] = colors[Math.max(0, Math.min(count - 1, Math.floor((v - first) * scale)))];
    }
  }
  const tile = Object.assign(document.createElement("canvas"), { width: w, height: h });
  tile.getContext("2d").putImageData(image, 0, 0);
  ctx.fillStyle = LOOK.plot_bg;
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.fillRect(ax.left, ax.top, ax.width, ax.height);
  ctx.drawImage(tile, ax.left, ax.top, ax.width, ax.height);
}

/** The smallest of 1, 2, 2.5, 5, 10 × 10^k at least `rough`. */
function roundStep(rough) {
  const base = 10 ** Math.floor(Math.log10(rough));
  return base * [1, 2, 2.5, 5, 10].find((m) => m * base >= rough * (1 - 1e-9));
}

let stops = null;

/** The colour scale at `at` (0…1) as an opaque pixel: a 32-bit word in the ImageData's
 *  byte order (little-endian). */
function colorAt(at) {
  stops ||= LOOK.colorscale.map(([where, hex]) => [where, [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16))]);
  const a = Math.min(1, Math.max(0, at));
  let k = 1;
  while (k < stops.length - 1 && stops[k][0] < a) k++;
  const [a0, c0] = stops[k - 1], [a1, c1] = stops[k];
  const t = a1 > a0 ? Math.min(1, Math.max(0, (a - a0) / (a1 - a0))) : 0;
  const [r, g, b] = c0.map((v, i) => Math.round(v + (c1[i] - v) * t));
  return ((255 << 24) | (b << 16) | (g << 8) | r) >>> 0;
}
