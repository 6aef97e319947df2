// The 3D view: the surface as a Plotly surface trace (WebGL), the paths lying on it
// (scatter3d lines at the height of the API's loss per step), and one marker per run that
// moves with the shared player. Heights: log10(1 + f − f_min) where the contour uses log
// colours (Rosenbrock's valley floor would otherwise be flat under a 2,500-high rim), f
// itself elsewhere; the z axis says which. Without WebGL the page says so and keeps the
// contour. This module and plotly.js's 3D bundle (plotlyjs.js) are loaded when the view
// is first shown; the switch is view3dswitch.js.

import { t } from "./i18n.js";
import { fmt } from "./format.js";
import { plotLocale } from "./plotlocale.js";
import { COLORSCALE, FONT } from "./plot.js";
import { wantsLogScale } from "./logcolors.js";
import { LOOK } from "./table.js";
import { plotly3d } from "./plotlyjs.js";

const REDRAW_MS = 250; // a slider held down: redraw at most this often
const SURFACE_N = 80;   // grid points per side of the 3D mesh (the paths stay exact)

/** Height of a value of f: log10(1 + f − f_min) or f. */
export function heightFn(grid) {
  if (!wantsLogScale(grid)) return (v) => v;
  const zmin = grid.zmin;
  return (v) => Math.log10(1 + Math.max(0, v - zmin));
}

export class SurfaceView {
  constructor(box) {
    this.box = box;
    this.gd = document.createElement("div");
    this.gd.className = "plot3d-graph";
    box.append(this.gd);
    this.grid = null;
    this.runs = [];
    this.fans = [];
    this.step = 0;
    this.active = false;
    this.drawn = false;
    this.timer = 0;
    this.lastDraw = 0;
  }

  setGrid(grid) {
    this.grid = grid;
    this.height = heightFn(grid);
    this.mesh = null;
    this.drawn = false;
    this.redraw(true);
  }

  /** The surface trace (built once per grid): every k-th grid line, heights transformed. */
  surfaceTrace() {
    if (this.mesh) return this.mesh;
    const grid = this.grid;
    const every = Math.max(1, Math.ceil(grid.x.length / SURFACE_N));
    const pick = (arr) => arr.filter((_, i) => i % every === 0 || i === arr.length - 1);
    const rows = pick(grid.z);
    const z = rows.map((row) => pick(row).map((v) => (v === null ? null : this.height(v))));
    const zs = z.flat().filter((v) => v !== null);
    this.zlo = zs.reduce((a, b) => Math.min(a, b), Infinity);
    this.zhi = zs.reduce((a, b) => Math.max(a, b), -Infinity);
    this.lift = (this.zhi - this.zlo) * 0.006;
    this.mesh = {
      type: "surface", x: pick(grid.x), y: pick(grid.y), z, colorscale: COLORSCALE, showscale: false,
      text: rows.map((row) => pick(row).map((v) => (v === null ? "" : fmt(v)))),
      hovertemplate: grid.surface.data ? "w = %{x:.3f}<br>b = %{y:.3f}<br>L = %{text}<extra></extra>" : "x = %{x:.3f}<br>y = %{y:.3f}<br>f = %{text}<extra></extra>",
      contours: { z: { show: true, usecolormap: true, highlightcolor: "#ffffff", project: { z: false } } },
      lighting: { ambient: 0.75, diffuse: 0.55, specular: 0.08, roughness: 0.9 },
      opacity: 0.96,
    };
    return this.mesh;
  }

  /** New paths. While they stream in, only the last answer is drawn (a WebGL redraw is
   *  costly, and the contour shows the race growing). */
  setRuns(runs, fans, final) {
    this.runs = runs;
    this.fans = fans;
    if (final) this.redraw(false);
  }

  /** Move the markers (only they change while the player runs). Every restyle redraws
   *  the whole WebGL scene: on a GPU that takes a few ms, every frame; in a software
   *  renderer (SwiftShader) it can take a second, so the updates are spaced to leave the
   *  page at least three quarters of its time, the last position always drawn. */
  setStep(k) {
    this.step = k;
    if (!this.active || !this.drawn || this.markerTrace == null || this.stepTimer) return;
    const wait = Math.max(0, (this.nextMarkers || 0) - performance.now());
    this.stepTimer = setTimeout(() => requestAnimationFrame(() => {
      this.stepTimer = 0;
      if (!this.drawn) return;
      const t0 = performance.now();
      const step = this.step;
      const m = this.markers();
      this.lib.restyle(this.gd, { x: [m.x], y: [m.y], z: [m.z], "marker.color": [m.color] }, [this.markerTrace]);
      const now = performance.now();
      this.nextMarkers = now + 3 * (now - t0);
      this.shown(step);
      if (this.step !== step) this.setStep(this.step);
    }), wait);
  }

  /** The step the markers show, for whoever watches (tests, the PNG button). */
  shown(step) {
    this.box.dataset.step = String(Math.round(step));
  }

  show(on) {
    this.active = on;
    this.box.hidden = !on;
    if (on) {
      // As tall as the contour would be on a square domain, within the window.
      const w = this.box.clientWidth || 600;
      this.gd.style.height = `${Math.round(Math.min(Math.max(320, window.innerHeight * 0.72), w * 0.8))}px`;
      this.redraw(true);
    }
  }

  relabel() {
    this.drawn = false;
    this.redraw(true);
  }

  /** Rebuild every trace: now when final, else at most every REDRAW_MS. */
  redraw(now) {
    if (!this.active || !this.grid) return;
    clearTimeout(this.timer);
    const wait = REDRAW_MS - (performance.now() - this.lastDraw);
    if (now || wait <= 0) this.draw();
    else this.timer = setTimeout(() => this.draw(), wait);
  }

  /** The part of a path to lay on the surface: inside the domain, finite. */
  visible(path, loss) {
    const [[x0, x1], [y0, y1]] = this.grid.surface.domain;
    let n = Math.min(path.length, loss.length);
    for (let k = 0; k < n; k++) {
      const [x, y] = path[k];
      if (!(x >= x0 && x <= x1 && y >= y0 && y <= y1) || !Number.isFinite(loss[k])) {
        n = k;
        break;
      }
    }
    return n;
  }

  pathTrace(run, opacity, width) {
    const n = this.visible(run.path, run.loss);
    const lift = this.lift;
    return {
      type: "scatter3d", mode: "lines", showlegend: false, hoverinfo: "skip", opacity,
      x: run.path.slice(0, n).map((p) => p[0]),
      y: run.path.slice(0, n).map((p) => p[1]),
      z: run.loss.slice(0, n).map((v) => this.height(v) + lift),
      line: { color: run.color, width },
    };
  }

  markers() {
    const out = { x: [], y: [], z: [], color: [] };
    for (const run of this.runs) {
      if (!run.visible || !run.path.length) continue;
      const n = this.visible(run.path, run.loss);
      if (!n) continue;
      const k = Math.min(Math.round(this.step), n - 1);
      out.x.push(run.path[k][0]);
      out.y.push(run.path[k][1]);
      out.z.push(this.height(run.loss[k]) + this.lift);
      out.color.push(run.color);
    }
    return out;
  }

  async draw() {
    if (this.drawing) {
      this.again = true;
      return;
    }
    this.drawing = true;
    try {
      await this.build();
    } finally {
      this.drawing = false;
    }
    if (this.again) {
      this.again = false;
      this.redraw(true);
    }
  }

  async build() {
    this.lastDraw = performance.now();
    const grid = this.grid;
    const logScale = wantsLogScale(grid);
    const surface = this.surfaceTrace();
    const { zlo, zhi } = this;
    const traces = [surface];
    for (const f of this.fans) if (f.visible && f.path.length) traces.push(this.pathTrace(f, 0.35, 2));
    for (const run of this.runs) if (run.visible && run.path.length) traces.push(this.pathTrace(run, 1, 5));
    const minima = grid.surface.minima || [];
    if (minima.length) {
      traces.push({
        type: "scatter3d", mode: "markers", name: t("surface.minimum"), hoverinfo: "name",
        x: minima.map((p) => p[0]), y: minima.map((p) => p[1]),
        z: minima.map(() => zlo + this.lift),
        marker: { symbol: "diamond", size: 5, color: LOOK.minimum_color, line: { color: "#1b1b1b", width: 1 } },
      });
    }
    const step = this.step;
    const m = this.markers();
    this.markerTrace = traces.length;
    traces.push({
      type: "scatter3d", mode: "markers", hoverinfo: "skip", x: m.x, y: m.y, z: m.z,
      marker: { size: 10, color: m.color, line: { color: "#ffffff", width: 2 } },
    });
    const [[x0, x1], [y0, y1]] = grid.surface.domain;
    const axis = (title, range) => ({ title: { text: title }, range, backgroundcolor: "#eef2f5",
      gridcolor: "#ffffff", zerolinecolor: "#c9d0dc", showbackground: true });
    const s = grid.surface;
    const layout = {
      margin: { l: 0, r: 0, t: 0, b: 0 },
      paper_bgcolor: "rgba(0,0,0,0)",
      font: { family: FONT, size: 11 },
      showlegend: false,
      uirevision: `${s.id ?? s.data}:${s.expr ?? s.model}:${s.domain.flat().join(",")}`,
      scene: {
        xaxis: axis(s.data ? t("data.w") : "x", [x0, x1]), yaxis: axis(s.data ? t("data.b") : "y", [y0, y1]),
        zaxis: axis(logScale ? t(s.data ? "data.zlog" : "view3d.zlog") : t(s.data ? "data.colorbar" : "view3d.z"), [zlo, zhi + 4 * this.lift]),
        // A surface from data: w and b have units of their own, so the base is square.
        aspectmode: "manual", aspectratio: { x: 1, y: s.data ? 1 : (y1 - y0) / (x1 - x0), z: 0.6 },
        // From the front and above: a valley's floor (where the paths run) stays in sight.
        camera: { eye: { x: 0.15, y: -1.35, z: 1.35 }, center: { x: 0, y: 0, z: -0.12 } },
        dragmode: "turntable",
      },
    };
    this.drawn = false;
    this.lib = await plotly3d();
    await this.lib.react(this.gd, traces, layout, { displaylogo: false, responsive: true,
      modeBarButtonsToRemove: ["toImage", "resetCameraLastSave3d"], locale: plotLocale(this.lib) });
    this.drawn = true;
    this.shown(step);
    if (this.step !== step) this.setStep(this.step);
  }
}
