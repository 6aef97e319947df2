// Small DOM helpers for the "Inside the optimizer" views (inspector, lr strip).

export { el } from "./dom.js";

/** Text for a Plotly hover template (which reads HTML). */
export function escapeHtml(s) {
  return String(s).replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]);
}

/** Smallest and largest of many numbers (spread syntax overflows the stack on long runs). */
export function extent(values) {
  let lo = Infinity, hi = -Infinity;
  for (const v of values) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return [lo, hi];
}
