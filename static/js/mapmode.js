// Map mode: the panel that sets a map up, the stream that computes it, and what a click
// on it does. A basin map (a start per cell) is painted under the contour lines, and a
// click on a cell starts the race from that cell's centre; a sweep map (two
// hyperparameters per cell, from the race's start) sits beside the contour, and a click
// loads that cell's values into the optimizer row.
//
// The map follows the page: every computation the scene sends is a chance for the map
// request to have changed (surface, steps, start, the row's hyperparameters); when it
// has, a new request goes out shortly after, and the server drops the old one.
//
// This module is loaded when a map is first switched on (mappanel.js draws the panel's
// off state until then), and what a map needs to be computed and shown (its stream,
// data, painting, sweep view and legend) with it.

import { t } from "./i18n.js";
import { valueOf } from "./catalog.js";
import { el } from "./controls.js";
import { runRequest } from "./state.js";
import { usesLab } from "./labrow.js";
import { markStrip, renderMapHead } from "./mappanel.js";
import { MAP_RESOLUTIONS, axisKey, defaultAxis, mapRequest, sweepAxes, sweepChoices } from "./mapstate.js";

const SEND_DELAY_MS = 180; // a slider's run of changes becomes one map request

let loading = null;

/** The modules that compute and show a map, loaded once, on first use. */
function mapParts() {
  loading = loading || Promise.all([import("./mapstream.js"), import("./mapdata.js"), import("./mappaint.js"),
    import("./mapsweep.js"), import("./maplegend.js")]).then(([stream, data, paint, sweep, legend]) => ({
    MapStream: stream.MapStream, MapData: data.MapData, BasinLayer: paint.BasinLayer, SweepView: sweep.SweepView,
    renderLegend: legend.renderLegend, renderProgress: legend.renderProgress,
  }));
  return loading;
}

export class MapMode {
  /**
   * els: {panel, strip, sweepHost, stage}; views: {scene, catalog, contour}.
   */
  constructor(els, { scene, catalog, contour }) {
    Object.assign(this, els);
    this.scene = scene;
    this.store = scene.store;
    this.catalog = catalog;
    this.contour = contour;
    this.parts = null; // mapParts(), once a map has been switched on
    this.basin = null;
    this.sweep = null;
    this.stream = null;
    this.data = null;
    this.status = "off"; // off | waiting | streaming | done | error | idle
    this.sentKey = null;
    this.requestId = 0;
    this.timer = 0;
    this.fields = {};
    this.hover = null;
    // Every state change reaches the server through the scene: look at the map then too.
    const previous = scene.hooks.onRuns;
    scene.hooks.onRuns = () => {
      previous?.();
      this.sync();
    };
    const onGrid = scene.hooks.onGrid;
    scene.hooks.onGrid = (grid) => {
      onGrid?.(grid);
      this.basin?.draw();
    };
    // A click on the plot starts the race from the basin cell's centre under it.
    scene.snapStart = (x, y) => this.pickStart(x, y);
    this.store.subscribe(({ what, from }) => {
      if (what.has("lang")) {
        this.render();
        this.paint();
      } else if (what.has("map") && from !== this) {
        this.render();
        this.apply();
      }
    });
    this.bindHover();
    this.render();
    this.apply();
  }

  /** The map settings (read-only: changed through the store). */
  get map() {
    return this.scene.state.map;
  }

  // ------------------------------------------------------------------- panel

  /** Build the panel for the current settings (and language). */
  render() {
    const m = this.map;
    this.fields = {};
    const focused = renderMapHead(this.panel, m.on, (on) => this.setOn(on));
    if (!m.on) return this.restoreFocus(focused);

    const body = el("div", { class: "map-form" });
    body.append(this.segmented("kind", t("map.kind"), [["basin", t("map.basin")], ["sweep", t("map.sweep")]], m.kind,
      (v) => this.change({ kind: v }, true)));
    body.append(this.runField());
    body.append(this.segmented("res", t("map.res"), MAP_RESOLUTIONS.map((n) => [n, `${n}²`]), m.res,
      (v) => this.change({ res: Number(v) })));
    if (m.kind === "sweep") {
      const row = this.scene.state.rows[m.run];
      const { x, y } = row ? sweepAxes(m, this.catalog, row.optimizer) : {};
      if (x && y) {
        body.append(this.axisField("x", x, t("map.xAxis")), this.axisField("y", y, t("map.yAxis")));
        body.append(this.segmented("color", t("map.colorBy"), [["loss", t("map.colorLoss")], ["steps", t("map.colorSteps")]], m.color,
          (v) => this.change({ color: v }, false, true)));
      } else if (row) {
        body.append(el("p", { class: "map-note", text: t("map.noSweep", { name: this.catalog.optimizer(row.optimizer)?.name || row.optimizer }) }));
      }
    }
    body.append(el("p", { class: "map-help", text: t(m.kind === "basin" ? "map.basinHelp" : "map.sweepHelp") }));
    this.panel.append(body);
    this.restoreFocus(focused);
  }

  restoreFocus(key) {
    if (key) this.panel.querySelector(`[data-focus="${key}"]`)?.focus();
  }

  /** A row of toggle buttons (one pressed); `name` also names its error line. */
  segmented(name, label, options, current, onPick) {
    const id = `map-${name}-label`;
    const group = el("div", { class: "segmented", role: "group", "aria-labelledby": id });
    for (const [value, text] of options) {
      const b = el("button", { type: "button", "data-value": String(value), "data-focus": `${name}-${value}`,
        "aria-pressed": String(String(value) === String(current)), text });
      b.addEventListener("click", () => {
        if (String(value) !== String(current)) onPick(value);
      });
      group.append(b);
    }
    return this.field(name, el("span", { class: "label", id, text: label }), group);
  }

  field(name, ...children) {
    const error = el("p", { class: "field-error", role: "status", "aria-live": "polite" });
    const node = el("div", { class: "map-field", "data-map-field": name }, ...children, error);
    this.fields[name] = { node, error };
    return node;
  }

  runField() {
    const sel = el("select", { id: "map-run", "data-focus": "run" });
    this.fillRuns(sel);
    sel.addEventListener("change", () => this.change({ run: Number(sel.value) }, true));
    this.runSelect = sel;
    return this.field("run", el("label", { class: "label", for: "map-run", text: t("map.run") }), sel);
  }

  /** The rows as options, "1 · SGD lr=0.002"; returns whether anything changed. */
  fillRuns(sel) {
    const rows = this.scene.state.rows;
    const labels = rows.map((row, i) => `${i + 1} · ${this.catalog.rowLabel(row)}`);
    const key = labels.join("\n");
    if (sel.dataset.key === key) return false;
    sel.dataset.key = key;
    sel.innerHTML = "";
    labels.forEach((text, i) => sel.append(el("option", { value: String(i), text })));
    if (!rows.length) sel.append(el("option", { value: "", text: t("map.noRows") }));
    sel.value = String(this.map.run);
    sel.disabled = !rows.length;
    return true;
  }

  axisField(name, axis, label) {
    const row = this.scene.state.rows[this.map.run];
    const choices = sweepChoices(this.catalog, row.optimizer);
    const sel = el("select", { id: `map-${name}-param`, class: "map-param", "data-focus": `${name}-param` });
    for (const c of choices) {
      const key = axisKey(c);
      const o = el("option", { value: key, text: key });
      if (key === axisKey(axis)) o.selected = true;
      sel.append(o);
    }
    const current = () => this.axesNow()[name];
    sel.addEventListener("change", () => {
      const choice = choices.find((c) => axisKey(c) === sel.value);
      const axes = this.axesNow();
      const otherName = name === "x" ? "y" : "x";
      // Picking the other axis's hyperparameter swaps the two.
      const other = axisKey(axes[otherName]) === sel.value ? axes[name] : axes[otherName];
      this.change({ [name]: defaultAxis(choice), [otherName]: other }, true);
    });
    const box = (i) => {
      const input = el("input", { type: "number", step: "any", class: "num", id: `map-${name}-${i ? "hi" : "lo"}`,
        "data-focus": `${name}-${i}`, "aria-label": `${axisKey(axis)} ${t(i ? "map.hi" : "map.lo")}` });
      input.value = String(axis.range[i]);
      input.addEventListener("input", () => {
        const v = Number(input.value);
        const ok = input.value.trim() !== "" && Number.isFinite(v);
        input.toggleAttribute("aria-invalid", !ok);
        if (ok) {
          const a = { ...current(), range: [...current().range] };
          a.range[i] = v;
          this.change(this.pinAxes(name, a));
        }
      });
      return input;
    };
    const log = el("input", { type: "checkbox", id: `map-${name}-log`, "data-focus": `${name}-log` });
    log.checked = axis.log;
    log.addEventListener("change", () => this.change(this.pinAxes(name, { ...current(), log: log.checked })));
    return this.field(name,
      el("label", { class: "label", for: sel.id, text: label }),
      el("div", { class: "map-axis" }, sel,
        el("span", { class: "range" }, box(0), el("span", { "aria-hidden": "true", text: "…" }), box(1)),
        el("label", { class: "check", for: log.id }, log, el("span", { text: t("map.log") }))));
  }

  /** The sweep axes in force (the state's, or the defaults for the mapped row). */
  axesNow() {
    const row = this.scene.state.rows[this.map.run];
    return row ? sweepAxes(this.map, this.catalog, row.optimizer) : { x: null, y: null };
  }

  /** Both axes as the state should hold them, `name` replaced by `axis`. */
  pinAxes(name, axis) {
    const axes = this.axesNow();
    return { x: name === "x" ? axis : axes.x, y: name === "y" ? axis : axes.y };
  }

  /** A settings change (`patch` of the map settings): into the store, then the panel
   *  rebuilt or marked, and the map asked for again (or only repainted). */
  change(patch, rebuild = false, repaintOnly = false) {
    this.store.update({ map: patch }, { from: this });
    if (rebuild) this.render();
    else this.markPressed();
    if (repaintOnly) this.paint();
    else this.apply();
  }

  /** Segmented buttons follow the state without a rebuild (keeps focus on the button). */
  markPressed() {
    for (const [name, value] of [["kind", this.map.kind], ["res", this.map.res], ["color", this.map.color]]) {
      for (const b of this.fields[name]?.node.querySelectorAll("button[data-value]") || []) {
        b.setAttribute("aria-pressed", String(b.dataset.value === String(value)));
      }
    }
  }

  setOn(on) {
    this.store.update({ map: { on } }, { from: this });
    this.render();
    this.apply();
  }

  // ------------------------------------------------------------- computing

  /** Load the map's modules, make its layers and stream, and apply the settings again. */
  async load() {
    const parts = await mapParts();
    if (this.parts) return;
    this.parts = parts;
    this.basin = new parts.BasinLayer(this.contour, { onZoom: () => this.sync() });
    this.sweep = new parts.SweepView(this.sweepHost, {
      onPick: (cell) => this.pickSweep(cell),
      onHover: (cell) => this.setHover(cell),
    });
    this.stream = new parts.MapStream({
      onHeader: (msg) => this.onHeader(msg),
      onRows: (msg) => this.onRows(msg),
      onDone: (msg) => this.onDone(msg),
      onError: (detail) => this.onError(detail),
    });
    this.apply();
  }

  /** Show or hide the map's layers for the settings, and ask for the map they need. */
  apply() {
    const m = this.map;
    if (m.on && !this.parts) {
      this.load();
      return;
    }
    const basin = m.on && m.kind === "basin";
    const sweep = m.on && m.kind === "sweep";
    this.contour.setMapBelow(basin).then(() => this.basin?.draw());
    this.stage.classList.toggle("has-sweep", sweep);
    this.sweepHost.hidden = !sweep;
    this.strip.hidden = !m.on;
    if (!basin) this.basin?.hide();
    if (!sweep) this.sweep?.hide();
    if (!m.on) {
      clearTimeout(this.timer);
      this.stream?.stop();
      this.data = null;
      this.sentKey = null;
      this.status = "off";
      this.showStrip();
      return;
    }
    if (this.data && this.data.kind !== m.kind) this.data = null;
    this.sync(0);
  }

  /** The request the page stands for now, or null (no row, nothing to sweep). */
  request() {
    const st = this.scene.state;
    const row = st.rows[st.map.run];
    if (!row) return null;
    if (st.map.kind === "sweep") {
      // The axes in force go into the state (and the URL), defaults included.
      const { x, y } = sweepAxes(st.map, this.catalog, row.optimizer);
      if (JSON.stringify([x, y]) !== JSON.stringify([st.map.x, st.map.y])) this.store.update({ map: { x, y } }, { from: this });
    }
    const view = st.map.kind === "basin" ? this.zoomedView() : null;
    return mapRequest(st.map, runRequest({ ...st, rows: [row] }, this.catalog), st.start, this.catalog, view);
  }

  /** The contour's axis ranges when zoomed in or panned away from the surface's domain
   *  (a basin map then covers what is on screen, in as many cells), else null. */
  zoomedView() {
    const fl = this.contour.gd._fullLayout, domain = this.scene.surface?.domain;
    if (!fl?.xaxis || !domain) return null;
    const view = [fl.xaxis.range, fl.yaxis.range].map((r) => r.map((v) => Number(v.toPrecision(6))));
    const same = view.every((r, a) => r.every((v, e) => Math.abs(v - domain[a][e]) <= 1e-3 * (domain[a][1] - domain[a][0])));
    return same ? null : view;
  }

  /** Send a new request if the page's has changed since the last one. */
  sync(delay = SEND_DELAY_MS) {
    if (!this.map.on || !this.parts) return;
    const rows = this.scene.state.rows;
    if (this.map.run >= rows.length) this.store.update({ map: { run: Math.max(0, rows.length - 1) } }, { from: this });
    if (this.runSelect && this.fillRuns(this.runSelect) && this.map.kind === "sweep") this.render();
    this.updateMarker();
    const body = this.request();
    const key = body ? JSON.stringify(body) : "";
    if (key === this.sentKey) return;
    this.sentKey = key;
    clearTimeout(this.timer);
    if (!body) {
      // Nothing to map (no row, nothing to sweep): no old map left on screen either.
      this.stream.stop();
      this.data = null;
      this.basin.hide();
      this.sweep.hide();
      this.status = "idle";
      this.showStrip();
      return;
    }
    this.timer = setTimeout(() => this.send(body), delay);
  }

  send(body) {
    this.body = body;
    this.clearErrors();
    this.requestId = this.stream.send(body);
    this.status = "waiting";
    this.started = performance.now();
    this.showStrip();
  }

  onHeader(msg) {
    const log = { x: this.body.x?.scale === "log", y: this.body.y?.scale === "log" };
    this.data = new this.parts.MapData(msg, log, this.data);
    this.hover = null;
    this.status = "streaming";
    this.paint();
  }

  onRows(msg) {
    if (!this.data) return;
    this.data.addRows(msg);
    this.paint();
  }

  onDone(msg) {
    if (!this.data) return;
    this.data.finished = true;
    this.status = "done";
    this.cached = Boolean(msg.cached);
    this.elapsed = (performance.now() - this.started) / 1000;
    this.paint();
  }

  onError(detail) {
    this.status = "error";
    this.showErrors(detail);
    this.showStrip();
  }

  /** A 422's messages next to the control each names (loc: ["body", "x", "range"]). */
  showErrors(detail) {
    this.clearErrors();
    for (const d of detail) {
      const loc = (d.loc || []).filter((p) => p !== "body");
      const name = ["run", "x", "y"].includes(loc[0]) && this.fields[loc[0]] ? loc[0] : "res";
      const f = this.fields[name];
      if (!f) continue;
      const where = loc.length > 1 && name !== "res" ? `${loc.slice(1).join(".")}: ` : loc.length && name === "res" ? `${loc.join(".")}: ` : "";
      f.error.textContent = [f.error.textContent, `${where}${d.msg}`].filter(Boolean).join("\n");
      f.node.classList.add("has-error");
    }
  }

  clearErrors() {
    for (const f of Object.values(this.fields)) {
      f.error.textContent = "";
      f.node.classList.remove("has-error");
    }
  }

  // --------------------------------------------------------------- painting

  paint() {
    if (!this.parts) return;
    const d = this.data;
    if (d && this.map.on && d.kind === "basin" && this.map.kind === "basin") this.basin.show(d);
    if (d && this.map.on && d.kind === "sweep" && this.map.kind === "sweep") {
      const name = this.catalog.optimizer(d.optimizer)?.name || d.optimizer;
      this.sweep.show(d, {
        colorBy: this.map.color,
        title: t(this.map.color === "steps" ? "map.sweepTitleSteps" : "map.sweepTitle", { name, steps: d.steps }),
        height: this.contour.gd.clientHeight || undefined,
      });
    }
    this.showStrip();
  }

  updateMarker() {
    if (this.map.kind !== "sweep" || !this.sweep) return;
    const row = this.scene.state.rows[this.map.run];
    const { x, y } = this.axesNow();
    const point = row && x && y ? [this.valueOf(row, x), this.valueOf(row, y)] : null;
    if (JSON.stringify(point) !== JSON.stringify(this.sweep.marker)) this.sweep.setMarker(point);
  }

  valueOf(row, axis) {
    const v = valueOf(row.params, this.catalog.param(row.optimizer, axis.param));
    return axis.index === null || axis.index === undefined ? v : v?.[axis.index] ?? null;
  }

  showStrip() {
    const d = this.data;
    const s = this.strip;
    markStrip(s, { status: this.status, kind: this.map.kind, requestId: this.requestId, data: d });
    if (!this.map.on || !this.parts) return;
    this.parts.renderProgress(s, {
      status: this.status, data: d, elapsed: this.elapsed, cached: this.cached,
      noise: this.scene.state.rows[this.map.run]?.noise > 0,
      lab: usesLab(this.scene.state.rows[this.map.run] || {}),
    });
    this.parts.renderLegend(s, d, this.map, this.hover);
  }

  // ----------------------------------------------------------------- clicks

  /** Where a click on the contour puts the start: a basin cell's centre when a basin
   *  map is on screen there, else null (the point itself). */
  pickStart(x, y) {
    const d = this.data;
    if (!this.map.on || this.map.kind !== "basin" || !d || d.kind !== "basin") return null;
    const cell = d.cellAt(x, y);
    return cell ? [cell.x, cell.y] : null;
  }

  /** A sweep cell clicked: its values into the row (the sliders move), and race again. */
  pickSweep(cell) {
    const row = this.scene.state.rows[this.map.run];
    const d = this.data;
    if (!row || !d || d.kind !== "sweep") return;
    const { x, y } = this.axesNow();
    const params = {};
    for (const [axis, v] of [[x, cell.x], [y, cell.y]]) {
      if (axis.index === null || axis.index === undefined) {
        params[axis.param] = v;
      } else {
        const pair = [...(params[axis.param] || valueOf(row.params, this.catalog.param(row.optimizer, axis.param)))];
        pair[axis.index] = v;
        params[axis.param] = pair;
      }
    }
    this.store.update({ row: this.map.run, params }, { restart: true });
  }

  /** Over a basin map, the strip says what the cell under the pointer does. */
  bindHover() {
    const wrap = this.contour.wrap;
    wrap.addEventListener("pointermove", (ev) => {
      const d = this.data;
      if (!this.map.on || this.map.kind !== "basin" || !d || d.kind !== "basin") return;
      const p = this.contour.eventToData(ev);
      this.setHover(p && d.cellAt(p[0], p[1]));
    });
    wrap.addEventListener("pointerleave", () => this.setHover(null));
  }

  /** The cell under the pointer (a computed one), told in the strip. */
  setHover(cell) {
    const d = this.data;
    const next = cell && d && d.rowState(cell.j) === 2 ? cell : null;
    if (next?.k === this.hover?.k) return;
    this.hover = next;
    if (this.parts) this.parts.renderLegend(this.strip, d, this.map, next);
  }

  /** For tests and the curious (mappanel.js's window.__optplayMap): what the map holds. */
  info() {
    const d = this.data;
    return {
      status: this.status, requestId: this.requestId, on: this.map.on, kind: this.map.kind,
      shape: d ? [d.ny, d.nx] : null, x: d?.x ?? null, y: d?.y ?? null, minima: d?.minima ?? null,
      xParam: d?.xParam ?? null, yParam: d?.yParam ?? null, rowsDone: d?.rowsDone ?? 0,
      counts: d ? d.counts() : null,
      // What is on screen: the basin canvas's cells, or the sweep heatmap's z.
      basinImage: this.basin?.data ? [this.basin.image.height, this.basin.image.width] : null,
      sweepImage: this.sweep?.data ? [this.sweep.cells.image.height, this.sweep.cells.image.width] : null,
    };
  }

  cells() {
    const d = this.data;
    return d && { minimum: [...d.minimum], stepsTo: [...d.stepsTo], diverged: [...d.diverged], loss: [...d.loss].map((v) => (Number.isFinite(v) ? v : null)) };
  }
}
