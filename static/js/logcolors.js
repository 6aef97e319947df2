// Log colours for surfaces whose valley a linear scale would hide, and the colour bar's
// ticks for them. The rule's numbers are table.json's look.log_colors, which the Python
// figures (app/teach/look.py) follow too.

import { LOOK } from "./table.js";

const RULE = LOOK.log_colors;

/** Log colours when the server says so, or when most of the grid sits in the bottom
 *  floor_share of the range (Rosenbrock: median 145 under a top of 2,509), where a linear
 *  scale paints the whole valley one colour. */
export function wantsLogScale(grid) {
  const { z, zmin, zmax } = grid;
  if (zmin === null || zmax === null || !(zmax > zmin)) return false;
  if (grid.log_scale) return true;
  const sample = [];
  const stride = Math.max(1, Math.floor(z.length / RULE.samples));
  for (let j = 0; j < z.length; j += stride) {
    for (let i = 0; i < z[j].length; i += stride) if (z[j][i] !== null) sample.push(z[j][i]);
  }
  sample.sort((a, b) => a - b);
  const median = sample[Math.floor(sample.length / 2)];
  return (median - zmin) / (zmax - zmin) < RULE.floor_share;
}

/** δ of log10(f - min + δ): a small share of the range, so the floor keeps its shades. */
export function logDelta(zmin, zmax) {
  return Math.max((zmax - zmin) * RULE.delta_share, RULE.delta_min);
}

/** Colour bar ticks for log colours: round values of f about a decade apart above the
 *  minimum (4.1, 13, 100, 1000, … for Goldstein-Price, whose minimum is 3). */
export function logTicks(zmin, zmax, delta) {
  const lo = Math.ceil(Math.log10(delta)), hi = Math.floor(Math.log10(zmax - zmin + delta));
  const out = [];
  const nice = (v, k) => {
    const unit = 10 ** (k - 1);
    return Math.round(v / unit) * unit;
  };
  for (let k = lo; k <= hi; k++) {
    const v = nice(zmin + 10 ** k, k);
    if (v - zmin >= delta && v <= zmax && !out.includes(v)) out.push(v);
  }
  if (out.length < RULE.min_ticks) {
    for (let k = lo - 1; k <= hi; k++) for (const m of RULE.fill) {
      const v = nice(zmin + m * 10 ** k, k);
      if (v - zmin >= delta && v <= zmax && !out.includes(v)) out.push(v);
    }
    out.sort((a, b) => a - b);
  }
  return out;
}

export const TICK_DIGITS = RULE.tick_digits;
