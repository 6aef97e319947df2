// The plot's own legend: per shown run its colour, optimizer, the hyperparameters that
// differ from PyTorch's defaults, and its status at the step shown (running, finished,
// diverged at step k). On the page it sits over the plot in the corner the paths leave
// emptiest (under 520 px: below the plot); in a presentation beside the plot when the
// screen has room, else below it. The PNG and the video draw the same entries
// (slidecanvas.js), as does the server's GIF (app/teach/slide.py).

import { el } from "./dom.js";
import { t } from "./i18n.js";
import { fmt } from "./format.js";
import { statusKind, statusText } from "./readout.js";

const GAP = 16;

/** The legend's lines for the scene's shown runs: {color, name, detail, run}. */
export function legendEntries(scene, runs = scene.descriptors()) {
  return runs.map((run, i) => ({ ...legendParts(scene.catalog, scene.runs[i].row), color: run.color, run }))
    .filter((e) => e.run.visible);
}

/** "SGD", "lr=0.002 momentum=0.9 · StepLR · σ=0.1" (app/teach/labels.py legend_parts). */
export function legendParts(catalog, row) {
  const opt = catalog.optimizer(row.optimizer);
  const extra = [];
  if (row.scheduler) extra.push(row.scheduler.name);
  if (row.noise > 0) extra.push(`σ=${fmt(row.noise, 3)}`);
  const lab = catalog.labLabel(row).replace(/^ · /, "");
  if (lab) extra.push(lab);
  const detail = catalog.changedParams(row).join(" ");
  return { name: opt ? opt.name : row.optimizer, detail: [detail, ...extra].filter(Boolean).join(" · ") };
}

/** An entry's status at step k: {kind, text}. */
export function entryStatus(entry, k) {
  const step = Math.floor(k + 1e-9);
  return { kind: statusKind(entry.run, step), text: statusText(entry.run, step) };
}

export class PlotLegend {
  /** contour: the ContourView it labels; scene: whose runs it names. */
  constructor(contour, scene) {
    this.contour = contour;
    this.scene = scene;
    this.el = document.createElement("div");
    this.el.className = "plot-legend";
    this.el.setAttribute("role", "group");
    this.list = document.createElement("ul");
    this.el.append(this.list);
    contour.wrap.append(this.el);
    this.entries = [];
    this.items = [];
    this.shape = "";
    this.lines = "";
    this.k = 0;
    this.shownStep = -1;
    this.mode = "overlay";
    this.placedFor = "";
    contour.reserve = () => this.reserved();
    contour.onGrid = () => this.arrange({ resize: false });
    // Called on every repaint of the paths: cheap unless the plot area moved.
    contour.overlays.push((ctx, ax) => this.follow(ax));
    new ResizeObserver(() => { this.placedFor = ""; this.arrange(); }).observe(contour.wrap);
    this.relabel();
  }

  // ------------------------------------------------------------ scene views

  setRuns(runs, steps, { final } = {}) {
    this.entries = legendEntries(this.scene, runs);
    const shape = this.entries.map((e) => `${e.color}|${e.name}|${e.detail}`).join("\n");
    if (shape !== this.shape) {
      // A slider moved: the same lines with another detail ("lr=0.012"). Their text is
      // rewritten in place; a new list (and its layout) only when the lines change.
      const lines = this.entries.map((e) => `${e.color}|${e.name}`).join("\n");
      const sameLines = lines === this.lines && this.items.length === this.entries.length;
      this.shape = shape;
      this.lines = lines;
      if (sameLines) this.retext();
      else this.build();
    }
    if (final) this.placedFor = "";
    this.el.hidden = !this.entries.length;
    this.shownStep = -1;
    this.setStep(this.k);
  }

  setStep(k) {
    this.k = k;
    const step = Math.floor(k + 1e-9);
    if (step === this.shownStep) return;
    this.shownStep = step;
    this.entries.forEach((e, i) => {
      const s = entryStatus(e, k);
      const item = this.items[i];
      if (!item) return;
      // Written only when it changes: during a race most steps change no status.
      if (item.text !== s.text) item.status.textContent = item.text = s.text;
      if (item.status.dataset.kind !== s.kind) item.status.dataset.kind = s.kind;
    });
  }

  relabel() {
    this.el.setAttribute("aria-label", t("legend.label"));
    this.shape = this.lines = "";
    this.setRuns(this.scene.descriptors());
  }

  build() {
    this.list.innerHTML = "";
    this.items = this.entries.map((e) => {
      const status = el("span", { class: "status" });
      const sw = el("span", { class: "swatch" });
      sw.style.background = e.color;
      const detail = el("span", { class: "detail", text: e.detail });
      this.list.append(el("li", {}, sw, el("span", { class: "name", text: e.name }), " ", detail, status));
      return { status, detail };
    });
    this.placedFor = "";
    this.arrange();
  }

  /** The details' text only; the plot is sized again only where the legend's size
   *  takes room from it (beside or below the plot in a presentation). */
  retext() {
    this.entries.forEach((e, i) => {
      if (this.items[i].detail.textContent !== e.detail) this.items[i].detail.textContent = e.detail;
    });
    this.placedFor = "";
    if (this.mode === "beside" || (this.mode === "below" && this.contour.big)) this.arrange();
  }

  // ---------------------------------------------------------------- layout

  /** Over the plot, beside it or below it (see the top of this file); `resize`: size
   *  the plot to what is left (not when the plot is about to be drawn anyway). */
  arrange({ resize = true } = {}) {
    const c = this.contour;
    let mode = "overlay";
    if (c.big) {
      const W = c.wrap.clientWidth, H = c.wrap.clientHeight;
      const beside = Math.round(Math.min(560, Math.max(260, W * 0.3)));
      mode = c.widthAtHeight(H) + beside + GAP <= W ? "beside" : "below";
      this.el.style.width = mode === "beside" ? `${beside}px` : "";
    } else if (c.isNarrow()) {
      mode = "below";
    }
    if (this.el.dataset.mode !== mode) {
      this.el.dataset.mode = mode;
      this.mode = mode;
      this.el.style.left = this.el.style.top = this.el.style.right = this.el.style.bottom = "";
      this.placedFor = "";
    }
    this.reservedSize = mode === "beside" ? { w: this.el.offsetWidth + GAP, h: 0 }
      : mode === "below" && c.big ? { w: 0, h: this.el.offsetHeight + GAP / 2 } : { w: 0, h: 0 };
    if (resize) c.resize();
  }

  reserved() {
    return this.reservedSize || { w: 0, h: 0 };
  }

  follow(ax) {
    if (this.mode !== "overlay" || this.el.hidden) return;
    const key = `${ax.left},${ax.top},${ax.width},${ax.height}`;
    if (key === this.placedFor) return;
    this.placedFor = key;
    this.place(ax);
  }

  /** Over the plot area, in the corner with the fewest path points (and no minimum) under
   *  the legend; the top right last, where Plotly's mode bar appears. Anchored by that
   *  corner, so a status that grows ("running" -> "diverged at step 6") stays inside. */
  place(ax) {
    const gd = this.contour.gd, wrap = this.contour.wrap;
    const w = this.el.offsetWidth, h = this.el.offsetHeight;
    this.el.classList.toggle("is-tall", h > ax.height * 0.55);
    const inset = 6;
    const left = ax.left + inset, right = ax.left + ax.width - inset;
    const top = ax.top + inset, bottom = ax.top + ax.height - inset;
    const corners = [
      { x: left, y: top, cost: 0 }, { x: left, y: bottom - h, cost: 0, bottom: true },
      { x: right - w, y: bottom - h, cost: 0, right: true, bottom: true },
      { x: right - w, y: top, cost: 3, right: true },
    ];
    const pts = [];
    for (const e of this.entries) {
      const path = e.run.path || [];
      const end = e.run.escapedAt != null ? Math.min(e.run.escapedAt, path.length - 1) : path.length - 1;
      const stride = Math.max(1, Math.floor(end / 400));
      for (let i = 0; i <= end; i += stride) pts.push([ax.px(path[i][0]), ax.py(path[i][1]), 1]);
    }
    for (const m of this.contour.grid?.surface?.minima || []) pts.push([ax.px(m[0]), ax.py(m[1]), 10]);
    if (this.contour.start) pts.push([ax.px(this.contour.start[0]), ax.py(this.contour.start[1]), 40]);
    let best = corners[0], bestCost = Infinity;
    for (const c of corners) {
      let cost = c.cost;
      for (const [x, y, wgt] of pts) if (x >= c.x - 4 && x <= c.x + w + 4 && y >= c.y - 4 && y <= c.y + h + 4) cost += wgt;
      if (cost < bestCost) {
        bestCost = cost;
        best = c;
      }
    }
    const st = this.el.style;
    st.left = best.right ? "" : `${Math.round(gd.offsetLeft + left)}px`;
    st.right = best.right ? `${Math.round(wrap.clientWidth - gd.offsetLeft - right)}px` : "";
    st.top = best.bottom ? "" : `${Math.round(gd.offsetTop + top)}px`;
    st.bottom = best.bottom ? `${Math.round(wrap.clientHeight - gd.offsetTop - bottom)}px` : "";
  }

  /** What the PNG and the video draw: the entries with their status at step k. */
  snapshot(k = this.k) {
    return this.entries.map((e) => ({ color: e.color, name: e.name, detail: e.detail, ...entryStatus(e, k) }));
  }
}
