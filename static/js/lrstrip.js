// The learning-rate strip under the loss chart: lr per step for every visible run, shown
// only while some visible run's lr changes or differs between its param groups (an LR
// scheduler, a change at a step, param groups: a constant lr needs no chart). The point
// at step k is the lr step k used (lr[k - 1] of the answer), drawn as a staircase; a run
// with param groups draws each group's lr (lrs of the answer: x solid, y dashed). A click
// or drag on it scrubs like the loss chart.

import { t } from "./i18n.js";
import { StripChart } from "./stripchart.js";
import { escapeHtml, extent } from "./inspectdom.js";

export class LRStrip {
  /** section: an empty element to fill; onScrub(k). */
  constructor(section, { onScrub }) {
    this.section = section;
    section.classList.add("lr-section");
    section.hidden = true;
    this.title = document.createElement("h3");
    this.title.id = "lr-h";
    section.setAttribute("aria-labelledby", this.title.id);
    const box = document.createElement("div");
    box.className = "lr-strip";
    this.hint = document.createElement("p");
    this.hint.className = "hint";
    section.append(this.title, box, this.hint);
    this.chart = new StripChart(box, { onScrub });
    this.runs = [];
    this.steps = 0;
    this.relabel();
  }

  relabel() {
    this.title.textContent = t("lr.title");
    this.title.title = t("lr.tooltip");
    this.hint.textContent = t("lr.hint");
    if (this.runs.length) this.setRuns(this.runs, this.steps);
  }

  setRuns(runs, steps, { final = true } = {}) {
    this.runs = runs;
    this.steps = steps;
    const shown = runs.filter((r) => r.visible);
    const wanted = shown.some(lrMoves);
    this.section.hidden = !wanted;
    if (!wanted) {
      this.seen = null;
      return;
    }
    const drawn = shown.filter((r) => r.lr && r.lr.length);
    // Nothing redrawn for data that did not change (a request just sent, which renames
    // the row: the lines are the old answer's until the new one arrives); the traces are
    // made when the chart is drawn, from the data as they are then.
    const seen = [steps, t("loss.step"), ...drawn.map((r) => [r.lr, r.lr.length, r.lrs, r.color])].flat();
    const same = this.seen && seen.length === this.seen.length && seen.every((v, i) => v === this.seen[i]);
    if (same && (!final || this.chart.partialSince == null)) return;
    this.seen = seen;
    this.chart.setData(() => {
      const traces = drawn.flatMap((r) => (r.lrs ? groupTraces(r) : [trace(r, r.lr, r.label)]));
      const all = traces.flatMap((tr) => tr.y);
      const positive = all.length > 0 && all.every((v) => v > 0);
      // A log axis once the lr spans more than two decades (ExponentialLR, long StepLR runs).
      const [lo, hi] = extent(all);
      const ylog = positive && hi / lo > 100;
      return { traces, xmax: steps, ylog, ytitle: "lr", xtitle: t("loss.step"), rangemode: ylog ? undefined : "tozero" };
    }, 100, !final);
  }

  setStep(k) {
    if (!this.section.hidden) this.chart.setStep(k);
  }
}

/** Does the run's lr change during the run, or differ between its param groups? */
export function lrMoves(run) {
  return run.scheduler || Boolean(run.lrs) || Boolean(run.row?.events?.some((e) => Object.keys(e.params).length || e.state === "reset"));
}

function trace(r, y, name, dash) {
  return {
    type: "scatter", mode: "lines", name,
    x: y.map((_, i) => i + 1), y,
    line: { color: r.color, width: 1.8, shape: "hv", dash },
    hovertemplate: `${escapeHtml(name)}<br>${t("loss.step")} %{x}: lr = %{y:.4g}<extra></extra>`,
  };
}

/** A run with param groups: group x's lr solid, group y's dashed. */
function groupTraces(r) {
  return [0, 1].map((i) => trace(r, r.lrs.map((pair) => pair[i]), `${r.label} · ${t(i ? "lr.groupY" : "lr.groupX")}`, i ? "dash" : undefined));
}
