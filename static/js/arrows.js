// Arrows at each run's current point on the contour: where the gradient says to go (−g),
// where the momentum pushes (−m: momentum_buffer or exp_avg, negated, as the update uses
// it) and the step actually taken (Δθ), all for the step shown (see stepdata.js).
//
// Lengths are scaled so that all three are visible and comparable: an arrow is
// MAX_PX · u / (1 + u) long, where u is the vector's length over a typical one (the
// median over every step of the visible runs): a typical gradient draws MAX_PX / 2, a
// larger one grows more slowly up to MAX_PX. −g and −m share one scale (both are in
// gradient units); Δθ has its own (parameter units). Directions are exact.

import { isPair, momentumOf, valuesAt } from "./stepdata.js";

const MAX_PX = 72;
const MIN_PX = 6;

// One look per kind, also used by the legend.
export const ARROW_KINDS = [
  { kind: "grad", dash: [6, 4], width: 2, head: "open" },
  { kind: "momentum", dash: [1.5, 3.5], width: 2.4, head: "hollow" },
  { kind: "update", dash: [], width: 2.8, head: "filled" },
];

export class ArrowLayer {
  constructor() {
    this.enabled = false;
    this.drawn = [];
    this.scale = null;
    this.scaleOf = null;
  }

  /** Painter for ContourView.overlays: (ctx, axes, view). */
  paint(ctx, ax, view) {
    this.drawn = [];
    if (!this.enabled) return;
    if (this.scaleOf !== view.runs) {
      this.scale = typicalSizes(view.runs);
      this.scaleOf = view.runs;
    }
    const ux = ax.px(1) - ax.px(0), uy = ax.py(1) - ax.py(0);
    const planned = [];
    view.runs.forEach((run, i) => {
      if (!run.visible || !run.path?.length) return;
      const v = valuesAt(run, view.step);
      if (!v || !v.hasState || v.step === 0) return;
      if (run.escapedAt != null && v.step > run.escapedAt) return;
      const p = run.path[v.step];
      const x0 = ax.px(p[0]), y0 = ax.py(p[1]);
      const m = momentumOf(v.state);
      const vectors = {
        grad: isPair(v.grad) ? [-v.grad[0], -v.grad[1]] : null,
        momentum: m ? [-m.value[0], -m.value[1]] : null,
        update: v.delta,
      };
      for (const look of ARROW_KINDS) {
        const vec = vectors[look.kind];
        const ref = look.kind === "update" ? this.scale.update : this.scale.grad;
        const end = arrowEnd(vec, ref, ux, uy);
        if (end) planned.push({ run: i, kind: look.kind, look, color: run.color, x0, y0, x1: x0 + end[0], y1: y0 + end[1] });
      }
    });
    ctx.save();
    ctx.lineCap = "round";
    ctx.lineJoin = "round";
    // White halos first, so that one run's arrow never hides another's colour.
    for (const a of planned) stroke(ctx, a, "rgba(255,255,255,0.85)", a.look.width + 2.5);
    for (const a of planned) stroke(ctx, a, a.color, a.look.width);
    ctx.restore();
    this.drawn = planned.map(({ look, ...rest }) => rest);
  }
}

/** The screen offset of an arrow for data vector vec, or null (none, zero, not finite). */
function arrowEnd(vec, ref, ux, uy) {
  if (!vec || !vec.every(Number.isFinite)) return null;
  const len = Math.hypot(vec[0], vec[1]);
  if (!(len > 0) || !(ref > 0)) return null;
  const u = len / ref;
  const px = Math.max(MIN_PX, (MAX_PX * u) / (1 + u));
  const sx = vec[0] * ux, sy = vec[1] * uy;
  const s = Math.hypot(sx, sy);
  return s > 0 ? [(sx / s) * px, (sy / s) * px] : null;
}

function stroke(ctx, a, color, width) {
  const { x0, y0, x1, y1, look } = a;
  const ang = Math.atan2(y1 - y0, x1 - x0);
  const head = 8 + width;
  // The shaft stops under the head, so a dashed shaft does not poke through it.
  const back = look.head === "open" ? 0 : head * 0.8;
  ctx.beginPath();
  ctx.moveTo(x0, y0);
  ctx.lineTo(x1 - Math.cos(ang) * back, y1 - Math.sin(ang) * back);
  ctx.setLineDash(look.dash);
  ctx.lineWidth = width;
  ctx.strokeStyle = color;
  ctx.stroke();
  ctx.setLineDash([]);
  const l = [x1 - Math.cos(ang - 0.42) * head, y1 - Math.sin(ang - 0.42) * head];
  const r = [x1 - Math.cos(ang + 0.42) * head, y1 - Math.sin(ang + 0.42) * head];
  ctx.beginPath();
  ctx.moveTo(l[0], l[1]);
  ctx.lineTo(x1, y1);
  ctx.lineTo(r[0], r[1]);
  if (look.head === "open") {
    ctx.stroke();
    return;
  }
  ctx.closePath();
  const halo = color.startsWith("rgba(255,255,255");
  if (look.head === "filled" || halo) {
    ctx.fillStyle = color;
    ctx.fill();
  } else {
    ctx.fillStyle = "#fff";
    ctx.fill();
    ctx.lineWidth = Math.max(1.5, width * 0.7);
  }
  ctx.stroke();
}

/** Median lengths of gradients and of steps over every step of the visible runs. */
function typicalSizes(runs) {
  const g = [], d = [];
  for (const run of runs) {
    if (!run.visible || !run.grad || !run.path) continue;
    for (const v of run.grad) if (isPair(v)) g.push(Math.hypot(v[0], v[1]));
    for (let k = 1; k < run.path.length; k++) {
      d.push(Math.hypot(run.path[k][0] - run.path[k - 1][0], run.path[k][1] - run.path[k - 1][1]));
    }
  }
  return { grad: median(g), update: median(d) };
}

function median(values) {
  const v = values.filter((x) => Number.isFinite(x) && x > 0).sort((a, b) => a - b);
  return v.length ? v[Math.floor(v.length / 2)] : 0;
}
