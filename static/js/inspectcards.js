// The cards of "Inside the optimizer" (inspector.js): per visible run, the state at the
// step shown, the gradient, the step taken, the lr, the lab's rows and state_dict(), and
// the effective step chart. Loaded when the inspector first opens: a closed one has no
// cards. The functions work on the Inspector (its runs, step and card list).

import { t } from "./i18n.js";
import { fmt } from "./format.js";
import { el, escapeHtml } from "./inspectdom.js";
import { StripChart } from "./stripchart.js";
import { effectiveSteps, heldStateNames, isAdaptive, isPair, valuesAt } from "./stepdata.js";
import { StateDictBox, gradWords, labNote, labRows, labValues, loadStateDict } from "./inspectlab.js";

/** Resolves once the cards' state_dict() printer is here too (a card opens it at once). */
export const ready = loadStateDict();

/** Rebuild the cards when the runs' make-up changed, then fill in the numbers. */
export function render(insp, final) {
  const shown = insp.runs.map((run, index) => ({ run, index })).filter(({ run }) => run.visible);
  // A run being recomputed, or whose state is on its way after its path, has no state
  // yet: its card stays as it is (its state rows say "—" meanwhile) rather than being
  // rebuilt twice per slider move.
  const waiting = (run) => run.computing || run.stateComing;
  const before = (index) => insp.cards.find((c) => c.index === index);
  const names = ({ run, index }) => (run.state ? heldStateNames(run).join(",")
    : (waiting(run) && before(index)?.names) || "-");
  const evals = ({ run, index }) => (run.evals ? "evals" : waiting(run) && before(index)?.evals ? "evals" : "");
  // Its label (which names its hyperparameters) is updated in place.
  const signature = shown.map((s) => [s.index, s.run.color, names(s), s.run.lrs ? "groups" : "",
    evals(s), s.run.row?.zero_grad].join("|")).join("\n");
  if (signature !== insp.signature) {
    insp.signature = signature;
    for (const c of insp.cards) c.chart?.destroy();
    insp.cards = shown.map(({ run, index }) => card(insp, run, index));
    insp.cardBox.replaceChildren(...insp.cards.map((c) => c.root));
    if (!shown.length) insp.cardBox.append(el("p", { class: "insp-note", text: t("insp.empty") }));
  }
  insp.cards.forEach((c, i) => {
    c.run = shown[i].run;
    if (c.name.textContent !== c.run.label) Object.assign(c.name, { textContent: c.run.label, title: c.run.label });
    if (final && c.chart) chartData(insp, c);
  });
  fill(insp, true);
}

function card(insp, run, index) {
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
  const stateDict = new StateDictBox(insp.stateDict, insp.scene.catalog);
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
    c.chart = new StripChart(chartBox, { onScrub: (k) => { insp.scene.player.pause(); insp.scene.player.seek(k); } });
    c.chart.k = insp.k;
  }
  return c;
}

function chartData(insp, c) {
  const run = c.run;
  if (!run.state || !run.grad) return;
  // Redrawn only for new data (not for a new label alone: see losschart.js); the
  // series are made when the chart is drawn.
  const seen = [run.state, run.grad, run.path.length, insp.steps, t("loss.step")];
  if (c.seen && seen.every((v, i) => v === c.seen[i])) return;
  c.seen = seen;
  const steps = insp.steps;
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
export function fill(insp, force = false) {
  for (const c of insp.cards) {
    const v = valuesAt(c.run, insp.k);
    const key = v ? `${v.step}:${v.hasState}` : "none";
    if (!force && c.shown === key && c.shownRun === c.run) continue;
    c.shown = key;
    c.shownRun = c.run;
    c.stepText.textContent = v ? t("insp.step", { k: v.step }) : "";
    let note = "";
    if (!v) note = t("status.computing");
    // Over the server's limit the state never comes: say so at every step, 0 included.
    else if (!v.hasState && insp.tooManySteps()) note = t("insp.tooMany", { n: insp.maxStateSteps });
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
