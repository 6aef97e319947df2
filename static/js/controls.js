// Widgets built from the catalogue: one generic field per hyperparameter type, and the
// optimizer row cards made of them. No optimizer has hand-written markup: a new entry in
// GET /api/v1/optimizers gets its controls from its specs (type, default, ui range, log).
//
// Slider fields call onInput on every `input` event (the paths are recomputed while the
// thumb moves); rows are rebuilt only when their structure changes (optimizer, scheduler).

import { t, docOf } from "./i18n.js";
import { numText, tidy } from "./format.js";
import { sameValue, valueOf } from "./catalog.js";
import { MAX_ROWS, freeColor, fullScheduler, newRow } from "./state.js";
import { ruleToggle } from "./rule.js";
import { noiseBox } from "./noise.js";
import { LabDisclosure, fitToOptimizer } from "./labrow.js";
import { el } from "./dom.js";

export { el };

let uid = 0;
const nextId = (p) => `${p}-${++uid}`;

// Integer hyperparameters counted in optimizer steps (read out as "50 steps").
const IN_STEPS = new Set(["steps", "step_size", "T_max", "T_0", "total_iters", "total_steps",
  "step_size_up", "step_size_down", "patience", "cooldown", "k"]);

/** What a screen reader says for a slider: the value and its unit, never the thumb's
 *  0–1000 position. */
export function valueText(spec, v) {
  if (v === null || v === undefined) return t("param.none");
  return IN_STEPS.has(spec.name) ? t("unit.steps", { n: numText(v) }) : numText(v);
}

// Hyperparameters shown first; the rest go under "More options".
export const PRIMARY = new Set(["lr", "momentum", "betas", "alpha", "rho", "nesterov", "amsgrad",
  "centered", "etas", "step_sizes", "lr_decay", "lambd", "k", "optimizer", "max_iter",
  "history_size", "line_search_fn"]);


// ----------------------------------------------------------------- slider scales

/** How a slider position s in [0, 1000] maps to a value, from the spec. */
export function sliderScale(spec) {
  const ui = spec.ui;
  if (!ui || ui.length !== 2 || !(ui[1] > ui[0])) return null;
  const [lo, hi] = ui;
  const integer = spec.type === "int" || spec.type === "int_list";
  if (spec.log && lo > 0) {
    const a = Math.log10(lo), b = Math.log10(hi);
    return {
      toValue: (s) => (integer ? Math.round(10 ** (a + (s / 1000) * (b - a))) : tidy(10 ** (a + (s / 1000) * (b - a)), 3)),
      toPos: (v) => (v > 0 ? ((Math.log10(v) - a) / (b - a)) * 1000 : 0),
    };
  }
  if (!integer && lo >= 0 && hi <= 1 && hi >= 0.999) {
    // Values like β₂ = 0.999: spread 1 − v on a log scale, so 0.9, 0.99, 0.999 and
    // 0.9999 are all reachable with a mouse.
    const a = Math.log10(1 - lo), b = Math.log10(1 - hi);
    return {
      toValue: (s) => 1 - tidy(10 ** (a + (s / 1000) * (b - a)), 3),
      toPos: (v) => (v < 1 ? ((Math.log10(1 - v) - a) / (b - a)) * 1000 : 1000),
    };
  }
  const span = hi - lo;
  const decimals = Math.max(0, Math.ceil(-Math.log10(span / 1000)));
  return {
    toValue: (s) => {
      const v = lo + (s / 1000) * span;
      return integer ? Math.round(v) : Number(v.toFixed(decimals));
    },
    toPos: (v) => ((v - lo) / span) * 1000,
  };
}

/** A slider plus number box for one number. `onValue(v)` on every change. */
function numberControl(spec, value, onValue, { id, label, nullable = false }) {
  const scale = sliderScale(spec);
  const wrap = el("div", { class: "num-control" });
  let slider = null;
  if (scale) {
    slider = el("input", { type: "range", min: "0", max: "1000", step: "1", class: "slider", "aria-label": label });
    wrap.append(slider);
  }
  // The field's <label for=id> names the number box; the slider carries its own label.
  const box = el("input", { type: "number", id, class: "num", step: "any", inputmode: "decimal" });
  wrap.append(box);
  let noneBox = null;
  if (nullable) {
    noneBox = el("input", { type: "checkbox", class: "none-check" });
    wrap.append(el("label", { class: "none-label" }, noneBox, el("span", { text: t("param.none") })));
  }
  const show = (v) => {
    const isNull = v === null;
    box.value = isNull ? "" : numText(v);
    box.disabled = isNull;
    if (slider) {
      slider.disabled = isNull;
      if (!isNull) slider.value = String(Math.max(0, Math.min(1000, scale.toPos(v))));
      slider.setAttribute("aria-valuetext", valueText(spec, v));
    }
    if (noneBox) noneBox.checked = isNull;
  };
  show(value);
  if (slider) {
    slider.addEventListener("input", () => {
      const v = scale.toValue(Number(slider.value));
      box.value = numText(v);
      box.removeAttribute("aria-invalid");
      slider.setAttribute("aria-valuetext", valueText(spec, v));
      onValue(v);
    });
  }
  box.addEventListener("input", () => {
    if (box.value.trim() === "") return;
    const v = Number(box.value);
    const ok = Number.isFinite(v) && (spec.type !== "int" || Number.isInteger(v));
    box.toggleAttribute("aria-invalid", !ok);
    if (!ok) return;
    if (slider) {
      slider.value = String(Math.max(0, Math.min(1000, scale.toPos(v))));
      slider.setAttribute("aria-valuetext", valueText(spec, v));
    }
    onValue(v);
  });
  if (noneBox) {
    noneBox.addEventListener("change", () => {
      const v = noneBox.checked ? null : spec.default ?? (spec.ui ? spec.ui[0] : 0);
      show(v === null && !noneBox.checked ? 0 : v);
      onValue(noneBox.checked ? null : v);
    });
  }
  return { node: wrap, set: show };
}

// --------------------------------------------------------------- one hyperparameter

/**
 * A labelled field for a hyperparameter spec from the catalogue.
 * @returns {{node: HTMLElement, setError: (msg: string) => void}}
 */
export function paramField(spec, value, onInput, ctx) {
  const id = nextId(`p-${spec.name}`);
  const doc = docOf(spec);
  const docId = `${id}-doc`;
  const field = el("div", { class: `field field-${spec.type}`, "data-param": spec.name });
  const errorLine = el("p", { class: "field-error", role: "status", "aria-live": "polite" });
  const labelText = ctx?.labelPrefix ? `${ctx.labelPrefix} ${spec.name}` : spec.name;

  if (spec.type === "bool") {
    const box = el("input", { type: "checkbox", id, "aria-describedby": doc ? docId : null });
    box.checked = Boolean(value);
    box.addEventListener("change", () => onInput(box.checked));
    field.append(el("label", { class: "check", for: id }, box, el("code", { text: labelText })));
  } else if (spec.type === "choice") {
    const sel = el("select", { id, "aria-describedby": doc ? docId : null });
    (spec.choices || []).forEach((c, i) => {
      const o = el("option", { value: String(i), text: c === null ? t("param.none") : String(c) });
      if (sameValue(c, value)) o.selected = true;
      sel.append(o);
    });
    sel.addEventListener("change", () => onInput(spec.choices[Number(sel.value)]));
    field.append(el("label", { for: id }, el("code", { text: labelText })), sel);
  } else if (spec.type === "float" || spec.type === "int") {
    const ctl = numberControl(spec, value, onInput, { id, label: labelText, nullable: spec.nullable });
    ctl.node.querySelector(".num").setAttribute("aria-describedby", doc ? docId : "");
    field.append(el("label", { for: id }, el("code", { text: labelText })), ctl.node);
  } else if (spec.type === "pair") {
    const v = Array.isArray(value) ? [...value] : [null, null];
    field.append(el("span", { class: "pair-label", id: `${id}-label` }, el("code", { text: labelText })));
    [0, 1].forEach((i) => {
      const subId = `${id}-${i}`;
      const ctl = numberControl(spec, v[i], (x) => {
        v[i] = x;
        onInput([...v]);
      }, { id: subId, label: `${labelText}[${i}]`, nullable: spec.nullable });
      field.append(el("div", { class: "pair-row" }, el("label", { for: subId, class: "sub" }, el("code", { text: `[${i}]` })), ctl.node));
    });
  } else if (spec.type === "float_list" || spec.type === "int_list") {
    const box = el("input", { type: "text", id, class: "list", inputmode: "decimal", title: t("param.list"), "aria-describedby": doc ? docId : null });
    box.value = (value || []).map(numText).join(", ");
    box.addEventListener("input", () => {
      const parts = box.value.split(",").map((s) => s.trim()).filter(Boolean);
      const nums = parts.map(Number);
      const ok = nums.every((n) => Number.isFinite(n) && (spec.type !== "int_list" || Number.isInteger(n)));
      box.toggleAttribute("aria-invalid", !ok);
      errorLine.textContent = ok ? "" : t("param.badNumber");
      if (ok) onInput(nums);
    });
    field.append(el("label", { for: id }, el("code", { text: labelText })), box);
  } else if (spec.type === "optimizer") {
    field.append(innerOptimizer(spec, value, onInput, ctx, id));
  } else if (spec.type === "schedulers") {
    field.append(schedulerListField(value, onInput, id, errorLine));
  } else {
    // An unknown type from a newer server: edit it as JSON rather than hide it.
    const box = el("input", { type: "text", id, class: "list" });
    box.value = JSON.stringify(value);
    box.addEventListener("input", () => {
      try {
        onInput(JSON.parse(box.value));
        box.removeAttribute("aria-invalid");
      } catch (e) {
        box.setAttribute("aria-invalid", "");
      }
    });
    field.append(el("label", { for: id }, el("code", { text: labelText })), box);
  }
  if (doc) field.append(el("p", { class: "doc", id: docId, text: doc, title: doc }));
  field.append(errorLine);
  return {
    node: field,
    setError(msg) {
      errorLine.textContent = msg || "";
      field.classList.toggle("has-error", Boolean(msg));
    },
  };
}

/** Lookahead's inner optimizer: a select and that optimizer's own fields. */
function innerOptimizer(spec, value, onInput, ctx, id) {
  const catalog = ctx.catalog;
  let cur = value && catalog.optimizer(value.optimizer) ? { optimizer: value.optimizer, params: { ...(value.params || {}) } } : { optimizer: "sgd", params: {} };
  const box = el("fieldset", { class: "inner-opt" });
  box.append(el("legend", {}, el("code", { text: spec.name }), " · ", t("param.inner")));
  const sel = optimizerSelect(catalog, cur.optimizer, id, (o) => o.params.every((p) => p.type !== "optimizer"));
  const fields = el("div", { class: "fields" });
  const build = () => {
    fields.innerHTML = "";
    const opt = catalog.optimizer(cur.optimizer);
    for (const p of opt.params.filter((p) => PRIMARY.has(p.name))) {
      fields.append(paramField(p, valueOf(cur.params, p), (v) => {
        cur.params[p.name] = v;
        onInput({ optimizer: cur.optimizer, params: { ...cur.params } });
      }, { catalog }).node);
    }
  };
  sel.addEventListener("change", () => {
    const lr = cur.params.lr;
    cur = { optimizer: sel.value, params: lr !== undefined ? { lr } : {} };
    build();
    onInput({ optimizer: cur.optimizer, params: { ...cur.params } });
  });
  build();
  box.append(el("label", { for: id, class: "visually-hidden", text: t("row.optimizer") }), sel, fields);
  return box;
}

/** SequentialLR / ChainedScheduler children, edited as JSON text with a clear message. */
function schedulerListField(value, onInput, id, errorLine) {
  const wrap = el("div", { class: "sched-json" });
  const area = el("textarea", { id, rows: "4", spellcheck: "false", class: "json" });
  area.value = JSON.stringify(value || [], null, 0).replace(/\},\{/g, "},\n{");
  area.addEventListener("input", () => {
    let v;
    try {
      v = JSON.parse(area.value);
    } catch (e) {
      area.setAttribute("aria-invalid", "");
      errorLine.textContent = t("sched.badJson", { msg: e.message });
      return;
    }
    const ok = Array.isArray(v) && v.every((s) => s && typeof s.name === "string" && (s.params === undefined || typeof s.params === "object"));
    area.toggleAttribute("aria-invalid", !ok);
    errorLine.textContent = ok ? "" : t("sched.badList");
    if (ok) onInput(v.map((s) => ({ name: s.name, params: s.params || {} })));
  });
  wrap.append(el("label", { for: id, text: t("sched.children") }), area, el("p", { class: "doc full", text: t("sched.childrenHelp") }));
  return wrap;
}

/** <select> of optimizers grouped by family (torch.optim first). */
export function optimizerSelect(catalog, selected, id, filter = () => true) {
  const sel = el("select", { id, class: "opt-select" });
  for (const family of ["torch", "extra"]) {
    const items = catalog.optimizers.filter((o) => (o.family || "torch") === family && filter(o));
    if (!items.length) continue;
    const g = el("optgroup", { label: t(`family.${family}`) });
    for (const o of items) {
      const opt = el("option", { value: o.id, text: o.name });
      if (o.id === selected) opt.selected = true;
      g.append(opt);
    }
    sel.append(g);
  }
  return sel;
}

// --------------------------------------------------------------------- row cards

const ROW_ICONS = {
  eye: '<svg viewBox="0 0 24 24" aria-hidden="true"><path d="M12 5C6.5 5 2.7 9.6 1.5 12c1.2 2.4 5 7 10.5 7s9.3-4.6 10.5-7C21.3 9.6 17.5 5 12 5zm0 11.5A4.5 4.5 0 1 1 12 7.5a4.5 4.5 0 0 1 0 9zm0-7a2.5 2.5 0 1 0 0 5 2.5 2.5 0 0 0 0-5z"/></svg>',
  eyeOff: '<svg viewBox="0 0 24 24" aria-hidden="true"><path d="M2.3 3.7 3.7 2.3l18 18-1.4 1.4-3.2-3.2A11 11 0 0 1 12 19C6.5 19 2.7 14.4 1.5 12a17 17 0 0 1 4.2-5.1zM12 5c5.5 0 9.3 4.6 10.5 7a17 17 0 0 1-3 4l-3.3-3.3A4.5 4.5 0 0 0 11.3 7.6L8.8 5.4A10.6 10.6 0 0 1 12 5zm-4.4 5.2a4.5 4.5 0 0 0 6.2 6.2l-1.5-1.5a2.5 2.5 0 0 1-3.2-3.2z"/></svg>',
  copy: '<svg viewBox="0 0 24 24" aria-hidden="true"><path d="M8 3h11a2 2 0 0 1 2 2v11h-2V5H8zM5 7h10a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H5a2 2 0 0 1-2-2V9a2 2 0 0 1 2-2zm0 2v10h10V9z"/></svg>',
  trash: '<svg viewBox="0 0 24 24" aria-hidden="true"><path d="M9 3h6l1 2h4v2H4V5h4zM6 9h12l-1 12H7zm3 2v8h2v-8zm4 0v8h2v-8z"/></svg>',
};

/**
 * The list of optimizer rows, editing the store's rows: a row's own controls change it
 * in place (the panel keeps its focus); a change from elsewhere (a sweep map's cell, a
 * language) rebuilds the cards.
 */
export class RowsPanel {
  constructor(container, addButton, store, catalog) {
    this.container = container;
    this.addButton = addButton;
    this.store = store;
    this.catalog = catalog;
    this.editors = new Map();
    this.currentStep = null; // () => the scrubber's step (the page sets it: "add a change here")
    addButton.addEventListener("click", () => this.add());
    store.subscribe(({ change, what, from }) => {
      if (what.has("rows") || what.has("lang")) this.render();
      else if (from !== this && (what.has("row") || what.has("look"))) this.rebuild(change.row);
    });
  }

  get state() {
    return this.store.state;
  }

  /** Rebuild the card of row index i (changed elsewhere: a sweep map's cell, the phone
   *  strip), or every card. */
  rebuild(i) {
    const ed = this.editors.get(this.state.rows[i]);
    if (ed) ed.build();
    else this.render();
  }

  /** Change row `row`'s fields (`set`) or merge `params` / `schedulerParams` into it. */
  change(row, change) {
    this.store.update({ row: this.state.rows.indexOf(row), ...change }, { from: this });
  }

  render() {
    this.container.innerHTML = "";
    this.editors.clear();
    if (!this.state.rows.length) {
      this.container.append(el("p", { class: "empty", text: t("rows.empty") }));
    }
    this.state.rows.forEach((row, i) => {
      const ed = new RowEditor(row, i, this);
      this.editors.set(row, ed);
      this.container.append(ed.node);
    });
    this.addButton.disabled = this.state.rows.length >= MAX_ROWS;
    this.addButton.title = this.addButton.disabled ? t("rows.limit", { n: MAX_ROWS }) : "";
  }

  add() {
    const rows = this.state.rows;
    if (rows.length >= MAX_ROWS) return;
    // A different optimizer from the last row's, so "add" means "compare with another".
    const used = new Set(rows.map((r) => r.optimizer));
    const pick = ["adam", "rmsprop", "adagrad", "adamw", "nadam", "sgd"].find((id) => this.catalog.optimizer(id) && !used.has(id))
      || this.catalog.optimizers[0].id;
    const params = this.catalog.optimizerDefaults(this.catalog.optimizer(pick), this.state.steps);
    this.store.update({ rows: [...rows, newRow(pick, params, { color: freeColor(rows) })] });
    const last = this.container.lastElementChild;
    last?.querySelector(".opt-select")?.focus();
  }

  duplicate(row) {
    const rows = this.state.rows;
    if (rows.length >= MAX_ROWS) return;
    const copy = JSON.parse(JSON.stringify(row));
    copy.color = freeColor(rows);
    copy.visible = true;
    // "Same optimizer at another lr" is the usual comparison: start the copy at a
    // different lr so both paths show at once.
    const lr = this.catalog.param(row.optimizer, "lr");
    if (lr && typeof valueOf(row.params, lr) === "number") copy.params.lr = tidy(valueOf(row.params, lr) * 3, 3);
    const at = rows.indexOf(row) + 1;
    this.store.update({ rows: [...rows.slice(0, at), copy, ...rows.slice(at)] });
  }

  /** A copy of `row` right after it with `changes` set (same colour family of settings:
   *  "the same run, the other choice"), e.g. a change of course that re-creates the
   *  optimizer next to one that keeps its state. */
  duplicateWith(row, changes) {
    const rows = this.state.rows;
    if (rows.length >= MAX_ROWS) return;
    const copy = { ...JSON.parse(JSON.stringify(row)), ...JSON.parse(JSON.stringify(changes)), color: freeColor(rows), visible: true };
    const at = rows.indexOf(row) + 1;
    this.store.update({ rows: [...rows.slice(0, at), copy, ...rows.slice(at)] });
  }

  /** The scrubber moved: the rows' "add a change at step k" buttons follow it. */
  followStep() {
    for (const ed of this.editors.values()) ed.lab?.followStep();
  }

  remove(row) {
    const rows = this.state.rows;
    const i = rows.indexOf(row);
    if (i < 0) return;
    this.store.update({ rows: rows.filter((r) => r !== row) });
    const next = this.container.children[Math.min(i, this.container.children.length - 1)];
    (next?.querySelector(".opt-select") || this.addButton).focus();
  }

  /** Show a server message (422) at the field it names: loc = [..., "runs", i, ...]. */
  showErrors(detail) {
    for (const ed of this.editors.values()) ed.clearErrors();
    const rest = [];
    for (const d of detail) {
      const loc = d.loc || [];
      const at = loc.indexOf("runs");
      const row = at >= 0 ? this.state.rows[loc[at + 1]] : null;
      const ed = row && this.editors.get(row);
      if (ed) ed.showError(loc.slice(at + 2), d.msg);
      else rest.push(d);
    }
    return rest;
  }

  clearErrors() {
    for (const ed of this.editors.values()) ed.clearErrors();
  }
}

class RowEditor {
  constructor(row, index, panel) {
    this.row = row;
    this.panel = panel;
    this.fields = new Map();
    this.node = el("section", { class: "row-card", "aria-label": t("row.number", { n: index + 1 }) });
    this.build();
  }

  build() {
    const { row, panel } = this;
    const catalog = panel.catalog;
    const opt = catalog.optimizer(row.optimizer);
    const node = this.node;
    node.innerHTML = "";
    node.style.setProperty("--row-color", row.color);
    node.classList.toggle("is-hidden", !row.visible);

    const selId = nextId("opt");
    const color = el("input", { type: "color", class: "color", value: row.color, "aria-label": t("row.color"), title: t("row.color") });
    color.addEventListener("input", () => {
      panel.change(row, { set: { color: color.value } });
      node.style.setProperty("--row-color", row.color);
    });
    const sel = optimizerSelect(catalog, row.optimizer, selId);
    sel.addEventListener("change", () => {
      // Another optimizer starts from its own PyTorch defaults (LBFGS lr=1, Adagrad 0.01):
      // the old lr would make it look broken, the opposite of what the tutorials teach.
      const next = catalog.optimizer(sel.value);
      const params = catalog.optimizerDefaults(next, panel.state.steps);
      panel.change(row, { set: { optimizer: sel.value, params, ...fitToOptimizer(row, sel.value, params, catalog) } });
      this.build();
      this.node.querySelector(".opt-select")?.focus();
    });
    const eye = el("button", { type: "button", class: "icon-btn small", "aria-pressed": String(!row.visible) });
    const setEye = () => {
      eye.innerHTML = row.visible ? ROW_ICONS.eye : ROW_ICONS.eyeOff;
      eye.title = row.visible ? t("row.hide") : t("row.show");
      eye.setAttribute("aria-label", eye.title);
      eye.setAttribute("aria-pressed", String(!row.visible));
    };
    setEye();
    eye.addEventListener("click", () => {
      panel.change(row, { set: { visible: !row.visible } });
      setEye();
      node.classList.toggle("is-hidden", !row.visible);
    });
    const dup = el("button", { type: "button", class: "icon-btn small", title: t("row.duplicate"), "aria-label": t("row.duplicate") });
    dup.innerHTML = ROW_ICONS.copy;
    dup.addEventListener("click", () => panel.duplicate(row));
    const del = el("button", { type: "button", class: "icon-btn small danger", title: t("row.remove"), "aria-label": t("row.remove") });
    del.innerHTML = ROW_ICONS.trash;
    del.addEventListener("click", () => panel.remove(row));
    dup.disabled = panel.state.rows.length >= MAX_ROWS;

    node.append(el("header", { class: "row-head" }, color,
      el("label", { for: selId, class: "visually-hidden", text: t("row.optimizer") }), sel,
      el("div", { class: "row-actions" }, eye, dup, del)));
    if (!opt) return;
    const doc = docOf(opt);
    if (doc) node.append(el("p", { class: "opt-doc", text: doc }));
    node.append(ruleToggle(opt, "optimizer", row));

    const primary = opt.params.filter((p) => PRIMARY.has(p.name));
    const shownFirst = primary.length >= 1 ? primary : opt.params.slice(0, 3);
    const more = opt.params.filter((p) => !shownFirst.includes(p));
    const main = el("div", { class: "fields" });
    for (const p of shownFirst) main.append(this.field(p));
    node.append(main, this.resetButton());

    const details = el("details", { class: "more" });
    const moreFields = el("div", { class: "fields" });
    for (const p of more) moreFields.append(this.field(p));
    details.append(el("summary", { text: t("row.more") }), moreFields);
    if (more.some((p) => p.name in row.params && !sameValue(row.params[p.name], p.default))) details.open = true;
    node.append(details);
    const noise = noiseBox(row, (fields) => panel.change(row, { set: fields }));
    this.fields.set("noise", noise);
    node.append(noise.node);

    node.append(this.schedulerBlock());
    this.lab = new LabDisclosure(this);
    node.append(this.lab.node);
    this.rowError = el("p", { class: "row-error", role: "status", "aria-live": "polite" });
    node.append(this.rowError);
  }

  /** "PyTorch defaults": the row's hyperparameters (and its scheduler's) as PyTorch
   *  builds them when given nothing; disabled while they already are. */
  resetButton() {
    const { row, panel } = this;
    const catalog = panel.catalog;
    const steps = panel.state.steps;
    const opt = catalog.optimizer(row.optimizer);
    const item = row.scheduler && catalog.scheduler(row.scheduler.name);
    const fresh = () => ({
      params: catalog.optimizerDefaults(opt, steps),
      scheduler: item ? fullScheduler({ name: item.id, params: catalog.schedulerDefaults(item, steps) }, catalog) : row.scheduler,
    });
    const same = () => {
      const f = fresh();
      return opt.params.every((p) => sameValue(valueOf(row.params, p), valueOf(f.params, p)))
        && sameValue(row.scheduler ? fullScheduler(row.scheduler, catalog) : null, f.scheduler);
    };
    const button = el("button", { type: "button", class: "btn small reset-defaults", "data-reset": "", text: t("row.reset"), title: t("row.resetTitle") });
    button.disabled = same();
    button.addEventListener("click", () => {
      panel.change(row, { set: fresh() });
      this.build();
      this.node.querySelector("[data-reset]")?.focus();
    });
    this.resetBtn = button;
    this.resetSame = same;
    return el("div", { class: "reset-line" }, button);
  }

  /** The reset button follows the values as they change. */
  syncReset() {
    if (this.resetBtn) this.resetBtn.disabled = this.resetSame();
  }

  field(spec) {
    const { row, panel } = this;
    const f = paramField(spec, valueOf(row.params, spec), (v) => {
      f.setError("");
      panel.change(row, { params: { [spec.name]: v } });
      this.syncReset();
    }, { catalog: panel.catalog });
    this.fields.set(`params.${spec.name}`, f);
    return f.node;
  }

  schedulerBlock() {
    const { row, panel } = this;
    const catalog = panel.catalog;
    const id = nextId("sched");
    const box = el("div", { class: "sched" });
    const sel = el("select", { id, class: "sched-select" });
    sel.append(el("option", { value: "", text: t("sched.none") }));
    for (const s of catalog.schedulers) {
      const o = el("option", { value: s.id, text: s.name });
      if (row.scheduler?.name === s.id) o.selected = true;
      sel.append(o);
    }
    sel.addEventListener("change", () => {
      const item = catalog.scheduler(sel.value);
      const scheduler = item ? fullScheduler({ name: item.id, params: catalog.schedulerDefaults(item, panel.state.steps) }, catalog) : null;
      panel.change(row, { set: { scheduler } });
      this.build();
      this.node.querySelector(".sched-select")?.focus();
    });
    box.append(el("div", { class: "sched-line" }, el("label", { for: id, text: t("row.scheduler") }), sel));
    if (row.events?.length && !row.scheduler) {
      // A scheduler would overwrite the changes at a step (the API refuses both at once).
      sel.disabled = true;
      sel.title = t("lab.events.schedulerBlocked");
      box.append(el("p", { class: "doc full lab-warn", text: t("lab.events.schedulerBlocked") }));
    }
    const item = row.scheduler && catalog.scheduler(row.scheduler.name);
    if (item) {
      const doc = docOf(item);
      if (doc) box.append(el("p", { class: "opt-doc", text: doc }));
      box.append(ruleToggle(item, "scheduler", row.scheduler));
      const fields = el("div", { class: "fields" });
      for (const p of item.params) {
        const f = paramField(p, valueOf(row.scheduler.params, p), (v) => {
          f.setError("");
          panel.change(row, { schedulerParams: { [p.name]: v } });
          this.syncReset();
        }, { catalog });
        this.fields.set(`scheduler.params.${p.name}`, f);
        fields.append(f.node);
      }
      box.append(fields);
    }
    return box;
  }

  /** rest: the loc after ["runs", i], e.g. ["params", "lr"], ["scheduler", "params",
   *  "gamma"] or ["events", 0, "params", "lr"]: shown at the most specific field. */
  showError(rest, msg) {
    const key = rest.join(".");
    let best = null;
    for (const [name, f] of this.fields) {
      if ((key === name || key.startsWith(name + ".")) && (!best || name.length > best[0].length)) best = [name, f];
    }
    if (best) {
      const f = best[1];
      f.setError(msg);
      // Open every disclosure around it (a group's "more" inside the torch.optim API).
      for (let d = f.node.closest("details"); d; d = d.parentElement?.closest("details")) d.open = true;
      return;
    }
    this.rowError.textContent = rest.length ? t("error.field", { field: rest.join("."), msg }) : msg;
  }

  clearErrors() {
    for (const f of this.fields.values()) f.setError("");
    if (this.rowError) this.rowError.textContent = "";
  }
}
