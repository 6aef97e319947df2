// The page's one table of URL keys and display constants (table.json, which Python reads
// too: app/teach/table.py), and the reading and writing of its plain keys (numbers,
// choices, flags). Keys of other kinds (the surface, the rows, the map) have their codec
// in state.js and mapstate.js, under the names the table gives them.

import TABLE from "./table.json" with { type: "json" };
import { numText } from "./format.js";

export { TABLE };
export const LOOK = TABLE.look;
export const URL_KEYS = TABLE.url;

/** The spec of a URL field by its state name: urlField("steps").max, urlField("speed", "scene"). */
export function urlField(name, group = "scene") {
  return URL_KEYS[group].find((f) => f.field === name);
}

/** Each field's default, as a fresh object ({steps: 200, speed: 1, ...}). */
export function defaults(group) {
  const out = {};
  for (const f of URL_KEYS[group]) if ("default" in f) out[f.field] = structuredClone(f.default);
  return out;
}

/** The typed value of a plain key (int, float, choice, flag, name) in query `q`, or undefined
 *  when the key is absent or its value unusable. `key` overrides the spec's (noise3). */
export function readField(q, spec, key = spec.key) {
  if (!q.has(key)) return undefined;
  const raw = q.get(key);
  switch (spec.kind) {
    case "int":
    case "float": {
      const v = Number(raw);
      if (!Number.isFinite(v) || (spec.kind === "int" && !Number.isInteger(v))) return undefined;
      if ((spec.min !== undefined && v < spec.min) || (spec.max !== undefined && v > spec.max)) return undefined;
      return v;
    }
    case "choice":
      return spec.choices.find((c) => (typeof c === "number" ? c === Number(raw) : c === raw));
    case "flag":
      return spec.true.includes(raw);
    case "name":
      return new RegExp(spec.pattern).test(raw) ? raw : undefined;
    default:
      throw new Error(`readField: ${spec.kind} is not a plain kind`);
  }
}

/** Write a plain key through `put(key, text)`, unless it holds its default. */
export function writeField(put, spec, v, key = spec.key) {
  if (!spec.always && v === spec.default) return;
  if (spec.kind === "flag") put(key, v ? 1 : 0);
  else put(key, typeof v === "number" ? numText(v) : String(v));
}

/** Is the field written in this kind of link (`where`: page only, embed only)? */
export function writtenIn(spec, embed) {
  return !spec.where || spec.where === (embed ? "embed" : "page");
}
