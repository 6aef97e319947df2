// plotly.js, the page's one outside library, vendored from the npm registry at one pinned
// version (static/vendor/plotly.js.json) in two of its official partial bundles:
// - cartesian (contour, heatmap, scatter): fetched from the page's first lines (a preload
//   link), but evaluated (~300 ms of the main thread) only once the contour view has put
//   a picture of the surface and the first paths on screen (releasePlotly(); preview.js),
//   or a second after the page started, whichever comes first; plotlyReady() waits for it;
// - gl3d (surface, scatter3d): only when the 3D view is first shown, as a Plotly of its
//   own (plotly3d()); window.Plotly stays the cartesian one that draws everything else.

// Whatever happens, plotly.js is not held back longer than this after the page started.
const HOLD_MS = 1000;

let ready = null;
let gl3d = null;
let release = null;
const released = new Promise((resolve) => { release = resolve; });
setTimeout(() => release(), Math.max(0, HOLD_MS - performance.now()));

/** Whether plotly.js (the cartesian bundle) has run. */
export function plotlyLoaded() {
  return Boolean(window.Plotly);
}

const holds = [];

/** The page has more of its first view to build (its controls): plotly.js waits for
 *  `promise` too (or for HOLD_MS after the start). */
export function holdPlotly(promise) {
  holds.push(promise.catch(() => {}));
}

/** The first view is on screen (or will not be drawn without Plotly): evaluate plotly.js
 *  (once what holds it is done). */
export function releasePlotly() {
  Promise.all(holds).then(() => release());
}

/** Resolves once window.Plotly (the cartesian bundle) is there. */
export function plotlyReady() {
  if (window.Plotly) return Promise.resolve(window.Plotly);
  if (!ready) {
    ready = released
      .then(() => window.Plotly || appendScript(document.querySelector("link[data-plotly]").href))
      .then(() => {
        if (!window.Plotly) throw new Error("no window.Plotly");
        return window.Plotly;
      })
      .catch(() => {
        ready = null; // a later try may succeed
        throw new Error("plotly.js did not load");
      });
  }
  return ready;
}

/** The 3D bundle, loaded on first call (its URL, content-hashed, is in the page's head). */
export function plotly3d() {
  if (!gl3d) {
    gl3d = plotlyReady().then((cartesian) => appendScript(document.querySelector('meta[name="optplay:plotly-gl3d"]').content)
      .then((script) => {
        // The bundle sets window.Plotly as it runs (its load event, and this, follow
        // before any other task): take it, and give the page back its own.
        const lib = window.Plotly;
        window.Plotly = cartesian;
        script.remove();
        if (lib && lib !== cartesian) return lib;
        throw new Error("no 3D Plotly");
      }))
      .catch(() => {
        gl3d = null; // a later try may succeed
        throw new Error("plotly.js (gl3d) did not load");
      });
  }
  return gl3d;
}

/** A classic script in the page's head: resolves with it once it has run; rejects (and
 *  removes it) if it did not load. */
function appendScript(src) {
  return new Promise((resolve, reject) => {
    const script = document.createElement("script");
    script.src = src;
    script.addEventListener("load", () => resolve(script), { once: true });
    script.addEventListener("error", () => {
      script.remove();
      reject(new Error(`${src} did not load`));
    }, { once: true });
    document.head.append(script);
  });
}
