// The strip under the plots in map mode: a progress bar while rows stream in, what the
// colours mean (each minimum by its coordinates, with how many cells reach it), and, over
// a basin map, what the cell under the pointer does.

import { t } from "./i18n.js";
import { fmt } from "./format.js";
import { el } from "./controls.js";
import { DIVERGED_COLOR, NONE_COLOR, minimumColor } from "./mappaint.js";
import { SWEEP_DIVERGED } from "./mapsweep.js";

/** "(3, 2)", "(-2.81, 3.13)": a point, short. */
export function pointText(p) {
  return `(${fmt(p[0], 3)}, ${fmt(p[1], 3)})`;
}

function part(strip, cls) {
  let node = strip.querySelector(`:scope > .${cls}`);
  if (!node) {
    node = el("div", { class: cls });
    strip.append(node);
  }
  return node;
}

/** The progress bar and the line beside it. */
export function renderProgress(strip, { status, data, elapsed, cached, noise, lab = false }) {
  const box = part(strip, "map-status");
  box.innerHTML = "";
  const pct = status === "done" ? 100 : data && status === "streaming" ? Math.round(100 * data.progress) : 0;
  const bar = el("div", { class: "map-progress", role: "progressbar", "aria-valuemin": "0", "aria-valuemax": "100",
    "aria-valuenow": String(pct), "aria-label": t("map.progressLabel"), "data-status": status });
  const fill = el("span");
  fill.style.width = `${pct}%`;
  bar.append(fill);
  let text = "";
  if (status === "waiting") text = t("map.starting");
  else if (status === "streaming") text = t("map.computing", { done: (data.rowsDone * data.nx).toLocaleString(), all: (data.nx * data.ny).toLocaleString() });
  else if (status === "done") text = t(cached ? "map.doneCached" : "map.done", { n: (data.nx * data.ny).toLocaleString(), steps: data.steps, s: elapsed.toFixed(1) });
  else if (status === "error") text = t("map.failed");
  else if (status === "idle") text = t("map.nothing");
  box.append(bar, el("span", { class: "map-status-text", role: "status", text }));
  if (noise) box.append(el("span", { class: "map-note", text: t("map.noNoise") }));
  if (lab) box.append(el("span", { class: "map-note", text: t("map.noLab") }));
}

function item(color, label, count, attrs = {}, cls = "") {
  const chip = el("span", { class: `chip ${cls}`.trim(), "aria-hidden": "true" });
  if (color) chip.style.setProperty("--c", color);
  const li = el("li", attrs, chip, el("span", { class: "name", text: label }));
  if (count !== null) li.append(el("span", { class: "count", text: count }));
  return li;
}

function share(n, all) {
  return all ? `${n.toLocaleString()} · ${Math.round((100 * n) / all)}%` : "0";
}

/** What the colours mean, with counts of the rows done so far. */
export function renderLegend(strip, data, map, hover) {
  const box = part(strip, "map-key");
  box.innerHTML = "";
  const hint = t(map.kind === "basin" ? "map.clickBasin" : "map.clickSweep");
  if (!data || data.kind !== map.kind) {
    box.append(el("p", { class: "map-hint", text: hint }));
    return;
  }
  const c = data.counts();
  const list = el("ul", { class: "map-legend", "aria-label": t("map.legend") });
  if (data.kind === "basin") {
    data.minima.forEach((m, i) => list.append(item(minimumColor(i), t("map.minimumAt", { p: pointText(m) }),
      share(c.perMinimum[i], c.cells), { "data-minimum": String(i), "data-count": String(c.perMinimum[i]) })));
    list.append(item(NONE_COLOR, t("map.none", { n: data.steps }), share(c.none, c.cells), { "data-none": "", "data-count": String(c.none) }));
  } else if (map.color === "steps") {
    list.append(item(NONE_COLOR, t("map.none", { n: data.steps }), share(c.none, c.cells), { "data-none": "", "data-count": String(c.none) }));
  }
  list.append(item(data.kind === "basin" ? DIVERGED_COLOR : SWEEP_DIVERGED, t("map.diverged"), share(c.diverged, c.cells),
    { "data-diverged": "", "data-count": String(c.diverged) }, "hatched"));
  if (data.kind === "sweep") list.append(item(null, t("map.current"), null, {}, "ring"));
  box.append(list);
  if (data.kind === "basin" && c.slowest > 0) {
    box.append(el("p", { class: "map-ramp" },
      el("span", { text: t("map.fast") }), el("span", { class: "ramp", "aria-hidden": "true" }),
      el("span", { text: t("map.slow", { n: c.slowest }) })));
  }
  box.append(el("p", { class: "map-hint", text: hover ? hoverText(data, hover) : hint }));
}

function hoverText(d, cell) {
  if (d.kind === "sweep") return sweepText(d, cell);
  const from = pointText([cell.x, cell.y]);
  if (d.diverged[cell.k]) return t("map.hoverDiverged", { from });
  if (d.minimum[cell.k] < 0) return t("map.hoverNone", { from, n: d.steps });
  return t("map.hoverReached", { from, to: pointText(d.minima[d.minimum[cell.k]]), k: d.stepsTo[cell.k] });
}

function sweepText(d, cell) {
  const a = `${d.xParam} = ${fmt(cell.x, 4)}`, b = `${d.yParam} = ${fmt(cell.y, 4)}`;
  const k = cell.k;
  let what = t("map.cellDiverged");
  if (!d.diverged[k]) {
    const loss = t("map.cellLoss", { f: fmt(d.loss[k], 3) });
    const m = d.minima[d.minimum[k]];
    const end = m ? t("map.cellReached", { x: fmt(m[0], 3), y: fmt(m[1], 3), k: d.stepsTo[k] }) : t("map.cellNone", { n: d.steps });
    what = t("map.hoverJoin", { first: loss, second: end });
  }
  return t("map.hoverSweep", { a, b, what });
}
