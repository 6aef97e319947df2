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
   *  data that did not change (a request just sent) redraw nothing. `epoch`: steps per
   *  epoch when mini-batches are on (a surface from data): each run's batch loss is drawn
   *  faintly behind its full-data loss, and the epochs are marked. */
  setRuns(runs, steps, { final = true, epoch = null } = {}) {
    const shown = runs.filter((r) => r.visible && r.loss && r.loss.length);
    const seen = { steps, epoch, lang: t("loss.step"), runs: shown.map(lossLook) };
    // (An answer that ends with nothing new still ends: its redraw is due now, if one waits.)
    if (sameLook(seen, this.seen) && (!final || this.partialSince == null)) return;
    this.seen = seen;
    this.wrap.dataset.epoch = epoch ? String(epoch) : "";
    // Made when the chart is drawn, from the data as they are then (a stream may have
    // added to them meanwhile): nothing per chunk but this look.
    this.setData(() => {
      const log = shown.length > 0 && shown.every((r) => r.loss.every((v) => v > 0));
      const range = lossRange(shown, log);
      const behind = epoch ? shown.filter((r) => r.batchLoss?.length).map((r) => ({
        type: "scatter", mode: "lines", name: `${r.label} · ${t("loss.batch")}`, meta: "batch",
        x: r.batchLoss.map((_, i) => i), y: log ? r.batchLoss.map((v) => (v > 0 ? v : null)) : r.batchLoss,
        line: { color: r.color, width: 1 }, opacity: 0.3,
        hovertemplate: `${escapeHtml(r.label)}<br>${t("loss.batch")}, ${t("loss.step")} %{x}: %{y:.4g}<extra></extra>`,
      })) : [];
      const marks = epoch ? epochMarks(epoch, steps, this.wrap.clientWidth || 600) : { shapes: [], annotations: [] };
      return {
        traces: [...behind, ...shown.map((r) => ({
          type: "scatter", mode: "lines", name: r.label,
          x: r.loss.map((_, i) => i), y: r.loss,
          line: { color: r.color, width: 1.8 },
          hovertemplate: `${escapeHtml(r.label)}<br>${t("loss.step")} %{x}: %{y:.4g}<extra></extra>`,
        }))],
        xmax: steps, ylog: log, yrange: range?.axis, xtitle: t("loss.step"),
        ytitle: t("loss.loss") + (log ? ` (${t("loss.log")})` : ""),
        margin: { l: log ? 64 : 52, r: 12, t: epoch ? 16 : 6, b: 32 }, fontSize: 11, nticks: 6,
        dtick: log ? decadeStep(range ? range.lo : lowest(shown), range ? range.hi : highest(shown)) : undefined,
        ...marks,
      };
    }, final ? 100 : 160, !final);
  }
}

/** Epoch e (1-based) is steps (e - 1)·B … e·B: every other epoch shaded, a dotted line at
 *  each end of an epoch, and labels over the bands, as many as fit (about 70 px each). */
export function epochMarks(B, steps, width) {
  const shapes = [], annotations = [];
  const count = Math.floor(steps / B);
  if (!(B >= 1) || count < 1) return { shapes, annotations };
  const perLabel = Math.max(1, Math.ceil(70 / Math.max(1e-9, (width * B) / steps)));
  const lines = count <= 12; // more epochs: the bands alone (lines too would crowd it)
  for (let e = 1; e <= Math.ceil(steps / B); e++) {
    const x0 = (e - 1) * B, x1 = Math.min(steps, e * B);
    if (e % 2 === 0) {
      shapes.push({ type: "rect", xref: "x", yref: "paper", x0, x1, y0: 0, y1: 1, layer: "below",
        line: { width: 0 }, fillcolor: "rgba(71,84,103,0.07)" });
    }
    if (lines && e * B <= steps) {
      shapes.push({ type: "line", xref: "x", yref: "paper", x0: e * B, x1: e * B, y0: 0, y1: 1, layer: "below",
        line: { color: "rgba(71,84,103,0.45)", width: 1, dash: "dot" } });
    }
    if ((e - 1) % perLabel === 0 && x1 - x0 >= B * 0.5) {
      annotations.push({ xref: "x", yref: "paper", x: (x0 + x1) / 2, y: 1, yanchor: "bottom", showarrow: false,
        text: e === 1 ? t("loss.epoch", { n: e }) : String(e), font: { size: 10 } });
    }
  }
  return { shapes, annotations };
}

/** What the chart draws of a run: its array grows in place while a stream arrives, and
 *  a new answer brings a new array; a diverged run changes the y range. (Not its label:
 *  a moved slider renames the row at once, and the lines drawn are still the old
 *  answer's, under its old name, until the new one arrives.) */
function lossLook(r) {
  const n = r.loss.length, bn = r.batchLoss?.length || 0;
  return { loss: r.loss, n, last: r.loss[n - 1], batchLoss: r.batchLoss, bn, color: r.color, status: r.status };
}

function sameLook(a, b) {
  if (!b || a.steps !== b.steps || a.epoch !== b.epoch || a.lang !== b.lang || a.runs.length !== b.runs.length) return false;
  return a.runs.every((r, i) => {
    const o = b.runs[i];
    return r.loss === o.loss && r.n === o.n && r.batchLoss === o.batchLoss && r.bn === o.bn && Object.is(r.last, o.last) && r.color === o.color && r.status === o.status;
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
