// What an optimizer held at step k, under one definition shared by every view that
// shows it (the inspector, the arrows on the contour, the effective step chart):
//
//   step k = after k calls of optimizer.step(); the current point is path[k].
//   state  = state[name][k - 1]: what PyTorch's optimizer.state holds after step k
//            (the server lists one entry per step, the first after step 1).
//   grad   = grad[k - 1]: the gradient step k used (at path[k - 1], noise included).
//   delta  = path[k] - path[k - 1]: the step actually taken.
//   lr     = lr[k - 1]: the lr step k used (param_groups[0]["lr"] before that step).
//
// Step 0 has none of these: no step has been taken yet.

// State entries that scale each coordinate on its own (adaptive methods): an optimizer
// holding one of them gets the effective step chart.
const PER_COORDINATE_SCALES = ["exp_avg_sq", "square_avg", "sum", "acc_delta", "exp_inf",
  "exp_avg_var", "variance", "step_size"];

// The momentum-like entry drawn as an arrow, in order of preference.
const MOMENTUM_NAMES = ["momentum_buffer", "exp_avg"];

/** The whole step shown for a (possibly fractional) player step k, clamped to the run. */
export function shownStep(run, k) {
  const n = run.path ? run.path.length : 0;
  if (!n) return null;
  return Math.max(0, Math.min(Math.floor(k + 1e-9), n - 1));
}

/** Everything the views show of one run at player step k; null when there is no path.
 *  `hasState` is false until an answer with the optimizer's state has arrived. */
export function valuesAt(run, k) {
  const j = shownStep(run, k);
  if (j === null) return null;
  const out = { step: j, hasState: Boolean(run.state && run.grad), grad: null, delta: null, lr: null, state: {} };
  if (j === 0) return out;
  const a = run.path[j - 1], b = run.path[j];
  out.delta = [b[0] - a[0], b[1] - a[1]];
  out.lr = run.lr?.[j - 1] ?? null;
  if (out.hasState) {
    out.grad = run.grad[j - 1] ?? null;
    for (const name of heldStateNames(run)) out.state[name] = run.state[name][j - 1] ?? null;
  }
  return out;
}

/** State names the run ever held a value for (Adam without amsgrad never fills
 *  max_exp_avg_sq; PyTorch's state_dict would not list it). */
export function heldStateNames(run) {
  if (!run.state) return [];
  if (run.heldNames && run.heldNamesOf === run.state) return run.heldNames;
  const names = Object.keys(run.state).filter((name) => run.state[name].some((v) => v !== null));
  run.heldNames = names;
  run.heldNamesOf = run.state;
  return names;
}

/** The momentum vector in a set of state values ({momentum_buffer} or {exp_avg}), or null. */
export function momentumOf(state) {
  for (const name of MOMENTUM_NAMES) {
    if (isPair(state[name])) return { name, value: state[name] };
  }
  return null;
}

export function isAdaptive(run) {
  return heldStateNames(run).some((name) => PER_COORDINATE_SCALES.includes(name));
}

export function isPair(v) {
  return Array.isArray(v) && v.length === 2 && v.every((x) => typeof x === "number");
}

/**
 * The effective per-coordinate step |Δθᵢ| / |gᵢ| for steps 1..n: the step actually taken
 * divided by the gradient it was taken with (for plain SGD, lr itself). Null where the
 * gradient coordinate is 0 or the ratio is not a positive finite number (a log chart).
 * Returns {x: [1..n], y: [[...], [...]]} (one series per coordinate).
 */
export function effectiveSteps(run) {
  const n = Math.min(run.grad ? run.grad.length : 0, run.path.length - 1);
  const x = new Array(n), y = [new Array(n), new Array(n)];
  for (let k = 1; k <= n; k++) {
    x[k - 1] = k;
    const g = run.grad[k - 1];
    for (let i = 0; i < 2; i++) {
      const r = g ? Math.abs(run.path[k][i] - run.path[k - 1][i]) / Math.abs(g[i]) : NaN;
      y[i][k - 1] = Number.isFinite(r) && r > 0 ? r : null;
    }
  }
  return { x, y };
}
