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
      const range = lossRange(shown, log);
      return {
        traces: shown.map((r) => ({
          type: "scatter", mode: "lines", name: r.label,
          x: r.loss.map((_, i) => i), y: r.loss,
          line: { color: r.color, width: 1.8 },
          hovertemplate: `${escapeHtml(r.label)}<br>${t("loss.step")} %{x}: %{y:.4g}<extra></extra>`,
        })),
        xmax: steps, ylog: log, yrange: range?.axis, xtitle: t("loss.step"),
        ytitle: t("loss.loss") + (log ? ` (${t("loss.log")})` : ""),
        margin: { l: log ? 64 : 52, r: 12, t: 6, b: 32 }, fontSize: 11, nticks: 6,
        dtick: log ? decadeStep(range ? range.lo : lowest(shown), range ? range.hi : highest(shown)) : undefined,
      };
    }, final ? 100 : 160, !final);
  }
}

/** What the chart draws of a run: its array grows in place while a stream arrives, and
 *  a new answer brings a new array; a diverged run changes the y range. (Not its label:
 *  a moved slider renames the row at once, and the lines drawn are still the old
 *  answer's, under its old name, until the new one arrives.) */
function lossLook(r) {
  const n = r.loss.length;
  return { loss: r.loss, n, last: r.loss[n - 1], color: r.color, status: r.status };
}

function sameLook(a, b) {
  if (!b || a.steps !== b.steps || a.lang !== b.lang || a.runs.length !== b.runs.length) return false;
  return a.runs.every((r, i) => {
    const o = b.runs[i];
    return r.loss === o.loss && r.n === o.n && Object.is(r.last, o.last) && r.color === o.color && r.status === o.status;
  });
}

/** The y range when a run diverged: what the other runs reach and where every run
 *  started, so a run whose loss shoots to 1e108 before it stops leaves through the top
 *  instead of flattening every other curve. Null (Plotly's own range) otherwise. */
export function lossRange(runs, log) {
  if (!runs.some((r) => r.status === "diverged")) return null;
  let lo = Infinity, hi = -Infinity;
  const take = (v) => {
    if (!Number.isFinite(v) || (log && !(v > 0))) return;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  };
  for (const r of runs) {
    if (r.status !== "diverged") r.loss.forEach(take);
    else take(r.loss[0]);
  }
  // Below the top, a diverged run's values count too (it may dip before it blows up).
  const top = hi;
  for (const r of runs) if (r.status === "diverged") for (const v of r.loss) if (v <= top) take(v);
  if (!(hi >= lo)) return null;
  if (log) {
    const a = Math.log10(lo), b = Math.log10(hi);
    const pad = Math.max(0.3, 0.08 * (b - a));
    return { lo, hi, axis: [a - pad, b + pad] };
  }
  const pad = 0.06 * (hi - lo || Math.abs(hi) || 1);
  return { lo, hi, axis: [lo - pad, hi + pad] };
}

function lowest(runs) {
  let lo = Infinity;
  for (const r of runs) for (const v of r.loss) if (v > 0 && v < lo) lo = v;
  return lo;
}

function highest(runs) {
  let hi = -Infinity;
  for (const r of runs) for (const v of r.loss) if (Number.isFinite(v) && v > hi) hi = v;
  return hi;
}

/** Decades between log ticks: one per decade up to six, then wider, so a run that falls
 *  to 1e-30 does not stack thirty labels on a 150-pixel axis. */
function decadeStep(lo, hi) {
  if (!(hi > lo) || !(lo > 0)) return 1;
  return Math.max(1, Math.ceil((Math.log10(hi) - Math.log10(lo)) / 6));
}
