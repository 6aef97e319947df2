// Marks of the torch.optim API lab on the contour, over the paths:
//   - where a run changed course (a change at step k: a diamond on its path at θₖ,
//     hollow when the state was kept, filled when the optimizer was built anew);
//   - where LBFGS's step(closure) evaluated the loss: every point of the answer's `evals`
//     for the steps taken so far, as small rings (the first of each step is the point
//     the step started from, so each path point has one too). The evals come with the
//     optimizer's state: while the inspector is open or the arrows are on.
//
// An LBFGS run can evaluate 20 times a step: thousands of rings. They are drawn once
// into a layer of their own, which grows as the player moves forward (a step's rings
// are added once), and is copied onto the overlay each frame (bench/torchapi.py).

const RING = 2.6;
const DIAMOND = 5.5;

export class LabMarks {
  constructor() {
    this.drawnEvals = 0;
    this.drawnEvents = 0;
    this.layer = null; // {canvas, ctx, key, upTo, seen}: the rings of steps 1 … upTo
    this.ids = new WeakMap();
  }

  /** Painter for ContourView.overlays: (ctx, axes, view). */
  paint(ctx, ax, view) {
    this.drawnEvents = 0;
    this.paintEvals(ctx, ax, view);
    ctx.save();
    for (const run of view.runs) {
      if (!run.visible || !run.path?.length) continue;
      for (const e of run.row?.events || []) {
        if (e.at > lastStep(run)) continue;
        const p = run.path[e.at];
        diamond(ctx, ax.px(p[0]), ax.py(p[1]), run.color, e.state === "reset");
        this.drawnEvents++;
      }
    }
    ctx.restore();
  }

  /** The closure's points of steps 1 … k (evals[j] belongs to step j + 1). */
  paintEvals(ctx, ax, view) {
    const runs = view.runs.filter((r) => r.visible && r.evals && r.path?.length);
    const k = Math.floor(view.step + 1e-9);
    this.drawnEvals = 0;
    for (const run of runs) {
      const upTo = Math.min(k, lastStep(run), run.evals.length);
      for (let j = 0; j < upTo; j++) this.drawnEvals += run.evals[j].length;
    }
    if (!runs.length) return;
    const canvas = ctx.canvas;
    const dpr = ctx.getTransform().a || 1;
    // What the layer depends on: the canvas, the view (zoom, pan), each run's answer.
    const key = [canvas.width, canvas.height, dpr, ax.px(0), ax.px(1), ax.py(0), ax.py(1),
      ...runs.map((r) => `${this.idOf(r.evals)}:${r.color}:${lastStep(r)}`)].join("|");
    let layer = this.layer;
    if (!layer || layer.key !== key || k < layer.upTo) layer = this.layer = newLayer(canvas, key);
    if (k > layer.upTo) {
      const c = layer.ctx;
      c.setTransform(dpr, 0, 0, dpr, 0, 0);
      for (const run of runs) {
        for (let j = layer.upTo; j < Math.min(k, lastStep(run), run.evals.length); j++) {
          for (const p of run.evals[j]) {
            const x = ax.px(p[0]), y = ax.py(p[1]);
            // One ring per pixel: many evaluations land on the same few.
            const pixel = `${run.color}${Math.round(x)},${Math.round(y)}`;
            if (!Number.isFinite(x) || !Number.isFinite(y) || layer.seen.has(pixel)) continue;
            layer.seen.add(pixel);
            ring(c, x, y, run.color);
          }
        }
      }
      layer.upTo = k;
    }
    ctx.save();
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.drawImage(layer.canvas, 0, 0);
    ctx.restore();
  }

  /** A number per answer's evals (a new answer, a new layer). */
  idOf(obj) {
    if (!this.ids.has(obj)) this.ids.set(obj, ++idCount);
    return this.ids.get(obj);
  }
}

let idCount = 0;

function lastStep(run) {
  const last = run.path.length - 1;
  return run.escapedAt != null ? Math.min(run.escapedAt, last) : last;
}

function newLayer(canvas, key) {
  const layer = document.createElement("canvas");
  layer.width = canvas.width;
  layer.height = canvas.height;
  return { canvas: layer, ctx: layer.getContext("2d"), key, upTo: 0, seen: new Set() };
}

function ring(ctx, x, y, color) {
  ctx.beginPath();
  ctx.arc(x, y, RING, 0, 2 * Math.PI);
  ctx.fillStyle = "#fff";
  ctx.fill();
  ctx.lineWidth = 1.3;
  ctx.strokeStyle = color;
  ctx.stroke();
}

function diamond(ctx, x, y, color, filled) {
  ctx.beginPath();
  ctx.moveTo(x, y - DIAMOND);
  ctx.lineTo(x + DIAMOND, y);
  ctx.lineTo(x, y + DIAMOND);
  ctx.lineTo(x - DIAMOND, y);
  ctx.closePath();
  ctx.lineWidth = 3.5;
  ctx.strokeStyle = "#fff";
  ctx.stroke();
  ctx.fillStyle = filled ? color : "#fff";
  ctx.fill();
  ctx.lineWidth = 1.8;
  ctx.strokeStyle = color;
  ctx.stroke();
}
