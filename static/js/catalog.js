// The server's catalogues (optimizers, schedulers, surfaces, data sets) and what the page derives
// from them: defaults, value checks and short labels. Nothing here knows an optimizer by
// name, so an optimizer added on the server shows up in the page by itself.

import { fmt } from "./format.js";
import { URL_KEYS } from "./table.js";

// Scheduler lengths measured in steps.
const STEP_COUNTS = new Set(URL_KEYS.step_counts);
// The catalogue's values for what PyTorch leaves to the user are written for a run of
// 200 steps (SequentialLR's warm-up of 20, then a cosine of 180): scaled from there.
const CATALOGUE_RUN = 200;
// Lengths in steps inside a scheduler (scaled with the run), and per-step factors.
const LENGTHS = new Set([...STEP_COUNTS, "total_iters", "step_size", "T_0", "milestones"]);
const PER_STEP = new Set(["gamma"]);
// A period PyTorch leaves to the user (StepLR's step_size, the warm restarts' T_0):
// a quarter of the run, so a default schedule shows a few changes within it.
const PERIOD_SHARE = 0.25;

export class Catalog {
  constructor({ optimizers, schedulers, surfaces, datasets = [] }) {
    this.optimizers = optimizers;
    this.schedulers = schedulers;
    this.surfaces = surfaces;
    this.datasets = datasets;
    this.optById = new Map(optimizers.map((o) => [o.id, o]));
    this.schedById = new Map(schedulers.map((s) => [s.id, s]));
    this.surfById = new Map(surfaces.map((s) => [s.id, s]));
    this.dataById = new Map(datasets.map((d) => [d.id, d]));
  }

  optimizer(id) {
    return this.optById.get(id);
  }

  scheduler(id) {
    return this.schedById.get(id);
  }

  surface(id) {
    return this.surfById.get(id);
  }

  /** A built-in data set (GET /api/v1/datasets: id, names, model, n, x, y ...). */
  dataset(id) {
    return this.dataById.get(id);
  }

  /** The optimizer's spec of hyperparameter `name` (or undefined). */
  param(optId, name) {
    return this.optimizer(optId)?.params.find((p) => p.name === name);
  }

  /** Values that must be sent because PyTorch has no default for them (e.g. StepLR's
   *  step_size): a sensible start for the given number of steps. */
  requiredValues(item, steps = 200) {
    const out = {};
    for (const p of item?.params || []) {
      // Lengths measured in steps start at the run's length (OneCycleLR needs one).
      if (STEP_COUNTS.has(p.name) && (p.default === null || p.name === "T_max")) {
        out[p.name] = steps;
        continue;
      }
      if (p.default !== null || p.nullable) continue;
      out[p.name] = suggestedValue(p, steps, this);
    }
    return out;
  }

  /** A hyperparameter set as PyTorch builds the optimizer when given nothing: lr
   *  written out (every reader wants to see it), the rest left to PyTorch. */
  optimizerDefaults(item, steps = 200) {
    const lr = item?.params.find((p) => p.name === "lr");
    return { ...(lr ? { lr: lr.default } : {}), ...this.requiredValues(item, steps) };
  }

  /** The arguments of a scheduler picked now for a run of `steps` steps: PyTorch's
   *  defaults, and for what PyTorch leaves to the user (required: StepLR's step_size,
   *  MultiStepLR's milestones, ExponentialLR's gamma, T_max ...) values sized by the run,
   *  so the schedule does its work within it rather than after it or in its first steps. */
  schedulerDefaults(item, steps = 200) {
    const out = this.requiredValues(item, steps);
    for (const p of item?.params || []) {
      if (!p.required) continue;
      out[p.name] = sizedValue(p, p.default, steps, this);
    }
    return out;
  }

  /** A row's hyperparameters as "name=value": lr first, then every other one that
   *  differs from PyTorch's default (a Lookahead's inner optimizer by its name). */
  changedParams(row) {
    const opt = this.optimizer(row.optimizer);
    if (!opt) return [];
    const bits = [];
    for (const p of opt.params) {
      if (!(p.name in row.params)) continue;
      const v = row.params[p.name];
      if (p.name !== "lr" && sameValue(v, p.default)) continue;
      if (p.type === "optimizer") {
        const inner = this.optimizer(v?.optimizer);
        bits.push(inner ? inner.name : String(v?.optimizer));
        continue;
      }
      if (p.type === "bool") {
        if (v) bits.push(p.name);
        continue;
      }
      bits.push(`${p.name}=${Array.isArray(v) ? v.map((x) => fmt(x, 3)).join(",") : fmt(v, 3)}`);
    }
    return bits.sort((a, b) => (b.startsWith("lr=") ? 1 : 0) - (a.startsWith("lr=") ? 1 : 0));
  }

  /** Short label for a run: "Adam lr=0.05" plus what differs from the defaults. */
  rowLabel(row, maxExtra = 2) {
    const opt = this.optimizer(row.optimizer);
    if (!opt) return row.optimizer;
    const shown = this.changedParams(row).slice(0, 1 + maxExtra);
    let label = `${opt.name}${shown.length ? " " + shown.join(" ") : ""}`;
    if (row.scheduler) label += ` · ${row.scheduler.name}`;
    return label + this.labLabel(row);
  }

  /** The torch.optim API options in a label, as code: " · x(lr=0.1) y(lr=0.03)",
   *  " · no zero_grad()", " · @100 lr=0.01" (kept state) or " · @100 Adam(lr=0.01)"
   *  (the optimizer re-created). app/teach/labels.py writes the same. */
  labLabel(row) {
    const values = (v) => Object.entries(v || {}).slice(0, 2).map(([k, x]) => `${k}=${Array.isArray(x) ? x.map((y) => fmt(y, 3)).join(",") : typeof x === "number" ? fmt(x, 3) : String(x)}`).join(" ")
      + (Object.keys(v || {}).length > 2 ? " …" : "");
    const parts = [];
    if (row.groups) parts.push(`x(${values(row.groups.x)}) y(${values(row.groups.y)})`);
    if (row.zero_grad === "never") parts.push("no zero_grad()");
    const events = row.events || [];
    const name = this.optimizer(row.optimizer)?.name || row.optimizer;
    for (const e of events.slice(0, 2)) parts.push(e.state === "reset" ? `@${e.at} ${name}(${values(e.params)})` : `@${e.at} ${values(e.params)}`.trimEnd());
    if (events.length > 2) parts.push("…");
    return parts.map((p) => ` · ${p}`).join("");
  }
}

/** Deep equality for JSON-shaped values (numbers, arrays, objects, null). */
export function sameValue(a, b) {
  if (a === b) return true;
  if (typeof a === "number" && typeof b === "number") return Math.abs(a - b) <= 1e-15 * Math.max(1, Math.abs(a));
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((v, i) => sameValue(v, b[i]));
  if (a && b && typeof a === "object" && typeof b === "object") {
    const ka = Object.keys(a), kb = Object.keys(b);
    return ka.length === kb.length && ka.every((k) => sameValue(a[k], b[k]));
  }
  return false;
}

/** The effective value of a hyperparameter: what the row set, else the default. */
export function valueOf(params, spec) {
  return spec.name in params ? params[spec.name] : spec.default;
}

function suggestedValue(p, steps, catalog) {
  const [lo, hi] = p.ui || [p.min ?? 0, p.max ?? Math.max(1, steps)];
  switch (p.type) {
    case "int":
      return clamp(Math.max(1, Math.round(steps / 4)), Math.ceil(lo), Math.floor(hi));
    case "float":
      return p.log ? Math.sqrt(Math.max(lo, 1e-12) * hi) : (lo + hi) / 2;
    case "int_list":
    case "float_list":
      return [Math.round(steps / 3), Math.round((2 * steps) / 3)];
    case "pair":
      return [lo, hi];
    case "bool":
      return false;
    case "choice":
      return p.choices?.[0] ?? null;
    case "optimizer":
      return { optimizer: "sgd", params: {} };
    case "schedulers": {
      const first = catalog.scheduler("LinearLR") ? "LinearLR" : catalog.schedulers[0]?.id;
      const second = catalog.scheduler("ExponentialLR") ? "ExponentialLR" : first;
      return [first, second].filter(Boolean).map((name) => ({
        name, params: catalog.requiredValues(catalog.scheduler(name), steps) }));
    }
    default:
      return null;
  }
}

/** A required scheduler argument for a run of `steps` steps (see schedulerDefaults). */
function sizedValue(p, value, steps, catalog, scale = steps / CATALOGUE_RUN) {
  const [lo, hi] = [p.min ?? 1, p.ui?.[1] ?? Infinity];
  if (p.type === "int" && STEP_COUNTS.has(p.name)) return steps;
  if (p.type === "int" && LENGTHS.has(p.name)) return clamp(Math.max(1, Math.round(steps * PERIOD_SHARE)), lo, Math.max(hi, steps));
  if (p.type === "int_list" && LENGTHS.has(p.name)) return scaledSteps(value, scale, steps);
  if (p.type === "float" && PER_STEP.has(p.name) && value > 0 && value < 1) return tidy(value ** (1 / scale), 4);
  if (p.type === "schedulers") return (value || []).map((child) => scaledChild(child, scale, steps, catalog));
  return value;
}

/** A scheduler inside SequentialLR / ChainedScheduler, its lengths scaled by `scale`. */
function scaledChild(child, scale, steps, catalog) {
  const item = catalog.scheduler(child.name);
  const params = { ...(child.params || {}) };
  for (const [name, v] of Object.entries(params)) {
    const spec = item?.params.find((p) => p.name === name);
    if (!spec || !LENGTHS.has(name)) continue;
    params[name] = spec.type === "int_list" ? scaledSteps(v, scale, steps) : Math.max(1, Math.round(v * scale));
  }
  return { name: child.name, params };
}

/** Increasing whole steps inside the run, scaled from the catalogue's. */
function scaledSteps(list, scale, steps) {
  const out = [];
  for (const v of list || []) {
    const s = Math.min(steps - 1, Math.max(1, Math.round(v * scale)));
    if (!out.length || s > out[out.length - 1]) out.push(s);
  }
  return out;
}

function tidy(v, digits) {
  return Number(v.toPrecision(digits));
}

function clamp(v, lo, hi) {
  return Math.min(hi, Math.max(lo, v));
}

/** Is `v` acceptable for the spec (range and type)? Returns an error text or "". */
export function checkValue(spec, v) {
  if (v === null) return spec.nullable ? "" : "null";
  const one = (x) => {
    if (typeof x !== "number" || !Number.isFinite(x)) return "nan";
    if (spec.min !== undefined && spec.min !== null && (spec.min_open ? x <= spec.min : x < spec.min)) return "range";
    if (spec.max !== undefined && spec.max !== null && (spec.max_open ? x >= spec.max : x > spec.max)) return "range";
    return "";
  };
  if (spec.type === "float" || spec.type === "int") return one(v);
  if (spec.type === "pair") return (v || []).map((x) => (x === null && spec.nullable ? "" : one(x))).find(Boolean) || "";
  return "";
}
