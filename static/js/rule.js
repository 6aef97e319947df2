// "Update rule": an optimizer's (or scheduler's) rule as typeset math, in PyTorch's
// symbols, under its row. The server sends each formula as MathML (GET /api/v1/rules,
// `rule_mathml`), which the browser renders natively: no script, no font download. The
// words around the formulas (input, if, for …) are translated here. The page's first
// view does without the rules: they are fetched once, when a pointer or the focus first
// reaches an "Update rule" button.

import { fetchRules } from "./api.js";
import { getLang, t } from "./i18n.js";
import { fmt } from "./format.js";

const MATHML = "http://www.w3.org/1998/Math/MathML";
// Attributes latex2mathml writes; anything else (an event handler, a link) is dropped.
const ATTRS = new Set(["display", "mathvariant", "accent", "accentunder", "stretchy", "fence",
  "form", "width", "height", "depth", "displaystyle", "scriptlevel", "columnalign", "rowalign",
  "linebreak", "separator", "xmlns", "lspace", "rspace", "movablelimits", "largeop", "symmetric"]);

// Rows (and their scheduler) whose rule is open, so a rebuilt row (language switch,
// another scheduler) keeps it open.
const open = { optimizer: new WeakSet(), scheduler: new WeakSet() };
let uid = 0;
let rules = null;

/** The typeset rules, fetched once (again after a failure). */
function typeset() {
  rules = rules || fetchRules().catch((e) => {
    rules = null;
    throw e;
  });
  return rules;
}

/** The catalogue's item with its typeset rule (the catalogue may have it already). */
async function withRule(item, kind) {
  if (item.rule_mathml) return item;
  const all = await typeset();
  return { ...item, ...(all[`${kind}s`]?.[item.id] || {}) };
}

/** A MathML string -> a <math> element of this document, MathML elements only. */
export function mathNode(xml) {
  const doc = new DOMParser().parseFromString(xml, "application/xml");
  const root = doc.documentElement;
  if (root.namespaceURI !== MATHML || root.localName !== "math" || doc.querySelector("parsererror")) {
    const span = document.createElement("code");
    span.textContent = "?";
    return span;
  }
  for (const el of [root, ...root.querySelectorAll("*")]) {
    if (el.namespaceURI !== MATHML) {
      el.remove();
      continue;
    }
    for (const a of [...el.attributes]) if (!ATTRS.has(a.name)) el.removeAttribute(a.name);
  }
  return document.importNode(root, true);
}

/** One line: "if {m}:" with its formulas put where {m} is. */
function lineNode(line) {
  const row = document.createElement("div");
  row.className = "rule-line";
  row.style.setProperty("--indent", String(line.indent));
  const maths = document.createElement("span");
  maths.className = "rule-math";
  line.mathml.forEach((m, i) => {
    if (i) maths.append(", ");
    const item = document.createElement("span");
    item.className = "rule-item";
    item.append(mathNode(m));
    maths.append(item);
  });
  if (!line.keyword) {
    row.append(maths);
    return row;
  }
  const [before, after = ""] = t(`rule.kw.${line.keyword}`).split("{m}");
  const kw = (text) => {
    const s = document.createElement("span");
    s.className = "rule-kw";
    s.textContent = text;
    return s;
  };
  if (before.trim()) row.append(kw(before.trim()));
  row.append(maths);
  if (after.trim()) row.append(kw(after.trim()));
  return row;
}

function noteNode(segments) {
  const p = document.createElement("p");
  p.className = "rule-note";
  for (const s of segments) p.append(s.mathml ? mathNode(s.mathml) : s.text);
  return p;
}

function defaultText(spec) {
  const v = spec.default;
  // PyTorch has no default for these (the catalogue's is only a starting slider value).
  if (spec.required || ((v === null || v === undefined) && !spec.nullable && spec.type !== "choice")) {
    return t("rule.noDefault");
  }
  if (v === null || v === undefined) return "None";
  if (typeof v === "number") return fmt(v);
  if (typeof v === "boolean") return v ? "True" : "False";
  if (Array.isArray(v) && v.every((x) => x === null || typeof x === "number")) {
    return `(${v.map((x) => (x === null ? "None" : fmt(x))).join(", ")})`;
  }
  if (typeof v === "string") return `'${v}'`;
  return "…";
}

/** The panel: formulas line by line, the note, PyTorch's defaults. */
export function rulePanel(item, kind) {
  const panel = document.createElement("div");
  panel.className = "rule-panel";
  const title = document.createElement("p");
  title.className = "rule-title";
  title.textContent = t(kind === "scheduler" ? "rule.titleSched" : "rule.title", { name: item.name });
  panel.append(title);
  const lines = document.createElement("div");
  lines.className = "rule-lines";
  for (const line of item.rule_mathml || []) lines.append(lineNode(line));
  panel.append(lines);
  const note = getLang() === "zh" ? item.rule_note_zh : item.rule_note;
  if (note?.length) panel.append(noteNode(note));
  const defaults = (item.params || []).filter((p) => !["optimizer", "schedulers"].includes(p.type));
  if (defaults.length) {
    const p = document.createElement("p");
    p.className = "rule-defaults";
    const label = document.createElement("span");
    label.className = "rule-kw";
    label.textContent = t("rule.defaults");
    p.append(label, " ");
    defaults.forEach((spec, i) => {
      if (i) p.append(", ");
      const c = document.createElement("code");
      c.textContent = `${spec.name}=${defaultText(spec)}`;
      p.append(c);
    });
    panel.append(p);
  }
  return panel;
}

/**
 * The "ⓘ Update rule" button and its panel, for one row (`key`, the row object) and one
 * catalogue entry. Returns the nodes to append under the row's description.
 */
export function ruleToggle(item, kind, key) {
  const wrap = document.createElement("div");
  wrap.className = "rule-box";
  if (!item?.rule) return wrap;
  const id = `rule-${++uid}`;
  const button = document.createElement("button");
  button.type = "button";
  button.className = "rule-toggle";
  button.dataset.rule = kind;
  button.setAttribute("aria-controls", id);
  button.textContent = t(kind === "scheduler" ? "rule.buttonSched" : "rule.button");
  const label = t(kind === "scheduler" ? "rule.titleSched" : "rule.title", { name: item.name });
  let panel = null;
  let building = null;
  const build = () => {
    building = building || withRule(item, kind).then((full) => rulePanel(full, kind), (e) => {
      building = null; // the next click tries again
      const p = document.createElement("p");
      p.className = "rule-panel rule-error";
      p.textContent = t("error.server", { msg: e.message || String(e) });
      return p;
    }).then((node) => {
      panel?.remove();
      panel = node;
      panel.id = id;
      panel.setAttribute("role", "region");
      panel.setAttribute("aria-label", label);
      panel.hidden = button.getAttribute("aria-expanded") !== "true";
      wrap.append(panel);
      wrap.removeAttribute("aria-busy");
    });
    return building;
  };
  const show = (on) => {
    button.setAttribute("aria-expanded", String(on));
    if (on && (!panel || panel.classList.contains("rule-error"))) {
      wrap.setAttribute("aria-busy", "true");
      build();
    }
    if (panel) panel.hidden = !on;
    if (on) open[kind].add(key);
    else open[kind].delete(key);
  };
  button.addEventListener("click", () => show(button.getAttribute("aria-expanded") !== "true"));
  // (The rules are on their way while the pointer or the focus is on the button.)
  const soon = () => typeset().catch(() => {});
  button.addEventListener("pointerenter", soon, { once: true });
  button.addEventListener("focus", soon, { once: true });
  wrap.append(button);
  show(open[kind].has(key));
  return wrap;
}
