// The curves a tuning chose from (tune.js): per row, its objective against lr on a log
// axis, in the row's colour, the chosen lr marked with a diamond. Values where the run
// diverged are gaps (the curve stops where the lr is too large).

/* global Plotly */

import { t } from "./i18n.js";
import { fmt } from "./format.js";
import { escapeHtml } from "./inspectdom.js";
import { LOOK } from "./table.js";
import { plotLocale } from "./plotlocale.js";

export class TuneChart {
  constructor(host) {
    this.host = host;
    this.gd = document.createElement("div");
    this.gd.className = "tune-graph";
    host.append(this.gd);
    this.spec = null;
    this.observer = new ResizeObserver(() => this.render());
    this.observer.observe(host);
  }

  /** curves: [{label, color, lr: [...], y: [...|null], chosen: index|null}]; objective:
   *  "final_loss" | "steps"; steps: the scene's; start: the loss at the start (a final
   *  loss far above it leaves through the top instead of flattening every curve). */
  set(curves, objective, steps, start) {
    this.spec = { curves, objective, steps, start };
    this.render();
  }

  clear() {
    this.spec = null;
    if (this.drawn) Plotly.purge(this.gd);
    this.drawn = false;
  }

  render() {
    const spec = this.spec;
    const w = this.host.clientWidth;
    if (!spec || !w || typeof Plotly === "undefined") return;
    const loss = spec.objective === "final_loss";
    const values = spec.curves.flatMap((c) => c.y.filter((v) => v !== null));
    const ylog = loss && values.length > 0 && values.every((v) => v > 0);
    const what = loss ? t("tune.axisLoss") : t("tune.axisSteps");
    const yrange = loss ? lossRange(values, spec.start, ylog) : null;
    const traces = [];
    for (const c of spec.curves) {
      const name = escapeHtml(c.label);
      traces.push({
        type: "scatter", mode: "lines+markers", x: c.lr, y: c.y, connectgaps: false,
        line: { color: c.color, width: 1.6 }, marker: { color: c.color, size: 3.5 },
        hovertemplate: `${name}<br>lr %{x:.3g}: ${escapeHtml(what)} %{y:.4g}<extra></extra>`,
      });
      if (c.chosen !== null) {
        traces.push({
          type: "scatter", mode: "markers", x: [c.lr[c.chosen]], y: [c.y[c.chosen]],
          marker: { color: c.color, size: 12, symbol: "diamond", line: { color: "#fff", width: 1.5 } },
          hovertemplate: `${name}<br>${escapeHtml(t("tune.chosen"))}: lr %{x:.3g}, ${escapeHtml(what)} %{y:.4g}<extra></extra>`,
        });
      }
    }
    const muted = getComputedStyle(document.documentElement).getPropertyValue("--fg-muted").trim() || "#475467";
    const layout = {
      width: w, height: this.host.clientHeight || 210,
      margin: { l: ylog ? 58 : 50, r: 10, t: 26, b: 38 },
      title: { text: escapeHtml(loss ? t("tune.chartLoss", { steps: spec.steps }) : t("tune.chartSteps")),
        font: { size: 12 }, x: 0, xanchor: "left", xref: "paper", y: 0.98 },
      xaxis: { type: "log", title: { text: escapeHtml(t("tune.axisLr")), standoff: 4 }, exponentformat: "power",
        gridcolor: "rgba(128,128,128,0.15)", zeroline: false },
      yaxis: { type: ylog ? "log" : "linear", title: { text: escapeHtml(what), standoff: 4 }, exponentformat: "power",
        gridcolor: "rgba(128,128,128,0.15)", zeroline: false, nticks: 5,
        ...(yrange ? { range: yrange, autorange: false } : {}) },
      showlegend: false, hovermode: "closest", dragmode: false,
      paper_bgcolor: "rgba(0,0,0,0)", plot_bgcolor: "rgba(0,0,0,0)",
      font: { family: LOOK.font, size: 10.5, color: muted },
    };
    Plotly.react(this.gd, traces, layout, { displayModeBar: false, responsive: false, doubleClick: false, locale: plotLocale() });
    this.drawn = true;
  }
}

/** A short text for one value of the objective. */
export function objectiveText(objective, v) {
  if (v === null || v === undefined) return t("tune.diverged");
  return objective === "final_loss" ? t("tune.resultLoss", { f: fmt(v, 3) }) : t("tune.resultSteps", { k: v });
}

/** The y range of final losses: from the lowest to the start's loss (padded; in log10
 *  units on a log axis), or null when every value lies below the start's anyway. */
export function lossRange(values, start, log) {
  if (!values.length || !Number.isFinite(start)) return null;
  const lo = Math.min(...values), hi = Math.max(...values);
  if (hi <= start || !(start > lo)) return null;
  if (log) {
    const a = Math.log10(lo), b = Math.log10(start);
    const pad = Math.max(0.3, 0.08 * (b - a));
    return [a - pad, b + 2 * pad];
  }
  const pad = 0.06 * (start - lo);
  return [lo - pad, start + 2 * pad];
}
