// The data panel beside the contour on a surface from data: the data set's points, and
// each run's model at the scrubbed step (the line w·x + b, or the sigmoid σ(w·x + b) of a
// logistic model) in the run's colour, so the fit improves as the point moves on the
// contour. Plotly draws the points and axes once per data set; the models go on a canvas
// over the plot area, repainted per frame with Plotly's own axis functions (as plot.js
// does for the paths), and the best fit (the contour's ★) dashed under them.

/* global Plotly */

import { t } from "./i18n.js";
import { LOOK } from "./table.js";
import { touchScreen } from "./plot.js";
import { plotlyReady } from "./plotlyjs.js";
import { fitCanvas } from "./dom.js";

const FONT = LOOK.font;
const SIGMOID_SAMPLES = 160;
// Pixel coordinates far outside the plot are cut to this (a diverged run's line).
const FAR = 1e5;

export class DataView {
  /** wrap: the element to fill; compact: the embed's smaller margins, no title line. */
  constructor(wrap, { compact = false } = {}) {
    this.wrap = wrap;
    this.compact = compact;
    wrap.classList.add("data-wrap");
    this.head = document.createElement("p");
    this.head.className = "data-title";
    this.title = document.createElement("span");
    this.model = document.createElement("span");
    this.model.className = "data-model";
    this.bestNote = document.createElement("span");
    this.bestNote.className = "data-best";
    this.head.append(this.title, this.model, this.bestNote);
    this.box = document.createElement("div");
    this.box.className = "data-plot";
    this.gd = document.createElement("div");
    this.gd.className = "data-graph";
    this.canvas = document.createElement("canvas");
    this.canvas.className = "plot-overlay";
    this.canvas.setAttribute("aria-hidden", "true");
    this.box.append(this.gd, this.canvas);
    wrap.append(this.head, this.box);
    this.ctx = this.canvas.getContext("2d");
    this.data = null;
    this.runs = [];
    this.k = 0;
    this.shownK = null;
    this.best = null;
    this.ready = false;
    this.frame = 0;
    this.drawn = [];
    this.observer = new ResizeObserver(() => this.resize());
    this.observer.observe(wrap);
  }

  /** The data on screen: {x, y, model, best: [w, b] | null}, or null (not a data scene). */
  async setData(data) {
    this.data = data;
    this.wrap.hidden = !data;
    // Its place beside the contour (app.css: .has-data) is taken before the contour sizes.
    this.wrap.parentElement?.classList.toggle("has-data", Boolean(data));
    if (!data) return;
    this.best = data.best || null;
    this.relabel();
    await this.render();
  }

  relabel() {
    if (!this.data) return;
    this.model.textContent = this.data.model === "logistic" ? t("data.logisticModel") : t("data.linearModel");
    this.bestNote.textContent = this.best ? t("data.best") : "";
    this.shownK = null;
    this.showTitle();
    if (this.ready) this.render();
  }

  showTitle() {
    const k = Math.floor(this.k + 1e-9);
    if (k === this.shownK) return;
    this.shownK = k;
    this.title.textContent = t("data.title", { k });
  }

  async render() {
    if (!this.data) return;
    // plotly.js is a deferred script: the data may come first.
    if (!window.Plotly) await plotlyReady();
    const d = this.data;
    const w = this.box.clientWidth, h = this.box.clientHeight;
    if (!d || !w || !h) return;
    const logistic = d.model === "logistic";
    const n = d.x.length;
    const muted = getComputedStyle(document.documentElement).getPropertyValue("--fg-muted").trim() || "#475467";
    const points = {
      type: "scatter", mode: "markers", x: d.x, y: d.y, name: t("data.points"),
      marker: { size: n > 2000 ? 3 : n > 300 ? 5 : 7, color: "rgba(29,36,51,0.55)", line: { color: "#fff", width: n > 300 ? 0 : 0.8 } },
      hovertemplate: "x = %{x:.4g}<br>y = %{y:.4g}<extra></extra>",
    };
    const layout = {
      width: w, height: h,
      margin: this.compact ? { l: 34, r: 6, t: 6, b: 26 } : { l: 44, r: 10, t: 8, b: 36 },
      xaxis: { range: span(d.x, 0.06), title: this.compact ? undefined : { text: t("data.x"), standoff: 4 }, zeroline: false, gridcolor: "rgba(128,128,128,0.15)", ticks: "outside", ticklen: 3 },
      yaxis: logistic
        ? { range: [-0.12, 1.12], tickvals: [0, 0.5, 1], title: this.compact ? undefined : { text: t("data.yLogistic"), standoff: 2 }, zeroline: false, gridcolor: "rgba(128,128,128,0.15)" }
        : { range: span(d.y, 0.1), title: this.compact ? undefined : { text: t("data.y"), standoff: 2 }, zeroline: false, gridcolor: "rgba(128,128,128,0.15)" },
      showlegend: false, hovermode: "closest", dragmode: false,
      paper_bgcolor: "rgba(0,0,0,0)", plot_bgcolor: "#fbfcfe",
      font: { family: FONT, size: 11, color: muted },
    };
    const config = { displayModeBar: false, responsive: false, doubleClick: false, staticPlot: touchScreen() };
    await Plotly.react(this.gd, [points], layout, config);
    const first = this.gd.querySelector(".svg-container svg.main-svg");
    if (first && this.canvas.previousElementSibling !== first) first.after(this.canvas);
    this.ready = true;
    this.sizeCanvas();
    this.draw();
  }

  resize() {
    cancelAnimationFrame(this.resizeFrame);
    this.resizeFrame = requestAnimationFrame(() => {
      if (!this.data) return;
      const w = this.box.clientWidth, h = this.box.clientHeight;
      if (w && h && (w !== this.gd.clientWidth || h !== this.gd.clientHeight || !this.ready)) this.render();
    });
  }

  sizeCanvas() {
    this.dpr = fitCanvas(this.canvas, this.gd);
  }

  /** runs: the scene's descriptors ({color, visible, path, status, stepsDone, escapedAt}). */
  setRuns(runs) {
    this.runs = runs;
    this.draw();
  }

  setStep(k) {
    this.k = k;
    this.showTitle();
    this.draw();
  }

  axes() {
    const fl = this.gd._fullLayout;
    if (!this.ready || !fl || !fl.xaxis || !fl.xaxis._length) return null;
    const xa = fl.xaxis, ya = fl.yaxis;
    return {
      left: xa._offset, top: ya._offset, width: xa._length, height: ya._length, range: xa.range.slice(),
      px: (x) => xa._offset + xa.l2p(x),
      py: (y) => ya._offset + ya.l2p(y),
    };
  }

  draw() {
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.paint();
    });
  }

  /** Paint the models; `target` another canvas (a PNG at another resolution). */
  paint(target = { ctx: this.ctx, canvas: this.canvas, dpr: this.dpr || 1 }) {
    const { ctx, canvas, dpr } = target, ax = this.axes();
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.clearRect(0, 0, canvas.width, canvas.height);
    this.drawn = [];
    if (!ax || !this.data) return;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.save();
    ctx.beginPath();
    ctx.rect(ax.left, ax.top, ax.width, ax.height);
    ctx.clip();
    ctx.lineJoin = "round";
    ctx.lineCap = "round";
    const logistic = this.data.model === "logistic";
    if (this.best) {
      ctx.setLineDash([6, 5]);
      this.stroke(ctx, ax, this.best, logistic, "rgba(29,36,51,0.55)", 1.4, false);
      ctx.setLineDash([]);
    }
    for (const run of this.runs) {
      if (!run.visible || !run.path?.length) continue;
      const p = pointAt(run, this.k);
      if (!p) continue;
      const seg = this.stroke(ctx, ax, p.wb, logistic, run.color, 2.4, true);
      this.drawn.push({ color: run.color, step: p.step, w: p.wb[0], b: p.wb[1], ...seg });
    }
    ctx.restore();
  }

  /** One model over the plot's x range; returns the drawn ends in data and page pixels. */
  stroke(ctx, ax, [w, b], logistic, color, width, halo) {
    const [x0, x1] = ax.range;
    const pts = [];
    if (logistic) {
      for (let i = 0; i <= SIGMOID_SAMPLES; i++) {
        const x = x0 + ((x1 - x0) * i) / SIGMOID_SAMPLES;
        pts.push([x, sigmoid(w * x + b)]);
      }
    } else {
      pts.push([x0, w * x0 + b], [x1, w * x1 + b]);
    }
    let pix = pts.map(([x, y]) => [ax.px(x), ax.py(y)]);
    if (!logistic) pix = clipTall(pix[0], pix[1], -FAR, FAR);
    if (!pix || pix.length < 2) return {};
    for (const [c, lw] of halo ? [["rgba(255,255,255,0.85)", width + 2.6], [color, width]] : [[color, width]]) {
      ctx.beginPath();
      pix.forEach(([x, y], i) => (i ? ctx.lineTo(x, y) : ctx.moveTo(x, y)));
      ctx.strokeStyle = c;
      ctx.lineWidth = lw;
      ctx.stroke();
    }
    return { from: pts[0], to: pts[pts.length - 1] };
  }

  destroy() {
    this.observer.disconnect();
    if (this.ready) Plotly.purge(this.gd);
  }
}

/** A run's (w, b) at the (fractional) step k, as the contour's moving head has it:
 *  between two recorded points while playing, the last point once the run has ended. */
export function pointAt(run, k) {
  const path = run.path;
  const last = path.length - 1;
  const end = run.escapedAt != null ? Math.min(run.escapedAt, last) : last;
  const at = Math.max(0, Math.min(k, end));
  const whole = Math.floor(at + 1e-9);
  const frac = at - whole;
  const a = path[whole];
  if (!a) return null;
  const wb = whole < end && frac > 1e-9 ? [a[0] + (path[whole + 1][0] - a[0]) * frac, a[1] + (path[whole + 1][1] - a[1]) * frac] : [a[0], a[1]];
  return { wb, step: whole };
}

function sigmoid(z) {
  return z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z));
}

function span(values, pad) {
  let lo = Infinity, hi = -Infinity;
  for (const v of values) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  const d = hi - lo || Math.abs(hi) || 1;
  return [lo - pad * d, hi + pad * d];
}

/** The part of the pixel segment a-b with lo <= y <= hi (a line far steeper than the
 *  plot, from a run that diverged, is cut where the canvas can still draw it). */
function clipTall(a, b, lo, hi) {
  if (![...a, ...b].every(Number.isFinite)) return null;
  let t0 = 0, t1 = 1;
  const dy = b[1] - a[1];
  for (const [p, q] of [[-dy, a[1] - lo], [dy, hi - a[1]]]) {
    if (p === 0) {
      if (q < 0) return null;
    } else if (p < 0) {
      t0 = Math.max(t0, q / p);
    } else {
      t1 = Math.min(t1, q / p);
    }
  }
  if (t0 > t1) return null;
  const at = (t) => [a[0] + (b[0] - a[0]) * t, a[1] + dy * t];
  return [at(t0), at(t1)];
}
