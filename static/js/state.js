/*
 The whole view lives in the URL query, so a reload or a shared link shows the same thing.
 Every key is optional: a missing, unknown or malformed one takes its default, so old links
 keep working when keys are added.

   s=rosenbrock                          built-in surface id (default: rosenbrock)
   f=x**2+%2B+3*sin(y)  d=-3,3,-3,3      a typed formula instead of s, and its domain x0,x1,y0,y1
   start=-1.2,1                          start point (default: the surface's own)
   steps=200                             optimizer steps per run
   o=sgd(lr=0.001;momentum=0.9)          one `o` per optimizer row, in order; hyperparameters
   o=adam(lr=0.05;betas=0.9,0.999)       left out take PyTorch's defaults. `o=` alone: no rows.
   o=lookahead(k=5;optimizer=sgd(lr=0.003))
   sched2=StepLR(step_size=50;gamma=0.5) the LR scheduler of row 2 (rows count from 1)
   sched1=SequentialLR(schedulers=LinearLR(total_iters=10),ExponentialLR(gamma=0.98);milestones=10)
   noise3=0.1                            gradient noise σ of row 3
   seed3=7  fan3=8                       its random seed (default 0), and a fan of 8 seeds
                                         (7, 8, …, 14) drawn together: 4, 8 or 16
   c=e4572e,2e86ab                       row colours (hex without #), in row order
   hide=2,3                              rows whose path is hidden
   speed=2                               animation speed, 0.25 … 8
   lang=zh                               en | zh
   map=basin, mrun, mres, mx, my, mcol   map mode (see mapstate.js)
   view=3d                               the 3D surface instead of the contour (view3d.js)
   insp=1  arrows=1                      optimizer inspector open, arrows on the contour (page only)
   present=1                             presentation mode (present.js), page and /embed
   /embed only: autoplay=1, controls=lr,momentum (or controls=none)

 Values: numbers as JavaScript prints them, booleans 1/0, None as null, pairs and lists
 comma-separated, a nested optimizer or scheduler as name(key=value;…). Only the
 characters that must be escaped are (+ & # % and space, written "+"), so links stay readable.
*/

import { sameValue, valueOf } from "./catalog.js";
import { numText } from "./format.js";
import { decodeMap, defaultMap, encodeMap } from "./mapstate.js";

export const PALETTE = ["#e8453c", "#1f77d0", "#f2a900", "#7b3fd1", "#11a37f", "#ef5fa7",
  "#00a3c4", "#8c564b", "#b8c400", "#444444", "#ff8c1a", "#4b6bff", "#2ca02c", "#d62728",
  "#9467bd", "#17becf"];
export const SPEEDS = [0.25, 0.5, 1, 2, 4, 8];
export const MAX_ROWS = 16;
export const STEPS_MAX = 10000;
export const DEFAULT_SURFACE = "rosenbrock";
export const DEFAULT_STEPS = 200;
export const FANS = [4, 8, 16];
export const SEED_MAX = 2147483647;
const DEFAULT_ROWS = [
  { optimizer: "sgd", params: { lr: 0.002 } },
  { optimizer: "sgd", params: { lr: 0.001, momentum: 0.9 } },
  { optimizer: "adam", params: { lr: 0.1 } },
  { optimizer: "rmsprop", params: { lr: 0.01 } },
];

/** A fresh default state (rows only of optimizers the catalogue has). */
export function defaultState(catalog) {
  const rows = DEFAULT_ROWS.filter((r) => catalog.optimizer(r.optimizer))
    .map((r) => newRow(r.optimizer, { ...r.params }));
  assignColors(rows);
  return {
    surface: DEFAULT_SURFACE,
    formula: null,
    start: null,
    steps: DEFAULT_STEPS,
    rows,
    speed: 1,
    lang: null,
    view: "contour",
    autoplay: false,
    controls: null,
    map: defaultMap(),
    inspect: false,
    arrows: false,
    present: false,
  };
}

export function newRow(optimizer, params = {}, extra = {}) {
  return { optimizer, params, scheduler: null, noise: 0, seed: 0, fan: 0, color: null, visible: true, ...extra };
}

/** Give rows without a colour the first palette colour no other row uses. */
export function assignColors(rows) {
  for (const row of rows) {
    if (row.color) continue;
    const used = new Set(rows.map((r) => r.color).filter(Boolean));
    row.color = PALETTE.find((c) => !used.has(c)) || PALETTE[rows.indexOf(row) % PALETTE.length];
  }
}

export function cloneRow(row) {
  return JSON.parse(JSON.stringify(row));
}

// ---------------------------------------------------------------- call syntax

/** Split at `sep` outside parentheses. */
export function splitTop(text, sep) {
  const out = [];
  let depth = 0, from = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === "(") depth++;
    else if (ch === ")") depth = Math.max(0, depth - 1);
    else if (ch === sep && depth === 0) {
      out.push(text.slice(from, i));
      from = i + 1;
    }
  }
  out.push(text.slice(from));
  return out;
}

/** "adam(lr=0.05;betas=0.9,0.999)" -> {name: "adam", args: {lr: "0.05", betas: "0.9,0.999"}} */
export function parseCall(text) {
  const s = String(text).trim();
  const open = s.indexOf("(");
  if (open < 0) return { name: s, args: {} };
  const name = s.slice(0, open).trim();
  const body = s.endsWith(")") ? s.slice(open + 1, -1) : s.slice(open + 1);
  const args = {};
  for (const part of splitTop(body, ";")) {
    const eq = part.indexOf("=");
    if (eq <= 0) continue;
    args[part.slice(0, eq).trim()] = part.slice(eq + 1).trim();
  }
  return { name, args };
}

function formatCall(name, args) {
  const parts = Object.entries(args).map(([k, v]) => `${k}=${v}`);
  return parts.length ? `${name}(${parts.join(";")})` : name;
}

// ------------------------------------------------------ values typed by the catalogue

function parseNumber(raw, spec, integer) {
  if (raw === "null" || raw === "None" || raw === "") return spec.nullable ? null : undefined;
  const v = Number(raw);
  if (!Number.isFinite(v)) return undefined;
  if (integer && !Number.isInteger(v)) return undefined;
  return v;
}

/** The typed value of a raw URL string for a hyperparameter spec, or undefined.
 *  `steps`: the run's length, which sizes what a scheduler must be given (T_max, …). */
export function fromRaw(spec, raw, catalog, steps = DEFAULT_STEPS) {
  switch (spec.type) {
    case "float":
      return parseNumber(raw, spec, false);
    case "int":
      return parseNumber(raw, spec, true);
    case "bool":
      if (raw === "1" || raw === "true" || raw === "True") return true;
      if (raw === "0" || raw === "false" || raw === "False") return false;
      return undefined;
    case "pair": {
      const parts = raw.split(",");
      if (parts.length !== 2) return undefined;
      const v = parts.map((p) => parseNumber(p.trim(), spec, false));
      return v.includes(undefined) ? undefined : v;
    }
    case "float_list":
    case "int_list": {
      if (raw.trim() === "") return [];
      const v = raw.split(",").map((p) => parseNumber(p.trim(), { nullable: false }, spec.type === "int_list"));
      return v.includes(undefined) ? undefined : v;
    }
    case "choice": {
      // find() gives undefined for "no such choice", and the choice itself (maybe null) otherwise.
      return (spec.choices || []).find((c) => String(c) === raw || (c === null && (raw === "null" || raw === "None")));
    }
    case "optimizer": {
      const call = parseCall(raw);
      const opt = catalog.optimizer(call.name);
      if (!opt) return undefined;
      return { optimizer: opt.id, params: typedArgs(opt, call.args, catalog, steps) };
    }
    case "schedulers": {
      const list = [];
      for (const part of splitTop(raw, ",")) {
        const sch = decodeScheduler(part, catalog, steps);
        if (sch) list.push(sch);
      }
      return list;
    }
    default:
      return undefined;
  }
}

/** The URL text of a typed value. */
export function toRaw(spec, v, catalog) {
  if (v === null || v === undefined) return "null";
  switch (spec.type) {
    case "bool":
      return v ? "1" : "0";
    case "pair":
    case "float_list":
    case "int_list":
      return v.map((x) => numText(x)).join(",");
    case "choice":
      return String(v);
    case "optimizer":
      return encodeOptimizerCall(v.optimizer, v.params || {}, catalog);
    case "schedulers":
      return v.map((s) => encodeScheduler(s, catalog)).join(",");
    default:
      return typeof v === "number" ? numText(v) : String(v);
  }
}

function typedArgs(item, args, catalog, steps = DEFAULT_STEPS) {
  const params = {};
  for (const [name, raw] of Object.entries(args)) {
    const spec = item.params.find((p) => p.name === name);
    if (!spec) continue; // unknown key: ignored, so old links still load
    const v = fromRaw(spec, raw, catalog, steps);
    // A value equal to the default is the same as none (lr excepted: it is always shown).
    if (v !== undefined && (name === "lr" || !sameValue(v, spec.default))) params[name] = v;
  }
  return params;
}

function encodeArgs(item, params, catalog) {
  const args = {};
  for (const spec of item.params) {
    if (!(spec.name in params)) continue;
    const v = params[spec.name];
    // Defaults are left out (PyTorch fills them), except lr, which every reader wants to see.
    if (spec.name !== "lr" && sameValue(v, spec.default)) continue;
    args[spec.name] = toRaw(spec, v, catalog);
  }
  return args;
}

export function encodeOptimizerCall(id, params, catalog) {
  const opt = catalog.optimizer(id);
  return opt ? formatCall(id, encodeArgs(opt, params, catalog)) : id;
}

export function encodeScheduler(sch, catalog) {
  const item = catalog.scheduler(sch.name);
  return item ? formatCall(sch.name, encodeArgs(item, sch.params || {}, catalog)) : sch.name;
}

/** A scheduler from its URL text; what the text leaves out and PyTorch has no default for
 *  is sized for a run of `steps` steps (the URL's steps=, not the default 200). */
export function decodeScheduler(text, catalog, steps = DEFAULT_STEPS) {
  const call = parseCall(text);
  const item = catalog.scheduler(call.name);
  if (!item) return null;
  return fullScheduler({ name: item.id, params: { ...catalog.requiredValues(item, steps), ...typedArgs(item, call.args, catalog, steps) } }, catalog);
}

// ------------------------------------------------------------------ whole state

function numbers(text, count) {
  if (typeof text !== "string") return null;
  const v = text.split(",").map((p) => Number(p.trim()));
  return v.length === count && v.every(Number.isFinite) && text.trim() !== "" ? v : null;
}

/** URL query -> state. Anything unusable falls back to its default. */
export function decodeState(search, catalog) {
  const q = new URLSearchParams(search);
  const st = defaultState(catalog);

  const f = q.get("f");
  const d = numbers(q.get("d"), 4);
  if (f !== null && f.trim() !== "") {
    const domain = d && d[0] < d[1] && d[2] < d[3] ? [[d[0], d[1]], [d[2], d[3]]] : [[-3, 3], [-3, 3]];
    st.formula = { expr: f, domain };
    st.surface = null;
  } else if (catalog.surface(q.get("s"))) {
    st.surface = q.get("s");
  }

  const start = numbers(q.get("start"), 2);
  if (start) st.start = start;

  const steps = Number(q.get("steps"));
  if (q.has("steps") && Number.isInteger(steps) && steps >= 1 && steps <= STEPS_MAX) st.steps = steps;

  if (q.has("o")) {
    // Per-row keys (sched2, noise2, c, hide) count the non-empty `o` values as written;
    // a row whose optimizer is unknown is dropped together with its keys.
    const colors = (q.get("c") || "").split(",");
    const hidden = new Set((q.get("hide") || "").split(",").map((x) => Number(x)));
    const rows = [];
    q.getAll("o").filter((text) => text.trim()).forEach((text, i) => {
      const call = parseCall(text);
      const opt = catalog.optimizer(call.name);
      if (!opt) return;
      const row = newRow(opt.id, typedArgs(opt, call.args, catalog, st.steps));
      const n = i + 1;
      const sched = q.get(`sched${n}`);
      if (sched) row.scheduler = decodeScheduler(sched, catalog, st.steps);
      const noise = Number(q.get(`noise${n}`));
      if (q.has(`noise${n}`) && Number.isFinite(noise) && noise >= 0) row.noise = noise;
      const seed = Number(q.get(`seed${n}`));
      if (q.has(`seed${n}`) && Number.isInteger(seed) && seed >= 0 && seed <= SEED_MAX) row.seed = seed;
      const fan = Number(q.get(`fan${n}`));
      if (FANS.includes(fan)) row.fan = fan;
      if (/^[0-9a-fA-F]{6}$/.test(colors[i] || "")) row.color = `#${colors[i].toLowerCase()}`;
      if (hidden.has(n)) row.visible = false;
      rows.push(row);
    });
    st.rows = rows.slice(0, MAX_ROWS);
    assignColors(st.rows);
  }

  st.map = decodeMap(q, st.rows);

  const speed = Number(q.get("speed"));
  if (SPEEDS.includes(speed)) st.speed = speed;
  if (["en", "zh"].includes(q.get("lang"))) st.lang = q.get("lang");
  if (q.get("view") === "3d") st.view = "3d";
  st.autoplay = q.get("autoplay") === "1" || q.get("autoplay") === "true";
  st.inspect = q.get("insp") === "1";
  st.arrows = q.get("arrows") === "1";
  st.present = q.get("present") === "1";
  if (q.has("controls")) {
    const c = q.get("controls").split(",").map((s) => s.trim()).filter(Boolean);
    st.controls = c.includes("none") ? [] : c;
  }
  return st;
}

/** Escape only what a query value needs: keeps ( ) , ; = : * readable. */
function esc(text) {
  // Spaces as "+", as forms write them (URLSearchParams reads "+" as a space).
  return encodeURIComponent(text).replace(/%20/g, "+")
    .replace(/%2C/g, ",").replace(/%3B/g, ";").replace(/%3D/g, "=")
    .replace(/%3A/g, ":").replace(/%2F/g, "/").replace(/%40/g, "@");
}

/** state -> URL query (without "?"). `extra` adds keys such as autoplay for /embed. */
export function encodeState(st, catalog, { embed = false } = {}) {
  const parts = [];
  const put = (k, v) => parts.push(`${k}=${esc(String(v))}`);
  if (st.formula) {
    put("f", st.formula.expr);
    put("d", st.formula.domain.flat().map(numText).join(","));
  } else {
    put("s", st.surface || DEFAULT_SURFACE);
  }
  if (st.start) put("start", st.start.map(numText).join(","));
  put("steps", st.steps);
  if (!st.rows.length) parts.push("o=");
  st.rows.forEach((row) => put("o", encodeOptimizerCall(row.optimizer, row.params, catalog)));
  st.rows.forEach((row, i) => {
    if (row.scheduler) put(`sched${i + 1}`, encodeScheduler(row.scheduler, catalog));
    if (row.noise > 0) put(`noise${i + 1}`, numText(row.noise));
    if (row.seed > 0) put(`seed${i + 1}`, row.seed);
    if (row.fan > 0) put(`fan${i + 1}`, row.fan);
  });
  const defaultColors = st.rows.every((r, i) => r.color === PALETTE[i % PALETTE.length]);
  if (st.rows.length && !defaultColors) put("c", st.rows.map((r) => (r.color || "").replace("#", "")).join(","));
  const hidden = st.rows.map((r, i) => (r.visible ? 0 : i + 1)).filter(Boolean);
  if (hidden.length) put("hide", hidden.join(","));
  if (!embed) encodeMap(st.map, put);
  if (st.speed !== 1) put("speed", st.speed);
  if (st.lang) put("lang", st.lang);
  if (st.view === "3d" && !embed) put("view", "3d");
  if (!embed && st.inspect) put("insp", 1);
  if (!embed && st.arrows) put("arrows", 1);
  if (st.present) put("present", 1);
  if (embed) {
    if (st.autoplay) put("autoplay", 1);
    if (st.controls) put("controls", st.controls.length ? st.controls.join(",") : "none");
  }
  return parts.join("&");
}

/** The request body of POST /api/v1/run (and of the WebSocket) for a state. */
export function runRequest(st, catalog) {
  const body = {
    surface: st.formula ? { expr: st.formula.expr, domain: st.formula.domain } : st.surface,
    steps: st.steps,
    runs: st.rows.map((row) => {
      const run = { optimizer: row.optimizer, params: cleanParams(row.optimizer, row.params, catalog) };
      if (row.scheduler) run.scheduler = fullScheduler(row.scheduler, catalog);
      if (row.noise > 0) run.noise = { std: row.noise, seed: row.seed || 0 };
      return run;
    }),
  };
  if (st.start) body.start = st.start;
  return body;
}

/** A scheduler with every catalogue default written out: PyTorch has no default for some
 *  arguments the catalogue gives one (StepLR's step_size), and the server wants them. */
export function fullScheduler(sch, catalog) {
  const item = catalog.scheduler(sch.name);
  if (!item) return { name: sch.name, params: sch.params || {} };
  const params = {};
  for (const spec of item.params) {
    const v = spec.name in (sch.params || {}) ? sch.params[spec.name] : spec.default;
    if (v === null && !(spec.name in (sch.params || {}))) continue;
    params[spec.name] = spec.type === "schedulers" && Array.isArray(v) ? v.map((c) => fullScheduler(c, catalog)) : v;
  }
  return { name: sch.name, params };
}

function cleanParams(optId, params, catalog) {
  const opt = catalog.optimizer(optId);
  const out = {};
  for (const spec of opt?.params || []) {
    if (spec.name in params) out[spec.name] = valueOf(params, spec);
  }
  return out;
}
