// Painting maps. A basin map goes on a canvas UNDER the contour's SVG (the contour then
// draws lines only), one pixel per cell scaled up without smoothing, so 65,536 cells cost
// one drawImage and zoom or pan only redraw. A sweep map is a Plotly heatmap beside the
// contour, with the hyperparameters' PyTorch names on its axes.

import { t } from "./i18n.js";
import { fmt } from "./format.js";

/* global Plotly */

// One colour per minimum (Tableau 10: distinct, and calm enough under the paths).
export const MINIMA_COLORS = ["#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#b07aa1",
  "#76b7b2", "#edc948", "#9c755f", "#ff9da7", "#bab0ac"];
export const NONE_COLOR = "#c4c9d1";
export const DIVERGED_COLOR = "#2b2f38";
const PENDING = [233, 237, 242];
const PALE = [247, 248, 250];
// The sweep's colours: the contour's own scale, so "deep" means "low loss" on both.
const SWEEP_SCALE = [
  [0, "#0b3954"], [0.12, "#145c74"], [0.25, "#1f7f8c"], [0.4, "#4fa39a"],
  [0.55, "#8cc3a4"], [0.7, "#c5deb3"], [0.85, "#ece9c9"], [1, "#fbf6ea"],
];
const SWEEP_DIVERGED = "#8b1e1e";
const LOSS_FLOOR = 1e-8; // losses below this all read as "converged"
const FONT = 'system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", "PingFang SC", "Hiragino Sans GB", "Microsoft YaHei", "Noto Sans CJK SC", sans-serif';

export function minimumColor(m) {
  return MINIMA_COLORS[m % MINIMA_COLORS.length];
}

function rgb(hex) {
  const v = parseInt(hex.slice(1), 16);
  return [(v >> 16) & 255, (v >> 8) & 255, v & 255];
}

/** A minimum's colour, paler the more steps it took (frac = steps / slowest, 0…1). */
export function shaded(base, frac) {
  const f = 0.8 * Math.min(1, Math.max(0, frac));
  return base.map((c, i) => Math.round(c + (PALE[i] - c) * f));
}

// ------------------------------------------------------------------ basin map

export class BasinLayer {
  /** contour: the page's ContourView (its Plotly graph and axis functions); onZoom()
   *  after the plot is zoomed or panned. */
  constructor(contour, { onZoom } = {}) {
    this.contour = contour;
    this.onZoom = onZoom;
    this.canvas = document.createElement("canvas");
    this.canvas.className = "map-underlay";
    this.canvas.setAttribute("aria-hidden", "true");
    this.ctx = this.canvas.getContext("2d");
    this.image = document.createElement("canvas"); // one pixel per cell
    this.mask = document.createElement("canvas"); // diverged cells, to hatch
    this.scratch = document.createElement("canvas");
    this.data = null;
    this.events = null;
    this.frame = 0;
    // A plot drawn afresh (Plotly.purge) changes size: look again then.
    new ResizeObserver(() => this.draw()).observe(contour.gd);
  }

  show(data) {
    this.data = data;
    this.rebuild();
  }

  hide() {
    this.data = null;
    this.canvas.remove();
  }

  /** Recolour every cell (the shading depends on the slowest cell shown). */
  rebuild() {
    const d = this.data;
    if (!d) return;
    const { nx, ny } = d;
    for (const c of [this.image, this.mask]) {
      c.width = nx;
      c.height = ny;
    }
    const img = new ImageData(nx, ny), mask = new ImageData(nx, ny);
    const slowest = Math.max(1, d.slowestShown());
    const bases = d.minima.map((_, m) => rgb(minimumColor(m)));
    const none = rgb(NONE_COLOR), diverged = rgb(DIVERGED_COLOR);
    for (let j = 0; j < ny; j++) {
      const state = d.rowState(j);
      const alpha = state === 2 ? 255 : state === 1 ? 115 : 150;
      const row = (ny - 1 - j) * nx; // image rows run top-down, y runs up
      for (let i = 0; i < nx; i++) {
        const c = j * nx + i, p = (row + i) * 4;
        let col = PENDING;
        if (state) {
          if (d.diverged[c]) {
            col = diverged;
            mask.data[p + 3] = alpha;
          } else if (d.minimum[c] >= 0) col = shaded(bases[d.minimum[c]], d.stepsTo[c] / slowest);
          else col = none;
        }
        img.data[p] = col[0];
        img.data[p + 1] = col[1];
        img.data[p + 2] = col[2];
        img.data[p + 3] = alpha;
      }
    }
    this.image.getContext("2d").putImageData(img, 0, 0);
    this.mask.getContext("2d").putImageData(mask, 0, 0);
    this.draw();
  }

  /** Keep the canvas just below Plotly's first SVG, and redraw with the plot. */
  attach() {
    const gd = this.contour.gd;
    const first = gd.querySelector(".svg-container > svg.main-svg");
    if (first && this.canvas.nextElementSibling !== first) first.before(this.canvas);
    // Plotly.purge drops the graph's listeners with its emitter (gd._ev): bind again.
    if (gd.on && this.events !== gd._ev) {
      for (const ev of ["plotly_relayout", "plotly_relayouting", "plotly_afterplot"]) gd.on(ev, () => this.draw());
      gd.on("plotly_relayout", () => this.onZoom?.());
      this.events = gd._ev;
    }
  }

  draw() {
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.paint();
    });
  }

  paint() {
    const d = this.data;
    if (!d) return;
    this.attach();
    const gd = this.contour.gd, ax = this.contour.axes();
    const dpr = window.devicePixelRatio || 1;
    const w = Math.round(gd.clientWidth * dpr), h = Math.round(gd.clientHeight * dpr);
    for (const c of [this.canvas, this.scratch]) {
      if (c.width !== w || c.height !== h) {
        c.width = w;
        c.height = h;
      }
    }
    this.canvas.style.width = `${gd.clientWidth}px`;
    this.canvas.style.height = `${gd.clientHeight}px`;
    const ctx = this.ctx;
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.clearRect(0, 0, w, h);
    if (!ax) return;
    const ext = d.extent();
    const left = ax.px(ext.x[0]) * dpr, right = ax.px(ext.x[1]) * dpr;
    const top = ax.py(ext.y[1]) * dpr, bottom = ax.py(ext.y[0]) * dpr;
    ctx.save();
    ctx.beginPath();
    ctx.rect(ax.left * dpr, ax.top * dpr, ax.width * dpr, ax.height * dpr);
    ctx.clip();
    ctx.imageSmoothingEnabled = false;
    ctx.drawImage(this.image, left, top, right - left, bottom - top);
    // Diverged cells: the mask scaled the same way, filled with hatching.
    const s = this.scratch.getContext("2d");
    s.globalCompositeOperation = "source-over";
    s.clearRect(0, 0, w, h);
    s.imageSmoothingEnabled = false;
    s.drawImage(this.mask, left, top, right - left, bottom - top);
    s.globalCompositeOperation = "source-in";
    s.fillStyle = hatch(s, dpr);
    s.fillRect(0, 0, w, h);
    ctx.drawImage(this.scratch, 0, 0);
    ctx.restore();
  }
}

function hatch(ctx, dpr) {
  const size = Math.round(7 * dpr);
  const tile = document.createElement("canvas");
  tile.width = tile.height = size;
  const g = tile.getContext("2d");
  g.strokeStyle = "rgba(255,255,255,0.38)";
  g.lineWidth = Math.max(1, dpr);
  g.beginPath();
  g.moveTo(0, size);
  g.lineTo(size, 0);
  g.moveTo(-1, 1);
  g.lineTo(1, -1);
  g.moveTo(size - 1, size + 1);
  g.lineTo(size + 1, size - 1);
  g.stroke();
  return ctx.createPattern(tile, "repeat");
}

// ------------------------------------------------------------------ sweep map

export class SweepView {
  /** host: an empty element beside the contour; onPick(cell) when a cell is clicked. */
  constructor(host, { onPick }) {
    this.host = host;
    this.onPick = onPick;
    this.title = document.createElement("h3");
    this.title.className = "sweep-title";
    this.gd = document.createElement("div");
    this.gd.className = "sweep-graph";
    host.append(this.title, this.gd);
    this.data = null;
    this.colorBy = "loss";
    this.marker = null;
    this.height = 360;
    this.frame = 0;
    this.bindPointer();
  }

  /** data: a MapData of a sweep; title: the heading above the plot. */
  show(data, { colorBy, title, height }) {
    this.data = data;
    this.colorBy = colorBy;
    this.title.textContent = title;
    if (height) this.height = height;
    this.draw();
  }

  setMarker(point) {
    this.marker = point;
    this.draw();
  }

  hide() {
    this.data = null;
    if (this.gd.data) Plotly.purge(this.gd);
  }

  /** Redraw at most once per frame (rows may come faster than Plotly draws). */
  draw() {
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      if (this.data && window.Plotly) this.plot();
    });
  }

  plot() {
    const d = this.data;
    const { z, text, overlay, zmin, zmax, ticks, offset } = sweepLayers(d, this.colorBy);
    const colorbarTitle = this.colorBy === "steps" ? t("map.colorSteps")
      : offset ? t("map.colorLossFrom", { f: fmt(offset, 3) }) : t("map.colorLoss");
    const hover = "%{text}<extra></extra>";
    const traces = [
      {
        type: "heatmap", x: d.x, y: d.y, z, text, zmin, zmax, zsmooth: false,
        colorscale: SWEEP_SCALE, hovertemplate: hover, hoverongaps: false,
        colorbar: { title: { text: colorbarTitle, side: "right" }, thickness: 12, len: 1, outlinewidth: 0,
          tickfont: { size: 10 }, tickvals: ticks?.vals, ticktext: ticks?.text },
      },
      {
        type: "heatmap", x: d.x, y: d.y, z: overlay, text, zmin: 0, zmax: 1, zsmooth: false,
        showscale: false, hovertemplate: hover, hoverongaps: false,
        colorscale: [[0, NONE_COLOR], [0.5, NONE_COLOR], [0.5, SWEEP_DIVERGED], [1, SWEEP_DIVERGED]],
      },
    ];
    if (this.marker) {
      for (const [size, width, color] of [[17, 4, "rgba(0,0,0,0.6)"], [17, 2, "#fff"]]) {
        traces.push({ type: "scatter", mode: "markers", x: [this.marker[0]], y: [this.marker[1]], hoverinfo: "skip", cliponaxis: false,
          marker: { symbol: "circle-open", size, color, line: { width, color } } });
      }
    }
    const ext = d.extent();
    const axis = (title, log, [lo, hi]) => ({
      range: log ? [Math.log10(lo), Math.log10(hi)] : [lo, hi],
      title: { text: title, standoff: 4, font: { family: "ui-monospace, Menlo, Consolas, monospace", size: 12 } },
      type: log ? "log" : "linear", ticks: "outside", ticklen: 3, showgrid: false, zeroline: false,
      exponentformat: "power", automargin: true,
    });
    const layout = {
      width: this.host.clientWidth || 360, height: this.height,
      margin: { l: 50, r: 10, t: 6, b: 40 },
      xaxis: axis(d.xParam, d.logX, ext.x), yaxis: axis(d.yParam, d.logY, ext.y),
      showlegend: false, dragmode: false, hovermode: "closest",
      paper_bgcolor: "rgba(0,0,0,0)", plot_bgcolor: "#e9edf2",
      font: { family: FONT, size: 11, color: "#475467" },
    };
    Plotly.react(this.gd, traces, layout, { displayModeBar: false, responsive: false });
  }

  /** A click (press and release in place) on a cell: that cell's values. */
  bindPointer() {
    let down = null;
    // Capture phase, and the release on window: Plotly's drag layer keeps the events.
    this.gd.addEventListener("pointerdown", (ev) => {
      if (ev.button === 0) down = { x: ev.clientX, y: ev.clientY };
    }, true);
    window.addEventListener("pointerup", (ev) => {
      const d0 = down;
      down = null;
      if (!d0 || !this.data || Math.hypot(ev.clientX - d0.x, ev.clientY - d0.y) > 5) return;
      const cell = this.cellOf(ev);
      if (cell) this.onPick(cell);
    }, true);
  }

  cellOf(ev) {
    const fl = this.gd._fullLayout;
    if (!fl?.xaxis?._length) return null;
    const xa = fl.xaxis, ya = fl.yaxis, r = this.gd.getBoundingClientRect();
    const px = ev.clientX - r.left - xa._offset, py = ev.clientY - r.top - ya._offset;
    if (px < 0 || px > xa._length || py < 0 || py > ya._length) return null;
    const value = (a, p, log) => (log ? 10 ** a.p2l(p) : a.p2l(p));
    return this.data.cellAt(value(xa, px, this.data.logX), value(ya, py, this.data.logY));
  }
}

/** The sweep's heatmap layers: colour (log loss, or steps), an overlay of diverged
 *  (and, by steps, never-reached) cells, and a line of hover text per cell. */
function sweepLayers(d, colorBy) {
  const { nx, ny } = d;
  let lowest = Infinity;
  for (let c = 0; c < d.loss.length; c++) if (!d.diverged[c] && d.loss[c] < lowest) lowest = d.loss[c];
  // Log colours need positive values: measure from the lowest loss when some are negative.
  const offset = Number.isFinite(lowest) && lowest < 0 ? lowest : 0;
  const z = [], overlay = [], text = [];
  let zmax = -Infinity;
  for (let j = 0; j < ny; j++) {
    const zr = new Array(nx).fill(null), orow = new Array(nx).fill(null), tr = new Array(nx).fill("");
    if (d.rowState(j)) {
      for (let i = 0; i < nx; i++) {
        const c = j * nx + i;
        tr[i] = cellText(d, i, j, c);
        if (d.diverged[c]) {
          orow[i] = 1;
        } else if (colorBy === "steps") {
          if (d.minimum[c] >= 0) zr[i] = d.stepsTo[c];
          else orow[i] = 0;
        } else if (Number.isFinite(d.loss[c])) {
          zr[i] = Math.log10(Math.max(d.loss[c] - offset, LOSS_FLOOR));
        }
        if (zr[i] !== null && zr[i] > zmax) zmax = zr[i];
      }
    }
    z.push(zr);
    overlay.push(orow);
    text.push(tr);
  }
  if (colorBy === "steps") return { z, overlay, text, zmin: 0, zmax: d.steps, ticks: null, offset };
  const zmin = Math.log10(LOSS_FLOOR);
  const top = Math.max(zmin + 1, Math.ceil(Number.isFinite(zmax) ? zmax : 0));
  const vals = [], labels = [];
  const every = Math.max(1, Math.ceil((top - zmin) / 6));
  for (let e = zmin; e <= top; e += every) {
    vals.push(e);
    const power = e === 0 ? "1" : e === 1 ? "10" : `10<sup>${e < 0 ? "\u2212" + -e : e}</sup>`;
    labels.push(e === zmin ? `≤${power}` : power);
  }
  return { z, overlay, text, zmin, zmax: top, ticks: { vals, text: labels }, offset };
}

function cellText(d, i, j, c) {
  const head = `${d.xParam} = ${fmt(d.x[i], 4)}<br>${d.yParam} = ${fmt(d.y[j], 4)}<br>`;
  if (d.diverged[c]) return head + t("map.cellDiverged");
  const loss = t("map.cellLoss", { f: fmt(d.loss[c], 3) });
  if (d.minimum[c] < 0) return `${head}${loss}<br>${t("map.cellNone", { n: d.steps })}`;
  const m = d.minima[d.minimum[c]];
  return `${head}${loss}<br>${t("map.cellReached", { x: fmt(m[0], 3), y: fmt(m[1], 3), k: d.stepsTo[c] })}`;
}
