// A time-series chart linked to the shared player: Plotly draws the lines (only when the
// data change, one chart at a time after the frame: redraws.js), a canvas on top draws the
// cursor (a vertical line at the current step and a dot per line), so playing costs no
// Plotly redraw. A click or drag over the plot area scrubs. The loss chart, the lr strip
// and the effective step charts are these.
//
// Traces are Plotly scatter traces whose x values are consecutive whole steps; the dot
// of a trace at step k is y[k - x[0]] (its last point once k is past its end).

/* global Plotly */

import { plotlyReady } from "./plotlyjs.js";
import { dropRedraw, queueRedraw } from "./redraws.js";
import { LOOK } from "./table.js";

const FONT = LOOK.font;
const REDRAW_MS = 100;

export class StripChart {
  /** wrap: the element to fill (its CSS height sets the chart's); onScrub(k). */
  constructor(wrap, { onScrub, wrapClass = "strip-wrap", graphClass = "strip-graph" }) {
    this.wrap = wrap;
    this.onScrub = onScrub;
    wrap.classList.add(wrapClass);
    this.gd = document.createElement("div");
    this.gd.className = graphClass;
    this.canvas = document.createElement("canvas");
    this.canvas.className = "plot-overlay";
    this.canvas.setAttribute("aria-hidden", "true");
    wrap.append(this.gd, this.canvas);
    this.ctx = this.canvas.getContext("2d");
    this.traces = [];   // as drawn (the cursor's dots follow the lines on screen)
    this.xmax = 1;
    this.k = 0;
    this.shownK = null;
    this.ready = false;
    this.frame = 0;
    this.pending = 0;
    this.lastRender = 0;
    this.bindPointer();
    this.observer = new ResizeObserver(() => this.resize());
    this.observer.observe(wrap);
  }

  /** New lines: {traces, xmax, ylog, ytitle, xtitle, and optionally yrange (in axis
   *  units: log10 for a log axis), margin, fontSize, nticks, dtick, rangemode, shapes,
   *  annotations}, or a function that makes them when the chart is drawn. Plotly redraws
   *  at most every `every` ms (a slider drag finishes ~20 computations a second), in its
   *  turn after the next frame (redraws.js). `partial`: an answer still arriving, drawn
   *  only once it has taken `every` ms (most answers end sooner, and a redraw then would
   *  only hold up the rest of it). A trace with meta "batch" is drawn without a cursor dot. */
  setData(spec, every = REDRAW_MS, partial = false) {
    this.spec = spec;
    const now = performance.now();
    if (!partial) this.partialSince = null;
    else if (this.partialSince == null) this.partialSince = now;
    clearTimeout(this.pending);
    let wait = every - (now - this.lastRender);
    if (partial) wait = Math.max(wait, every - (now - this.partialSince));
    if (wait > 0) this.pending = setTimeout(() => queueRedraw(this), wait);
    else queueRedraw(this);
  }

  /** Move the cursor (cheap: a canvas repaint once per frame, only when the whole step changes). */
  setStep(k) {
    this.k = k;
    if (Math.floor(k + 1e-9) !== this.shownK) this.draw();
  }

  async render() {
    if (!this.spec) return;
    if (!window.Plotly) await plotlyReady();
    const w = this.wrap.clientWidth, h = this.wrap.clientHeight;
    if (!w || !h) return; // hidden: drawn when it is shown (resize)
    this.lastRender = performance.now();
    const spec = typeof this.spec === "function" ? this.spec() : this.spec;
    const { traces, xmax, ylog = false, yrange, ytitle = "", xtitle = "", margin = { l: 50, r: 10, t: 4, b: 28 }, fontSize = 10.5, nticks = 4, dtick, rangemode, shapes = [], annotations = [] } = spec;
    this.muted = this.muted || getComputedStyle(document.documentElement).getPropertyValue("--fg-muted").trim() || "#475467";
    const layout = {
      width: w, height: h,
      margin,
      xaxis: { range: [0, Math.max(1, xmax)], title: { text: xtitle, standoff: 2 }, zeroline: false, gridcolor: "rgba(128,128,128,0.15)" },
      yaxis: { type: ylog ? "log" : "linear", title: { text: ytitle, standoff: 4 }, zeroline: false,
        gridcolor: "rgba(128,128,128,0.15)", exponentformat: "power", nticks, dtick, rangemode,
        ...(yrange ? { range: yrange, autorange: false } : {}) },
      showlegend: false, hovermode: "closest", dragmode: false, shapes, annotations,
      paper_bgcolor: "rgba(0,0,0,0)", plot_bgcolor: "rgba(0,0,0,0)",
      font: { family: FONT, size: fontSize, color: this.muted },
    };
    await Plotly.react(this.gd, traces, layout, { displayModeBar: false, responsive: false, doubleClick: false, staticPlot: false });
    this.traces = traces;
    this.xmax = Math.max(1, xmax);
    // Under Plotly's hover layer, as on the loss chart.
    const first = this.gd.querySelector(".svg-container svg.main-svg");
    if (first && this.canvas.previousElementSibling !== first) first.after(this.canvas);
    this.ready = true;
    this.sizeCanvas(w, h); // the size just given to Plotly: no layout read after its redraw
    this.shownK = null;
    this.draw();
  }

  resize() {
    cancelAnimationFrame(this.resizeFrame);
    this.resizeFrame = requestAnimationFrame(() => {
      if (!this.spec) return;
      const w = this.wrap.clientWidth, h = this.wrap.clientHeight;
      if (w && h && (w !== this.gd.clientWidth || h !== this.gd.clientHeight || !this.ready)) queueRedraw(this);
    });
  }

  /** The cursor's canvas at the graph's size (only when that changed: a resize clears it). */
  sizeCanvas(w = this.gd.clientWidth, h = this.gd.clientHeight) {
    const dpr = window.devicePixelRatio || 1;
    const cw = Math.round(w * dpr), ch = Math.round(h * dpr);
    if (this.canvas.width !== cw || this.canvas.height !== ch || this.dpr !== dpr) {
      this.canvas.style.width = `${w}px`;
      this.canvas.style.height = `${h}px`;
      this.canvas.width = cw;
      this.canvas.height = ch;
    }
    this.dpr = dpr;
  }

  axes() {
    const fl = this.gd._fullLayout;
    if (!this.ready || !fl || !fl.xaxis || !fl.xaxis._length) return null;
    return { xa: fl.xaxis, ya: fl.yaxis };
  }

  draw() {
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.paint();
    });
  }

  paint() {
    const ctx = this.ctx, a = this.axes();
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.clearRect(0, 0, this.canvas.width, this.canvas.height);
    if (!a) return;
    const { xa, ya } = a;
    const k = Math.floor(this.k + 1e-9);
    this.shownK = k;
    this.wrap.dataset.step = String(k);
    ctx.setTransform(this.dpr, 0, 0, this.dpr, 0, 0);
    const x = xa._offset + xa.l2p(k);
    ctx.beginPath();
    ctx.moveTo(x, ya._offset);
    ctx.lineTo(x, ya._offset + ya._length);
    ctx.strokeStyle = "rgba(29,36,51,0.55)";
    ctx.lineWidth = 1.2;
    ctx.stroke();
    for (const tr of this.traces) {
      // A trace drawn behind the others (a batch loss) gets no dot.
      if (!tr.x.length || k < tr.x[0] || tr.meta === "batch") continue;
      const i = Math.min(k - tr.x[0], tr.y.length - 1);
      const v = tr.y[i];
      if (typeof v !== "number" || !Number.isFinite(v) || (ya.type === "log" && v <= 0)) continue;
      const py = ya.l2p(ya.type === "log" ? Math.log10(v) : v);
      if (!Number.isFinite(py) || py < -2 || py > ya._length + 2) continue;
      ctx.beginPath();
      ctx.arc(xa._offset + xa.l2p(tr.x[i]), ya._offset + py, 3.5, 0, 2 * Math.PI);
      ctx.fillStyle = tr.line?.color || "#333";
      ctx.fill();
      ctx.lineWidth = 1.2;
      ctx.strokeStyle = "#fff";
      ctx.stroke();
    }
  }

  /** The step under a page x coordinate, or null outside the plot area. */
  stepAt(clientX, clientY, strict) {
    const a = this.axes();
    if (!a) return null;
    const r = this.gd.getBoundingClientRect();
    const px = clientX - r.left, py = clientY - r.top;
    if (strict && (px < a.xa._offset - 4 || px > a.xa._offset + a.xa._length + 4 || py < a.ya._offset || py > a.ya._offset + a.ya._length)) return null;
    const k = Math.round(a.xa.p2l(px - a.xa._offset));
    return Math.max(0, Math.min(this.xmax, k));
  }

  bindPointer() {
    let dragging = false;
    this.wrap.addEventListener("pointerdown", (ev) => {
      if (ev.button !== 0) return;
      const k = this.stepAt(ev.clientX, ev.clientY, true);
      if (k === null) return;
      dragging = true;
      this.onScrub(k);
    }, true);
    this.onMove = (ev) => {
      if (!dragging) return;
      const k = this.stepAt(ev.clientX, ev.clientY, false);
      if (k !== null) this.onScrub(k);
    };
    this.onUp = () => { dragging = false; };
    window.addEventListener("pointermove", this.onMove, true);
    window.addEventListener("pointerup", this.onUp, true);
  }

  destroy() {
    clearTimeout(this.pending);
    dropRedraw(this);
    cancelAnimationFrame(this.frame);
    this.observer.disconnect();
    window.removeEventListener("pointermove", this.onMove, true);
    window.removeEventListener("pointerup", this.onUp, true);
    if (this.ready) Plotly.purge(this.gd);
    this.wrap.replaceChildren();
  }
}
