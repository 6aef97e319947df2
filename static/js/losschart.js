// Loss versus step for every visible run, under the contour: a StripChart (Plotly lines
// redrawn only when the data change, a canvas cursor that follows the player; a click
// or drag on the chart scrubs).

import { t } from "./i18n.js";
import { escapeHtml } from "./inspectdom.js";
import { StripChart } from "./stripchart.js";

export class LossChart extends StripChart {
  constructor(wrap, { onScrub }) {
    super(wrap, { onScrub, wrapClass: "loss-wrap", graphClass: "loss-graph" });
  }

  /** New data. While a stream is arriving, Plotly redraws at most ~6 times a second. */
  setRuns(runs, steps, { final = true } = {}) {
    const shown = runs.filter((r) => r.visible && r.loss && r.loss.length);
    const log = shown.length > 0 && shown.every((r) => r.loss.every((v) => v > 0));
    const traces = shown.map((r) => ({
      type: "scatter", mode: "lines", name: r.label,
      x: r.loss.map((_, i) => i), y: r.loss,
      line: { color: r.color, width: 1.8 },
      hovertemplate: `${escapeHtml(r.label)}<br>${t("loss.step")} %{x}: %{y:.4g}<extra></extra>`,
    }));
    this.setData({
      traces, xmax: steps, ylog: log, xtitle: t("loss.step"),
      ytitle: t("loss.loss") + (log ? ` (${t("loss.log")})` : ""),
      margin: { l: 52, r: 12, t: 6, b: 32 }, fontSize: 11, nticks: 6, dtick: log ? 1 : undefined,
    }, final ? 100 : 160);
  }
}
