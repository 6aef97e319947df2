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

  /** New data. While a stream is arriving, Plotly redraws at most ~6 times a second;
   *  data that did not change (a request just sent) redraw nothing. */
  setRuns(runs, steps, { final = true } = {}) {
    const shown = runs.filter((r) => r.visible && r.loss && r.loss.length);
    const seen = { steps, lang: t("loss.step"), runs: shown.map(lossLook) };
    // (An answer that ends with nothing new still ends: its redraw is due now, if one waits.)
    if (sameLook(seen, this.seen) && (!final || this.partialSince == null)) return;
    this.seen = seen;
    // Made when the chart is drawn, from the data as they are then (a stream may have
    // added to them meanwhile): nothing per chunk but this look.
    this.setData(() => {
      const log = shown.length > 0 && shown.every((r) => r.loss.every((v) => v > 0));
      return {
        traces: shown.map((r) => ({
          type: "scatter", mode: "lines", name: r.label,
          x: r.loss.map((_, i) => i), y: r.loss,
          line: { color: r.color, width: 1.8 },
          hovertemplate: `${escapeHtml(r.label)}<br>${t("loss.step")} %{x}: %{y:.4g}<extra></extra>`,
        })),
        xmax: steps, ylog: log, xtitle: t("loss.step"),
        ytitle: t("loss.loss") + (log ? ` (${t("loss.log")})` : ""),
        margin: { l: log ? 64 : 52, r: 12, t: 6, b: 32 }, fontSize: 11, nticks: 6, dtick: log ? decadeStep(shown) : undefined,
      };
    }, final ? 100 : 160, !final);
  }
}

/** What the chart draws of a run: its array grows in place while a stream arrives, and
 *  a new answer brings a new array. (Not its label: a moved slider renames the row at
 *  once, and the lines drawn are still the old answer's, under its old name, until the
 *  new one arrives.) */
function lossLook(r) {
  const n = r.loss.length;
  return { loss: r.loss, n, last: r.loss[n - 1], color: r.color };
}

function sameLook(a, b) {
  if (!b || a.steps !== b.steps || a.lang !== b.lang || a.runs.length !== b.runs.length) return false;
  return a.runs.every((r, i) => {
    const o = b.runs[i];
    return r.loss === o.loss && r.n === o.n && Object.is(r.last, o.last) && r.color === o.color;
  });
}

/** Decades between log ticks: one per decade up to six, then wider, so a run that falls
 *  to 1e-30 does not stack thirty labels on a 150-pixel axis. */
function decadeStep(runs) {
  let lo = Infinity, hi = -Infinity;
  for (const r of runs) {
    for (const v of r.loss) {
      if (!(v > 0) || !Number.isFinite(v)) continue;
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
  }
  if (!(hi > lo)) return 1;
  return Math.max(1, Math.ceil((Math.log10(hi) - Math.log10(lo)) / 6));
}
