// Fair races: "Tune lr" asks POST /api/v1/tune for each row's best lr (log-spaced values
// around its PyTorch default, each over the scene's steps with its scheduler and noise),
// sets every row's lr to it through the store, races them again, and draws the curves
// the lrs were chosen from (tunechart.js, loaded with the first tuning).
//
// The tuning stands for the scene as it was asked: a change to anything but an lr
// (surface, start, steps, rows, a row's other settings) cancels one in flight and
// clears the curves; a row's lr changes nothing a tuning measured. Pressing the button
// again while it runs cancels it. The objective is this panel's own (not in the URL):
// it shapes one request, not the scene.

import { t } from "./i18n.js";
import { el } from "./dom.js";
import { numText } from "./format.js";
import { runRequest } from "./state.js";

const N_VALUES = 64; // lr values per row (fewer if the server allows fewer: data-max-n)
// What a tuning depends on (store.js's `what`): a change to anything else keeps it.
const SCENE = ["surface", "formula", "start", "steps", "rows", "row"];

let charts = null; // tunechart.js, once a tuning has been asked for
const loadCharts = () => import("./tunechart.js").then((m) => { charts = m; });

/** POST /api/v1/tune. Resolves {ok: true, answer} or {ok: false, status, detail}. */
export async function postTune(body, signal) {
  const res = await fetch("/api/v1/tune", {
    method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body), signal,
  });
  let payload = null;
  try {
    payload = await res.json();
  } catch (e) {
    // a body that is not JSON keeps the HTTP status as its message
  }
  if (res.ok) return { ok: true, answer: payload };
  const detail = Array.isArray(payload?.detail) ? payload.detail : [{ loc: [], msg: `HTTP ${res.status}` }];
  return { ok: false, status: res.status, detail };
}

/** The request's runs with every lr left out: two states with the same signature are
 *  tuned alike. */
export function tuneSignature(body) {
  const runs = body.runs.map((run) => {
    const params = { ...run.params };
    delete params.lr;
    if (params.optimizer && typeof params.optimizer === "object") {
      const inner = { ...(params.optimizer.params || {}) };
      delete inner.lr;
      params.optimizer = { ...params.optimizer, params: inner };
    }
    return { ...run, params };
  });
  return JSON.stringify({ ...body, runs });
}

export class TunePanel {
  constructor(host, { store, catalog, scene }) {
    this.host = host;
    this.store = store;
    this.catalog = catalog;
    this.scene = scene;
    this.objective = "final_loss";
    this.ctrl = null; // the request in flight
    this.result = null; // {answer, rows, signature, seconds}
    this.status = "idle"; // idle | running | done | error | cancelled
    this.message = null; // [i18n key, vars] of the status line
    this.error = null; // {detail, rows} of the last refusal
    this.requests = 0;
    this.n = Math.max(4, Math.min(N_VALUES, Number(host.dataset.maxN) || N_VALUES));
    this.build();
    store.subscribe(({ what, from }) => this.changed(what, from));
  }

  get state() {
    return this.store.state;
  }

  build() {
    const host = this.host;
    host.replaceChildren();
    this.button = el("button", { type: "button", class: "btn tune-btn", "aria-describedby": "tune-help" });
    this.button.addEventListener("click", () => (this.ctrl ? this.cancel("cancelled") : this.start()));
    this.select = el("select", { id: "tune-objective", class: "tune-objective" });
    for (const [value, key] of [["final_loss", "tune.objLoss"], ["steps", "tune.objSteps"]]) {
      this.select.append(el("option", { value, text: t(key), "data-key": key }));
    }
    this.select.value = this.objective;
    this.select.addEventListener("change", () => { this.objective = this.select.value; });
    this.statusLine = el("p", { class: "tune-status", role: "status", "aria-live": "polite" });
    this.errorLine = el("p", { class: "tune-error", role: "alert" });
    this.chartBox = el("div", { class: "tune-chart", hidden: true });
    this.chart = null; // a TuneChart, with the first result
    this.list = el("ul", { class: "tune-list" });
    this.label = el("label", { for: "tune-objective", class: "tune-label", text: t("tune.objective") });
    this.help = el("p", { id: "tune-help", class: "tune-help", text: t("tune.help", { n: this.n }) });
    host.append(el("div", { class: "tune-line" }, this.button, this.label, this.select),
      this.help, this.statusLine, this.errorLine, this.chartBox, this.list);
    this.show();
  }

  /** A state change: a new scene cancels or clears the tuning; a new language relabels. */
  changed(what, from) {
    if (what.has("lang")) this.relabel();
    else if (what.has("look") && this.result) this.draw();
    if (from === this || !SCENE.some((w) => what.has(w))) return;
    const sig = this.signature();
    if (this.ctrl && sig !== this.ctrl.signature) this.cancel("stale");
    if (this.result && sig !== this.result.signature) {
      this.result = null;
      if (this.status === "done") this.setStatus("idle");
      this.draw();
    }
    this.show();
  }

  body() {
    return { ...runRequest(this.state, this.catalog), objective: this.objective, n: this.n };
  }

  signature() {
    const b = this.body();
    delete b.objective;
    return tuneSignature(b);
  }

  async start() {
    if (!this.state.rows.length) return;
    const body = this.body();
    const ctrl = new AbortController();
    ctrl.signature = this.signature();
    this.ctrl = ctrl;
    this.requests++;
    const rows = [...this.state.rows];
    const t0 = performance.now();
    this.setError(null);
    this.setStatus("running", "tune.running", { runs: rows.length, n: this.n });
    let res;
    try {
      // The chart's module comes while the server tunes.
      [res] = await Promise.all([postTune(body, ctrl.signal), loadCharts()]);
    } catch (e) {
      if (this.ctrl !== ctrl) return; // cancelled: said so already
      res = { ok: false, detail: [{ loc: [], msg: String(e.message || e) }] };
    }
    if (this.ctrl !== ctrl) return;
    this.ctrl = null;
    if (!res.ok) {
      this.setStatus("error");
      this.setError({ detail: res.detail, rows });
      return;
    }
    const seconds = (performance.now() - t0) / 1000;
    const before = body.runs.map((run) => (run.optimizer === "lookahead" ? run.params.optimizer?.params?.lr : run.params.lr));
    this.result = { answer: res.answer, rows, before, signature: ctrl.signature, objective: body.objective };
    this.apply(res.answer, rows);
    this.setStatus("done", "tune.done", { s: seconds.toFixed(2) });
    this.draw();
  }

  /** Every row with a best lr takes it; the race starts again from step 0. */
  apply(answer, rows) {
    answer.runs.forEach((run, i) => {
      const row = rows[i];
      const index = this.state.rows.indexOf(row);
      if (run.best_lr === null || index < 0) return;
      if (row.optimizer === "lookahead" && row.params.optimizer) {
        const inner = row.params.optimizer;
        this.store.update({ row: index, params: { optimizer: { ...inner, params: { ...(inner.params || {}), lr: run.best_lr } } } }, { from: this });
      } else {
        this.store.update({ row: index, params: { lr: run.best_lr } }, { from: this });
      }
    });
    this.store.recompute({ restart: true });
  }

  cancel(why) {
    if (!this.ctrl) return;
    this.ctrl.abort();
    this.ctrl = null;
    this.setStatus("cancelled", why === "stale" ? "tune.stale" : "tune.cancelled");
  }

  setStatus(status, key = null, vars = {}) {
    this.status = status;
    this.message = key ? [key, vars] : null;
    this.show();
  }

  setError(error) {
    this.error = error;
    this.show();
  }

  /** Every word again, in the language just chosen. */
  relabel() {
    this.label.textContent = t("tune.objective");
    this.help.textContent = t("tune.help", { n: this.n });
    for (const o of this.select.options) o.textContent = t(o.dataset.key);
    this.show();
    this.draw();
  }

  errorText(detail, rows) {
    return detail.map((d) => {
      const loc = (d.loc || []).filter((x) => x !== "body");
      const at = loc.indexOf("runs");
      const row = at >= 0 ? rows[loc[at + 1]] : null;
      const field = (at >= 0 ? loc.slice(at + 2) : loc).join(".");
      const msg = field ? `${field}: ${d.msg}` : d.msg;
      return row ? t("tune.errorRow", { row: this.rowName(row, loc[at + 1]), msg }) : t("tune.error", { msg });
    }).join("\n");
  }

  rowName(row, i) {
    const opt = this.catalog.optimizer(row.optimizer);
    return `${i + 1}. ${opt ? opt.name : row.optimizer}`;
  }

  show() {
    const running = Boolean(this.ctrl);
    this.button.textContent = running ? t("tune.cancel") : t("tune.button");
    this.button.title = running ? t("tune.cancelTitle") : t("tune.title");
    this.button.classList.toggle("is-running", running);
    this.button.disabled = !running && !this.state.rows.length;
    // "steps to a minimum" needs a surface with a known minimum (a saddle has none)
    const surface = this.scene.surface;
    const steps = this.select.querySelector('option[value="steps"]');
    const noMinimum = Boolean(surface) && !surface.minima?.length;
    steps.disabled = noMinimum;
    if (noMinimum && this.objective === "steps") {
      this.objective = "final_loss";
      this.select.value = "final_loss";
    }
    this.select.title = noMinimum ? t("tune.noMinimum") : "";
    this.statusLine.textContent = this.message ? t(...this.message) : "";
    this.statusLine.hidden = !this.message;
    this.errorLine.textContent = this.error ? this.errorText(this.error.detail, this.error.rows) : "";
    this.errorLine.hidden = !this.error;
    this.host.dataset.state = this.status;
    this.host.dataset.requests = String(this.requests);
  }

  /** The curves and the list of what each row took, or nothing. */
  draw() {
    const r = this.result;
    this.list.replaceChildren();
    if (!r) {
      this.chartBox.hidden = true;
      this.chart?.clear();
      return;
    }
    const { answer, rows } = r;
    const { TuneChart, objectiveText } = charts;
    this.chart ||= new TuneChart(this.chartBox);
    const curves = [];
    answer.runs.forEach((run, i) => {
      const row = rows[i];
      const name = this.rowName(row, i);
      const chip = el("span", { class: "chip", "aria-hidden": "true" });
      chip.style.background = row.color;
      let text;
      if (run.note && run.chosen === null) {
        text = t(`tune.note.${run.note}`, { name, steps: answer.race.steps });
      } else {
        const was = r.before[i] ?? run.default_lr;
        const lr = was !== run.best_lr ? `${numText(was)} → ${numText(run.best_lr)}` : numText(run.best_lr);
        text = t("tune.took", { name, lr, what: objectiveText(answer.objective, run.objective[run.chosen]) });
        if (run.method === "single") text += ` ${t("tune.single", { n: run.lr.length })}`;
      }
      this.list.append(el("li", { "data-row": String(i) }, chip, el("span", { text })));
      if (run.lr.length) curves.push({ label: name, color: row.color, lr: run.lr, y: run.objective, chosen: run.chosen });
    });
    this.chartBox.hidden = !curves.length;
    if (curves.length) this.chart.set(curves, answer.objective, answer.race.steps, answer.race.runs[0]?.loss[0]);
    else this.chart.clear();
  }
}
