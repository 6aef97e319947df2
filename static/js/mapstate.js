/*
 Map mode's part of the URL state, and the map request it stands for.

   map=basin | map=sweep                 map mode on, and which map (absent: off)
   mrun=2                                the optimizer row mapped (rows count from 1)
   mres=64                               cells per side: 32, 64, 128 or 256
   mx=lr,1e-05,10,log                    sweep axes: hyperparameter (betas:1 is betas[1]),
   my=momentum,0,0.99                    first and last value, "log" for a log axis
   mcol=steps                            sweep colour: final loss (default) or steps

 Every key is optional; an axis the mapped optimizer cannot sweep falls back to its
 default, so an old link, or one edited by hand, still opens.
*/

import { numText } from "./format.js";
import { URL_KEYS, defaults, readField, urlField, writeField } from "./table.js";

export const MAP_RESOLUTIONS = urlField("res", "map").choices;

export function defaultMap() {
  return { on: false, ...defaults("map") };
}

/** The hyperparameters a sweep can put on an axis: the server sweeps numbers (float)
 *  and single elements of pairs; booleans, choices, integers and lists it refuses. */
export function sweepChoices(catalog, optId) {
  const out = [];
  for (const spec of catalog.optimizer(optId)?.params || []) {
    if (spec.type === "float") out.push({ param: spec.name, index: null, spec });
    if (spec.type === "pair") for (const index of [0, 1]) out.push({ param: spec.name, index, spec });
  }
  return out;
}

/** "lr", or "betas[1]": the name the server writes in x_param / y_param. */
export function axisKey(axis) {
  return axis.index === null || axis.index === undefined ? axis.param : `${axis.param}[${axis.index}]`;
}

/** An axis over the catalogue's slider range, on a log scale where the catalogue says. */
export function defaultAxis(choice) {
  const spec = choice.spec;
  const [lo, hi] = spec.ui || [spec.min ?? 0, spec.max ?? 1];
  return { param: choice.param, index: choice.index, range: [lo, hi], log: Boolean(spec.log) && lo > 0 };
}

/** The sweep axes for the mapped row: the state's when its optimizer can sweep them,
 *  else lr and the next sweepable hyperparameter. */
export function sweepAxes(map, catalog, optId) {
  const choices = sweepChoices(catalog, optId);
  const find = (a) => a && choices.find((c) => c.param === a.param && (c.index ?? null) === (a.index ?? null));
  let x = find(map.x) ? map.x : null;
  let y = find(map.y) ? map.y : null;
  if (x && y && axisKey(x) === axisKey(y)) y = null;
  const free = choices.filter((c) => ![x, y].some((a) => a && axisKey(a) === axisKey(c)));
  if (!x && free.length) x = defaultAxis(free.shift());
  if (!y && free.length) y = defaultAxis(free.shift());
  return { x, y };
}

function decodeAxis(text) {
  if (!text) return null;
  const parts = text.split(",");
  if (parts.length < 3) return null;
  const [name, index] = parts[0].split(":");
  const range = [Number(parts[1]), Number(parts[2])];
  if (!/^\w+$/.test(name || "") || !range.every(Number.isFinite) || !(range[0] < range[1])) return null;
  const idx = index === undefined ? null : Number(index);
  if (idx !== null && idx !== 0 && idx !== 1) return null;
  return { param: name, index: idx, range, log: parts[3] === "log" };
}

function encodeAxis(a) {
  const name = a.index === null || a.index === undefined ? a.param : `${a.param}:${a.index}`;
  return [name, numText(a.range[0]), numText(a.range[1]), ...(a.log ? ["log"] : [])].join(",");
}

/** URL query -> map settings (rows already decoded: mrun is checked against them). */
export function decodeMap(q, rows) {
  const m = defaultMap();
  for (const spec of URL_KEYS.map) {
    if (spec.kind === "axis") {
      m[spec.field] = decodeAxis(q.get(spec.key));
    } else if (spec.kind === "row_number") {
      const n = Number(q.get(spec.key));
      if (Number.isInteger(n) && n >= 1 && n <= rows.length) m[spec.field] = n - 1;
    } else {
      const v = readField(q, spec);
      if (v !== undefined) m[spec.field] = v;
    }
  }
  // map=basin|sweep is the switch as well as the kind.
  m.on = readField(q, urlField("kind", "map")) !== undefined;
  return m;
}

/** map settings -> URL keys through `put(key, value)`; nothing at all when off. */
export function encodeMap(m, put) {
  if (!m || !m.on) return;
  for (const spec of URL_KEYS.map) {
    if (spec.when && spec.when !== m.kind) continue;
    const v = m[spec.field];
    if (spec.kind === "axis") {
      if (v) put(spec.key, encodeAxis(v));
    } else if (spec.kind === "row_number") {
      if (v) put(spec.key, v + 1);
    } else {
      writeField(put, spec, v);
    }
  }
}

function axisBody(a, n) {
  const body = { param: a.param, range: [...a.range], scale: a.log ? "log" : "linear", n };
  if (a.index !== null && a.index !== undefined) body.index = a.index;
  return body;
}

/** The body of a /api/v1/map request, from the body of a /api/v1/run request for the
 *  mapped row alone (`run`, from state.runRequest), or null when there is nothing to map.
 *  The row's noise and torch.optim API options are left out: a map runs without them. A basin map covers `view`
 *  ([[x0, x1], [y0, y1]], the zoomed plot) when given, else the surface's domain. */
export function mapRequest(m, runBody, start, catalog, view = null) {
  const spec = runBody.runs[0];
  if (!spec) return null;
  // Without the torch.optim API options either (param groups, zero_grad, changes at a
  // step): the map engine runs the plain optimizer, and says so (map.noLab).
  const { noise, groups, zero_grad: zeroGrad, events, ...run } = spec;
  const body = { kind: m.kind, surface: runBody.surface, steps: runBody.steps, run };
  // Mini-batches on a surface from data: step j of every cell uses step j's batch.
  if (runBody.batch) body.batch = runBody.batch;
  if (m.kind === "basin") {
    body.x = view ? { n: m.res, range: view[0] } : { n: m.res };
    body.y = view ? { n: m.res, range: view[1] } : { n: m.res };
    return body;
  }
  const { x, y } = sweepAxes(m, catalog, run.optimizer);
  if (!x || !y) return null;
  // The row's own value of a swept hyperparameter plays no part: leave it out (PyTorch's
  // default stands in), so loading a cell's values into the row does not redo the map.
  run.params = { ...run.params };
  for (const a of [x, y]) {
    if (!(a.param in run.params)) continue;
    if (a.index === null || a.index === undefined) {
      delete run.params[a.param];
    } else {
      const pair = [...run.params[a.param]];
      pair[a.index] = catalog.optimizer(run.optimizer).params.find((p) => p.name === a.param).default[a.index];
      run.params[a.param] = pair;
    }
  }
  if (start) body.start = [...start];
  body.x = axisBody(x, m.res);
  body.y = axisBody(y, m.res);
  return body;
}
