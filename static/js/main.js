// The full page "/": surface panel, optimizer rows, contour + race, loss chart, share.

import { fetchCatalogues } from "./api.js";
import { Catalog } from "./catalog.js";
import { ContourView } from "./plot.js";
import { LossChart } from "./losschart.js";
import { PlayerBar, bindKeys } from "./player.js";
import { Readout } from "./readout.js";
import { RowsPanel } from "./controls.js";
import { Scene } from "./scene.js";
import { MapMode } from "./mapmode.js";
import { ArrowLayer } from "./arrows.js";
import { Inspector } from "./inspector.js";
import { LRStrip } from "./lrstrip.js";
import { SurfacePanel } from "./surfacepanel.js";
import { bindEmbed, bindShare } from "./share.js";
import { bindExportBar } from "./exportbar.js";
import { bindView3d } from "./view3d.js";
import { PlotLegend } from "./plotlegend.js";
import { Presentation, sceneTitle } from "./present.js";
import { decodeState } from "./state.js";
import { applyI18n, detectLang, getLang, setLang, t } from "./i18n.js";

const $ = (sel) => document.querySelector(sel);

async function start() {
  setLang(detectLang());
  applyI18n();
  document.body.classList.add("is-loading");
  const catalog = new Catalog(await fetchCatalogues());
  const state = decodeState(location.search, catalog);
  if (state.lang) setLang(state.lang);
  applyI18n();

  const banner = $("#conn-banner");
  const globalError = $("#global-error");
  let rowsPanel = null;
  let surfacePanel = null;
  let mapMode = null;
  const scene = new Scene({
    catalog,
    state,
    hooks: {
      onConnection(status) {
        banner.hidden = status === "open" || status === "connecting";
        banner.textContent = status === "lost" ? t("conn.lost") : status === "http" ? t("conn.http") : "";
        if (status === "http") setTimeout(() => { banner.hidden = true; }, 4000);
      },
      onErrors(detail) {
        const rest = rowsPanel ? rowsPanel.showErrors(detail) : detail;
        globalError.hidden = !rest.length;
        globalError.textContent = rest.map((d) => t("error.server", { msg: `${(d.loc || []).filter((x) => x !== "body").join(".")} ${d.msg}`.trim() })).join("\n");
      },
      onGrid() {
        surfacePanel?.syncStart();
      },
    },
  });

  const contour = new ContourView($("#contour"), {
    onPick: (x, y) => {
      state.start = mapMode?.pickStart(x, y) || [round(x), round(y)];
      contour.setStart(state.start);
      surfacePanel.syncStart();
      scene.compute({ restart: true });
      scene.saveUrl();
    },
  });
  const loss = new LossChart($("#loss"), { onScrub: (k) => { scene.player.pause(); scene.player.seek(k); } });
  const readout = new Readout($("#readout"));
  const bar = new PlayerBar($("#player"), scene.player, { onSpeed: (s) => { state.speed = s; scene.saveUrl(); } });
  // Inside the optimizer (issue #4): state inspector, arrows on the contour, lr strip.
  const arrows = new ArrowLayer();
  contour.overlays.push((ctx, ax, view) => arrows.paint(ctx, ax, view));
  const scrub = (k) => { scene.player.pause(); scene.player.seek(k); };
  const lrStrip = new LRStrip($("#lr-section"), { onScrub: scrub });
  const inspector = new Inspector($("#inspector"), { scene, contour, arrows });
  const legend = new PlotLegend(contour, scene);
  scene.attach({ contour, loss, readout, bar, extra: [inspector, lrStrip, legend] });

  rowsPanel = new RowsPanel($("#rows"), $("#add-row"), state, catalog, {
    onParam: () => { scene.compute(); scene.saveUrl(); },
    onStructure: () => { scene.compute(); scene.saveUrl(); },
    onVisual: () => { scene.restyle(); scene.saveUrl(); },
  });
  rowsPanel.render();
  surfacePanel = new SurfacePanel($("#surface-panel"), scene);
  mapMode = new MapMode({ panel: $("#map-panel"), strip: $("#map-strip"), sweepHost: $("#sweep-view"), stage: $(".stage") },
    { scene, catalog, contour, rowsPanel });
  bindKeys(scene.player);
  bindShare($("#share-btn"), $("#share-fallback"), scene);
  bindEmbed($("#embed-btn"), $("#embed-dialog"), scene);
  const view3d = bindView3d({ toggle: $("#view-toggle"), box: $("#surface3d"), contourWrap: $("#contour"), contour, scene, onChange: () => scene.saveUrl() });
  const exportBar = bindExportBar($("#export-bar"), scene, {
    graph: view3d.graph,
    slide: () => ({ title: sceneTitle(scene), legend, contour }),
  });
  const present = new Presentation({
    scene, contour, legend, button: $("#present-btn"),
    bar: { el: $("#present-bar"), title: $("#present-title"), exit: $("#present-exit") },
    onChange: (on) => { state.present = on; scene.saveUrl(); },
  });
  bindLanguage(scene, () => {
    applyI18n();
    rowsPanel.render();
    surfacePanel.render();
    bar.relabel();
    exportBar.relabel();
    view3d.relabel();
    inspector.relabel();
    lrStrip.relabel();
    legend.relabel();
    present.relabel();
    scene.refreshRuns(true);
    if (scene.grid) contour.setGrid(scene.grid);
    mapMode.render();
    mapMode.paint();
  });
  scene.exposeHooks();
  mapMode.exposeHooks();
  window.__optplay.arrows = () => arrows.drawn.map((a) => ({ ...a }));

  let res = await scene.loadGrid();
  if (!res.ok && state.formula) {
    // A link with a formula this server refuses: show why, and fall back to the default.
    surfacePanel.setStatus("error", res.detail?.[0]?.msg || "");
    state.formula = null;
    state.surface = "rosenbrock";
    res = await scene.loadGrid();
    surfacePanel.render();
  }
  document.body.classList.remove("is-loading");
  if (state.present) await present.enter();
  scene.compute({ restart: true });
  scene.saveUrl();
}

/** EN / 中文 buttons: switch without a reload and keep it in the URL. */
export function bindLanguage(scene, rerender) {
  const buttons = document.querySelectorAll(".lang-switch [data-lang]");
  const mark = () => buttons.forEach((b) => b.setAttribute("aria-pressed", String(b.dataset.lang === getLang())));
  mark();
  buttons.forEach((b) => b.addEventListener("click", () => {
    if (b.dataset.lang === getLang()) return;
    setLang(b.dataset.lang);
    scene.state.lang = b.dataset.lang;
    mark();
    rerender();
    scene.saveUrl();
  }));
}

function round(v) {
  return Number(v.toPrecision(4));
}

start().catch((e) => {
  console.error(e);
  const box = document.getElementById("global-error");
  if (box) {
    box.hidden = false;
    box.textContent = t("error.server", { msg: e.message || String(e) });
  }
});
