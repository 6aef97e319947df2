// The embed "/embed": the same URL state with minimal chrome, sized to its iframe.
//   autoplay=1            start the race on load
//   controls=lr,momentum  which controls show (hyperparameter names, or steps / surface);
//   controls=none         none; left out: lr
//   present=1             presentation mode: large text, the legend on the plot, no controls
// A link opens the full app with the same state.

import { fetchCatalogues, openStream, prefetchGrid } from "./api.js";
import { Catalog } from "./catalog.js";
import { ContourView } from "./plot.js";
import { DataViewSlot, loadDataView } from "./dataparts.js";
import { PlayerBar, bindKeys } from "./player.js";
import { paramField } from "./controls.js";
import { Scene, gridPoints } from "./scene.js";
import { DEFAULT_SURFACE, decodeState, encodeState } from "./state.js";
import { Store } from "./store.js";
import { URL_KEYS, urlField } from "./table.js";
import { valueOf } from "./catalog.js";
import { applyI18n, detectLang, setLang, surfaceName, t } from "./i18n.js";
import { fmt } from "./format.js";
import { statusKind, statusText } from "./readout.js";
import { Announcer } from "./announce.js";
import { PlotLegend } from "./plotlegend.js";
import { Presentation } from "./present.js";
import { ScrubMarks } from "./scrubmarks.js";
import { LabMarks } from "./labmarks.js";
import { LessonCard, linkSearch } from "./lessons.js";

const $ = (sel) => document.querySelector(sel);

async function start() {
  openStream();
  // The link's surface's grid, asked for with the catalogues (a typed formula waits for
  // the catalogue, which decides how it is read).
  const search = await linkSearch(location.search);
  const q = new URLSearchParams(search);
  // (Not on a surface from data: its grid is the data's, asked for once they are read.)
  const spec = urlField("surface");
  const surface = q.get(spec.key) || DEFAULT_SURFACE;
  const fromData = q.get(spec.data_key) || q.get(spec.points_key);
  if (!q.get(spec.formula_key) && !fromData && document.body.dataset.surfaces.split(",").includes(surface)) prefetchGrid(surface, gridPoints(true));
  // A link to a surface from data: its plot loads with the catalogues.
  const dataView = fromData ? loadDataView() : null;
  setLang(detectLang());
  const catalog = new Catalog(await fetchCatalogues());
  await dataView;
  const store = new Store(decodeState(search, catalog), catalog, { embed: true });
  const state = store.state;
  if (state.lang) setLang(state.lang);
  applyI18n();
  new LessonCard($("#lesson-card"), store, { path: "/embed", compact: true }).show();

  const errorBox = $("#global-error");
  const legend = new Legend($("#legend"));
  const openFull = $("#open-full");
  const scene = new Scene({
    catalog, store, embed: true,
    hooks: {
      onErrors(detail) {
        errorBox.hidden = !detail.length;
        errorBox.textContent = detail.map((d) => t("error.server", { msg: d.msg })).join("\n");
      },
      onRuns: () => legend.set(scene.descriptors(), scene.player.k),
      onStep: (k) => legend.update(k),
    },
  });
  // "Open in the playground": the same scene on the full page.
  const linkFull = () => { openFull.href = `/?${encodeState(state, catalog)}`; };
  linkFull();
  store.subscribe(linkFull);
  const contour = new ContourView($("#contour"), { compact: !state.present });
  const bar = new PlayerBar($("#player"), scene.player, { compact: true, onSpeed: (speed) => store.update({ speed }) });
  // Changes of course (torch.optim API) on the path and on the scrubber.
  const labMarks = new LabMarks();
  contour.overlays.push((ctx, ax, view) => labMarks.paint(ctx, ax, view));
  // A surface from data: the data and each run's model beside (or under) the contour.
  const data = new DataViewSlot($("#data-view"), { compact: true });
  // Presenting: the plot's own legend (with each run's changed hyperparameters) instead
  // of the footer's, and no controls.
  const plotLegend = state.present ? new PlotLegend(contour, scene) : null;
  scene.attach({ contour, bar, data, extra: [new ScrubMarks(bar, scene.player), new Announcer(), ...(plotLegend ? [plotLegend] : [])] });
  if (!state.present) buildControls($("#embed-controls"), scene);
  bindKeys(scene.player);
  scene.exposeHooks();

  // present=1: the contour's first drawing is already at projector size.
  if (plotLegend) await new Presentation({ scene, contour, legend: plotLegend }).enter();
  // The race is asked for as soon as the grid is in: its paths are drawn on the
  // contour's first picture, before plotly.js has run (plot.js).
  const race = () => {
    if (state.autoplay) {
      store.recompute({ restart: true });
    } else {
      // Without autoplay the embed opens on the finished race, like a figure; ▶ replays it.
      scene.player.setMax(state.steps);
      scene.player.seek(state.steps);
      store.recompute();
    }
  };
  const res = await scene.loadGrid(undefined, { beforeDraw: race });
  if (!res.ok) {
    errorBox.hidden = false;
    errorBox.textContent = t("error.server", { msg: res.detail?.[0]?.msg || "" });
  }
}

/** The controls the embedding page asked for, one per row that has the hyperparameter. */
function buildControls(box, scene) {
  const { state, catalog, store } = scene;
  const names = state.controls === null ? ["lr"] : state.controls;
  box.innerHTML = "";
  box.hidden = !names.length;
  for (const name of names) {
    if (name === "steps") {
      const steps = urlField("steps");
      const spec = { name: "steps", type: "int", default: steps.default, ui: URL_KEYS.steps_slider, log: true, min: steps.min, doc: "", doc_zh: "" };
      const f = paramField(spec, state.steps, (v) => store.update({ steps: Math.max(1, Math.round(v)) }), { catalog });
      f.node.querySelector("code").textContent = t("steps.label");
      box.append(f.node);
      continue;
    }
    if (name === "surface") {
      const sel = document.createElement("select");
      sel.id = "embed-surface";
      sel.setAttribute("aria-label", t("surface.label"));
      for (const s of catalog.surfaces) sel.append(new Option(surfaceName(s), s.id));
      sel.value = state.surface || "";
      sel.addEventListener("change", async () => {
        const id = sel.value;
        if ((await scene.loadGrid(id)).ok) store.update({ surface: id, formula: null, start: null }, { restart: true });
      });
      const wrap = document.createElement("div");
      wrap.className = "field";
      wrap.append(sel);
      box.append(wrap);
      continue;
    }
    state.rows.forEach((row, i) => {
      const spec = catalog.param(row.optimizer, name);
      if (!spec || spec.type === "optimizer" || spec.type === "schedulers") return;
      const f = paramField(spec, valueOf(row.params, spec), (v) => store.update({ row: i, params: { [name]: v } }),
        { catalog, labelPrefix: rowName(state.rows, i, catalog) });
      f.node.style.setProperty("--row-color", row.color);
      f.node.classList.add("row-tinted");
      f.node.querySelector(".doc")?.remove();
      box.append(f.node);
    });
  }
}

/** "SGD", or "SGD (2)" when another row runs the same optimizer: two sliders both
 *  called "SGD lr" cannot be told apart, by eye or by a screen reader. */
function rowName(rows, i, catalog) {
  const name = (row) => catalog.optimizer(row.optimizer)?.name || row.optimizer;
  const shared = rows.filter((r) => name(r) === name(rows[i])).length > 1;
  return shared ? `${name(rows[i])} (${i + 1})` : name(rows[i]);
}

/** Colour key with each run's loss at the current step (and its fate). */
class Legend {
  constructor(list) {
    this.list = list;
    this.items = [];
    this.runs = [];
    this.k = -1;
  }

  set(runs, k) {
    this.runs = runs;
    this.list.innerHTML = "";
    this.items = runs.map((r) => {
      const li = document.createElement("li");
      li.classList.toggle("is-hidden", !r.visible);
      const sw = document.createElement("span");
      sw.className = "swatch";
      sw.style.background = r.color;
      const name = document.createElement("span");
      name.className = "name";
      name.textContent = r.label;
      const val = document.createElement("span");
      val.className = "val";
      li.append(sw, name, val);
      this.list.append(li);
      return { li, val };
    });
    this.k = -1;
    this.update(k);
  }

  update(k) {
    const step = Math.floor(k + 1e-9);
    if (step === this.k) return;
    this.k = step;
    this.runs.forEach((r, i) => {
      const item = this.items[i];
      if (!item || !r.loss?.length) return;
      const kind = statusKind(r, step);
      item.val.dataset.kind = kind;
      item.val.textContent = kind === "diverged" || kind === "escaped" ? statusText(r, step) : fmt(r.loss[Math.min(step, r.loss.length - 1)]);
    });
  }
}

start().catch((e) => {
  console.error(e);
  const box = document.getElementById("global-error");
  if (box) {
    box.hidden = false;
    box.textContent = String(e.message || e);
  }
});
