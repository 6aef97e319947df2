// Loss versus step for every visible run, under the contour. The curves are a Plotly
// chart redrawn only when the data change; the cursor (a vertical line and a dot per
// run at the current step) is a canvas on top, so scrubbing and playing cost no Plotly
// redraw. A click or drag on the chart scrubs.

import { t } from "./i18n.js";

/* global Plotly */

const FONT = 'system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", "PingFang SC", "Hiragino Sans GB", "Microsoft YaHei", "Noto Sans CJK SC", sans-serif';

export class LossChart {
  constructor(wrap, { onScrub }) {
    this.wrap = wrap;
    this.onScrub = onScrub;
    wrap.classList.add("loss-wrap");
    this.gd = document.createElement("div");
    this.gd.className = "loss-graph";
    this.canvas = document.createElement("canvas");
    this.canvas.className = "plot-overlay";
    this.canvas.setAttribute("aria-hidden", "true");
    wrap.append(this.gd, this.canvas);
    this.ctx = this.canvas.getContext("2d");
    this.runs = [];
    this.step = 0;
    this.steps = 0;
    this.log = false;
    this.pending = null;
    this.lastRender = 0;
    this.ready = false;
    this.bindPointer();
    new ResizeObserver(() => this.resize()).observe(wrap);
  }

  /** New data. While a stream is arriving, Plotly redraws at most ~6 times a second. */
  setRuns(runs, steps, { final = true } = {}) {
    this.runs = runs;
    this.steps = steps;
    clearTimeout(this.pending);
    // A slider drag finishes ~20 computations a second: redraw at most every 100 ms then.
    const wait = Math.max(0, (final ? 100 : 160) - (performance.now() - this.lastRender));
    this.pending = setTimeout(() => this.render(), wait);
  }

  setStep(k) {
    this.step = k;
    this.draw();
  }

  async render() {
    this.lastRender = performance.now();
    const shown = this.runs.filter((r) => r.visible && r.loss && r.loss.length);
    const all = shown.flatMap((r) => r.loss);
    this.log = all.length > 0 && all.every((v) => v > 0);
    const traces = shown.map((r) => ({
      type: "scatter", mode: "lines", name: r.label,
      x: r.loss.map((_, i) => i), y: r.loss,
      line: { color: r.color, width: 1.8 },
      hovertemplate: `${escapeHtml(r.label)}<br>${t("loss.step")} %{x}: %{y:.4g}<extra></extra>`,
    }));
    const w = this.wrap.clientWidth || 600;
    const h = this.wrap.clientHeight || 180;
    const layout = {
      width: w, height: h,
      margin: { l: 52, r: 12, t: 6, b: 32 },
      xaxis: { range: [0, Math.max(1, this.steps)], title: { text: t("loss.step"), standoff: 2 }, zeroline: false, gridcolor: "rgba(128,128,128,0.15)" },
      yaxis: {
        type: this.log ? "log" : "linear", title: { text: t("loss.loss") + (this.log ? ` (${t("loss.log")})` : ""), standoff: 4 },
        zeroline: false, gridcolor: "rgba(128,128,128,0.15)", exponentformat: "power", nticks: 6,
        dtick: this.log ? 1 : undefined,
      },
      showlegend: false, hovermode: "closest", dragmode: false,
      paper_bgcolor: "rgba(0,0,0,0)", plot_bgcolor: "rgba(0,0,0,0)",
      font: { family: FONT, size: 11, color: getComputedStyle(document.documentElement).getPropertyValue("--fg-muted").trim() || "#475467" },
    };
    await Plotly.react(this.gd, traces, layout, { displayModeBar: false, responsive: false, doubleClick: false });
    // Under Plotly's hover layer, like the contour's path canvas.
    const first = this.gd.querySelector(".svg-container svg.main-svg");
    if (first && this.canvas.previousElementSibling !== first) first.after(this.canvas);
    if (!this.ready) {
      this.gd.on("plotly_afterplot", () => this.draw());
      this.ready = true;
    }
    this.sizeCanvas();
    this.draw();
  }

  resize() {
    if (!this.ready) return;
    cancelAnimationFrame(this.resizeFrame);
    this.resizeFrame = requestAnimationFrame(() => {
      const w = this.wrap.clientWidth, h = this.wrap.clientHeight;
      if (w && h) Plotly.relayout(this.gd, { width: w, height: h }).then(() => { this.sizeCanvas(); this.draw(); });
    });
  }

  sizeCanvas() {
    const dpr = window.devicePixelRatio || 1;
    const w = this.gd.clientWidth, h = this.gd.clientHeight;
    this.canvas.style.width = `${w}px`;
    this.canvas.style.height = `${h}px`;
    this.canvas.width = Math.round(w * dpr);
    this.canvas.height = Math.round(h * dpr);
    this.dpr = dpr;
  }

  axes() {
    const fl = this.gd._fullLayout;
    if (!fl || !fl.xaxis || !fl.xaxis._length) return null;
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
    const dpr = this.dpr || 1;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    const x = xa._offset + xa.l2p(this.step);
    ctx.beginPath();
    ctx.moveTo(x, ya._offset);
    ctx.lineTo(x, ya._offset + ya._length);
    ctx.strokeStyle = "rgba(29,36,51,0.55)";
    ctx.lineWidth = 1.2;
    ctx.stroke();
    for (const r of this.runs) {
      if (!r.visible || !r.loss || !r.loss.length) continue;
      const k = Math.min(Math.round(this.step), r.loss.length - 1);
      const v = r.loss[k];
      if (!Number.isFinite(v) || (this.log && v <= 0)) continue;
      const yv = ya.l2p(this.log ? Math.log10(v) : v);
      if (!Number.isFinite(yv)) continue;
      const y = ya._offset + Math.min(ya._length, Math.max(0, yv));
      const px = xa._offset + xa.l2p(k);
      ctx.beginPath();
      ctx.arc(px, y, 4, 0, 2 * Math.PI);
      ctx.fillStyle = r.color;
      ctx.fill();
      ctx.lineWidth = 1.5;
      ctx.strokeStyle = "#fff";
      ctx.stroke();
    }
  }

  // Click or drag anywhere over the plot area to move the shared step.
  bindPointer() {
    let dragging = false;
    const scrub = (ev) => {
      const a = this.axes();
      if (!a) return;
      const r = this.gd.getBoundingClientRect();
      const k = a.xa.p2l(ev.clientX - r.left - a.xa._offset);
      this.onScrub(Math.max(0, Math.min(this.steps, Math.round(k))));
    };
    this.wrap.addEventListener("pointerdown", (ev) => {
      if (ev.button !== 0) return;
      const a = this.axes();
      if (!a) return;
      const r = this.gd.getBoundingClientRect();
      const px = ev.clientX - r.left, py = ev.clientY - r.top;
      if (px < a.xa._offset - 4 || px > a.xa._offset + a.xa._length + 4 || py < a.ya._offset || py > a.ya._offset + a.ya._length) return;
      dragging = true;
      scrub(ev);
    }, true);
    window.addEventListener("pointermove", (ev) => dragging && scrub(ev), true);
    window.addEventListener("pointerup", () => { dragging = false; }, true);
  }
}

function escapeHtml(s) {
  return String(s).replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]);
}
