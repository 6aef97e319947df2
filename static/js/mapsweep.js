// A sweep map beside the contour: the hyperparameters' PyTorch names on the axes (log
// where the sweep is log), colour for the final loss on a log scale (or the steps to reach
// a minimum), diverged cells dark red and hatched, never-reached ones grey (by steps), and
// a ring at the row's current values. Plotly draws the axes, the colour bar and the ring;
// the cells go on a canvas under them (mapcanvas.js), so rows streaming in cost no
// Plotly redraw.

import { t } from "./i18n.js";
import { fmt } from "./format.js";
import { CellCanvas, oncePerFrame } from "./mapcanvas.js";
import { NONE_COLOR, PENDING, ROW_ALPHA, rgb } from "./mappaint.js";
import { LOOK } from "./table.js";

/* global Plotly */

// The contour's own scale, so "deep" means "low loss" on both plots.
const SCALE = LOOK.colorscale;
const SCALE_RGB = SCALE.map(([f, hex]) => [f, rgb(hex)]);
export const SWEEP_DIVERGED = "#8b1e1e";
const LOSS_FLOOR = 1e-8; // losses below this all read as "converged"
const FONT = LOOK.font;

export class SweepView {
  /** host: an element beside the contour; onPick(cell) when a cell is clicked,
   *  onHover(cell or null) as the pointer moves over the cells. */
  constructor(host, { onPick, onHover }) {
    this.host = host;
    this.onPick = onPick;
    this.onHover = onHover;
    this.title = document.createElement("h3");
    this.title.className = "sweep-title";
    this.gd = document.createElement("div");
    this.gd.className = "sweep-graph";
    host.append(this.title, this.gd);
    this.cells = new CellCanvas(this.gd);
    this.data = null;
    this.colorBy = "loss";
    this.marker = null;
    this.height = 360;
    this.draw = oncePerFrame(() => {
      if (this.data && window.Plotly) this.plot();
    });
    this.layoutKey = "";
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
    this.title.textContent = "";
    this.layoutKey = "";
    this.cells.clear();
    if (this.gd.data) Plotly.purge(this.gd);
  }

  /** Axes, colour bar and ring by Plotly (only when they change), cells on the canvas. */
  plot() {
    const d = this.data;
    const scale = colorScale(d, this.colorBy);
    const ext = d.extent();
    const colorbarTitle = this.colorBy === "steps" ? t("map.colorSteps")
      : scale.offset ? t("map.colorLossFrom", { f: fmt(scale.offset, 3) }) : t("map.colorLoss");
    const traces = [{
      // No points: this trace only carries the colour bar.
      type: "scatter", mode: "markers", x: [null], y: [null], hoverinfo: "skip", showlegend: false,
      marker: { color: [scale.zmin], cmin: scale.zmin, cmax: scale.zmax, colorscale: SCALE, showscale: true,
        colorbar: { title: { text: colorbarTitle, side: "right" }, thickness: 12, len: 1, outlinewidth: 0,
          tickfont: { size: 10 }, tickvals: scale.ticks?.vals, ticktext: scale.ticks?.text } },
    }];
    if (this.marker) {
      for (const [width, color] of [[4, "rgba(0,0,0,0.6)"], [2, "#fff"]]) {
        traces.push({ type: "scatter", mode: "markers", x: [this.marker[0]], y: [this.marker[1]], hoverinfo: "skip", cliponaxis: false,
          marker: { symbol: "circle-open", size: 17, color, line: { width, color } } });
      }
    }
    const axis = (title, log, [lo, hi]) => ({
      range: log ? [Math.log10(lo), Math.log10(hi)] : [lo, hi],
      title: { text: title, standoff: 4, font: { family: "ui-monospace, Menlo, Consolas, monospace", size: 12 } },
      type: log ? "log" : "linear", ticks: "outside", ticklen: 3, showgrid: false, zeroline: false,
      exponentformat: "power", automargin: true, fixedrange: true,
    });
    const layout = {
      width: this.host.clientWidth || 360, height: this.height,
      margin: { l: 50, r: 10, t: 6, b: 40 },
      xaxis: axis(d.xParam, d.logX, ext.x), yaxis: axis(d.yParam, d.logY, ext.y),
      showlegend: false, dragmode: false, hovermode: false,
      paper_bgcolor: "rgba(0,0,0,0)", plot_bgcolor: "rgba(0,0,0,0)",
      font: { family: FONT, size: 11, color: "#475467" },
    };
    const key = JSON.stringify([traces, layout]);
    if (key !== this.layoutKey) {
      this.layoutKey = key;
      Plotly.react(this.gd, traces, layout, { displayModeBar: false, responsive: false });
    }
    this.paintCells(scale, ext);
  }

  paintCells(scale, ext) {
    const d = this.data;
    const states = Array.from({ length: d.ny }, (_, j) => d.rowState(j));
    const none = rgb(NONE_COLOR), diverged = rgb(SWEEP_DIVERGED);
    const color = (i, j) => {
      const state = states[j], c = j * d.nx + i;
      let col = PENDING;
      if (state) {
        const v = scale.value(c);
        col = d.diverged[c] ? diverged : v === null ? none : scaleColor((v - scale.zmin) / (scale.zmax - scale.zmin));
      }
      return [col[0], col[1], col[2], ROW_ALPHA[state]];
    };
    const hatched = (i, j) => (states[j] && d.diverged[j * d.nx + i] ? ROW_ALPHA[states[j]] : 0);
    this.cells.setCells(d.nx, d.ny, color, hatched, { ...ext, logX: d.logX, logY: d.logY });
  }

  /** Clicks (press and release in place) and hovers over the cells. Capture phase, and
   *  the release on window: Plotly's drag layer keeps the events. */
  bindPointer() {
    let down = null;
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
    this.gd.addEventListener("pointermove", (ev) => this.onHover(this.data ? this.cellOf(ev) : null));
    this.gd.addEventListener("pointerleave", () => this.onHover(null));
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

/** An [r, g, b] of the colour scale at f in [0, 1]. */
function scaleColor(f) {
  const x = Math.min(1, Math.max(0, f));
  let k = 1;
  while (k < SCALE_RGB.length - 1 && SCALE_RGB[k][0] < x) k++;
  const [f0, c0] = SCALE_RGB[k - 1], [f1, c1] = SCALE_RGB[k];
  const u = f1 > f0 ? (x - f0) / (f1 - f0) : 0;
  return c0.map((c, i) => Math.round(c + (c1[i] - c) * u));
}

/** What colour stands for: value(c) of a cell (null: no colour, e.g. never reached), the
 *  range, and the colour bar's ticks (powers of ten of the loss). */
function colorScale(d, colorBy) {
  if (colorBy === "steps") {
    return { zmin: 0, zmax: d.steps, ticks: null, offset: 0,
      value: (c) => (d.minimum[c] >= 0 ? d.stepsTo[c] : null) };
  }
  // Log colours need positive values: measure from the lowest loss when some are negative.
  let lowest = Infinity, highest = -Infinity;
  for (let c = 0; c < d.loss.length; c++) {
    if (d.diverged[c] || !Number.isFinite(d.loss[c])) continue;
    if (d.loss[c] < lowest) lowest = d.loss[c];
    if (d.loss[c] > highest) highest = d.loss[c];
  }
  const offset = Number.isFinite(lowest) && lowest < 0 ? lowest : 0;
  const zmin = Math.log10(LOSS_FLOOR);
  const zmax = Math.max(zmin + 1, Number.isFinite(highest) ? Math.ceil(Math.log10(Math.max(highest - offset, LOSS_FLOOR))) : 0);
  const vals = [], text = [];
  const every = Math.max(1, Math.ceil((zmax - zmin) / 6));
  for (let e = zmin; e <= zmax; e += every) {
    vals.push(e);
    const power = e === 0 ? "1" : e === 1 ? "10" : `10<sup>${e < 0 ? "\u2212" + -e : e}</sup>`;
    text.push(e === zmin ? `≤${power}` : power);
  }
  const value = (c) => (Number.isFinite(d.loss[c]) ? Math.log10(Math.max(d.loss[c] - offset, LOSS_FLOOR)) : null);
  return { zmin, zmax, ticks: { vals, text }, offset, value };
}
