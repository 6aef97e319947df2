// The "torch.optim API" part of a row card (issue #15): what the tutorials do with the
// optimizer object itself, as options of the run (api-v1.md, "Per-run options from the
// torch.optim API"):
//   param groups   x and y as two parameters, each in its own group with its own values
//   zero_grad()    on (the default) or never: .grad then holds the sum of the gradients
//   changes        after k steps: values written into every param group (the state
//                  carries on), or the optimizer built anew (its state empty again)
//   step(closure)  LBFGS: where the closure is evaluated (shown by the inspector)
// Closed by default, so the first view stays as simple as it is; it opens by itself when
// the row uses any of it. This module is the section's body, loaded when it first opens
// (labrow.js holds the disclosure and what the page needs before). It edits the row
// through the rows panel (store.update).

import { addWords, t } from "./i18n.js";
import { LAB_PANEL_EN, LAB_PANEL_ZH } from "./i18nlabpanel.js";
import { fmt, tidy } from "./format.js";
import { valueOf } from "./catalog.js";
import { MAX_ROWS, baseValues, groupItem, groupsAllowed } from "./state.js";
import { labSummary } from "./labrow.js";
import { urlField } from "./table.js";
import { el } from "./dom.js";
import { PRIMARY, paramField } from "./controls.js";

const MAX_EVENTS = urlField("events", "row").max;
const OTHER = { keep: "reset", reset: "keep" };

addWords(LAB_PANEL_EN, LAB_PANEL_ZH);

let uid = 0;

export class TorchApiBlock {
  /** editor: the RowEditor (row, panel, fields: the map its 422s are shown through);
   *  node, summary: the disclosure labrow.js made, which this fills. */
  constructor(editor, node, summary) {
    this.editor = editor;
    this.node = node;
    this.summary = summary;
    this.render();
  }

  get row() {
    return this.editor.row;
  }

  get catalog() {
    return this.editor.panel.catalog;
  }

  /** Change the row's fields (a new object each time: the store's state is read-only). */
  set(fields, { rebuild = false } = {}) {
    const hadEvents = Boolean(this.row.events?.length);
    this.editor.panel.change(this.row, { set: fields });
    if (hadEvents !== Boolean(this.row.events?.length)) {
      // The scheduler's select follows (events and a scheduler exclude each other): the
      // whole card is built again, the focus kept on the control that was used.
      const key = document.activeElement?.dataset?.focusKey;
      this.editor.build();
      if (key) this.editor.node.querySelector(`[data-torch-api] [data-focus-key="${key}"]`)?.focus();
      return;
    }
    if (rebuild) this.render();
    this.summaryText();
  }

  /** Register a field with the row editor, so a 422 at `name` shows at it. */
  register(name, f) {
    this.editor.fields.set(name, f);
    return f;
  }

  render() {
    const focused = document.activeElement && this.node.contains(document.activeElement) ? document.activeElement.dataset.focusKey : null;
    for (const name of [...this.editor.fields.keys()]) {
      if (name === "groups" || name === "zero_grad" || name === "events" || name.startsWith("groups.") || name.startsWith("events.")) this.editor.fields.delete(name);
    }
    const body = el("div", { class: "lab-body" }, el("p", { class: "opt-doc", text: t("lab.intro") }));
    body.append(this.groupsPart(), this.zeroGradPart(), this.eventsPart());
    const opt = this.catalog.optimizer(groupItem(this.row, this.catalog)?.id);
    if (opt?.closure) body.append(this.closurePart(opt));
    this.node.replaceChildren(this.summary, body);
    this.summaryText();
    if (focused) this.node.querySelector(`[data-focus-key="${focused}"]`)?.focus();
  }

  summaryText() {
    this.summary.textContent = labSummary(this.row);
  }

  // ------------------------------------------------------------------ param groups

  groupsPart() {
    const row = this.row, catalog = this.catalog;
    const item = groupItem(row, catalog);
    const part = el("fieldset", { class: "lab-part lab-groups" }, el("legend", { text: t("lab.groups.title") }));
    const error = errorLine();
    this.register("groups", error);
    if (!item) return part;
    const id = `lab-groups-${++uid}`;
    const box = el("input", { type: "checkbox", id, "data-focus-key": "groups", "data-lab": "groups" });
    box.checked = Boolean(row.groups);
    const allowed = groupsAllowed(row, catalog);
    box.disabled = !allowed && !row.groups;
    part.append(el("label", { class: "check", for: id }, box, el("span", { text: t("lab.groups.split") })));
    if (!allowed) {
      part.append(el("p", { class: "doc full", text: t("lab.groups.closure", { name: item.name }) }));
    } else {
      part.append(el("p", { class: "doc full", text: t("lab.groups.help") }));
    }
    box.addEventListener("change", () => {
      if (!box.checked) {
        this.set({ groups: null }, { rebuild: true });
        return;
      }
      // y starts at a third of the row's lr, so the two groups' paths differ at once.
      const lr = item.params.find((p) => p.name === "lr");
      const base = valueOf(baseValues(row, catalog), lr || { name: "lr", default: null });
      const y = lr && typeof base === "number" ? { lr: tidy(base / 3, 3) } : {};
      this.set({ groups: { x: {}, y } }, { rebuild: true });
    });
    part.append(error.node);
    if (row.groups) for (const c of ["x", "y"]) part.append(this.groupFields(item, c));
    return part;
  }

  groupFields(item, c) {
    const row = this.row, catalog = this.catalog;
    const own = row.groups[c] || {};
    const base = baseValues(row, catalog);
    const wrap = el("div", { class: "lab-group", "data-group": c });
    wrap.append(el("p", { class: "lab-group-h" }, el("span", { class: "lab-axis", text: c }), el("span", { text: t("lab.groups.group", { c }) })));
    const field = (spec) => {
      const value = spec.name in own ? own[spec.name] : valueOf(base, spec);
      const f = paramField(spec, value, (v) => {
        f.setError("");
        this.set({ groups: { ...this.row.groups, [c]: { ...this.row.groups[c], [spec.name]: v } } });
        mark(true);
      }, { catalog, labelPrefix: `${c}:` });
      const inherit = el("button", { type: "button", class: "lab-inherit", text: "↺", title: t("lab.groups.inherit"), "aria-label": `${c} ${spec.name}: ${t("lab.groups.inherit")}` });
      const fromRow = el("span", { class: "lab-from-row", text: t("lab.groups.fromRow") });
      const mark = (isOwn) => {
        f.node.classList.toggle("is-own", isOwn);
        inherit.hidden = !isOwn;
        fromRow.hidden = isOwn;
      };
      inherit.addEventListener("click", () => {
        const next = { ...this.row.groups[c] };
        delete next[spec.name];
        this.set({ groups: { ...this.row.groups, [c]: next } }, { rebuild: true });
      });
      dropDoc(f.node);
      f.node.querySelector("label, .pair-label")?.append(" ", fromRow, inherit);
      mark(spec.name in own);
      this.register(`groups.${c}.${spec.name}`, f);
      return f.node;
    };
    const primary = item.params.filter((p) => PRIMARY.has(p.name));
    const rest = item.params.filter((p) => !PRIMARY.has(p.name));
    wrap.append(el("div", { class: "fields" }, ...primary.map(field)));
    if (rest.length) {
      const more = el("details", { class: "more" }, el("summary", { text: t("lab.groups.more", { c }) }), el("div", { class: "fields" }, ...rest.map(field)));
      more.open = rest.some((p) => p.name in own);
      wrap.append(more);
    }
    return wrap;
  }

  // ------------------------------------------------------------------- zero_grad

  zeroGradPart() {
    const row = this.row;
    const part = el("fieldset", { class: "lab-part lab-zero" }, el("legend", { text: t("lab.zero.title") }));
    const id = `lab-zero-${++uid}`;
    const box = el("input", { type: "checkbox", id, "data-focus-key": "zero_grad", "data-lab": "zero_grad" });
    box.checked = row.zero_grad !== "never";
    const help = el("p", { class: "doc full lab-warn" });
    const closure = this.catalog.optimizer(groupItem(row, this.catalog)?.id)?.closure;
    const say = () => {
      help.textContent = box.checked ? "" : `${t("lab.zero.off")}${closure ? ` ${t("lab.zero.offClosure")}` : ""}`;
      help.hidden = box.checked;
    };
    say();
    box.addEventListener("change", () => {
      this.set({ zero_grad: box.checked ? "every_step" : "never" });
      say();
    });
    const error = this.register("zero_grad", errorLine());
    part.append(el("label", { class: "check", for: id }, box, el("span", { text: t("lab.zero.check") })), help, error.node);
    return part;
  }

  // -------------------------------------------------------------- changes of course

  eventsPart() {
    const row = this.row, catalog = this.catalog;
    const item = groupItem(row, catalog);
    const part = el("fieldset", { class: "lab-part lab-events" }, el("legend", { text: t("lab.events.title") }));
    part.append(el("p", { class: "doc full", text: t("lab.events.help") }));
    const events = row.events || [];
    const list = el("ol", { class: "lab-event-list" });
    events.forEach((e, j) => list.append(this.eventItem(item, e, j)));
    const steps = this.editor.panel.state.steps;
    const at = this.freeStep();
    const add = el("button", { type: "button", class: "btn small", "data-lab": "add-event", "data-focus-key": "add-event" });
    add.textContent = t("lab.events.add", { k: at ?? "—" });
    const note = el("p", { class: "doc full lab-warn" });
    if (row.scheduler) {
      add.disabled = true;
      note.textContent = t("lab.events.scheduler");
    } else if (events.length >= MAX_EVENTS) {
      add.disabled = true;
      note.textContent = t("lab.events.full", { n: MAX_EVENTS });
    } else if (at === null) {
      add.disabled = true;
      note.textContent = t("lab.events.noRoom", { n: Math.max(0, steps - 1) });
    }
    note.hidden = !note.textContent;
    add.addEventListener("click", () => this.addEvent(item));
    // The "add" button names the step the scrubber is on: it follows the player.
    this.addButton = add;
    const error = this.register("events", errorLine());
    part.append(list, el("div", { class: "lab-line" }, add), note, error.node);
    return part;
  }

  /** The step a new change goes to: the one on the scrubber (1 … steps − 1), or the
   *  next free one after it; null when none is free. */
  freeStep() {
    const steps = this.editor.panel.state.steps;
    if (steps < 2) return null;
    const k = Math.round(this.editor.panel.currentStep?.() ?? 0);
    const wanted = Math.min(steps - 1, Math.max(1, k || Math.round(steps / 2)));
    const taken = new Set((this.row.events || []).map((e) => e.at));
    for (let a = wanted; a <= steps - 1; a++) if (!taken.has(a)) return a;
    for (let a = wanted - 1; a >= 1; a--) if (!taken.has(a)) return a;
    return null;
  }

  /** The scrubber moved: the "add" button says which step it would use. */
  followStep() {
    if (!this.addButton || this.addButton.disabled || !this.node.open) return;
    const text = t("lab.events.add", { k: this.freeStep() ?? "—" });
    if (this.addButton.textContent !== text) this.addButton.textContent = text;
  }

  addEvent(item) {
    const at = this.freeStep();
    if (at === null) return;
    // The hand-written change the tutorials show first: lr down by ten.
    const lr = item.params.find((p) => p.name === "lr");
    const now = valueOf(this.valuesBefore(at), lr || { name: "lr", default: null });
    const params = lr && typeof now === "number" ? { lr: tidy(now / 10, 3) } : {};
    const events = [...(this.row.events || []), { at, params, state: "keep" }].sort((a, b) => a.at - b.at);
    this.set({ events }, { rebuild: true });
  }

  /** The row's values as the changes before step `at` left them. */
  valuesBefore(at) {
    let values = { ...baseValues(this.row, this.catalog) };
    for (const e of this.row.events || []) if (e.at < at) values = { ...values, ...e.params };
    return values;
  }

  setEvent(j, change, opts) {
    const events = this.row.events.map((e, i) => (i === j ? { ...e, ...change } : e));
    this.set({ events }, opts);
  }

  eventItem(item, e, j) {
    const li = el("li", { class: `lab-event is-${e.state}`, "data-event": String(j) });
    const atId = `lab-at-${++uid}`;
    const steps = this.editor.panel.state.steps;
    const atBox = el("input", { type: "number", id: atId, class: "num lab-at", min: "1", max: String(Math.max(1, steps - 1)), step: "1", value: String(e.at), "data-focus-key": `at-${j}` });
    const atError = errorLine();
    atBox.addEventListener("change", () => {
      const v = Number(atBox.value);
      const ok = Number.isInteger(v) && v >= 1;
      atBox.toggleAttribute("aria-invalid", !ok);
      if (!ok) return;
      atError.setError("");
      // Kept in order of their steps, as the API wants them.
      const events = this.row.events.map((x, i) => (i === j ? { ...x, at: v } : x)).sort((a, b) => a.at - b.at);
      this.set({ events }, { rebuild: true });
    });
    this.register(`events.${j}.at`, { node: atBox, setError: (m) => { atError.setError(m); atBox.toggleAttribute("aria-invalid", Boolean(m)); } });
    const remove = el("button", { type: "button", class: "icon-btn small danger lab-remove", text: "×", title: t("lab.events.remove"), "aria-label": `${t("lab.events.item", { n: j + 1 })}: ${t("lab.events.remove")}` });
    remove.addEventListener("click", () => this.set({ events: this.row.events.filter((_, i) => i !== j) }, { rebuild: true }));
    li.append(el("div", { class: "lab-event-head" },
      el("span", { class: "lab-event-n", text: t("lab.events.item", { n: j + 1 }) }),
      el("label", { for: atId, text: t("lab.events.at") }), atBox, remove), atError.node);

    // Keep or re-create: two radio buttons (their words are long: a select would cut them).
    const name = `lab-state-${++uid}`;
    const choice = el("div", { class: "lab-state", role: "radiogroup", "aria-label": t("lab.events.state") });
    for (const s of ["keep", "reset"]) {
      const radio = el("input", { type: "radio", name, value: s, "data-focus-key": `state-${j}-${s}` });
      radio.checked = s === e.state;
      radio.addEventListener("change", () => { if (radio.checked) this.setEvent(j, { state: s }, { rebuild: true }); });
      choice.append(el("label", { class: "check" }, radio, el("span", { text: t(`lab.events.${s}`) })));
    }
    li.append(choice);

    const fields = el("div", { class: "fields" });
    for (const spec of item.params.filter((p) => p.name in e.params)) {
      const f = paramField(spec, e.params[spec.name], (v) => {
        f.setError("");
        this.setEvent(j, { params: { ...this.row.events[j].params, [spec.name]: v } });
      }, { catalog: this.catalog });
      const drop = el("button", { type: "button", class: "lab-inherit", text: "×", title: t("lab.events.removeValue"), "aria-label": `${spec.name}: ${t("lab.events.removeValue")}` });
      drop.addEventListener("click", () => {
        const params = { ...this.row.events[j].params };
        delete params[spec.name];
        this.setEvent(j, { params }, { rebuild: true });
      });
      dropDoc(f.node);
      f.node.querySelector("label, .pair-label")?.append(" ", drop);
      this.register(`events.${j}.params.${spec.name}`, f);
      fields.append(f.node);
    }
    if (!Object.keys(e.params).length) fields.append(el("p", { class: "doc full", text: e.state === "reset" ? t("lab.events.none") : t("lab.events.noneKeep") }));
    li.append(fields);

    const addId = `lab-add-${++uid}`;
    const adder = el("select", { id: addId, class: "lab-add-param", "data-focus-key": `add-${j}` });
    adder.append(el("option", { value: "", text: t("lab.events.change") }));
    for (const spec of item.params.filter((p) => !(p.name in e.params))) adder.append(el("option", { value: spec.name, text: spec.name }));
    adder.addEventListener("change", () => {
      const spec = item.params.find((p) => p.name === adder.value);
      if (!spec) return;
      const now = valueOf(this.valuesBefore(e.at), spec);
      this.setEvent(j, { params: { ...this.row.events[j].params, [spec.name]: now } }, { rebuild: true });
    });
    const other = OTHER[e.state];
    const compare = el("button", { type: "button", class: "btn small lab-compare", "data-lab": "compare",
      text: t(other === "reset" ? "lab.events.compareReset" : "lab.events.compareKeep") });
    compare.disabled = this.editor.panel.state.rows.length >= MAX_ROWS;
    compare.addEventListener("click", () => {
      const events = this.row.events.map((x, i) => (i === j ? { ...x, state: other } : x));
      this.editor.panel.duplicateWith(this.row, { events });
    });
    li.append(el("div", { class: "lab-line" },
      el("label", { for: addId, class: "visually-hidden", text: t("lab.events.changeLabel") }), adder), el("div", { class: "lab-line" }, compare));
    li.append(el("pre", { class: "lab-code", "aria-hidden": "true" }, el("code", { text: eventCode(e, item) })));
    return li;
  }

  // ---------------------------------------------------------------- step(closure)

  closurePart(opt) {
    const part = el("fieldset", { class: "lab-part lab-closure" }, el("legend", { text: t("lab.closure.title") }));
    const show = el("button", { type: "button", class: "btn small", "data-lab": "show-evals", text: t("lab.closure.show") });
    show.addEventListener("click", () => {
      this.editor.panel.store.update({ inspect: true });
      document.getElementById("inspector")?.scrollIntoView({ block: "nearest", behavior: "smooth" });
    });
    part.append(el("p", { class: "doc full", text: t("lab.closure.text", { name: opt.name }) }), el("div", { class: "lab-line" }, show));
    return part;
  }
}

/** The lines of a training script that make the change (shown under it). */
function eventCode(e, item) {
  const entries = Object.entries(e.params);
  const head = `# after ${e.at} steps`;
  if (e.state === "reset") {
    return `${head}\noptimizer = ${item.name}(params${entries.map(([k, v]) => `, ${k}=${pyLiteral(v)}`).join("")})`;
  }
  if (!entries.length) return head;
  return `${head}\nfor g in optimizer.param_groups:\n${entries.map(([k, v]) => `    g["${k}"] = ${pyLiteral(v)}`).join("\n")}`;
}

function pyLiteral(v) {
  if (v === null) return "None";
  if (v === true) return "True";
  if (v === false) return "False";
  if (Array.isArray(v)) return `(${v.map(pyLiteral).join(", ")})`;
  return typeof v === "number" ? fmt(v) : JSON.stringify(v);
}

/** A group's or a change's field without the hyperparameter's description: the row's own
 *  field right above carries it. */
function dropDoc(node) {
  node.querySelector(".doc")?.remove();
  for (const e of node.querySelectorAll("[aria-describedby]")) e.removeAttribute("aria-describedby");
}

function errorLine() {
  const node = el("p", { class: "field-error", role: "status", "aria-live": "polite" });
  return { node, setError: (msg) => { node.textContent = msg || ""; } };
}
