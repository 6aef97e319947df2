// The data part of the surface panel (a surface from data, api-v1.md "Surfaces from
// data"): the model, your own data pasted, typed or dropped as CSV (read here first, so a
// bad line is named before anything is sent; the server's 422 is shown at the control
// too), and the mini-batches (size, seed, shuffle). The built-in data sets are picked
// in the surface select, whose options datachoice.js adds. Loaded with the first surface
// from data shown (dataparts.js).

import { getLang, t } from "./i18n.js";
import { MAX_FILE_BYTES, csvText, parseCsv } from "./csvdata.js";
import { CSV_OPTION, LOCAL_KEY, dataIdOf, dataModel } from "./datachoice.js";
import { pointsText } from "./state.js";
import { urlField } from "./table.js";

const SURFACE_KEYS = urlField("surface");
const BATCH_MAX = urlField("batchSize").max;
const CSV_DELAY_MS = 300;

export class DataControls {
  /** root: the surface panel (templates/index.html's #data-box inside it). */
  constructor(root, scene) {
    this.scene = scene;
    const $ = (sel) => root.querySelector(sel);
    this.box = $("#data-box");
    this.note = $("#data-note");
    this.about = $("#data-about");
    this.model = $("#data-model");
    this.modelStatus = $("#data-model-status");
    this.csvBox = $("#csv-box");
    this.csv = $("#csv-text");
    this.caret = $("#csv-caret");
    this.csvStatus = $("#csv-status");
    this.share = $("#csv-share");
    this.file = $("#csv-file");
    this.open = $("#csv-open");
    this.slider = $("#batch-slider");
    this.size = $("#batch-size");
    this.info = $("#batch-info");
    this.seed = $("#batch-seed");
    this.shuffle = $("#batch-shuffle");
    this.batchStatus = $("#batch-status");
    this.help = $("#batch-help");
    this.timer = 0;
    this.lines = null; // the CSV line of each point (for the server's errors)
    this.textData = null; // the data the text box was last read into
    this.csvMsg = null; // {kind, key, vars, where}: said again in the other language
    this.bind();
  }

  get state() {
    return this.scene.state;
  }

  /** Points in the data on screen. */
  count() {
    const d = this.state.data;
    if (!d) return 0;
    return d.id ? this.scene.catalog.dataset(d.id)?.n || 0 : d.x.length;
  }

  /** The model in force: the state's, else the data set's own (linear for your data). */
  modelOf(st = this.state) {
    return dataModel(st, this.scene.catalog);
  }

  // ------------------------------------------------------------------ showing

  render() {
    const st = this.state;
    this.box.hidden = !st.data;
    if (!st.data) return;
    const set = st.data.id ? this.scene.catalog.dataset(st.data.id) : null;
    const about = set ? (getLang() === "zh" ? set.about_zh || set.about : set.about) : "";
    this.about.textContent = [t("data.points", { n: this.count() }), about].filter(Boolean).join(" · ");
    this.model.innerHTML = "";
    this.model.append(new Option(t("data.modelLinear"), "linear"), new Option(t("data.modelLogistic"), "logistic"));
    this.model.value = this.modelOf();
    this.csvBox.hidden = Boolean(set);
    if (!set) {
      if (!sameData(this.textData, st.data) && document.activeElement !== this.csv) {
        this.csv.value = csvText(st.data);
        this.textData = st.data;
        this.lines = st.data.x.map((_, i) => i + 2);
      }
      this.showShare();
    }
    this.fillCode(this.help, "batch.help");
    this.syncBatch();
    if (this.csvMsg) this.say(this.csvMsg);
  }

  /** Batch controls from the state: the slider, the box, the line under them. */
  syncBatch() {
    const st = this.state, n = this.count();
    const size = st.batchSize;
    const full = !size || size >= n;
    if (document.activeElement !== this.size) this.size.value = size ? String(size) : "";
    this.size.placeholder = t("batch.all");
    this.size.max = String(Math.min(BATCH_MAX, Math.max(1, n)));
    this.slider.value = String(full ? 1000 : sizeToPos(size, n));
    this.slider.setAttribute("aria-valuetext", full ? t("batch.full", { n }) : t("batch.info", { size, n, steps: Math.ceil(n / size) }));
    this.info.textContent = full ? t("batch.full", { n }) : t("batch.info", { size, n, steps: Math.ceil(n / size) });
    this.seed.value = String(st.batchSeed);
    this.shuffle.checked = st.shuffle;
    this.seed.disabled = this.shuffle.disabled = full;
  }

  /** The note under the text box when the data is too long for a link. */
  showShare() {
    const st = this.state;
    if (!st.data || st.data.id) return;
    const chars = pointsText(st.data).length;
    const max = SURFACE_KEYS.points_max_chars;
    const tooLong = chars > max;
    this.share.hidden = !tooLong;
    if (tooLong) this.share.textContent = t("csv.tooLong", { chars: chars.toLocaleString(), max: max.toLocaleString() });
    try {
      if (tooLong) sessionStorage.setItem(LOCAL_KEY, JSON.stringify({ x: st.data.x, y: st.data.y }));
      else sessionStorage.removeItem(LOCAL_KEY);
    } catch (e) {
      // storage full or switched off: the note above still says the link will not hold it
    }
  }

  /** Text with a piece of code (DataLoader(...)) set as code, as the i18n text places it. */
  fillCode(el, key) {
    const [before, after] = t(key).split("DataLoader(shuffle=True)");
    const code = document.createElement("code");
    code.textContent = "DataLoader(shuffle=True)";
    el.replaceChildren(before, ...(after === undefined ? [] : [code, after]));
  }

  /** A CSV message: {kind: ok | checking | error, key, vars, where?: {text, col}}. */
  say(msg) {
    this.csvMsg = msg;
    this.csvStatus.textContent = t(msg.key, msg.vars);
    this.csvStatus.dataset.kind = msg.kind;
    this.csv.toggleAttribute("aria-invalid", msg.kind === "error");
    if (msg.where) {
      const prefix = `${msg.vars.line} │ `;
      this.caret.hidden = false;
      this.caret.textContent = `${prefix}${msg.where.text}` + (msg.where.col === null ? "" : `\n${" ".repeat(prefix.length + msg.where.col)}^`);
    } else {
      this.caret.hidden = true;
      this.caret.textContent = "";
    }
  }

  /** A standing note at the top of the data controls (a link whose data was lost). */
  setNote(text) {
    this.note.textContent = text;
    this.note.hidden = !text;
  }

  setModelStatus(text) {
    this.modelStatus.textContent = text;
    this.modelStatus.dataset.kind = text ? "error" : "";
    this.model.toggleAttribute("aria-invalid", Boolean(text));
  }

  setBatchStatus(text) {
    this.batchStatus.textContent = text;
    this.batchStatus.dataset.kind = text ? "error" : "";
    this.size.toggleAttribute("aria-invalid", Boolean(text));
  }

  /** The server's 422s that belong to these controls are shown at them; returns the rest. */
  showErrors(detail) {
    const rest = [];
    let batch = "", model = "";
    for (const d of detail) {
      const loc = (d.loc || []).filter((x) => x !== "body");
      if (loc[0] === "surface" && loc[1] === "data" && this.state.data && !this.state.data.id) {
        const line = typeof loc[3] === "number" ? this.lines?.[loc[3]] : null;
        this.say(line ? { kind: "error", key: "csv.atLine", vars: { line, msg: d.msg } } : { kind: "error", key: "csv.atLine", vars: { line: "?", msg: d.msg } });
      } else if (loc[0] === "surface" && (loc[1] === "model" || loc[1] === "data")) {
        model = d.msg;
      } else if (loc[0] === "batch") {
        batch = `${loc.slice(1).join(".")} ${d.msg}`.trim();
      } else {
        rest.push(d);
      }
    }
    this.setBatchStatus(batch);
    this.setModelStatus(model);
    return rest;
  }

  // ------------------------------------------------------------------ choosing

  /** A data choice in the surface select: a built-in set, or your own data. */
  async pick(value) {
    const { scene } = this;
    if (value === CSV_OPTION) {
      if (this.state.data && !this.state.data.id) return;
      // Start from the data on screen (or the first built-in set): a student edits it.
      const src = (this.state.data?.id && scene.catalog.dataset(this.state.data.id)) || scene.catalog.datasets[0];
      this.csvBox.hidden = false;
      this.box.hidden = false;
      this.csv.value = src ? csvText(src) : "";
      this.model.value = src?.model || "linear";
      this.csv.focus();
      await this.applyCsv();
      return;
    }
    const id = dataIdOf(value);
    const res = await scene.loadGrid({ data: id });
    if (res.stale) return;
    if (!res.ok) {
      this.setModelStatus(res.detail?.[0]?.msg || "");
      return;
    }
    this.setModelStatus("");
    this.csvMsg = null;
    scene.store.update({ data: { id }, model: null, surface: null, formula: null, start: null }, { restart: true });
  }

  /** Read the text box; if it reads, ask the server for the surface, then use it. */
  async applyCsv() {
    clearTimeout(this.timer);
    const model = this.model.value || "linear";
    const maxPoints = Number(document.body.dataset.maxPoints) || BATCH_MAX;
    const r = parseCsv(this.csv.value, { model, maxPoints });
    if (!r.ok) {
      this.say({ kind: "error", key: r.key, vars: { ...r.vars, line: r.line }, where: r.line ? { text: r.text, col: r.col } : null });
      return;
    }
    this.say({ kind: "checking", key: "formula.checking", vars: {} });
    const data = { x: r.x, y: r.y };
    const res = await this.scene.loadGrid({ data, ...(model !== "linear" ? { model } : {}) });
    if (res.stale) return;
    this.lines = r.lines;
    if (!res.ok) {
      this.showErrors(res.detail || []);
      return;
    }
    this.textData = data;
    this.setModelStatus("");
    this.say({ kind: "ok", key: "csv.ok", vars: { n: r.x.length } });
    this.scene.store.update({ data, model: model === "linear" ? null : model, surface: null, formula: null, start: null }, { restart: true });
  }

  /** The model select: your data is read again (a logistic model wants 0/1 labels); a
   *  built-in set is checked here, then by the server. */
  async changeModel() {
    const st = this.state;
    const m = this.model.value;
    if (!st.data) return;
    if (!st.data.id) {
      await this.applyCsv();
      return;
    }
    const set = this.scene.catalog.dataset(st.data.id);
    if (m === "logistic" && set) {
      const i = set.y.findIndex((v) => v !== 0 && v !== 1);
      if (i >= 0) {
        this.setModelStatus(t("data.modelBad", { value: set.y[i], i: i + 1 }));
        return;
      }
    }
    const model = set && m === set.model ? null : m;
    const res = await this.scene.loadGrid({ data: st.data.id, ...(model ? { model } : {}) });
    if (res.stale) return;
    if (!res.ok) {
      this.setModelStatus(res.detail?.[0]?.msg || "");
      return;
    }
    this.setModelStatus("");
    this.scene.store.update({ model, start: null }, { restart: true });
  }

  async readFile(file) {
    if (!file) return;
    if (file.size > MAX_FILE_BYTES) {
      this.say({ kind: "error", key: "csv.fileTooBig", vars: { name: file.name, size: (file.size / 1048576).toFixed(1) } });
      return;
    }
    try {
      this.csv.value = await file.text();
    } catch (e) {
      this.say({ kind: "error", key: "csv.fileFailed", vars: { name: file.name, msg: e.message || String(e) } });
      return;
    }
    await this.applyCsv();
  }

  bind() {
    const store = this.scene.store;
    this.csv.addEventListener("input", () => {
      clearTimeout(this.timer);
      this.say({ kind: "checking", key: "formula.checking", vars: {} });
      this.timer = setTimeout(() => this.applyCsv(), CSV_DELAY_MS);
    });
    this.csv.addEventListener("dragover", (ev) => {
      if ([...(ev.dataTransfer?.types || [])].includes("Files")) {
        ev.preventDefault();
        this.csv.classList.add("is-drop");
      }
    });
    this.csv.addEventListener("dragleave", () => this.csv.classList.remove("is-drop"));
    this.csv.addEventListener("drop", (ev) => {
      const file = ev.dataTransfer?.files?.[0];
      this.csv.classList.remove("is-drop");
      if (!file) return;
      ev.preventDefault();
      this.readFile(file);
    });
    this.open.addEventListener("click", () => this.file.click());
    this.file.addEventListener("change", () => {
      this.readFile(this.file.files[0]);
      this.file.value = "";
    });
    this.model.addEventListener("change", () => this.changeModel());

    this.slider.addEventListener("input", () => {
      const n = this.count();
      const pos = Number(this.slider.value);
      const size = pos >= 1000 ? null : posToSize(pos, n);
      store.update({ batchSize: size }, { from: this });
      this.size.value = size ? String(size) : "";
      this.syncBatch();
    });
    this.size.addEventListener("input", () => {
      const raw = this.size.value.trim();
      const v = Number(raw);
      const ok = raw === "" || (Number.isInteger(v) && v >= 1 && v <= BATCH_MAX);
      this.size.toggleAttribute("aria-invalid", !ok);
      if (!ok) return;
      const n = this.count();
      store.update({ batchSize: raw === "" || v >= n ? null : v }, { from: this });
      this.syncBatch();
    });
    this.seed.addEventListener("input", () => {
      const v = Number(this.seed.value);
      const ok = this.seed.value.trim() !== "" && Number.isInteger(v) && v >= 0 && v <= 2147483647;
      this.seed.toggleAttribute("aria-invalid", !ok);
      if (ok) store.update({ batchSeed: v }, { from: this });
    });
    this.shuffle.addEventListener("change", () => store.update({ shuffle: this.shuffle.checked }, { from: this }));
  }
}

function sameData(a, b) {
  if (!a || !b || a.x.length !== b.x.length) return false;
  for (let i = 0; i < a.x.length; i++) if (a.x[i] !== b.x[i] || a.y[i] !== b.y[i]) return false;
  return true;
}

// The batch-size slider is logarithmic over 1 … n; its right end is the whole data set.
function sizeToPos(size, n) {
  if (n <= 1) return 1000;
  return Math.round((Math.log(Math.max(1, size)) / Math.log(n)) * 1000);
}

function posToSize(pos, n) {
  if (n <= 1) return null;
  const v = Math.round(Math.exp((pos / 1000) * Math.log(n)));
  return v >= n ? null : Math.max(1, v);
}
