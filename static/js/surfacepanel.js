// Surface picker, custom formula box (checked live by POST /api/v1/grid: a 422 says what
// is wrong and at which column), the data controls on a surface from data (datapanel.js,
// loaded with the first one: dataparts.js),
// start point and number of steps.

import { getLang, t, surfaceName } from "./i18n.js";
import { numText } from "./format.js";
import { STEPS_MAX } from "./state.js";
import { URL_KEYS } from "./table.js";
import { dataOptions, dataValue, isDataValue } from "./datachoice.js";
import { DataControlsSlot } from "./dataparts.js";

const CUSTOM = "__custom__";
const STEPS_UI = URL_KEYS.steps_slider;

function $(root, sel) {
  return root.querySelector(sel);
}

export class SurfacePanel {
  /** root: the element holding the markup of templates/index.html's surface section. */
  constructor(root, scene) {
    this.root = root;
    this.scene = scene;
    this.select = $(root, "#surface-select");
    this.expr = $(root, "#surface-expr");
    this.box = $(root, "#formula-box");
    this.formula = $(root, "#formula");
    this.status = $(root, "#formula-status");
    this.caret = $(root, "#formula-caret");
    this.domain = ["#dom-x0", "#dom-x1", "#dom-y0", "#dom-y1"].map((s) => $(root, s));
    this.startX = $(root, "#start-x");
    this.startY = $(root, "#start-y");
    this.startReset = $(root, "#start-reset");
    this.stepsSlider = $(root, "#steps-slider");
    this.stepsBox = $(root, "#steps");
    this.timer = 0;
    this.data = new DataControlsSlot(root, scene);
    this.bind();
    this.render();
    scene.store.subscribe(({ what, from }) => {
      if (what.has("lang")) this.render();
      else if (what.has("data") || what.has("model")) this.syncData();
      else if (["batchSize", "batchSeed", "shuffle"].some((w) => what.has(w)) && from !== this.data) this.data.syncBatch();
      if (from === this) return;
      if (what.has("start") || what.has("surface") || what.has("formula")) this.syncStart();
      if (what.has("steps")) this.syncSteps();
    });
  }

  render() {
    const st = this.scene.state;
    const cat = this.scene.catalog;
    const sel = this.select;
    sel.innerHTML = "";
    const functions = document.createElement("optgroup");
    functions.label = t("surface.groupFunctions");
    for (const s of cat.surfaces) functions.append(new Option(surfaceName(s), s.id));
    functions.append(new Option(t("surface.custom"), CUSTOM));
    sel.append(functions);
    if (cat.datasets.length) sel.append(dataOptions(cat));
    sel.value = st.formula ? CUSTOM : st.data ? dataValue(st) : st.surface;
    this.box.hidden = !st.formula;
    this.data.render();
    if (st.formula) {
      this.formula.value = st.formula.expr;
      st.formula.domain.flat().forEach((v, i) => { this.domain[i].value = numText(v); });
    }
    this.showExpr();
    this.syncStart();
    this.syncSteps();
  }

  /** A surface from data came or went: the select, the data controls, the start's names
   *  (the formula box keeps what is typed in it). */
  syncData() {
    const st = this.scene.state;
    this.select.value = st.formula ? CUSTOM : st.data ? dataValue(st) : st.surface;
    this.box.hidden = !st.formula;
    this.data.render();
    this.showExpr();
    this.syncStart();
  }

  showExpr() {
    const st = this.scene.state;
    if (st.data) {
      this.expr.textContent = t(this.data.modelOf() === "logistic" ? "data.lossLogistic" : "data.lossLinear");
      this.expr.hidden = false;
      return;
    }
    const s = st.formula ? null : this.scene.catalog.surface(st.surface);
    this.expr.textContent = s ? `f(x, y) = ${s.expr}` : "";
    this.expr.hidden = !s;
  }

  syncStart() {
    // On a surface from data the point is (w, b).
    const [xn, yn] = this.scene.state.data ? ["w", "b"] : ["x", "y"];
    this.root.querySelector("label[for=start-x]").textContent = xn;
    this.root.querySelector("label[for=start-y]").textContent = yn;
    const p = this.scene.startPoint();
    if (document.activeElement !== this.startX) this.startX.value = numText(round(p[0]));
    if (document.activeElement !== this.startY) this.startY.value = numText(round(p[1]));
    this.startReset.disabled = !this.scene.state.start;
  }

  syncSteps() {
    const n = this.scene.state.steps;
    this.stepsBox.value = String(n);
    this.stepsSlider.value = String(stepsToPos(n));
    this.stepsSlider.setAttribute("aria-valuetext", t("unit.steps", { n }));
  }

  bind() {
    const scene = this.scene;
    const store = scene.store;
    const st = scene.state;
    this.select.addEventListener("change", async () => {
      this.data.setNote("");
      if (isDataValue(this.select.value)) {
        this.box.hidden = true;
        await this.data.pick(this.select.value);
        return;
      }
      if (this.select.value === CUSTOM) {
        // Start from the surface on screen, so a student can edit Rosenbrock's formula.
        // The paths stay as they are until the formula is checked.
        const cur = scene.surface;
        const domain = cur && !cur.data ? cur.domain : [[-3, 3], [-3, 3]];
        store.update({ formula: { expr: cur?.expr || "x**2 + y**2", domain }, surface: null, data: null, model: null }, { from: this });
        this.render();
        this.formula.focus();
        this.setStatus("ok", t("formula.ok"));
        return;
      }
      const id = this.select.value;
      this.box.hidden = true;
      const res = await scene.loadGrid(id);
      if (res.ok) {
        store.update({ formula: null, data: null, model: null, surface: id, start: null }, { restart: true });
        this.showExpr();
      }
    });
    const onFormula = () => {
      clearTimeout(this.timer);
      this.setStatus("checking", t("formula.checking"));
      this.timer = setTimeout(() => this.checkFormula(), 250);
    };
    this.formula.addEventListener("input", onFormula);
    for (const d of this.domain) d.addEventListener("input", onFormula);

    const onStart = () => {
      const x = Number(this.startX.value), y = Number(this.startY.value);
      const ok = this.startX.value.trim() !== "" && this.startY.value.trim() !== "" && Number.isFinite(x) && Number.isFinite(y);
      this.startX.toggleAttribute("aria-invalid", !ok && !Number.isFinite(x));
      this.startY.toggleAttribute("aria-invalid", !ok && !Number.isFinite(y));
      if (!ok) return;
      store.update({ start: [x, y] }, { from: this });
      this.startReset.disabled = false;
    };
    this.startX.addEventListener("input", onStart);
    this.startY.addEventListener("input", onStart);
    this.startReset.addEventListener("click", () => store.update({ start: null }, { restart: true }));

    this.stepsSlider.addEventListener("input", () => {
      store.update({ steps: posToSteps(Number(this.stepsSlider.value)) }, { from: this });
      this.stepsBox.value = String(st.steps);
      this.stepsSlider.setAttribute("aria-valuetext", t("unit.steps", { n: st.steps }));
      this.stepsBox.removeAttribute("aria-invalid");
    });
    this.stepsBox.addEventListener("input", () => {
      const n = Number(this.stepsBox.value);
      const ok = Number.isInteger(n) && n >= 1 && n <= STEPS_MAX;
      this.stepsBox.toggleAttribute("aria-invalid", !ok);
      if (!ok) return;
      store.update({ steps: n }, { from: this });
      this.stepsSlider.value = String(stepsToPos(n));
      this.stepsSlider.setAttribute("aria-valuetext", t("unit.steps", { n }));
    });
  }

  async checkFormula() {
    const scene = this.scene;
    const st = scene.state;
    const expr = this.formula.value;
    const d = this.domain.map((e) => Number(e.value));
    if (!d.every((v, i) => Number.isFinite(v) && this.domain[i].value.trim() !== "") || !(d[0] < d[1]) || !(d[2] < d[3])) {
      this.setStatus("error", t("domain.bad"));
      return;
    }
    const domain = [[d[0], d[1]], [d[2], d[3]]];
    const res = await scene.loadGrid({ expr, domain });
    if (res.stale) return;
    if (!res.ok) {
      const item = (res.detail || [])[0] || { msg: `HTTP ${res.status}` };
      const col = item.column ?? item.ctx?.column;
      // The server's message usually names the column already; the caret shows it too.
      // (The server writes English: in 中文 the column is said in Chinese first.)
      const text = col && (getLang() !== "en" || !/column/i.test(item.msg)) ? t("formula.errorAt", { col, msg: item.msg }) : item.msg;
      this.setStatus("error", text, col ? { expr, col } : null);
      this.formula.setAttribute("aria-invalid", "true");
      return;
    }
    this.formula.removeAttribute("aria-invalid");
    this.setStatus("ok", t("formula.ok"));
    // Keep a typed start point only if it is still on the plot.
    const start = st.start && insideDomain(st.start, domain) ? st.start : null;
    scene.store.update({ formula: { expr, domain }, surface: null, start }, { restart: true });
  }

  /** kind: ok | checking | error; with a caret under the column that is wrong. */
  setStatus(kind, text, where = null) {
    this.status.textContent = text;
    this.status.dataset.kind = kind;
    if (where) {
      this.caret.hidden = false;
      this.caret.textContent = `${where.expr}\n${" ".repeat(Math.max(0, where.col - 1))}^`;
    } else {
      this.caret.hidden = true;
      this.caret.textContent = "";
    }
  }
}

function insideDomain(p, domain) {
  return p[0] >= domain[0][0] && p[0] <= domain[0][1] && p[1] >= domain[1][0] && p[1] <= domain[1][1];
}

function round(v) {
  return Number(v.toPrecision(6));
}

// The steps slider is logarithmic (10 … 5,000), rounded to two significant digits.
function stepsToPos(n) {
  const [a, b] = STEPS_UI.map(Math.log10);
  return Math.round(((Math.log10(Math.max(STEPS_UI[0], Math.min(STEPS_UI[1], n))) - a) / (b - a)) * 1000);
}

function posToSteps(pos) {
  const [a, b] = STEPS_UI.map(Math.log10);
  const v = 10 ** (a + (pos / 1000) * (b - a));
  const mag = 10 ** Math.max(0, Math.floor(Math.log10(v)) - 1);
  return Math.round(v / mag) * mag;
}
