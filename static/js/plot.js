// The contour plot (plotly.js) and the optimizers' paths on top of it.
//
// Why a canvas for the paths: any Plotly.restyle/react on a graph that holds a contour
// re-runs the contour drawing (tens of ms per frame for a 120×120 grid), which makes an
// 8 × 2,000-point race stutter. Plotly draws the contour, axes, colour bar, minima and
// saddles once per surface; the paths go on a canvas laid over the plot area and mapped
// with Plotly's own axis functions (l2p / p2l), so zoom and pan still line up.

import { t } from "./i18n.js";
import { fmt } from "./format.js";
import { plotLocale } from "./plotlocale.js";
import { plotlyLoaded, plotlyReady, releasePlotly } from "./plotlyjs.js";
import { paintPreview, previewAxes } from "./preview.js";
import { LOOK } from "./table.js";
import { TICK_DIGITS, logDelta, logTicks, wantsLogScale } from "./logcolors.js";
import { fitCanvas } from "./dom.js";

/* global Plotly */

// Low = dark teal, high = pale sand (table.json look.colorscale): the valley floor reads
// as "deep", and the paths' saturated colours (with a white halo) stay visible on both ends.
export const COLORSCALE = LOOK.colorscale;
export const FONT = LOOK.font;
// Height / width of the plot area on a surface from data (its axes are not kept 1:1).
const DATA_ASPECT = 0.8;
// The picture before plotly.js waits at most this long for the first paths before
// plotly.js is evaluated (a scene with no runs, a slow answer).
const PREVIEW_WAIT_MS = 250;

export class ContourView {
  /**
   * @param {HTMLElement} wrap  element to fill
   * @param {{onPick?: (x: number, y: number) => void, compact?: boolean}} opts
   */
  constructor(wrap, { onPick, compact = false } = {}) {
    this.wrap = wrap;
    this.onPick = onPick;
    this.compact = compact;
    wrap.classList.add("plot-wrap");
    this.gd = document.createElement("div");
    this.gd.className = "plot-graph";
    this.canvas = document.createElement("canvas");
    this.canvas.className = "plot-overlay";
    this.canvas.setAttribute("aria-hidden", "true");
    wrap.append(this.gd, this.canvas);
    this.ctx = this.canvas.getContext("2d");
    this.grid = null;
    this.runs = [];
    this.step = 0;
    this.start = null;
    this.mapBelow = false;
    this.layers = []; // extra drawings under the paths: (ctx, axes, step) => void
    this.ready = false;
    this.frame = 0;
    this.overlays = []; // extra painters (ctx, axes, view), drawn over the paths
    this.big = false; // presentation mode: text and lines at projector size
    this.reserve = null; // () => ({w, h}): room the wrapper keeps for a legend beside/below
    this.onGrid = null; // () => void: a new grid, before it is sized (the legend re-arranges)
    // Resolves once the first surface is on screen (its picture and first paths, before
    // plotly.js runs): the page builds its controls then, before plotly.js takes the
    // main thread.
    this.firstView = new Promise((resolve) => { this.firstViewShown = resolve; });
    this.bindPointer();
    this.resizeObserver = new ResizeObserver(() => this.resize());
    this.resizeObserver.observe(wrap);
  }

  /** A new surface: redraw the contour (the only time Plotly redraws it). Before
   *  plotly.js has run, a picture of it first, with the paths (preview.js). */
  async setGrid(grid) {
    if (!plotlyLoaded() && !this.ready && !this.mapBelow) await this.preview(grid);
    this.firstViewShown();
    releasePlotly();
    await plotlyReady();
    this.grid = grid;
    // Whether a legend fits beside the plot depends on the surface's aspect.
    this.onGrid?.();
    const { x, y, z, zmin, zmax } = grid;
    const s = grid.surface;
    // A surface from data is the loss over (w, b): named so, and not drawn 1:1 (w and b
    // have units of their own).
    const [xn, yn, fn] = s.data ? ["w", "b", t("loss.loss")] : ["x", "y", "f"];
    const zt = shownValues(grid);
    let colorbar = { title: { text: s.data ? t("data.colorbar") : t("plot.colorbar"), side: "right" } };
    const text = z.map((row) => row.map((v) => (v === null ? "" : fmt(v))));
    if (wantsLogScale(grid)) {
      const delta = logDelta(zmin, zmax);
      const ticks = logTicks(zmin, zmax, delta);
      colorbar = { ...colorbar, tickvals: ticks.map((v) => Math.log10(v - zmin + delta)), ticktext: ticks.map((v) => fmt(v, TICK_DIGITS)) };
    }
    const contour = {
      type: "contour", x, y, z: zt, text,
      hovertemplate: `${xn} = %{x:.3f}<br>${yn} = %{y:.3f}<br>${fn} = %{text}<extra></extra>`,
      colorscale: COLORSCALE, ncontours: 26, connectgaps: false,
      contours: { coloring: "fill", showlines: true },
      line: { width: 0.6, color: "rgba(255,255,255,0.35)", smoothing: 0.6 },
      colorbar: this.isNarrow()
        // Phones: the colour bar goes under the plot, so the plot keeps the width.
        ? { ...colorbar, orientation: "h", thickness: 8 * this.ink(), len: 1, x: 0.5, xanchor: "center", y: -0.16, yanchor: "top",
          outlinewidth: 0, tickfont: { size: this.fontSize() - 1 }, title: undefined }
        : { ...colorbar, thickness: (this.compact ? 8 : 12) * this.ink(), len: 1, lenmode: "fraction", y: 0.5,
          outlinewidth: 0, tickfont: { size: this.fontSize() - 1 }, title: this.compact ? undefined : colorbar.title },
    };
    const marks = [];
    if (s.minima?.length) {
      marks.push({
        type: "scatter", mode: "markers", name: t("surface.minimum"),
        x: s.minima.map((p) => p[0]), y: s.minima.map((p) => p[1]),
        marker: { symbol: "star", size: 15 * this.ink(), color: LOOK.minimum_color, line: { color: "#1b1b1b", width: 1.2 } },
        hovertemplate: `${t("surface.minimum")} (%{x:.4g}, %{y:.4g})<extra></extra>`,
      });
    }
    if (s.saddles?.length) {
      marks.push({
        type: "scatter", mode: "markers", name: t("surface.saddle"),
        x: s.saddles.map((p) => p[0]), y: s.saddles.map((p) => p[1]),
        marker: { symbol: "x-thin", size: 14, color: "#ffffff", line: { color: "#ffffff", width: 3 } },
        hovertemplate: `${t("surface.saddle")} (%{x:.4g}, %{y:.4g})<extra></extra>`,
      });
    }
    const [[x0, x1], [y0, y1]] = s.domain;
    const layout = {
      margin: this.margins(),
      xaxis: { range: [x0, x1], constrain: "domain", title: this.axisTitle(s, t("data.w"), "w", "x", 4), zeroline: false, showgrid: false, ticks: "outside", ticklen: 3 * this.ink() },
      yaxis: { range: [y0, y1], title: this.axisTitle(s, t("data.b"), "b", "y", 2), zeroline: false, showgrid: false, ...(s.data ? {} : { scaleanchor: "x", scaleratio: 1 }), constrain: "domain", ticks: "outside", ticklen: 3 * this.ink() },
      showlegend: false,
      // On a touch screen a drag is the page's scroll, a tap moves the start: no box zoom
      // (it would trap the page under the finger).
      dragmode: touchScreen() ? false : "zoom",
      hovermode: "closest",
      paper_bgcolor: "rgba(0,0,0,0)",
      plot_bgcolor: LOOK.plot_bg,
      font: { family: FONT, size: this.fontSize(), color: this.big ? getCss("--fg", "#1d2433") : getCss("--fg-muted", "#475467") },
      uirevision: `${s.id ?? s.data}:${s.expr ?? s.model}:${s.domain.flat().join(",")}`,
    };
    const config = {
      responsive: false, displaylogo: false, scrollZoom: false,
      // sendChartToCloud would upload the chart to another host: never offered here.
      modeBarButtonsToRemove: ["select2d", "lasso2d", "autoScale2d", "toImage", "zoomIn2d", "zoomOut2d", "sendChartToCloud"],
      showSendToCloud: false, showEditInChartStudio: false,
      displayModeBar: this.compact || touchScreen() ? false : "hover",
      doubleClick: touchScreen() ? false : "reset",
      locale: plotLocale(),
    };
    if (this.mapBelow) lineOnly(contour, layout);
    if (this.ready && (this.narrowDrawn !== this.isNarrow() || this.bigDrawn !== this.big)) {
      // Plotly.react leaves the old colour bar behind when it changes orientation (the
      // stage narrows when map mode puts a sweep beside the plot), nor its old size
      // when the text grows for a presentation: draw afresh.
      Plotly.purge(this.gd);
      this.ready = false;
    }
    this.narrowDrawn = this.isNarrow();
    this.bigDrawn = this.big;
    const size = this.sizeGraph();
    layout.width = size.w;
    layout.height = size.h;
    await Plotly.react(this.gd, [contour, ...marks], layout, config);
    this.endPreview();
    this.layerCanvas();
    if (!this.ready) {
      this.gd.on("plotly_relayout", () => this.draw());
      this.gd.on("plotly_relayouting", () => this.draw());
      this.gd.on("plotly_afterplot", () => this.draw());
      this.ready = true;
    }
    this.resizeCanvas();
    this.draw();
  }

  /** Before plotly.js: the surface as a picture in the plot area Plotly will draw, the
   *  paths over it on the usual canvas. Resolves once the first answer's paths have
   *  been painted on it in full (or a moment later without them): then the page builds
   *  its controls, and plotly.js may take the main thread (setGrid). (Not at its first
   *  piece: its last, and the race's start, would then wait behind plotly.js.) */
  async preview(grid) {
    this.grid = grid;
    this.onGrid?.();
    const size = this.sizeGraph();
    this.previewAx = previewAxes(size, this.geometry().m, grid.surface.domain, Boolean(grid.surface.data));
    if (!this.previewAx) return;
    if (!this.previewCanvas) {
      this.previewCanvas = Object.assign(document.createElement("canvas"), { className: "plot-preview" });
      this.previewCanvas.setAttribute("aria-hidden", "true");
      this.canvas.before(this.previewCanvas);
    }
    // Both canvases over the graph's box (centred in the wrapper, as the graph is).
    for (const c of [this.previewCanvas, this.canvas]) Object.assign(c.style, { left: `${this.gd.offsetLeft}px`, top: `${this.gd.offsetTop}px` });
    fitCanvas(this.previewCanvas, this.gd);
    this.resizeCanvas();
    paintPreview(this.previewCanvas, this.dpr, grid, shownValues(grid), this.previewAx);
    this.draw();
    let painted = null;
    const shown = new Promise((resolve) => { painted = resolve; });
    this.onPreviewPaths = painted;
    const frame = () => new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve, 0)));
    const wait = () => new Promise((resolve) => setTimeout(resolve, PREVIEW_WAIT_MS));
    await Promise.race([shown, wait()]);
    // An answer half in by then: its rest comes within a few frames (a while longer
    // at most), and its race starts with it.
    if (this.onPreviewPaths && this.runs.some((r) => r.visible && r.computing && r.path?.length > 1)) await Promise.race([shown, wait()]);
    this.onPreviewPaths = null;
    await frame();
  }

  /** Plotly has drawn: the picture goes, the paths' canvas joins Plotly's layers. */
  endPreview() {
    if (!this.previewAx && !this.previewCanvas) return;
    this.previewAx = null;
    this.previewCanvas?.remove();
    this.previewCanvas = null;
    Object.assign(this.canvas.style, { left: "", top: "" });
  }

  /** Presentation mode: fill the wrapper, text and lines at projector size. */
  async setBig(on) {
    if (this.big === on) return;
    this.big = on;
    if (this.fillDefault === undefined) this.fillDefault = this.wrap.dataset.fill || "";
    if (on) this.wrap.dataset.fill = "1";
    else if (this.fillDefault) this.wrap.dataset.fill = this.fillDefault;
    else delete this.wrap.dataset.fill;
    if (this.grid) await this.setGrid(this.grid);
  }

  /** Map mode paints a basin map under the plot: the contour then draws lines only, on
   *  a transparent plot area (mappaint.js puts its canvas below Plotly's SVG). */
  async setMapBelow(on) {
    if (this.mapBelow === on) return;
    this.mapBelow = on;
    if (this.grid) await this.setGrid(this.grid);
  }

  /** Put the canvas between Plotly's plot layer and its hover/modebar layers, so hover
   *  labels and the mode bar stay on top of the paths (Plotly keeps foreign nodes). */
  layerCanvas() {
    const container = this.gd.querySelector(".svg-container");
    const first = container?.querySelector("svg.main-svg");
    if (first && this.canvas.previousElementSibling !== first) first.after(this.canvas);
  }

  /** An axis's title: none in a compact plot (an embed) of a formula, whose axes are
   *  plainly x and y; a surface from data keeps "w" and "b" there (the data panel's own
   *  axis is x: the two must not be confused). */
  axisTitle(s, dataText, dataShort, plain, standoff) {
    if (this.compact) return s.data ? { text: dataShort, standoff: 2 } : undefined;
    return { text: s.data ? dataText : plain, standoff };
  }

  /** Plotly's margins: room for the tick labels and axis titles at the font's size. */
  margins() {
    const f = this.fontSize() / 11;
    const m = this.isNarrow() ? { l: 36, r: 6, t: 10, b: 34 } : this.compact ? compactMargin(this.grid.surface) : { l: 44, r: 8, t: 10, b: 36 };
    return { l: Math.round(m.l * f), r: m.r, t: Math.round(m.t * f), b: Math.round(m.b * f) };
  }

  /** Text size: 11 px, or in a presentation about 1/48 of the screen (21 px at
   *  1280×720, 26 px at 1400×900: legible from the back of a room). */
  fontSize() {
    if (!this.big) return 11;
    return Math.round(Math.max(14, Math.min(26, Math.min(window.innerWidth, window.innerHeight * 1.4) / 48)));
  }

  /** Lines and marks grow with the text. */
  ink() {
    return this.fontSize() / 11 > 1.4 ? 1.6 : 1;
  }

  /** The graph's margins around the plot area (colour bar included) and the
   *  domain's height / width. */
  geometry() {
    const [[x0, x1], [y0, y1]] = this.grid.surface.domain;
    const pm = this.margins();
    const bar = (this.compact ? 50 : 80) * this.ink() + (this.big ? this.fontSize() : 0);
    const m = this.isNarrow() ? { l: pm.l + 4, r: pm.r + 2, t: pm.t, b: pm.b + 46 * this.ink() } : { ...pm, r: pm.r + bar };
    // A surface from data gets a fixed aspect (its w and b are not lengths to compare).
    return { m, ratio: this.grid.surface.data ? DATA_ASPECT : (y1 - y0) / (x1 - x0) };
  }

  /** How wide the graph is when it is h pixels tall (the axes kept at their aspect). */
  widthAtHeight(h) {
    if (!this.grid) return 0;
    const { m, ratio } = this.geometry();
    return Math.round((h - m.t - m.b) / ratio + m.l + m.r);
  }

  /** Height from the width and the domain's aspect (the axes are kept 1:1; a surface
   *  from data gets a fixed aspect instead). */
  sizeGraph() {
    if (!this.grid) return { w: 600, h: 400 };
    const spare = this.reserve ? this.reserve() : { w: 0, h: 0 };
    const w = Math.max(200, (this.wrap.clientWidth || 600) - spare.w);
    const { m, ratio } = this.geometry();
    const fill = this.wrap.dataset.fill === "1"; // embed, presentation: the wrapper decides the height
    let h;
    let width = w;
    if (fill) {
      // Sized by the iframe: as tall as the wrapper, only as wide as the 1:1 axes need,
      // so the colour bar sits next to the plot rather than at the far edge.
      h = Math.max(160, (this.wrap.clientHeight || 300) - spare.h);
      // A presentation on a tall screen (a phone): no taller than the width needs, so
      // the legend below sits right under the plot.
      if (this.big) h = Math.round(Math.min(h, Math.max(200, (w - m.l - m.r) * ratio + m.t + m.b)));
      width = Math.round(Math.min(w, (h - m.t - m.b) / ratio + m.l + m.r));
    } else {
      const ideal = (w - m.l - m.r) * ratio + m.t + m.b;
      const maxH = Math.max(280, window.innerHeight * 0.72);
      h = Math.round(Math.min(maxH, Math.max(240, ideal)));
      // Height-bound (a tall domain on a wide screen): shrink the width to the 1:1 plot
      // so the colour bar stays beside it.
      if (h < ideal) width = Math.round(Math.min(w, (h - m.t - m.b) / ratio + m.l + m.r));
    }
    this.gd.style.height = `${h}px`;
    this.gd.style.width = `${width}px`;
    return { w: width, h };
  }

  /** Under 520 px the colour bar moves below the plot. */
  isNarrow() {
    return (this.wrap.clientWidth || 600) < 520;
  }

  resize() {
    if (!this.ready) return;
    if (this.isNarrow() !== this.narrowDrawn && this.grid) {
      this.setGrid(this.grid);
      return;
    }
    cancelAnimationFrame(this.resizeFrame);
    this.resizeFrame = requestAnimationFrame(() => {
      const before = this.gd.style.width + this.gd.style.height;
      this.sizeGraph();
      if (before !== this.gd.style.width + this.gd.style.height) {
        Plotly.relayout(this.gd, { width: parseFloat(this.gd.style.width), height: parseFloat(this.gd.style.height) }).then(() => {
          this.resizeCanvas();
          this.draw();
        });
      }
    });
  }

  resizeCanvas() {
    this.dpr = fitCanvas(this.canvas, this.gd);
  }

  /** runs: [{color, visible, path, status, stepsDone, escapedAt, leftAt}]: escapedAt ends
   *  the drawing (the server's padded domain), leftAt is the step the run left the plot
   *  for good, where it gets its mark. `paint`: false when they draw as the runs shown
   *  did. */
  setRuns(runs, { paint = true } = {}) {
    this.runs = runs;
    if (paint) this.draw();
  }

  setStep(k) {
    this.step = k;
    this.draw();
  }

  setStart(p) {
    this.start = p;
    this.draw();
  }

  /** Axis functions of the current view, or null before the first plot. */
  axes() {
    const fl = this.gd._fullLayout;
    if (!fl || !fl.xaxis || !fl.xaxis._length) return this.previewAx || null;
    const xa = fl.xaxis, ya = fl.yaxis;
    return {
      left: xa._offset, top: ya._offset, width: xa._length, height: ya._length,
      px: (x) => xa._offset + xa.l2p(x),
      py: (y) => ya._offset + ya.l2p(y),
      dx: (px) => xa.p2l(px - xa._offset),
      dy: (py) => ya.p2l(py - ya._offset),
    };
  }

  /** Data coordinates of a mouse event, or null outside the plot area. */
  eventToData(ev) {
    const ax = this.axes();
    if (!ax) return null;
    const r = this.gd.getBoundingClientRect();
    const px = ev.clientX - r.left, py = ev.clientY - r.top;
    if (px < ax.left || px > ax.left + ax.width || py < ax.top || py > ax.top + ax.height) return null;
    return [ax.dx(px), ax.dy(py)];
  }

  // Plotly only reports clicks on points of a trace; a start point may be wanted where
  // the formula has no value (a gap) too. So: our own click detection on the wrapper,
  // a press and release within a few pixels, whatever Plotly's drag layer does.
  bindPointer() {
    let down = null;
    this.wrap.addEventListener("pointerdown", (ev) => {
      if (ev.button !== 0 || ev.target.closest(".modebar")) return;
      down = { x: ev.clientX, y: ev.clientY, t: performance.now() };
    }, true);
    window.addEventListener("pointerup", (ev) => {
      if (!down) return;
      const d = down;
      down = null;
      if (Math.hypot(ev.clientX - d.x, ev.clientY - d.y) > 5 || performance.now() - d.t > 800) return;
      const p = this.eventToData(ev);
      if (p && this.onPick) this.onPick(p[0], p[1]);
    }, true);
  }

  /** Redraw the overlay at most once per animation frame. */
  draw() {
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.paint();
    });
  }

  /** Draw the overlay; `target` another canvas (a PNG export at another resolution),
   *  `step` another step than the one on screen (a video's frames). */
  paint(target = { ctx: this.ctx, canvas: this.canvas, dpr: this.dpr || 1 }, step = this.step) {
    const shown = this.step;
    this.step = step;
    try {
      this.paintAt(target);
    } finally {
      this.step = shown;
    }
  }

  paintAt(target) {
    const { ctx, canvas, dpr } = target, ax = this.axes();
    const ink = this.ink();
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.clearRect(0, 0, canvas.width, canvas.height);
    if (!ax) return;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.save();
    ctx.beginPath();
    ctx.rect(ax.left, ax.top, ax.width, ax.height);
    ctx.clip();
    ctx.lineJoin = "round";
    ctx.lineCap = "round";
    for (const layer of this.layers) layer(ctx, ax, this.step);

    const labels = [];
    for (const run of this.runs) {
      if (!run.visible || !run.path || run.path.length === 0) continue;
      const path = run.path;
      const last = path.length - 1;
      const end = run.escapedAt != null ? Math.min(run.escapedAt, last) : last;
      const k = Math.min(this.step, end);
      const whole = Math.floor(k);
      if (whole < end) {
        // Ghost: where the run will go, faint. (At the end the trail, wider and opaque,
        // covers all of it: not drawn then.)
        ctx.globalAlpha = 0.35;
        ctx.strokeStyle = run.color;
        ctx.lineWidth = 1.4 * ink;
        ctx.setLineDash([4, 4]);
        strokePath(ctx, ax, path, 0, end, null);
        ctx.setLineDash([]);
        ctx.globalAlpha = 1;
      }
      // Trail: up to the current (fractional) step, with a white halo for contrast.
      const frac = k - whole;
      const tip = whole < end && frac > 0 ? lerp(path[whole], path[whole + 1], frac) : null;
      ctx.strokeStyle = "rgba(255,255,255,0.75)";
      ctx.lineWidth = 5 * ink;
      strokePath(ctx, ax, path, 0, whole, tip);
      // The same path again (the context keeps it), in the run's colour.
      ctx.strokeStyle = run.color;
      ctx.lineWidth = 2.4 * ink;
      ctx.stroke();
      const head = tip || path[whole];
      const hx = ax.px(head[0]), hy = ax.py(head[1]);
      const left = run.leftAt != null && this.step >= run.leftAt;
      if (!left && this.step >= end && run.status === "diverged") {
        drawCross(ctx, hx, hy, run.color, ink);
        labels.push({ x: hx, y: hy, text: t("mark.diverged", { k: run.stepsDone + 1 }), color: run.color });
      } else {
        ctx.beginPath();
        ctx.arc(hx, hy, 5.5 * ink, 0, 2 * Math.PI);
        ctx.fillStyle = run.color;
        ctx.fill();
        ctx.lineWidth = 2 * ink;
        ctx.strokeStyle = "#fff";
        ctx.stroke();
      }
      if (left) {
        // Left the view for good: an arrow where the path crosses the plot's edge.
        const j = Math.max(0, run.leftAt - 1);
        const a = [ax.px(path[j][0]), ax.py(path[j][1])];
        const b = [ax.px(path[j + 1][0]), ax.py(path[j + 1][1])];
        const [ex, ey] = exitPoint(ax, a, b);
        drawArrowOut(ctx, ex, ey, b[0], b[1], run.color, ink);
        labels.push({ x: ex, y: ey, text: t("mark.escaped", { k: run.leftAt }), color: run.color });
      }
    }
    for (const paintOverlay of this.overlays) paintOverlay(ctx, ax, this);
    if (this.onPreviewPaths && ax === this.previewAx && this.runs.some((r) => r.visible && r.path?.length > 1)
      && !this.runs.some((r) => r.visible && r.computing)) this.onPreviewPaths();
    // Start point: a ring with a dot.
    if (this.start) {
      const sx = ax.px(this.start[0]), sy = ax.py(this.start[1]);
      ctx.beginPath();
      ctx.arc(sx, sy, 7 * ink, 0, 2 * Math.PI);
      ctx.lineWidth = 4 * ink;
      ctx.strokeStyle = "rgba(0,0,0,0.55)";
      ctx.stroke();
      ctx.lineWidth = 2 * ink;
      ctx.strokeStyle = "#fff";
      ctx.stroke();
      ctx.beginPath();
      ctx.arc(sx, sy, 2 * ink, 0, 2 * Math.PI);
      ctx.fillStyle = "#fff";
      ctx.fill();
    }
    // Minima on top of the paths (they converge there; Plotly's star below keeps the hover).
    for (const m of this.grid?.surface?.minima || []) drawStar(ctx, ax.px(m[0]), ax.py(m[1]), 7 * ink);
    ctx.restore();
    const placed = [];
    for (const l of labels) placed.push(drawLabel(ctx, ax, l, placed, ink));
  }

  destroy() {
    this.resizeObserver.disconnect();
    Plotly.purge(this.gd);
  }
}

export function strokePath(ctx, ax, path, from, to, tip) {
  if (to < from) return;
  ctx.beginPath();
  ctx.moveTo(ax.px(path[from][0]), ax.py(path[from][1]));
  // Long paths: skip points closer than ~0.7 px to the previous drawn one.
  let lx = Infinity, ly = Infinity;
  for (let i = from + 1; i <= to; i++) {
    const x = ax.px(path[i][0]), y = ax.py(path[i][1]);
    if (i < to && Math.abs(x - lx) < 0.7 && Math.abs(y - ly) < 0.7) continue;
    ctx.lineTo(x, y);
    lx = x;
    ly = y;
  }
  if (tip) ctx.lineTo(ax.px(tip[0]), ax.py(tip[1]));
  if (to === from && !tip) ctx.lineTo(ax.px(path[from][0]) + 0.01, ax.py(path[from][1]));
  ctx.stroke();
}

function lineOnly(contour, layout) {
  contour.contours = { coloring: "none", showlines: true };
  contour.line = { width: 0.8, color: "rgba(16,24,40,0.42)", smoothing: 0.6 };
  contour.showscale = false;
  layout.plot_bgcolor = "rgba(0,0,0,0)";
}

function lerp(a, b, f) {
  return [a[0] + (b[0] - a[0]) * f, a[1] + (b[1] - a[1]) * f];
}

function inside(ax, p) {
  const x = ax.px(p[0]), y = ax.py(p[1]);
  return x >= ax.left && x <= ax.left + ax.width && y >= ax.top && y <= ax.top + ax.height;
}

function clamp(v, lo, hi) {
  return Math.min(hi, Math.max(lo, v));
}

function drawCross(ctx, x, y, color, ink = 1) {
  const r = 7 * ink;
  ctx.lineCap = "round";
  for (const [w, c] of [[6 * ink, "#fff"], [3 * ink, color]]) {
    ctx.beginPath();
    ctx.moveTo(x - r, y - r);
    ctx.lineTo(x + r, y + r);
    ctx.moveTo(x + r, y - r);
    ctx.lineTo(x - r, y + r);
    ctx.lineWidth = w;
    ctx.strokeStyle = c;
    ctx.stroke();
  }
}

function drawStar(ctx, x, y, r) {
  ctx.beginPath();
  for (let i = 0; i < 10; i++) {
    const a = -Math.PI / 2 + (i * Math.PI) / 5;
    const rr = i % 2 ? r * 0.45 : r;
    ctx.lineTo(x + Math.cos(a) * rr, y + Math.sin(a) * rr);
  }
  ctx.closePath();
  ctx.fillStyle = LOOK.minimum_color;
  ctx.fill();
  ctx.lineWidth = 1.2;
  ctx.strokeStyle = "#1b1b1b";
  ctx.stroke();
}

function drawArrowOut(ctx, x, y, tx, ty, color, ink = 1) {
  const a = Math.atan2(ty - y, tx - x);
  const s = 9 * ink;
  ctx.beginPath();
  ctx.moveTo(x + Math.cos(a) * s, y + Math.sin(a) * s);
  ctx.lineTo(x + Math.cos(a + 2.5) * s, y + Math.sin(a + 2.5) * s);
  ctx.lineTo(x + Math.cos(a - 2.5) * s, y + Math.sin(a - 2.5) * s);
  ctx.closePath();
  ctx.fillStyle = color;
  ctx.fill();
  ctx.lineWidth = 1.5 * ink;
  ctx.strokeStyle = "#fff";
  ctx.stroke();
}

/** A boxed label near (x, y), moved down past the labels already placed. */
function drawLabel(ctx, ax, { x, y, text, color }, placed = [], ink = 1) {
  const fs = 12 * ink, bh = 18 * ink, gap = bh + 3;
  ctx.font = `600 ${fs}px ${FONT}`;
  const w = ctx.measureText(text).width + 10 * ink;
  let lx = x + 10 * ink, ly = y - bh - 4;
  if (lx + w > ax.left + ax.width) lx = x - 10 * ink - w;
  lx = clamp(lx, ax.left + 2, ax.left + ax.width - w - 2);
  ly = clamp(ly, ax.top + 2, ax.top + ax.height - bh - 2);
  for (let tries = 0; tries < 8; tries++) {
    const hit = placed.find((p) => lx < p.x + p.w && p.x < lx + w && ly < p.y + bh + 2 && p.y < ly + bh + 2);
    if (!hit) break;
    ly = hit.y + gap > ax.top + ax.height - bh - 2 ? hit.y - gap : hit.y + gap;
  }
  ctx.fillStyle = "rgba(255,255,255,0.92)";
  roundRect(ctx, lx, ly, w, bh, 4 * ink);
  ctx.fill();
  ctx.lineWidth = 1.5 * ink;
  ctx.strokeStyle = color;
  ctx.stroke();
  ctx.fillStyle = "#1d2433";
  ctx.textBaseline = "middle";
  ctx.fillText(text, lx + 5 * ink, ly + bh / 2 + 0.5);
  return { x: lx, y: ly, w };
}

/** Where the segment from a (inside the plot) towards b leaves the plot area. */
function exitPoint(ax, a, b) {
  const [x0, y0] = a, dx = b[0] - x0, dy = b[1] - y0;
  let t = 1;
  const edges = [[dx, ax.left - x0], [-dx, x0 - (ax.left + ax.width)], [dy, ax.top - y0], [-dy, y0 - (ax.top + ax.height)]];
  for (const [p, q] of edges) {
    // Liang–Barsky: the segment heads out through this edge when p < 0, at t = q / p.
    if (p < 0) t = Math.min(t, q / p);
  }
  t = Math.max(0, Math.min(1, t));
  return [x0 + dx * t, y0 + dy * t];
}

function roundRect(ctx, x, y, w, h, r) {
  ctx.beginPath();
  ctx.moveTo(x + r, y);
  ctx.arcTo(x + w, y, x + w, y + h, r);
  ctx.arcTo(x + w, y + h, x, y + h, r);
  ctx.arcTo(x, y + h, x, y, r);
  ctx.arcTo(x, y, x + w, y, r);
  ctx.closePath();
}

/** A phone or tablet: no hover, a finger for a pointer. */
export function touchScreen() {
  return typeof matchMedia === "function" && matchMedia("(hover: none) and (pointer: coarse)").matches;
}

function getCss(name, fallback) {
  const v = getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  return v || fallback;
}

/** A compact plot's margins: room for the w and b titles on a surface from data. */
function compactMargin(s) {
  return s.data ? { l: 40, r: 4, t: 10, b: 34 } : { l: 34, r: 4, t: 10, b: 26 };
}

/** The grid's values as the contour colours them: log10(f - min + δ) where the surface
 *  wants a log scale (Rosenbrock's floor, values 0…10 under a top of 2,500, gets half the
 *  colours instead of one), else f. */
function shownValues(grid) {
  const { z, zmin, zmax } = grid;
  if (!wantsLogScale(grid)) return z;
  const delta = logDelta(zmin, zmax);
  return z.map((row) => row.map((v) => (v === null ? null : Math.log10(v - zmin + delta))));
}
