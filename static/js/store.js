// The one owner of the page's state. Views read `store.state` (a read-only view: writing
// it throws) and change it only through `store.update(change)`, which applies the change,
// saves the URL, tells every subscriber what changed, and schedules one computation for
// all the changes of the same moment (a drag's input events, a reset of several fields).
//
// A change is a plain object:
//   {steps: 300}, {start: [1, 2]}, {surface: "booth", formula: null, start: null}, ...
//   {data: {id: "line"}, surface: null, formula: null}, {batchSize: 8}, ...
//                             top-level fields, replaced
//   {rows: [...]}             the list of rows (added, removed, reordered, replaced)
//   {row: 2, set: {...}}      fields of row 2 replaced (optimizer, params, scheduler,
//                             noise, seed, fan, color, visible)
//   {row: 2, params: {...}}   hyperparameters of row 2 merged into its params
//   {row: 2, schedulerParams: {...}}   merged into row 2's scheduler's params
//   {map: {...}}              map settings merged
// Subscribers get {change, what, from}: `what` is the set of aspects that changed (the
// top-level names, "row" for a row's contents, "look" for its colour or visibility), and
// `from` who asked (a view can skip its own changes).

import { encodeState } from "./state.js";

// What a computation depends on; a change to anything else only redraws or relabels.
const COMPUTED = new Set(["surface", "formula", "data", "model", "batchSize", "batchSeed", "shuffle", "start", "steps", "rows", "row"]);
const LOOK_ONLY = new Set(["color", "visible"]);
const URL_DELAY_MS = 120;

export class Store {
  constructor(state, catalog, { embed = false } = {}) {
    this.raw = state;
    this.catalog = catalog;
    this.embed = embed;
    this.state = readOnly(state);
    this.listeners = [];
    this.computer = null;
    this.pending = null;
    this.urlTimer = 0;
  }

  /** fn({change, what, from}) after every update; returns a function that unsubscribes. */
  subscribe(fn) {
    this.listeners.push(fn);
    return () => {
      this.listeners = this.listeners.filter((f) => f !== fn);
    };
  }

  /** The scene's computation: compute({restart}), called once per batch of changes. */
  onCompute(fn) {
    this.computer = fn;
  }

  /** Apply a change (see the top of this file). `restart`: the race starts again from
   *  step 0 once the new paths arrive (a new start point, a new surface). */
  update(change, { restart = false, from = null } = {}) {
    const what = apply(this.raw, unwrap(change));
    if (!what.size) return what;
    this.saveUrl();
    for (const fn of [...this.listeners]) fn({ change, what, from });
    if (restart || [...what].some((w) => COMPUTED.has(w))) this.recompute({ restart });
    return what;
  }

  /** Schedule one computation for everything changed in this moment. */
  recompute({ restart = false } = {}) {
    if (this.pending) {
      this.pending.restart ||= restart;
      return;
    }
    this.pending = { restart };
    queueMicrotask(() => {
      const p = this.pending;
      this.pending = null;
      this.computer?.(p);
    });
  }

  /** The query string the state stands for. */
  query() {
    return encodeState(this.raw, this.catalog, { embed: this.embed });
  }

  /** Write the state into the URL without adding history entries (debounced). */
  saveUrl() {
    clearTimeout(this.urlTimer);
    this.urlTimer = setTimeout(() => history.replaceState(null, "", `${location.pathname}?${this.query()}`), URL_DELAY_MS);
  }
}

function apply(st, change) {
  const what = new Set();
  for (const [key, value] of Object.entries(change)) {
    if (key === "row" || key === "set" || key === "params" || key === "schedulerParams") continue;
    if (key === "map") {
      Object.assign(st.map, value);
    } else {
      st[key] = value;
    }
    what.add(key);
  }
  if ("row" in change) {
    const row = st.rows[change.row];
    if (!row) throw new Error(`store: no row ${change.row}`);
    for (const [key, value] of Object.entries(change.set || {})) {
      row[key] = value;
      what.add(LOOK_ONLY.has(key) ? "look" : "row");
    }
    if (change.params) {
      Object.assign(row.params, change.params);
      what.add("row");
    }
    if (change.schedulerParams && row.scheduler) {
      Object.assign(row.scheduler.params, change.schedulerParams);
      what.add("row");
    }
  }
  return what;
}

// ------------------------------------------------------------- the read-only view

const views = new WeakMap(); // object -> its read-only view (one per object, so === holds)
const targets = new WeakMap(); // view -> object

const READ_ONLY = {
  get(target, key) {
    const v = Reflect.get(target, key);
    return v !== null && typeof v === "object" ? readOnly(v) : v;
  },
  set(target, key) {
    throw new TypeError(`the page's state is read-only (${String(key)}): change it with store.update()`);
  },
  deleteProperty(target, key) {
    throw new TypeError(`the page's state is read-only (${String(key)}): change it with store.update()`);
  },
  defineProperty(target, key) {
    throw new TypeError(`the page's state is read-only (${String(key)}): change it with store.update()`);
  },
};

function readOnly(obj) {
  if (targets.has(obj)) return obj;
  let view = views.get(obj);
  if (!view) {
    view = new Proxy(obj, READ_ONLY);
    views.set(obj, view);
    targets.set(view, obj);
  }
  return view;
}

/** A value with every read-only view in it replaced by the object it shows, so the
 *  state only ever holds its own objects (a row kept in a new list stays the same row). */
function unwrap(v) {
  if (v === null || typeof v !== "object") return v;
  if (targets.has(v)) return targets.get(v);
  if (Array.isArray(v)) return v.map(unwrap);
  const out = {};
  for (const [k, x] of Object.entries(v)) out[k] = unwrap(x);
  return out;
}
