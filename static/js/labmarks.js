// Marks of the torch.optim API lab on the contour, over the paths:
//   - where a run changed course (a change at step k: a diamond on its path at θₖ,
//     hollow when the state was kept, filled when the optimizer was built anew);
//   - where LBFGS's step(closure) evaluated the loss: every point of the answer's `evals`
//     for the steps taken so far, as small rings (the first of each step is the point
//     the step started from, so each path point has one too). The evals come with the
//     optimizer's state: while the inspector is open or the arrows are on.

const RING = 2.6;
const DIAMOND = 5.5;

export class LabMarks {
  constructor() {
    this.drawnEvals = 0;
    this.drawnEvents = 0;
  }

  /** Painter for ContourView.overlays: (ctx, axes, view). */
  paint(ctx, ax, view) {
    this.drawnEvals = 0;
    this.drawnEvents = 0;
    ctx.save();
    for (const run of view.runs) {
      if (!run.visible || !run.path?.length) continue;
      const end = run.escapedAt != null ? Math.min(run.escapedAt, run.path.length - 1) : run.path.length - 1;
      if (run.evals) this.paintEvals(ctx, ax, run, Math.min(Math.floor(view.step + 1e-9), end));
      for (const e of run.row?.events || []) {
        if (e.at > end) continue;
        const p = run.path[e.at];
        diamond(ctx, ax.px(p[0]), ax.py(p[1]), run.color, e.state === "reset");
        this.drawnEvents++;
      }
    }
    ctx.restore();
  }

  /** The closure's points of steps 1 … k (evals[j] belongs to step j + 1), as one path
   *  of rings filled and stroked once (an LBFGS run of 1,000 steps has ~20,000). */
  paintEvals(ctx, ax, run, k) {
    ctx.beginPath();
    for (let j = 0; j < Math.min(k, run.evals.length); j++) {
      for (const p of run.evals[j]) {
        if (!Number.isFinite(p[0]) || !Number.isFinite(p[1])) continue;
        const x = ax.px(p[0]), y = ax.py(p[1]);
        ctx.moveTo(x + RING, y);
        ctx.arc(x, y, RING, 0, 2 * Math.PI);
        this.drawnEvals++;
      }
    }
    ctx.fillStyle = "#fff";
    ctx.fill();
    ctx.lineWidth = 1.3;
    ctx.strokeStyle = run.color;
    ctx.stroke();
  }
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
