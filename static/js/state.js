/*
 The whole view lives in the URL query, so a reload or a shared link shows the same thing.
 Every key is optional: a missing, unknown or malformed one takes its default, so old links
 keep working when keys are added. The keys, their kinds, limits and defaults are in
 table.json (url.scene, url.row, url.map), read by this file, mapstate.js and Python.

   s=rosenbrock                          built-in surface id (default: rosenbrock)
   f=x**2+%2B+3*sin(y)  d=-3,3,-3,3      a typed formula instead of s, and its domain x0,x1,y0,y1
   data=line                             a surface from data instead: a built-in data set, the
                                         loss of y = w·x + b over it, p = (w, b)
   pts=0.5:1.1,1:2,2:3.9                 your own data, x:y pairs (data=local: too long for a
                                         link, kept in this tab only; see table.json)
                                         Plain text, not deflate + base64url, which would
                                         carry more points (bench/link_size.py): the link
                                         stays readable, and decoding stays synchronous (no
                                         CompressionStream), so this file and
                                         app/teach/share_url.py decode a link identically.
   model=logistic                        linear (MSELoss) | logistic (BCEWithLogitsLoss);
                                         default: the data set's own, linear for pts
   batch=8  bseed=3  shuffle=0           mini-batches of 8, the order's seed, data order
                                         (written only on a surface from data)
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
   groups1=x(lr=0.1),y(momentum=0)       row 1's param groups: one per coordinate, each with
                                         the values it sets (`groups1=x,y`: both take the row's)
   zero_grad1=never                      .grad is never cleared (default every_step)
   events1=100:keep(lr=0.001),150:reset  changes of course after 100 and 150 steps: values
                                         written into every param group (keep), or the
                                         optimizer built anew, its state empty (reset)
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
import { LOOK, URL_KEYS, defaults, readField, urlField, writeField, writtenIn } from "./table.js";

export const PALETTE = LOOK.palette;
export const MAX_ROWS = urlField("rows").max;
export const STEPS_MAX = urlField("steps").max;
export const DEFAULT_SURFACE = urlField("surface").default;
export const DEFAULT_STEPS = urlField("steps").default;

/** A fresh default state (rows only of optimizers the catalogue has). */
export function defaultState(catalog) {
  const rows = URL_KEYS.default_rows.filter((r) => catalog.optimizer(r.optimizer))
    .map((r) => newRow(r.optimizer, { ...r.params }));
  assignColors(rows);
  return { ...defaults("scene"), formula: null, data: null, model: null, rows, map: defaultMap() };
}

export function newRow(optimizer, params = {}, extra = {}) {
  return { optimizer, params, ...defaults("row"), color: null, visible: true, ...extra };
}

/** The first palette colour no row uses (the palette again, by position, past 16 rows). */
export function freeColor(rows, index = rows.length) {
  const used = new Set(rows.map((r) => r.color).filter(Boolean));
  return PALETTE.find((c) => !used.has(c)) || PALETTE[index % PALETTE.length];
}

/** Give rows without a colour the first palette colour no other row uses. */
export function assignColors(rows) {
  rows.forEach((row, i) => {
    if (!row.color) row.color = freeColor(rows, i);
  });
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
    // Defaults are left out (PyTorch fills them), except lr, which every reader wants to
    // see, and what PyTorch has no default for (StepLR's step_size: the page sizes it).
    if (spec.name !== "lr" && !spec.required && sameValue(v, spec.default)) continue;
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

/** The codecs of the keys that are not plain numbers, choices or flags, by kind:
 *  read(q, st, spec, catalog) sets the state's field; write(put, st, spec, ctx) writes it. */
const CODECS = {
  surface: {
    read(q, st, spec, catalog) {
      const f = q.get(spec.formula_key);
      const d = numbers(q.get(spec.domain_key), 4);
      const pts = parsePoints(q.get(spec.points_key));
      if (f !== null && f.trim() !== "") {
        const domain = d && d[0] < d[1] && d[2] < d[3] ? [[d[0], d[1]], [d[2], d[3]]] : structuredClone(spec.domain_default);
        st.formula = { expr: f, domain };
        st.surface = null;
      } else if (pts || catalog.dataset(q.get(spec.data_key))) {
        st.data = pts || { id: q.get(spec.data_key) };
        st.surface = null;
        const model = q.get(spec.model_key);
        if (spec.models.includes(model)) st.model = model;
      } else if (catalog.surface(q.get(spec.key))) {
        st.surface = q.get(spec.key);
      }
    },
    write(put, st, spec) {
      if (st.formula) {
        put(spec.formula_key, st.formula.expr);
        put(spec.domain_key, st.formula.domain.flat().map(numText).join(","));
      } else if (st.data) {
        const text = st.data.id ? null : pointsText(st.data);
        if (st.data.id) put(spec.data_key, st.data.id);
        else if (text.length <= spec.points_max_chars) put(spec.points_key, text);
        else put(spec.data_key, spec.local);
        if (st.model) put(spec.model_key, st.model);
      } else {
        put(spec.key, st.surface || spec.default);
      }
    },
  },
  point: {
    read(q, st, spec) {
      const p = numbers(q.get(spec.key), 2);
      if (p) st[spec.field] = p;
    },
    write(put, st, spec) {
      if (st[spec.field]) put(spec.key, st[spec.field].map(numText).join(","));
    },
  },
  rows: {
    read(q, st, spec, catalog) {
      if (!q.has(spec.key)) return;
      // Per-row keys (sched2, noise2, c, hide) count the non-empty `o` values as written;
      // a row whose optimizer is unknown is dropped together with its keys.
      const colors = (q.get(spec.colors_key) || "").split(",");
      const hidden = new Set((q.get(spec.hidden_key) || "").split(",").map((x) => Number(x)));
      const rows = [];
      q.getAll(spec.key).filter((text) => text.trim()).forEach((text, i) => {
        const call = parseCall(text);
        const opt = catalog.optimizer(call.name);
        if (!opt) return;
        const row = newRow(opt.id, typedArgs(opt, call.args, catalog, st.steps));
        const n = i + 1;
        for (const f of URL_KEYS.row) {
          const codec = ROW_CODECS[f.kind];
          const v = codec ? codec.read(q.get(`${f.key}${n}`), row, f, catalog, st.steps) : readField(q, f, `${f.key}${n}`);
          if (v !== undefined) row[f.field] = v;
        }
        if (/^[0-9a-fA-F]{6}$/.test(colors[i] || "")) row.color = `#${colors[i].toLowerCase()}`;
        if (hidden.has(n)) row.visible = false;
        rows.push(row);
      });
      st.rows = rows.slice(0, spec.max);
      assignColors(st.rows);
    },
    write(put, st, spec, { catalog }) {
      if (!st.rows.length) put(spec.key, "");
      st.rows.forEach((row) => put(spec.key, encodeOptimizerCall(row.optimizer, row.params, catalog)));
      st.rows.forEach((row, i) => {
        for (const f of URL_KEYS.row) {
          const codec = ROW_CODECS[f.kind];
          if (!codec) {
            writeField(put, f, row[f.field], `${f.key}${i + 1}`);
            continue;
          }
          const text = codec.write(row[f.field], row, catalog);
          if (text !== null) put(`${f.key}${i + 1}`, text);
        }
      });
      const defaultColors = st.rows.every((r, i) => r.color === PALETTE[i % PALETTE.length]);
      if (st.rows.length && !defaultColors) put(spec.colors_key, st.rows.map((r) => (r.color || "").replace("#", "")).join(","));
      const hidden = st.rows.map((r, i) => (r.visible ? 0 : i + 1)).filter(Boolean);
      if (hidden.length) put(spec.hidden_key, hidden.join(","));
    },
  },
  map: {
    read(q, st) {
      st.map = decodeMap(q, st.rows);
    },
    write(put, st) {
      encodeMap(st.map, put);
    },
  },
  names: {
    read(q, st, spec) {
      if (!q.has(spec.key)) return;
      const c = q.get(spec.key).split(",").map((s) => s.trim()).filter(Boolean);
      st[spec.field] = c.includes(spec.none) ? [] : c;
    },
    write(put, st, spec) {
      const v = st[spec.field];
      if (v) put(spec.key, v.length ? v.join(",") : spec.none);
    },
  },
};

/** Pasted data as the URL writes it: "x:y" pairs, comma-separated, each number the
 *  shortest text that reads back as the same float. */
export function pointsText(data) {
  return data.x.map((x, i) => `${x}:${data.y[i]}`).join(",");
}

/** "0.5:1.1,1:2" -> {x: [0.5, 1], y: [1.1, 2]}, or null when any pair is unusable. */
export function parsePoints(text) {
  if (typeof text !== "string" || text.trim() === "") return null;
  const x = [], y = [];
  for (const pair of text.split(",")) {
    const xy = pair.split(":");
    if (xy.length !== 2 || xy.some((v) => v.trim() === "")) return null;
    const [a, b] = xy.map(Number);
    if (!Number.isFinite(a) || !Number.isFinite(b)) return null;
    x.push(a);
    y.push(b);
  }
  return { x, y };
}

// ------------------------------------------------ a row's keys that are not plain

/** The catalogue entry whose hyperparameters a row's param groups and events hold:
 *  the optimizer's own, or for Lookahead its inner optimizer's (torch's param groups
 *  are the inner optimizer's). Only the kinds a param group can hold. */
export function groupItem(row, catalog) {
  const opt = catalog.optimizer(row.optimizer);
  if (!opt) return null;
  const innerSpec = opt.params.find((p) => p.type === "optimizer");
  let item = opt;
  if (innerSpec) {
    const inner = row.params?.[innerSpec.name] || innerSpec.default;
    item = catalog.optimizer(inner?.optimizer) || catalog.optimizer("sgd");
  }
  return item && { ...item, params: item.params.filter((p) => GROUP_KINDS.has(p.type)) };
}

/** The values a row's param groups and changes fall back on: its params (Lookahead's:
 *  its inner optimizer's, whose param groups they are). */
export function baseValues(row, catalog) {
  const opt = catalog.optimizer(row.optimizer);
  const inner = opt?.params.find((p) => p.type === "optimizer");
  if (!inner) return row.params;
  const v = row.params[inner.name] || inner.default;
  return v?.params || {};
}

const GROUP_KINDS = new Set(["float", "int", "bool", "pair", "choice", "float_list", "int_list"]);
const COORDINATES = ["x", "y"];
const EVENT_STATES = ["keep", "reset"];

/** Can this row's optimizer take param groups? LBFGS (a closure optimizer) cannot:
 *  PyTorch refuses per-parameter options for it. */
export function groupsAllowed(row, catalog) {
  const item = groupItem(row, catalog);
  return Boolean(item) && !item.closure;
}

/** Values typed by the catalogue, every one kept: in a param group or an event a value
 *  equal to PyTorch's default still overrides the row's. */
function typedValues(item, args, catalog, steps) {
  const out = {};
  for (const spec of item.params) {
    if (!(spec.name in args)) continue;
    const v = fromRaw(spec, args[spec.name], catalog, steps);
    if (v !== undefined) out[spec.name] = v;
  }
  return out;
}

function valuesText(item, values, catalog) {
  return item.params.filter((spec) => spec.name in values).map((spec) => `${spec.name}=${toRaw(spec, values[spec.name], catalog)}`).join(";");
}

/** Only what the item knows, in its catalogue order (the server's order too). */
export function cleanValues(item, values) {
  const out = {};
  for (const spec of item?.params || []) if (spec.name in (values || {})) out[spec.name] = values[spec.name];
  return out;
}

/** The codecs of a row's keys that are not plain, by kind: read(raw or null, row, spec,
 *  catalog, steps) gives the field's value or undefined; write(value, row, catalog) the
 *  text, or null to leave the key out. */
const ROW_CODECS = {
  scheduler: {
    read: (raw, row, spec, catalog, steps) => (raw ? decodeScheduler(raw, catalog, steps) : undefined),
    write: (sch, row, catalog) => (sch ? encodeScheduler(sch, catalog) : null),
  },
  groups: {
    read(raw, row, spec, catalog, steps) {
      if (!raw || !groupsAllowed(row, catalog)) return undefined;
      const item = groupItem(row, catalog);
      const groups = {};
      for (const part of splitTop(raw, ",")) {
        const call = parseCall(part);
        if (COORDINATES.includes(call.name) && !(call.name in groups)) groups[call.name] = typedValues(item, call.args, catalog, steps);
      }
      if (!Object.keys(groups).length) return undefined;
      return { x: groups.x || {}, y: groups.y || {} };
    },
    write(groups, row, catalog) {
      const item = groupItem(row, catalog);
      if (!groups || !item) return null;
      return COORDINATES.map((c) => {
        const text = valuesText(item, groups[c] || {}, catalog);
        return text ? `${c}(${text})` : c;
      }).join(",");
    },
  },
  events: {
    read(raw, row, spec, catalog, steps) {
      if (!raw) return undefined;
      const item = groupItem(row, catalog);
      if (!item) return undefined;
      const events = [];
      for (const part of splitTop(raw, ",")) {
        const call = parseCall(part);
        const colon = call.name.indexOf(":");
        const atText = colon < 0 ? call.name : call.name.slice(0, colon);
        const state = colon < 0 ? "keep" : call.name.slice(colon + 1);
        const at = Number(atText);
        const last = events.length ? events[events.length - 1].at : 0;
        if (atText.trim() === "" || !Number.isInteger(at) || at <= last || !EVENT_STATES.includes(state)) continue;
        events.push({ at, params: typedValues(item, call.args, catalog, steps), state });
      }
      return events.slice(0, spec.max);
    },
    write(events, row, catalog) {
      const item = groupItem(row, catalog);
      if (!events?.length || !item) return null;
      return events.map((e) => {
        const text = valuesText(item, e.params, catalog);
        return `${e.at}:${e.state}${text ? `(${text})` : ""}`;
      }).join(",");
    },
  },
};

/** URL query -> state. Anything unusable falls back to its default. */
export function decodeState(search, catalog) {
  const q = new URLSearchParams(search);
  const st = defaultState(catalog);
  for (const spec of URL_KEYS.scene) {
    if (spec.when === "data" && !st.data) continue; // batch keys: only on a surface from data
    const codec = CODECS[spec.kind];
    if (codec) {
      codec.read(q, st, spec, catalog);
    } else {
      const v = readField(q, spec);
      if (v !== undefined) st[spec.field] = v;
    }
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

/** state -> URL query (without "?"); `embed` writes the embed's keys instead of the page's. */
export function encodeState(st, catalog, { embed = false } = {}) {
  const parts = [];
  const put = (k, v) => parts.push(`${k}=${esc(String(v))}`);
  for (const spec of URL_KEYS.scene) {
    if (!writtenIn(spec, embed) || (spec.when === "data" && !st.data)) continue;
    const codec = CODECS[spec.kind];
    if (codec) codec.write(put, st, spec, { catalog });
    else writeField(put, spec, st[spec.field]);
  }
  return parts.join("&");
}

/** The request body of POST /api/v1/run (and of the WebSocket) for a state. */
export function runRequest(st, catalog) {
  const body = {
    surface: st.formula ? { expr: st.formula.expr, domain: st.formula.domain } : st.data ? dataSurface(st) : st.surface,
    steps: st.steps,
    runs: st.rows.map((row) => {
      const run = { optimizer: row.optimizer, params: cleanParams(row.optimizer, row.params, catalog) };
      if (row.scheduler) run.scheduler = fullScheduler(row.scheduler, catalog);
      if (row.noise > 0) run.noise = { std: row.noise, seed: row.seed || 0 };
      Object.assign(run, labOptions(row, catalog));
      return run;
    }),
  };
  if (st.start) body.start = st.start;
  if (st.data && st.batchSize) body.batch = { size: st.batchSize, seed: st.batchSeed, shuffle: st.shuffle };
  return body;
}

/** The `surface` of a request on a surface from data: {data: id | {x, y}, model?}. */
export function dataSurface(st) {
  const spec = { data: st.data.id ? st.data.id : { x: st.data.x, y: st.data.y } };
  if (st.model) spec.model = st.model;
  return spec;
}

/** A run's options from the torch.optim API (api-v1.md): param groups, zero_grad,
 *  events, as the request writes them (nothing when the row leaves them at their default). */
function labOptions(row, catalog) {
  const out = {};
  const item = groupItem(row, catalog);
  if (row.groups && item) out.groups = { x: cleanValues(item, row.groups.x), y: cleanValues(item, row.groups.y) };
  if (row.zero_grad === "never") out.zero_grad = "never";
  if (row.events?.length && item) out.events = row.events.map((e) => ({ at: e.at, params: cleanValues(item, e.params), state: e.state }));
  return out;
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
