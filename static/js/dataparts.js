// A surface from data's controls (datapanel.js with csvdata.js) and plot (dataview.js)
// load when a data surface is first shown: chosen in the surface select, named by the
// link (main.js and embed.js start loading them with the catalogues), or set by a
// lesson. Until then these stand in for them, with what a built-in surface needs.

import { dataModel } from "./datachoice.js";

const loaded = { controls: null, view: null }; // the modules, once here
const loading = {};

function load(name, importer) {
  loading[name] ||= importer().then((m) => (loaded[name] = m), (e) => {
    loading[name] = null; // (offline: the next choice tries again)
    throw e;
  });
  return loading[name];
}

export const loadDataControls = () => load("controls", () => import("./datapanel.js"));
export const loadDataView = () => load("view", () => import("./dataview.js"));

/** The surface panel's data controls (SurfacePanel.data): a DataControls once loaded. */
export class DataControlsSlot {
  /** root: the surface panel (templates/index.html's #data-box inside it). */
  constructor(root, scene) {
    this.root = root;
    this.scene = scene;
    this.box = root.querySelector("#data-box");
    this.note = root.querySelector("#data-note");
    this.made = null;
  }

  /** The DataControls, if its module is here (made on the first ask). */
  get controls() {
    if (!this.made && loaded.controls) this.made = new loaded.controls.DataControls(this.root, this.scene);
    return this.made;
  }

  async load() {
    await loadDataControls();
    return this.controls;
  }

  render() {
    const c = this.controls;
    if (c) {
      c.render();
      return;
    }
    this.box.hidden = true; // (shown once its controls are here)
    if (this.scene.state.data) this.load().then((made) => made.render());
  }

  syncBatch() {
    this.controls?.syncBatch();
  }

  /** A standing note at the top of the data controls (a link whose data was lost). */
  setNote(text) {
    this.note.textContent = text;
    this.note.hidden = !text;
  }

  /** The server's 422s that belong to the data controls are shown at them; returns the rest. */
  showErrors(detail) {
    return this.controls ? this.controls.showErrors(detail) : detail;
  }

  async pick(value) {
    return (await this.load()).pick(value);
  }

  modelOf(st = this.scene.state) {
    return dataModel(st, this.scene.catalog);
  }
}

/** The scene's data view: a DataView, made when the first data arrive. */
export class DataViewSlot {
  /** As DataView: wrap, the element to fill; options, {compact}. */
  constructor(wrap, options) {
    this.wrap = wrap;
    this.options = options;
    this.view = null;
    this.runs = null;
    this.k = null;
    this.token = 0;
  }

  async setData(data) {
    const token = ++this.token;
    if (!this.view) {
      this.wrap.hidden = !data;
      // Its place beside the contour (app.css: .has-data) is taken before the contour sizes.
      this.wrap.parentElement?.classList.toggle("has-data", Boolean(data));
      if (!data) return;
      const { DataView } = await loadDataView();
      if (token !== this.token) return; // a newer surface came meanwhile
      this.view ||= new DataView(this.wrap, this.options);
      if (this.runs) this.view.setRuns(this.runs);
      if (this.k !== null) this.view.setStep(this.k);
    }
    await this.view.setData(data);
  }

  setRuns(runs) {
    this.runs = runs;
    this.view?.setRuns(runs);
  }

  setStep(k) {
    this.k = k;
    this.view?.setStep(k);
  }

  relabel() {
    this.view?.relabel();
  }

  /** The models drawn last (for tests). */
  get drawn() {
    return this.view?.drawn || [];
  }
}
