// plotly.js, the page's one outside library, vendored from the npm registry at one pinned
// version (static/vendor/plotly.js.json) in two of its official partial bundles:
// - cartesian (contour, heatmap, scatter): a deferred script after the page's modules,
//   so the page asks for its data while it is being evaluated; plotlyReady() waits for it;
// - gl3d (surface, scatter3d): only when the 3D view is first shown, as a Plotly of its
//   own (plotly3d()); window.Plotly stays the cartesian one that draws everything else.

let ready = null;
let gl3d = null;

/** Resolves once window.Plotly (the cartesian bundle) is there. */
export function plotlyReady() {
  if (window.Plotly) return Promise.resolve(window.Plotly);
  if (!ready) {
    ready = new Promise((resolve, reject) => {
      const script = document.querySelector("script[data-plotly]");
      const settle = () => (window.Plotly ? resolve(window.Plotly) : reject(new Error("plotly.js did not load")));
      if (!script) {
        settle();
        return;
      }
      script.addEventListener("load", settle, { once: true });
      script.addEventListener("error", settle, { once: true });
      // Deferred scripts have all run by DOMContentLoaded: one that failed before we
      // listened is known then.
      if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", settle, { once: true });
      else if (performance.getEntriesByType("navigation")[0]?.domContentLoadedEventEnd > 0) settle();
    });
  }
  return ready;
}

/** The 3D bundle, loaded on first call (its URL, content-hashed, is in the page's head). */
export function plotly3d() {
  if (!gl3d) {
    gl3d = plotlyReady().then(() => new Promise((resolve, reject) => {
      const cartesian = window.Plotly;
      const script = document.createElement("script");
      script.src = document.querySelector('meta[name="optplay:plotly-gl3d"]').content;
      script.addEventListener("load", () => {
        // The bundle sets window.Plotly as it runs (and the load event follows in the
        // same task): take it, and give the page back its own.
        const lib = window.Plotly;
        window.Plotly = cartesian;
        script.remove();
        if (lib && lib !== cartesian) resolve(lib);
        else reject(new Error("plotly.js (gl3d) did not load"));
      }, { once: true });
      script.addEventListener("error", () => {
        script.remove();
        gl3d = null; // a later try may succeed
        reject(new Error("plotly.js (gl3d) did not load"));
      }, { once: true });
      document.head.append(script);
    }));
  }
  return gl3d;
}
