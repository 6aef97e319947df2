// The full page "/": surface panel, optimizer rows, contour + race, loss chart, share.

import { fetchCatalogues, openStream, prefetchGrid } from "./api.js";
import { Catalog } from "./catalog.js";
import { ContourView } from "./plot.js";
import { LossChart } from "./losschart.js";
import { PlayerBar, bindKeys } from "./player.js";
import { Readout } from "./readout.js";
import { Announcer } from "./announce.js";
import { PhoneStrip } from "./phonestrip.js";
import { RowsPanel } from "./controls.js";
import { Scene, gridPoints } from "./scene.js";
import { MapPanel } from "./mappanel.js";
import { TunePanel } from "./tune.js";
import { ArrowLayer } from "./arrows.js";
import { Inspector } from "./inspector.js";
import { LRStrip } from "./lrstrip.js";
import { LabMarks } from "./labmarks.js";
import { ScrubMarks } from "./scrubmarks.js";
import { SurfacePanel } from "./surfacepanel.js";
import { restoreLocalData } from "./datachoice.js";
import { DataViewSlot, loadDataControls, loadDataView } from "./dataparts.js";
import { bindEmbed, bindShare } from "./share.js";
import { bindExportBar } from "./exportbar.js";
import { bindView3d } from "./view3dswitch.js";
import { PlotLegend } from "./plotlegend.js";
import { Presentation, sceneTitle } from "./present.js";
import { LessonCard, LessonsMenu, linkSearch } from "./lessons.js";
import { DEFAULT_SURFACE, decodeState } from "./state.js";
import { Store } from "./store.js";
import { holdPlotly } from "./plotlyjs.js";
import { urlField } from "./table.js";
import { applyI18n, detectLang, getLang, setLang, t } from "./i18n.js";

const $ = (sel) => document.querySelector(sel);

async function start() {
  openStream();
  // A lesson's link stands for its scene (lessons.js). The link's surface's grid is asked
  // for with the catalogues (a typed formula waits for the catalogue, which decides how it
  // is read).
  const search = await linkSearch(location.search);
  const q = new URLSearchParams(search);
  // (Not on a surface from data: its grid is the data's, asked for once they are read.)
  const spec = urlField("surface");
  const surface = q.get(spec.key) || DEFAULT_SURFACE;
  const fromData = q.get(spec.data_key) || q.get(spec.points_key);
  if (!q.get(spec.formula_key) && !fromData && document.body.dataset.surfaces.split(",").includes(surface)) prefetchGrid(surface, gridPoints(false));
  // A link to a surface from data: its controls and plot load with the catalogues.
  const dataParts = fromData ? Promise.all([loadDataControls(), loadDataView()]) : null;
  setLang(detectLang());
  applyI18n();
  document.body.classList.add("is-loading");
  const catalog = new Catalog(await fetchCatalogues());
  await dataParts;
  // Pasted data too long for a link: this tab kept it (or the link says it is lost).
  const local = restoreLocalData(search, catalog);
  const store = new Store(decodeState(local.search, catalog), catalog);
  const state = store.state;
  if (state.lang) setLang(state.lang);
  applyI18n();
  // First of the subscribers: every view that relabels on a language change finds it set.
  bindLanguage(store);
  const lessonsMenu = new LessonsMenu($("#lessons-menu"));
  store.subscribe(({ what }) => what.has("lang") && lessonsMenu.relabel());
  new LessonCard($("#lesson-card"), store).show();

  const banner = $("#conn-banner");
  const batchHint = $("#loss-batch-hint");
  const globalError = $("#global-error");
  let rowsPanel = null;
  let surfacePanel = null;
  let tunePanel = null;
  let lastErrors = [];
  const scene = new Scene({
    catalog,
    store,
    hooks: {
      onConnection(status) {
        banner.hidden = status === "open" || status === "connecting";
        banner.textContent = status === "lost" ? t("conn.lost") : status === "http" ? t("conn.http") : "";
        if (status === "http") setTimeout(() => { banner.hidden = true; }, 4000);
      },
      onErrors(detail) {
        lastErrors = detail;
        const mine = rowsPanel ? rowsPanel.showErrors(detail) : detail;
        const rest = surfacePanel ? surfacePanel.data.showErrors(mine) : mine;
        globalError.hidden = !rest.length;
        globalError.textContent = rest.map((d) => t("error.server", { msg: `${(d.loc || []).filter((x) => x !== "body").join(".")} ${d.msg}`.trim() })).join("\n");
      },
      // The start point's fields show the new surface's start with its first picture.
      onSurface() {
        surfacePanel?.syncStart();
      },
      onGrid() {
        surfacePanel?.syncStart();
        tunePanel?.show();
      },
      onRuns() {
        batchHint.hidden = !scene.epochSteps();
      },
      // "Add a change at step k" names the step the scrubber is on.
      onStep: () => rowsPanel?.followStep(),
    },
  });

  const contour = new ContourView($("#contour"));
  const loss = new LossChart($("#loss"), { onScrub: (k) => { scene.player.pause(); scene.player.seek(k); } });
  const readout = new Readout($("#readout"));
  const bar = new PlayerBar($("#player"), scene.player, { onSpeed: (speed) => store.update({ speed }) });
  // Inside the optimizer (issue #4): state inspector, arrows on the contour, lr strip.
  const arrows = new ArrowLayer();
  contour.overlays.push((ctx, ax, view) => arrows.paint(ctx, ax, view));
  // The torch.optim API lab: changes of course on the paths and the scrubber, LBFGS's
  // closure evaluations on the contour.
  const labMarks = new LabMarks();
  contour.overlays.push((ctx, ax, view) => labMarks.paint(ctx, ax, view));
  const scrubMarks = new ScrubMarks(bar, scene.player);
  const scrub = (k) => { scene.player.pause(); scene.player.seek(k); };
  const lrStrip = new LRStrip($("#lr-section"), { onScrub: scrub });
  const inspector = new Inspector($("#inspector"), { scene, contour, arrows });
  // Surfaces from data: the data and each run's model beside the contour.
  const dataView = new DataViewSlot($("#data-view"));
  const legend = new PlotLegend(contour, scene);
  scene.attach({ contour, loss, readout, bar, data: dataView, extra: [inspector, lrStrip, scrubMarks, new Announcer(), legend] });
  const present = new Presentation({
    scene, contour, legend, button: $("#present-btn"),
    bar: { el: $("#present-bar"), title: $("#present-title"), exit: $("#present-exit") },
    onChange: (on) => store.update({ present: on }),
  });
  store.subscribe(({ what }) => what.has("lang") && present.relabel());
  // The race goes out as soon as the views can take its answer: on a built-in surface it
  // needs no grid, so it is computed while the grid is read, and drawn on the contour's
  // first picture. (A formula or data waits for its grid, which decides whether the
  // link's surface stands.)
  let racing = false;
  const race = () => {
    if (racing) return;
    racing = true;
    scene.compute({ restart: true });
  };
  if (scene.knowSurface()) race();

  // present=1: the contour's first drawing is already at projector size.
  if (state.present) await present.enter();
  // The controls are built once the race is on screen (or the grid could not be drawn),
  // in the first idle moment after it: the first view does not wait for them, and
  // plotly.js (~300 ms of the main thread) waits for them.
  let controlsBuilt = null;
  holdPlotly(new Promise((resolve) => { controlsBuilt = resolve; }));
  // (A race not sent yet goes as soon as the grid is in, computed while it is drawn.)
  const gridLoad = scene.loadGrid(undefined, { beforeDraw: race });
  await Promise.race([contour.firstView, gridLoad]);
  await idleMoment();
  rowsPanel = new RowsPanel($("#rows"), $("#add-row"), store, catalog);
  rowsPanel.currentStep = () => scene.player.k;
  rowsPanel.render();
  tunePanel = new TunePanel($("#tune-panel"), { store, catalog, scene });
  new PhoneStrip($("#phone-strip"), { store, catalog, watch: $("#contour") });
  surfacePanel = new SurfacePanel($("#surface-panel"), scene);
  if (local.lost) surfacePanel.data.setNote(t("csv.linkLost", { name: getLang() === "zh" && local.lost.name_zh ? local.lost.name_zh : local.lost.name }));
  const mapPanel = new MapPanel({ panel: $("#map-panel"), strip: $("#map-strip"), sweepHost: $("#sweep-view"), stage: $(".stage") },
    { scene, catalog, contour });
  bindKeys(scene.player);
  bindShare($("#share-btn"), $("#share-fallback"), scene);
  bindEmbed($("#embed-btn"), $("#embed-dialog"), scene);
  const view3d = bindView3d({ toggle: $("#view-toggle"), box: $("#surface3d"), contourWrap: $("#contour"), contour, scene });
  bindExportBar($("#export-bar"), scene, {
    graph: view3d.graph,
    slide: () => ({ title: sceneTitle(scene), legend, contour }),
  });
  controlsBuilt();
  // (What they missed while the race came in.)
  if (scene.grid) {
    surfacePanel.syncStart();
    tunePanel.show();
  }
  if (lastErrors.length) scene.hooks.onErrors(lastErrors);
  scene.exposeHooks();
  mapPanel.exposeHooks();
  window.__optplay.arrows = () => arrows.drawn.map((a) => ({ ...a }));
  window.__optplay.labMarks = () => ({ evals: labMarks.drawnEvals, events: labMarks.drawnEvents });

  const res = await gridLoad;
  if (!res.ok && (state.formula || state.data)) {
    // A link with a formula or data this server refuses: show why, and fall back to the default.
    const why = res.detail?.[0]?.msg || "";
    const wasData = Boolean(state.data);
    await scene.loadGrid(DEFAULT_SURFACE);
    store.update({ formula: null, data: null, model: null, surface: DEFAULT_SURFACE });
    if (wasData) surfacePanel.data.setNote(why);
    else surfacePanel.setStatus("error", why);
  }
  document.body.classList.remove("is-loading");
  if (!racing) store.recompute({ restart: true });
  store.saveUrl();
}

/** The browser's next idle moment (at most 100 ms away). */
function idleMoment() {
  return new Promise((resolve) => {
    if ("requestIdleCallback" in window) requestIdleCallback(() => resolve(), { timeout: 100 });
    else setTimeout(resolve, 0);
  });
}

/** EN / 中文 buttons: switch without a reload and keep it in the URL; the views relabel
 *  themselves as subscribers of the store ("lang"). */
export function bindLanguage(store) {
  const buttons = document.querySelectorAll(".lang-switch [data-lang]");
  const mark = () => buttons.forEach((b) => b.setAttribute("aria-pressed", String(b.dataset.lang === getLang())));
  mark();
  store.subscribe(({ what }) => {
    if (!what.has("lang")) return;
    setLang(store.state.lang);
    applyI18n();
    mark();
  });
  buttons.forEach((b) => b.addEventListener("click", () => {
    if (b.dataset.lang !== getLang()) store.update({ lang: b.dataset.lang });
  }));
}

start().catch((e) => {
  console.error(e);
  const box = document.getElementById("global-error");
  if (box) {
    box.hidden = false;
    box.textContent = t("error.server", { msg: e.message || String(e) });
  }
});
