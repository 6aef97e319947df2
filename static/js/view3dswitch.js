// The Contour | 3D switch over the plot. The 3D view itself (view3d.js, and plotly.js's
// 3D bundle it loads) comes from the server the first time it is shown: a link with
// view=3d shows it at once, every other first view goes without it.

import { t } from "./i18n.js";

/** Can this browser draw WebGL? (Headless Chromium does, through SwiftShader.) */
export function webglAvailable() {
  try {
    const c = document.createElement("canvas");
    return Boolean(c.getContext("webgl2") || c.getContext("webgl") || c.getContext("experimental-webgl"));
  } catch (e) {
    return false;
  }
}

/**
 * The switch, wired to the scene (its grid, runs and player) through the scene's hooks,
 * and to the store (view, lang). Returns {graph()}: what a PNG of "the current view"
 * should show.
 */
export function bindView3d({ toggle, box, contourWrap, contour, scene }) {
  let view = null; // the SurfaceView, once the 3D view has been shown
  let loading = null;
  const note = document.createElement("p");
  note.className = "view3d-note";
  note.setAttribute("role", "status");
  note.hidden = true;
  box.after(note);
  const buttons = ["contour", "3d"].map((mode) => {
    const b = document.createElement("button");
    b.type = "button";
    b.dataset.view = mode;
    b.addEventListener("click", () => {
      if (scene.state.view !== mode) scene.store.update({ view: mode });
    });
    toggle.append(b);
    return b;
  });
  const hooks = scene.hooks;
  const chain = (name, fn) => {
    const before = hooks[name];
    hooks[name] = (...args) => {
      before?.(...args);
      fn(...args);
    };
  };
  chain("onGrid", (grid) => view?.setGrid(grid));
  chain("onRuns", () => view?.setRuns(scene.descriptors(), scene.fanDescriptors(),
    ![...scene.runs, ...scene.extra].some((r) => r.computing)));
  chain("onStep", (k) => view?.setStep(k));
  const load = () => (loading ||= import("./view3d.js").then(({ SurfaceView }) => {
    view = new SurfaceView(box);
    if (scene.grid) view.setGrid(scene.grid);
    apply();
  }));
  let webgl = null;
  function apply() {
    const want = scene.state.view === "3d";
    if (want && webgl === null) webgl = webglAvailable();
    const on = want && webgl;
    note.hidden = !(want && !webgl);
    note.textContent = t("view3d.noWebgl");
    buttons.forEach((b) => b.setAttribute("aria-pressed", String(b.dataset.view === (on ? "3d" : "contour"))));
    if (on && !view) {
      load();
      return;
    }
    // Keep the contour laid out (its width and axes stay right), just out of sight.
    contourWrap.classList.toggle("is-away", on);
    view?.show(on);
    if (on) {
      view.setRuns(scene.descriptors(), scene.fanDescriptors(), true);
      view.setStep(scene.player.k);
    }
  }
  function relabel() {
    toggle.setAttribute("aria-label", t("view3d.label"));
    for (const b of buttons) b.textContent = t(`view3d.${b.dataset.view}`);
    note.textContent = t("view3d.noWebgl");
    view?.relabel();
  }
  relabel();
  scene.store.subscribe(({ what }) => {
    if (what.has("view")) apply();
    if (what.has("lang")) relabel();
  });
  apply();
  const graph = () => (view?.active
    ? { gd: view.gd, overlay: null, lib: view.lib }
    : { gd: contour.gd, overlay: (target) => contour.paint(target) });
  return { graph, apply };
}
