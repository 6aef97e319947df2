// "Inside the optimizer": a collapsible panel under the readout with, per visible run, the
// optimizer's state at the step shown under PyTorch's names, the gradient, the step
// taken and the lr (definitions in stepdata.js), plus an effective step chart for
// adaptive methods. Its header also holds the switch for the arrows on the contour.
//
// The state costs bytes, so the scene asks the server for it (`"state": true`) only while
// the panel is open or the arrows are on; opening either recomputes if it is missing.

import { t } from "./i18n.js";
import { fmt } from "./format.js";
import { el, escapeHtml } from "./inspectdom.js";
import { ARROW_KINDS } from "./arrows.js";
import { StripChart } from "./stripchart.js";
import { effectiveSteps, heldStateNames, isAdaptive, isPair, valuesAt } from "./stepdata.js";
import { StateDictBox, gradWords, labNote, labRows, labValues } from "./inspectlab.js";

const FILL_EVERY_MS = 120;

export class Inspector {
  /** section: an empty element to fill; arrows: the contour's ArrowLayer. */
  constructor(section, { scene, contour, arrows }) {
    this.section = section;
    this.scene = scene;
    this.contour = contour;
    this.arrows = arrows;
    this.runs = [];
    this.steps = 0;
    this.k = 0;
    this.cards = [];
    this.lastFill = 0;
    this.fillTimer = 0;
    this.stateDict = { open: false }; // the cards' optimizer.state_dict() open or not
    section.classList.add("inspector");
    // Above this many steps the server does not send the state (it would be megabytes).
    this.maxStateSteps = Number(section.dataset.maxStateSteps) || Infinity;
    scene.maxStateSteps = this.maxStateSteps;
    this.build();
    this.arrows.enabled = Boolean(scene.state.arrows);
    this.apply();
  }

  get open() {
    return Boolean(this.scene.state.inspect);
  }

  build() {
    const bodyId = "insp-body";
    this.toggle = el("button", { type: "button", class: "insp-toggle", "aria-expanded": "false", "aria-controls": bodyId });
    this.toggleText = el("span");
    this.toggle.append(el("span", { class: "chev", "aria-hidden": "true" }), this.toggleText);
    this.arrowBox = el("input", { type: "checkbox", id: "arrows-toggle" });
    this.arrowText = el("span");
    this.legend = el("span", { class: "arrow-legend" });
    this.limitNote = el("p", { class: "insp-limit", role: "status" });
    const head = el("div", { class: "insp-bar" },
      el("h3", { class: "insp-h" }, this.toggle),
      el("label", { class: "check arrows-check" }, this.arrowBox, this.arrowText),
      this.legend, this.limitNote);
    this.definition = el("p", { class: "insp-def" });
    this.cardBox = el("div", { class: "insp-cards" });
    this.body = el("div", { id: bodyId, class: "insp-body", hidden: true }, this.definition, this.cardBox);
    this.section.append(head, this.body);

    this.toggle.addEventListener("click", () => this.scene.store.update({ inspect: !this.open }));
    this.arrowBox.addEventListener("change", () => this.scene.store.update({ arrows: this.arrowBox.checked }));
    // The scene asks for the optimizer's state when a switch now needs it.
    this.scene.store.subscribe(({ what }) => {
      if (!what.has("inspect") && !what.has("arrows")) return;
      this.arrows.enabled = Boolean(this.scene.state.arrows);
      this.apply();
      this.contour.draw();
    });
    this.relabel();
  }

  /** Reflect state.inspect / state.arrows on the controls. */
  apply() {
    this.toggle.setAttribute("aria-expanded", String(this.open));
    this.body.hidden = !this.open;
    this.section.classList.toggle("is-open", this.open);
    this.arrowBox.checked = this.arrows.enabled;
    this.legend.hidden = !this.arrows.enabled;
    this.showLimit();
    if (this.open) this.render(true);
  }

  /** Too many steps for the state: say so instead of waiting for it. */
  tooManySteps() {
    return this.steps > this.maxStateSteps || this.scene.state.steps > this.maxStateSteps;
  }

  showLimit() {
    const blocked = (this.open || this.arrows.enabled) && this.tooManySteps();
    this.limitNote.textContent = blocked ? t("insp.tooMany", { n: this.maxStateSteps }) : "";
    this.limitNote.hidden = !blocked;
  }

  relabel() {
    this.toggleText.textContent = t("insp.title");
    this.toggle.title = t("insp.definition");
    this.definition.textContent = t("insp.definition");
    this.arrowText.textContent = t("arrows.toggle");
    this.arrowBox.parentElement.title = t("arrows.tooltip");
    this.legend.title = t("arrows.tooltip");
    this.legend.replaceChildren(...ARROW_KINDS.map((look) => el("span", { class: "legend-item" }, arrowSample(look), el("span", { text: t(`arrows.${look.kind}`) }))));
    this.signature = null;
    if (this.open) this.render(true);
  }

  /** New data: while a stream arrives, the cards follow once a frame at most. */
  setRuns(runs, steps, { final = true } = {}) {
    this.runs = runs;
    this.steps = steps;
    this.showLimit();
    if (!this.open) return;
    if (final) {
      cancelAnimationFrame(this.renderFrame);
      this.renderFrame = 0;
      this.render(true);
    } else if (!this.renderFrame) {
      this.renderFrame = requestAnimationFrame(() => {
        this.renderFrame = 0;
        if (this.open) this.render(false);
      });
    }
  }

  setStep(k) {
    this.k = k;
    if (!this.open) return;
    for (const c of this.cards) c.chart?.setStep(k);
    // While playing, the numbers change faster than anyone reads them, and each change
    // lays out every card: about 8 updates a second then, and the last step once it stops.
    clearTimeout(this.fillTimer);
    if (this.scene.player.playing && performance.now() - this.lastFill < FILL_EVERY_MS) {
      this.fillTimer = setTimeout(() => this.fillNow(), FILL_EVERY_MS);
      return;
    }
    this.fillNow();
  }

  fillNow() {
    this.lastFill = performance.now();
    this.fill();
  }

  /** Rebuild the cards when the runs' make-up changed, then fill in the numbers. */
  render(final) {
    const shown = this.runs.map((run, index) => ({ run, index })).filter(({ run }) => run.visible);
    // A run being recomputed, or whose state is on its way after its path, has no state
    // yet: its card stays as it is (its state rows say "—" meanwhile) rather than being
    // rebuilt twice per slider move.
    const waiting = (run) => run.computing || run.stateComing;
    const before = (index) => this.cards.find((c) => c.index === index);
    const names = ({ run, index }) => (run.state ? heldStateNames(run).join(",")
      : (waiting(run) && before(index)?.names) || "-");
    const evals = ({ run, index }) => (run.evals ? "evals" : waiting(run) && before(index)?.evals ? "evals" : "");
    // Its label (which names its hyperparameters) is updated in place.
    const signature = shown.map((s) => [s.index, s.run.color, names(s), s.run.lrs ? "groups" : "",
      evals(s), s.run.row?.zero_grad].join("|")).join("\n");
    if (signature !== this.signature) {
      this.signature = signature;
      for (const c of this.cards) c.chart?.destroy();
      this.cards = shown.map(({ run, index }) => this.card(run, index));
      this.cardBox.replaceChildren(...this.cards.map((c) => c.root));
      if (!shown.length) this.cardBox.append(el("p", { class: "insp-note", text: t("insp.empty") }));
    }
    this.cards.forEach((c, i) => {
      c.run = shown[i].run;
      if (c.name.textContent !== c.run.label) Object.assign(c.name, { textContent: c.run.label, title: c.run.label });
      if (final && c.chart) this.chartData(c);
    });
    this.fill(true);
  }

  card(run, index) {
    const root = el("article", { class: "insp-card", "data-run": String(index) });
    root.style.setProperty("--run-color", run.color);
    const stepText = el("span", { class: "insp-step" });
    const name = el("span", { class: "insp-name", text: run.label, title: run.label });
    root.append(el("header", {}, el("span", { class: "swatch" }), name, stepText));
    const note = el("p", { class: "insp-note" });
    const table = el("table", { class: "insp-table" });
    const head = table.createTHead().insertRow();
    for (const text of ["", "x", "y"]) head.append(el("th", { scope: "col", text }));
    const body = table.createTBody();
    const cells = {};
    const row = (name, label, tip, kind) => {
      const tr = el("tr", { "data-name": name, title: tip });
      tr.append(el("th", { scope: "row" }, label));
      cells[name] = kind === "pair"
        ? [0, 1].map((i) => tr.appendChild(el("td", { class: "num", "data-i": String(i) })))
        : [tr.appendChild(el("td", { class: "num", colspan: "2" }))];
      body.append(tr);
    };
    const grad = gradWords(run);
    row("grad", symbol("g", grad.words), grad.tip, "pair");
    row("update", symbol("Δθ", t("insp.update")), t("insp.updateTip"), "pair");
    row("lr", el("code", { text: "lr" }), t("insp.lrTip"), "scalar");
    for (const extra of labRows(run)) row(extra.name, extra.label, extra.tip, extra.kind);
    if (run.state) {
      body.append(el("tr", { class: "insp-sep" }, el("th", { colspan: "3", scope: "rowgroup", text: t("insp.state") })));
      for (const name of heldStateNames(run)) {
        const sample = run.state[name].find((v) => v !== null);
        row(name, el("code", { text: name }), t("insp.stateTip", { name }), isPair(sample) ? "pair" : "scalar");
      }
    }
    const labLine = el("p", { class: "insp-lab-note" });
    const stateDict = new StateDictBox(this.stateDict, this.scene.catalog);
    root.append(note, table, labLine, stateDict.node);
    const stateNames = run.state ? heldStateNames(run) : [];
    const c = { root, run, index, name, cells, note, table, stepText, chart: null,
      names: stateNames.join(",") || "-", evals: Boolean(run.evals), stateNames, labLine, stateDict };
    if (run.state && isAdaptive(run)) {
      const chartBox = el("div", { class: "insp-eff-chart" });
      root.append(el("div", { class: "insp-eff" },
        el("p", { class: "insp-eff-title", title: t("eff.tooltip") },
          el("span", { text: t("eff.title") }),
          el("span", { class: "insp-eff-key" }, lineKey(false), " x ", lineKey(true), " y")),
        chartBox));
      c.chart = new StripChart(chartBox, { onScrub: (k) => { this.scene.player.pause(); this.scene.player.seek(k); } });
      c.chart.k = this.k;
    }
    return c;
  }

  chartData(c) {
    const run = c.run;
    if (!run.state || !run.grad) return;
    // Redrawn only for new data (not for a new label alone: see losschart.js); the
    // series are made when the chart is drawn.
    const seen = [run.state, run.grad, run.path.length, this.steps, t("loss.step")];
    if (c.seen && seen.every((v, i) => v === c.seen[i])) return;
    c.seen = seen;
    const steps = this.steps;
    c.chart.setData(() => {
      const { x, y } = effectiveSteps(run);
      const label = escapeHtml(run.label);
      const traces = ["x", "y"].map((axis, i) => ({
        type: "scatter", mode: "lines", name: axis, x, y: y[i], connectgaps: false,
        line: { color: run.color, width: 1.5, dash: i ? "dash" : "solid" },
        hovertemplate: `${label} · ${axis}<br>${t("loss.step")} %{x}: %{y:.4g}<extra></extra>`,
      }));
      return { traces, xmax: steps, ylog: true, ytitle: "|Δθᵢ|/|gᵢ|", xtitle: t("loss.step") };
    });
  }

  /** The numbers for the step shown (only when the whole step or the data changed). */
  fill(force = false) {
    for (const c of this.cards) {
      const v = valuesAt(c.run, this.k);
      const key = v ? `${v.step}:${v.hasState}` : "none";
      if (!force && c.shown === key && c.shownRun === c.run) continue;
      c.shown = key;
      c.shownRun = c.run;
      c.stepText.textContent = v ? t("insp.step", { k: v.step }) : "";
      let note = "";
      if (!v) note = t("status.computing");
      // Over the server's limit the state never comes: say so at every step, 0 included.
      else if (!v.hasState && this.tooManySteps()) note = t("insp.tooMany", { n: this.maxStateSteps });
      else if (v.step === 0) note = t("insp.zero");
      else if (!v.hasState) note = t("insp.loading");
      c.note.textContent = note;
      c.note.hidden = !note;
      c.table.hidden = !v || v.step === 0;
      if (!v) continue;
      put(c.cells.grad, v.grad);
      put(c.cells.update, v.delta);
      put(c.cells.lr, v.lr);
      if (v.hasState) {
        for (const [name, value] of Object.entries(v.state)) if (c.cells[name]) put(c.cells[name], value);
      } else {
        for (const name of c.stateNames) for (const td of c.cells[name] || []) Object.assign(td, { textContent: "—", title: "" });
      }
      c.root.classList.toggle("is-stale", !v.hasState && c.stateNames.length > 0);
      if (v.step > 0) for (const [name, value] of Object.entries(labValues(c.run, v.step))) if (c.cells[name]) put(c.cells[name], value);
      const lab = labNote(c.run, v.step);
      c.labLine.textContent = lab;
      c.labLine.hidden = !lab;
      c.stateDict.update(c.run, v.step);
    }
  }
}

/** Write a value into its cells: a pair in two, anything else in one. */
function put(cells, value) {
  if (cells.length === 2) {
    const pair = isPair(value) ? value : [null, null];
    cells.forEach((td, i) => {
      td.textContent = pair[i] === null ? "—" : fmt(pair[i]);
      td.title = pair[i] === null ? "" : String(pair[i]);
    });
    return;
  }
  const td = cells[0];
  td.title = "";
  if (value === null || value === undefined) {
    td.textContent = "None";
    td.title = t("insp.noneTip");
  } else if (typeof value === "number") {
    td.textContent = fmt(value);
    td.title = String(value);
  } else if (typeof value === "boolean") {
    td.textContent = value ? "True" : "False";
  } else if (Array.isArray(value)) {
    // LBFGS's histories: a count, with the latest items in the tooltip.
    const pairs = value.length > 0 && value.every(isPair);
    td.textContent = pairs ? t("insp.pairs", { n: value.length }) : t("insp.values", { n: value.length });
    td.title = value.slice(-3).map((x) => (isPair(x) ? `(${fmt(x[0])}, ${fmt(x[1])})` : fmt(x))).join("  ");
  } else {
    td.textContent = String(value);
  }
}

function symbol(sym, words) {
  return el("span", { class: "insp-sym" }, el("b", { text: sym }), " ", el("span", { class: "insp-words", text: words }));
}

/** A short line sample for the effective step chart's key (solid x, dashed y). */
function lineKey(dashed) {
  const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
  svg.setAttribute("viewBox", "0 0 22 8");
  svg.setAttribute("class", "line-key");
  svg.setAttribute("aria-hidden", "true");
  const line = document.createElementNS(svg.namespaceURI, "line");
  for (const [k, v] of Object.entries({ x1: 1, y1: 4, x2: 21, y2: 4, "stroke-width": 2, "stroke-dasharray": dashed ? "4 3" : "" })) line.setAttribute(k, v);
  svg.append(line);
  return svg;
}

/** The legend's picture of one arrow kind, drawn as on the contour. */
function arrowSample(look) {
  const canvas = el("canvas", { class: "arrow-sample", width: "72", height: "24", "aria-hidden": "true" });
  const ctx = canvas.getContext("2d");
  ctx.scale(2, 2);
  ctx.lineCap = "round";
  ctx.strokeStyle = ctx.fillStyle = "#3d4556";
  ctx.lineWidth = look.width * 0.8;
  ctx.setLineDash(look.dash);
  ctx.beginPath();
  ctx.moveTo(3, 6);
  ctx.lineTo(look.head === "open" ? 32 : 27, 6);
  ctx.stroke();
  ctx.setLineDash([]);
  ctx.beginPath();
  ctx.moveTo(26, 2.5);
  ctx.lineTo(33, 6);
  ctx.lineTo(26, 9.5);
  if (look.head !== "open") {
    ctx.closePath();
    if (look.head === "hollow") ctx.fillStyle = "#fff";
    ctx.fill();
  }
  ctx.lineWidth = 1.4;
  ctx.stroke();
  return canvas;
}
