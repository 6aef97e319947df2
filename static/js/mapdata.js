// One map as it streams in: the grid from the header, the cells of each block of rows as
// it arrives, and what the legend and a click need (counts, the cell under a point).
// Cells are row-major as the server sends them: cell k = j * nx + i is at x[i], y[j].

export class MapData {
  /**
   * header: the stream's first message (or the POST answer without the cells);
   * logAxes: {x, y} true where the request asked for a log axis (a sweep of lr).
   * previous: the map this one replaces; with the same kind and shape its cells stay on
   * screen, faded, until the new rows cover them (no flash of grey while a slider moves).
   */
  constructor(header, logAxes = {}, previous = null) {
    this.kind = header.kind;
    [this.ny, this.nx] = header.shape;
    this.x = header.x;
    this.y = header.y;
    this.minima = header.minima || [];
    this.steps = header.steps;
    this.optimizer = header.optimizer;
    this.xParam = header.x_param || "x";
    this.yParam = header.y_param || "y";
    this.logX = Boolean(logAxes.x);
    this.logY = Boolean(logAxes.y);
    const n = this.nx * this.ny;
    this.minimum = new Int16Array(n).fill(-1);
    this.stepsTo = new Int32Array(n).fill(-1);
    this.diverged = new Uint8Array(n);
    this.loss = new Float64Array(n).fill(NaN);
    this.rowDone = new Uint8Array(this.ny);
    this.rowsDone = 0;
    this.finished = false;
    // The previous map's cells stay on screen, faded, where this one has no rows yet.
    const same = previous && previous.kind === this.kind && previous.nx === this.nx && previous.ny === this.ny;
    this.inherited = Boolean(same && (previous.rowsDone || previous.inherited));
    if (this.inherited) {
      this.minimum.set(previous.minimum);
      this.stepsTo.set(previous.stepsTo);
      this.diverged.set(previous.diverged);
      this.loss.set(previous.loss);
    }
  }

  /** A block of rows from the stream: {rows: [j0, j1], minimum, steps_to_min, ...}. */
  addRows(msg) {
    const [j0, j1] = msg.rows;
    const lo = j0 * this.nx;
    for (let k = 0; k < msg.minimum.length; k++) {
      const c = lo + k;
      this.minimum[c] = msg.minimum[k];
      this.stepsTo[c] = msg.steps_to_min[k];
      this.diverged[c] = msg.diverged[k] ? 1 : 0;
      const v = msg.final_loss[k];
      this.loss[c] = v === null ? NaN : v;
    }
    for (let j = j0; j < j1; j++) {
      if (!this.rowDone[j]) this.rowsDone++;
      this.rowDone[j] = 1;
    }
    return [j0, j1];
  }

  get progress() {
    return this.ny ? this.rowsDone / this.ny : 0;
  }

  /** Per minimum, not reached, diverged: cells of the rows done so far. */
  counts() {
    const perMinimum = new Array(this.minima.length).fill(0);
    let none = 0, diverged = 0, cells = 0, slowest = 0;
    for (let j = 0; j < this.ny; j++) {
      if (!this.rowDone[j]) continue;
      for (let c = j * this.nx, end = c + this.nx; c < end; c++) {
        cells++;
        if (this.diverged[c]) diverged++;
        else if (this.minimum[c] >= 0) {
          perMinimum[this.minimum[c]]++;
          if (this.stepsTo[c] > slowest) slowest = this.stepsTo[c];
        } else none++;
      }
    }
    return { perMinimum, none, diverged, cells, slowest };
  }

  /** The largest steps-to-minimum of any cell shown (done or still the old map's). */
  slowestShown() {
    let slowest = 0;
    for (let c = 0; c < this.stepsTo.length; c++) if (this.stepsTo[c] > slowest) slowest = this.stepsTo[c];
    return slowest;
  }

  /** 2: row j is this map's; 1: the previous map's, shown faded; 0: nothing yet. */
  rowState(j) {
    return this.rowDone[j] ? 2 : this.inherited ? 1 : 0;
  }

  /** The cell whose centre is nearest to (x, y) in axis units (log units on a log axis),
   *  or null outside the map's cells. */
  cellAt(x, y) {
    const i = nearest(this.x, x, this.logX), j = nearest(this.y, y, this.logY);
    return i === null || j === null ? null : { i, j, k: j * this.nx + i, x: this.x[i], y: this.y[j] };
  }

  /** Edges of the painted area: half a cell beyond the first and last centres. */
  extent() {
    return { x: edges(this.x, this.logX), y: edges(this.y, this.logY) };
  }
}

function scaled(v, log) {
  return log ? Math.log10(v) : v;
}

function edges(values, log) {
  const a = scaled(values[0], log), b = scaled(values[values.length - 1], log);
  const half = values.length > 1 ? (b - a) / (values.length - 1) / 2 : 0.5;
  const lo = a - half, hi = b + half;
  return log ? [10 ** lo, 10 ** hi] : [lo, hi];
}

function nearest(values, v, log) {
  if (!Number.isFinite(v) || (log && v <= 0)) return null;
  const a = scaled(values[0], log), b = scaled(values[values.length - 1], log);
  const n = values.length;
  const step = n > 1 ? (b - a) / (n - 1) : 1;
  const f = (scaled(v, log) - a) / step;
  if (f < -0.5 || f > n - 0.5) return null;
  return Math.min(n - 1, Math.max(0, Math.round(f)));
}
