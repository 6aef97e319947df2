// The surface and the paths before plotly.js has run (#12): plotly.js takes ~300 ms to
// evaluate and ~150 ms more to draw its first contour, while the grid and the first paths
// are in long before. So the contour view first shows a picture of the surface, banded as
// the filled contour is, in the plot area Plotly will give it, and the paths over it on
// the usual canvas; Plotly's contour, axes and colour bar replace the picture when ready.

import { LOOK } from "./table.js";

const BANDS = 26; // the contour's ncontours

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
    dx: (px) => x0 + px / sx,
    dy: (py) => y1 - py / sy,
  };
}

/** Paint the grid's values `zt` (as the contour shows them: log-scaled or not) into the
 *  plot area of `ax` on `canvas` (CSS pixels × dpr), in BANDS bands of the colour scale. */
export function paintPreview(canvas, dpr, grid, zt, ax) {
  const ctx = canvas.getContext("2d");
  ctx.setTransform(1, 0, 0, 1, 0, 0);
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  const w = Math.max(1, Math.round(ax.width)), h = Math.max(1, Math.round(ax.height));
  const { x, y } = grid;
  const nx = x.length, ny = y.length;
  let lo = Infinity, hi = -Infinity;
  for (const row of zt) for (const v of row) if (v !== null) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
  if (!(hi > lo)) return;
  const colors = bandColors();
  const image = ctx.createImageData(w, h);
  const px = image.data;
  const fx = (nx - 1) / (x[nx - 1] - x[0]), fy = (ny - 1) / (y[ny - 1] - y[0]);
  for (let j = 0; j < h; j++) {
    const gy = (ax.dy(j + 0.5) - y[0]) * fy;
    const j0 = Math.max(0, Math.min(ny - 2, Math.floor(gy))), ty = gy - j0;
    const r0 = zt[j0], r1 = zt[j0 + 1];
    for (let i = 0; i < w; i++) {
      const gx = (ax.dx(i + 0.5) - x[0]) * fx;
      const i0 = Math.max(0, Math.min(nx - 2, Math.floor(gx))), tx = gx - i0;
      const a = r0[i0], b = r0[i0 + 1], c = r1[i0], d = r1[i0 + 1];
      if (a === null || b === null || c === null || d === null) continue; // a gap: the plot's background
      const v = (a * (1 - tx) + b * tx) * (1 - ty) + (c * (1 - tx) + d * tx) * ty;
      const band = Math.max(0, Math.min(BANDS - 1, Math.floor(((v - lo) / (hi - lo)) * BANDS)));
      const k = 4 * (j * w + i), col = colors[band];
      px[k] = col[0]; px[k + 1] = col[1]; px[k + 2] = col[2]; px[k + 3] = 255;
    }
  }
  // Drawn at CSS-pixel resolution, then scaled to the canvas's (a picture for ~0.3 s).
  const tile = Object.assign(document.createElement("canvas"), { width: w, height: h });
  tile.getContext("2d").putImageData(image, 0, 0);
  ctx.fillStyle = LOOK.plot_bg;
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.fillRect(ax.left, ax.top, ax.width, ax.height);
  ctx.drawImage(tile, ax.left, ax.top, ax.width, ax.height);
}

let cached = null;

/** Each band's colour: the colour scale at the band's middle. */
function bandColors() {
  if (cached) return cached;
  const stops = LOOK.colorscale.map(([at, hex]) => [at, [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16))]);
  cached = Array.from({ length: BANDS }, (_, band) => {
    const at = (band + 0.5) / BANDS;
    let k = 1;
    while (k < stops.length - 1 && stops[k][0] < at) k++;
    const [a0, c0] = stops[k - 1], [a1, c1] = stops[k];
    const t = a1 > a0 ? Math.min(1, Math.max(0, (at - a0) / (a1 - a0))) : 0;
    return c0.map((v, i) => Math.round(v + (c1[i] - v) * t));
  });
  return cached;
}
