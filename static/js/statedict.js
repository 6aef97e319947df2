// optimizer.state_dict() after k steps, as print() shows it in PyTorch 2.13 (float64 by
// default, as the playground computes): {'state': {0: {...}, 1: {...}}, 'param_groups':
// [{'lr': 0.1, ..., 'params': [0]}, ...]}. The state is the answer's ("state": true),
// keyed by parameter index (with param groups x is parameter 0 and y parameter 1, each in
// its own group); the groups are the run's values as its changes of course left them,
// over torch's own defaults and key order (torchprint.json, read from real PyTorch:
// foreach, fused, ... included). Tensors print as torch's formatter does: 4 decimals,
// scientific notation when the values span more than 1000× or leave [1e-4, 1e8], whole
// numbers as "3.", and Python's round-half-even. Lookahead prints as pytorch-optimizer's
// does: {'lookahead_state': {(0, 0): {...}}, 'base_optimizer': {...}}.

import TORCHPRINT from "./torchprint.json" with { type: "json" };
import { baseValues, cleanValues, groupItem } from "./state.js";

const TABLE = TORCHPRINT.optimizers;
const PRECISION = 4;

/** The text of optimizer.state_dict() for a run descriptor (scene.js) after k steps,
 *  and whether some value is not known to the page ({text, partial}); null when the
 *  run has no state yet (k > 0 without "state": true). */
export function stateDictText(run, k, catalog) {
  const row = run.row;
  const opt = catalog.optimizer(row.optimizer);
  const item = groupItem(row, catalog);
  if (!opt || !item || !TABLE[item.id]) return null;
  if (k > 0 && !(run.state && run.state[Object.keys(run.state)[0]]?.length >= k)) return null;
  const history = course(row, k, catalog, item);
  const lookahead = opt.params.some((p) => p.type === "optimizer");
  const partial = { value: false };
  const params = row.groups ? 2 : 1;
  const held = k > 0 ? orderedNames(run, item.id) : [];
  const ownNames = lookahead ? new Set(TABLE.lookahead.state.map(([n]) => n)) : new Set();
  const stateOf = (names) => Array.from({ length: params }, (_, i) => entries(run, k, i, names, item.id, history, partial));
  const base = dictText([
    ["'state'", dictText(stateOf(held.filter((n) => !ownNames.has(n))).map((e, i) => (e.length ? [String(i), dictText(e)] : null)).filter(Boolean))],
    ["'param_groups'", `[${history.groups.map((g, i) => dictText([...[...g].map(([key, v]) => [`'${key}'`, v]), ["'params'", `[${i}]`]])).join(", ")}]`],
  ]);
  if (!lookahead) return { text: base, partial: partial.value };
  const own = lookaheadState(run, k, params, held.filter((n) => ownNames.has(n)), row, catalog, history, partial);
  const text = dictText([["'lookahead_state'", dictText(own)], ["'base_optimizer'", base]]);
  return { text, partial: partial.value };
}

// ----------------------------------------------------------------- param groups

/** The param groups after k steps (Maps of key -> text, in torch's order), and the step
 *  at which the optimizer was last built (0, or a change that re-created it). */
function course(row, k, catalog, item) {
  const entry = TABLE[item.id];
  const specs = new Map(item.params.map((p) => [p.name, p]));
  const lookahead = catalog.optimizer(row.optimizer)?.params.some((p) => p.type === "optimizer");
  let settings = cleanValues(item, baseValues(row, catalog));
  const build = () => {
    const owns = row.groups ? ["x", "y"].map((c) => cleanValues(item, row.groups[c])) : [{}];
    return owns.map((own) => {
      const g = new Map();
      for (const [key, v] of Object.entries(own)) g.set(key, pyValue(specs.get(key), v));
      for (const [key, literal] of entry.group) {
        if (!g.has(key)) g.set(key, key in settings ? pyValue(specs.get(key), settings[key]) : literal);
      }
      if (lookahead) for (const key of TABLE.lookahead.group_extra) g.set(key, "0");
      derive(g, { ...settings, ...own });
      return g;
    });
  };
  let groups = build(), built = 0;
  const counted = () => {
    // pytorch-optimizer's group 'step' appears with the first step after (re)creation.
    for (const g of groups) for (const key of entry.counters) if (!g.has(key)) g.set(key, "0");
  };
  for (const e of row.events || []) {
    if (e.at >= k) break;
    if (e.at > built) counted();
    settings = { ...settings, ...cleanValues(item, e.params) };
    if (e.state === "reset") {
      groups = build();
      built = e.at;
    } else {
      for (const g of groups) for (const [key, v] of Object.entries(cleanValues(item, e.params))) g.set(key, pyValue(specs.get(key), v));
    }
  }
  const n = k - built;
  if (n > 0) counted();
  for (const g of groups) {
    for (const key of entry.counters) if (g.has(key)) g.set(key, String(n));
    if (lookahead) {
      const kSpec = catalog.param(row.optimizer, "k");
      const every = row.params.k ?? kSpec?.default ?? 5;
      for (const key of TABLE.lookahead.group_extra) g.set(key, String(n % every));
    }
  }
  return { groups, built, steps: n };
}

/** Values torch works out in the constructor: LBFGS's max_eval=None is max_iter * 5 // 4. */
function derive(g, given) {
  if (g.has("max_eval") && (given.max_eval === null || given.max_eval === undefined)) {
    const maxIter = Number(g.get("max_iter"));
    if (Number.isInteger(maxIter)) g.set("max_eval", String(Math.floor((maxIter * 5) / 4)));
  }
}

// ------------------------------------------------------------------------ state

/** The state names the run holds, in the order torch fills them (torchprint.json). */
function orderedNames(run, id) {
  const order = [...(TABLE[id]?.state || []), ...(TABLE.lookahead.state)].map(([n]) => n);
  const names = Object.keys(run.state).filter((n) => run.state[n].some((v) => v !== null));
  const rank = (n) => (order.includes(n) ? order.indexOf(n) : order.length);
  return names.map((n, i) => [n, i]).sort((a, b) => rank(a[0]) - rank(b[0]) || a[1] - b[1]).map(([n]) => n);
}

function kindOf(id, name) {
  const found = [...(TABLE[id]?.state || []), ...TABLE.lookahead.state].find(([n]) => n === name);
  return found ? found[1] : "tensor";
}

/** [['key', text], ...] of parameter i's state after step k. */
function entries(run, k, i, names, id, history, partial) {
  const out = [];
  const grouped = Boolean(run.row.groups);
  for (const name of names) {
    const v = run.state[name][k - 1];
    if (v === null || v === undefined) continue;
    const kind = kindOf(id, name);
    if (kind === "tensor" && Array.isArray(v)) {
      // One entry per coordinate: the point's tensor, or each group's own parameter.
      if (!grouped) out.push([`'${name}'`, tensorText(v)]);
      else if (v[i] !== null && v[i] !== undefined) out.push([`'${name}'`, tensorText([v[i]])]);
      continue;
    }
    if (grouped && i > 0 && name !== "step") {
      // A number per parameter: the answer carries group x's only.
      partial.value = true;
      out.push([`'${name}'`, "…"]);
      continue;
    }
    out.push([`'${name}'`, scalarText(v, kind, name, run, k, history)]);
  }
  return out;
}

function scalarText(v, kind, name, run, k, history) {
  if (kind === "int") return String(v);
  if (kind === "list") return `[${v.map((x) => (x === null ? "None" : Array.isArray(x) ? tensorText(x) : tensorText(x, true))).join(", ")}]`;
  if (name === "t" && kind === "float" && history.steps >= 1 && run.state.n_iter?.[k - 1] === 1) {
    // LBFGS's first iteration: t = min(1., 1. / |g|₁) * lr, a tensor when 1 / |g|₁ < 1.
    const g = run.grad?.[history.built];
    if (g && 1 / (Math.abs(g[0]) + Math.abs(g[1])) < 1) return tensorText(v, true);
  }
  if (name === "H_diag" && Array.isArray(run.state.old_dirs?.[k - 1]) && !run.state.old_dirs[k - 1].length) {
    return String(v); // LBFGS starts H_diag at the integer 1 and makes it a tensor once it has history
  }
  if (kind === "float") return pyFloat(v);
  return typeof v === "number" ? tensorText(v, true) : tensorText(v);
}

/** {(i, 0): {...}} of Lookahead's own state (slow weights), after step k. */
function lookaheadState(run, k, params, names, row, catalog, history, partial) {
  const out = [];
  for (let i = 0; i < params; i++) {
    let e;
    if (k === 0) {
      // As Lookahead is built: the slow weights are the point, the slow momentum zero.
      const p = run.path[k];
      e = [["'slow_params'", tensorText(row.groups ? [p[i]] : p)]];
      const pull = row.params.pullback_momentum;
      if (pull === "pullback") e.push(["'slow_momentum'", tensorText(row.groups ? [0] : [0, 0])]);
    } else {
      e = entries(run, k, i, names, "lookahead", history, partial);
    }
    out.push([`(${i}, 0)`, dictText(e)]);
  }
  return out;
}

// ------------------------------------------------------------- Python's printing

function dictText(pairs) {
  return `{${pairs.map(([k, v]) => `${k}: ${v}`).join(", ")}}`;
}

/** A hyperparameter the run sets, as Python holds it (the request's JSON read by the
 *  server: floats for float keywords, tuples for pairs). */
export function pyValue(spec, v) {
  if (v === null || v === undefined) return "None";
  switch (spec?.type) {
    case "float":
      return pyFloat(v);
    case "int":
      return String(v);
    case "bool":
      return v ? "True" : "False";
    case "pair":
      return `(${v.map((x) => (x === null ? "None" : pyFloat(x))).join(", ")})`;
    case "choice":
      return typeof v === "string" ? `'${v}'` : typeof v === "number" ? pyFloat(v) : String(v);
    case "float_list":
      return `[${v.map(pyFloat).join(", ")}]`;
    case "int_list":
      return `[${v.join(", ")}]`;
    default:
      return typeof v === "boolean" ? (v ? "True" : "False") : typeof v === "number" ? pyFloat(v) : `'${v}'`;
  }
}

/** repr(float): the shortest digits that read back, in Python's layout (1e-05, 0.0001,
 *  1.0, 1e+16). */
export function pyFloat(v) {
  if (Number.isNaN(v)) return "nan";
  if (!Number.isFinite(v)) return v > 0 ? "inf" : "-inf";
  if (v === 0) return Object.is(v, -0) ? "-0.0" : "0.0";
  const [mant, expText] = v.toExponential().split("e");
  const e = Number(expText);
  const sign = mant.startsWith("-") ? "-" : "";
  const digits = mant.replace("-", "").replace(".", "");
  if (e < -4 || e >= 16) {
    const rest = digits.slice(1);
    return `${sign}${digits[0]}${rest ? `.${rest}` : ""}e${e < 0 ? "-" : "+"}${String(Math.abs(e)).padStart(2, "0")}`;
  }
  if (e < 0) return `${sign}0.${"0".repeat(-e - 1)}${digits}`;
  const whole = digits.slice(0, e + 1).padEnd(e + 1, "0");
  const frac = digits.slice(e + 1);
  return `${sign}${whole}.${frac || "0"}`;
}

/** Python's f"{v:.{d}f}": the exact binary value rounded half to even. */
export function pyFixed(v, d) {
  if (!Number.isFinite(v)) return Number.isNaN(v) ? "nan" : v > 0 ? "inf" : "-inf";
  const rounded = v.toFixed(d);
  const s = nearTie(v, d) ? halfEven(v, rounded, Math.abs(v).toFixed(d + 25), d) : rounded;
  return Object.is(v, -0) ? `-${s}` : s;
}

/** Python's f"{v:.{d}e}" (two exponent digits at least), rounded half to even. */
export function pyExp(v, d) {
  if (!Number.isFinite(v)) return Number.isNaN(v) ? "nan" : v > 0 ? "inf" : "-inf";
  const rounded = v.toExponential(d);
  const exp = Number(rounded.slice(rounded.indexOf("e") + 1));
  const s = nearTie(v, d - exp) || nearTie(v, d - exp + 1) ? halfEven(v, rounded, Math.abs(v).toExponential(d + 25), d) : rounded;
  const [m, e] = s.split("e");
  const n = Number(e);
  return `${Object.is(v, -0) ? "-" : ""}${m}e${n < 0 ? "-" : "+"}${String(Math.abs(n)).padStart(2, "0")}`;
}

/** Could |v| be an exact tie at `d` decimals (…5 exactly after them)? A cheap look in
 *  floating point, generous by far more than its rounding: only then is |v| written out
 *  in full (halfEven). */
function nearTie(v, d) {
  const scaled = Math.abs(v) * 10 ** d;
  if (!(scaled < 2 ** 52)) return false;
  return Math.abs(scaled - Math.floor(scaled) - 0.5) <= 1e-6;
}

/** JavaScript rounds an exact tie away from zero, Python to the even digit. `long`: |v|
 *  with 25 more digits, where an exact tie shows as 5 then zeros: then, when the last
 *  digit kept is even, Python's answer is |v| cut after d digits. */
function halfEven(v, rounded, long, d) {
  const [mant, exp] = long.split("e");
  const point = mant.indexOf(".");
  if (!/^50*$/.test(mant.slice(point + 1 + d))) return rounded;
  const kept = mant.slice(0, point + 1 + d).replace(/\.$/, "");
  if (Number(kept[kept.length - 1]) % 2 === 1) return rounded;
  return `${v < 0 ? "-" : ""}${kept}${exp !== undefined ? `e${exp}` : ""}`;
}

/** torch's print of a float64 tensor: a list of values (1-D), or one number (`scalar`:
 *  a 0-dim tensor). */
export function tensorText(values, scalar = false) {
  const items = formatted(scalar ? [values] : values);
  return scalar ? `tensor(${items[0]})` : `tensor([${items.join(", ")}])`;
}

/** torch/_tensor_str.py _Formatter for a floating tensor at precision 4: the mode comes
 *  from the finite non-zero values (whole numbers: "3."; scientific when they span more
 *  than 1000x or leave [1e-4, 1e8]), every value padded to their widest. */
function formatted(values) {
  const shown = values.filter((v) => Number.isFinite(v) && v !== 0);
  let write = (v) => pyFixed(v, 0) + (Number.isFinite(v) ? "." : "");
  if (shown.length) {
    let lo = Infinity, hi = 0, whole = true;
    for (const v of shown) {
      const a = Math.abs(v);
      if (a < lo) lo = a;
      if (a > hi) hi = a;
      if (v !== Math.ceil(v)) whole = false;
    }
    if (hi / lo > 1000 || hi > 1e8 || (!whole && lo < 1e-4)) write = (v) => pyExp(v, PRECISION);
    else if (!whole) write = (v) => pyFixed(v, PRECISION);
  }
  const out = values.map(write);
  let width = 1;
  values.forEach((v, i) => {
    if (Number.isFinite(v) && v !== 0) width = Math.max(width, out[i].length);
  });
  return out.map((s) => s.padStart(width, " "));
}
