// The colours of maps, and the basin map under the contour lines: one colour per minimum,
// paler the more steps the run took to get there; grey for no minimum within the steps;
// dark and hatched for diverged. Cells of the previous map stay, faded, until new rows
// replace them; cells not computed yet are a light grey.

import { CellCanvas } from "./mapcanvas.js";

// One colour per minimum (Tableau 10: distinct, and calm enough under the paths).
export const MINIMA_COLORS = ["#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#b07aa1",
  "#76b7b2", "#edc948", "#9c755f", "#ff9da7", "#bab0ac"];
export const NONE_COLOR = "#c4c9d1";
export const DIVERGED_COLOR = "#2b2f38";
export const PENDING = [233, 237, 242];
const PALE = [247, 248, 250];
// Alpha by row state (MapData.rowState): nothing yet, the previous map's, this map's.
export const ROW_ALPHA = [150, 115, 255];

export function minimumColor(m) {
  return MINIMA_COLORS[m % MINIMA_COLORS.length];
}

export function rgb(hex) {
  const v = parseInt(hex.slice(1), 16);
  return [(v >> 16) & 255, (v >> 8) & 255, v & 255];
}

/** A minimum's colour, paler the more steps it took (frac = steps / slowest, 0…1). */
export function shaded(base, frac) {
  const f = 0.8 * Math.min(1, Math.max(0, frac));
  return base.map((c, i) => Math.round(c + (PALE[i] - c) * f));
}

export class BasinLayer {
  /** contour: the page's ContourView; onZoom() after its plot is zoomed or panned. */
  constructor(contour, { onZoom } = {}) {
    this.cells = new CellCanvas(contour.gd, { onRelayout: onZoom });
    this.data = null;
  }

  /** Paint a basin MapData (again: the shading depends on the slowest cell shown). */
  show(d) {
    this.data = d;
    const slowest = Math.max(1, d.slowestShown());
    const bases = d.minima.map((_, m) => rgb(minimumColor(m)));
    const none = rgb(NONE_COLOR), diverged = rgb(DIVERGED_COLOR);
    const states = Array.from({ length: d.ny }, (_, j) => d.rowState(j));
    const color = (i, j) => {
      const state = states[j], c = j * d.nx + i;
      let col = PENDING;
      if (state) {
        if (d.diverged[c]) col = diverged;
        else if (d.minimum[c] >= 0) col = shaded(bases[d.minimum[c]], d.stepsTo[c] / slowest);
        else col = none;
      }
      return [col[0], col[1], col[2], ROW_ALPHA[state]];
    };
    const hatched = (i, j) => (states[j] && d.diverged[j * d.nx + i] ? ROW_ALPHA[states[j]] : 0);
    this.cells.setCells(d.nx, d.ny, color, hatched, { ...d.extent(), logX: false, logY: false });
  }

  hide() {
    this.data = null;
    this.cells.clear();
  }

  draw() {
    this.cells.draw();
  }

  get image() {
    return this.cells.image;
  }
}
