// A grid of coloured cells on a canvas UNDER a Plotly graph's SVG (whose plot area is
// then transparent), placed with Plotly's own axis functions, so zoom and pan line up.
// One pixel per cell, scaled up without smoothing: 65,536 cells cost one drawImage, and
// a Plotly redraw of a 256 × 256 heatmap (a few hundred ms) is never needed. Cells can
// be hatched (diverged runs) through a mask.

export class CellCanvas {
  /** gd: the Plotly graph div; onRelayout(): after its axes were zoomed or panned. */
  constructor(gd, { onRelayout } = {}) {
    this.gd = gd;
    this.onRelayout = onRelayout;
    this.canvas = document.createElement("canvas");
    this.canvas.className = "map-underlay";
    this.canvas.setAttribute("aria-hidden", "true");
    this.ctx = this.canvas.getContext("2d");
    this.image = document.createElement("canvas"); // one pixel per cell
    this.mask = document.createElement("canvas"); // cells to hatch
    this.scratch = document.createElement("canvas");
    this.extent = null;
    this.events = null;
    this.draw = oncePerFrame(() => this.paint());
    // A plot drawn afresh (Plotly.purge) changes size: look again then.
    new ResizeObserver(() => this.draw()).observe(gd);
  }

  /**
   * Colour every cell: color(i, j) -> [r, g, b, a]; hatched(i, j) -> alpha of the
   * hatching (0 for none). extent: {x: [lo, hi], y: [lo, hi], logX, logY}, the outer
   * edges of the first and last cells. Row j = 0 is at the bottom (y grows upwards).
   */
  setCells(nx, ny, color, hatched, extent) {
    for (const c of [this.image, this.mask]) {
      c.width = nx;
      c.height = ny;
    }
    const img = new ImageData(nx, ny), mask = new ImageData(nx, ny);
    for (let j = 0; j < ny; j++) {
      const row = (ny - 1 - j) * nx;
      for (let i = 0; i < nx; i++) {
        const p = (row + i) * 4;
        const col = color(i, j);
        img.data[p] = col[0];
        img.data[p + 1] = col[1];
        img.data[p + 2] = col[2];
        img.data[p + 3] = col[3];
        mask.data[p + 3] = hatched(i, j);
      }
    }
    this.image.getContext("2d").putImageData(img, 0, 0);
    this.mask.getContext("2d").putImageData(mask, 0, 0);
    this.extent = extent;
    this.draw();
  }

  clear() {
    this.extent = null;
    this.canvas.remove();
  }

  /** Keep the canvas just below Plotly's first SVG, and redraw with the plot. */
  attach() {
    const gd = this.gd;
    const first = gd.querySelector(".svg-container > svg.main-svg");
    if (first && this.canvas.nextElementSibling !== first) first.before(this.canvas);
    // Plotly.purge drops the graph's listeners with its emitter (gd._ev): bind again.
    if (gd.on && this.events !== gd._ev) {
      for (const ev of ["plotly_relayout", "plotly_relayouting", "plotly_afterplot"]) gd.on(ev, () => this.draw());
      gd.on("plotly_relayout", () => this.onRelayout?.());
      this.events = gd._ev;
    }
  }

  paint() {
    if (!this.extent) return;
    this.attach();
    const gd = this.gd, fl = gd._fullLayout;
    const dpr = window.devicePixelRatio || 1;
    const w = Math.round(gd.clientWidth * dpr), h = Math.round(gd.clientHeight * dpr);
    for (const c of [this.canvas, this.scratch]) {
      if (c.width !== w || c.height !== h) {
        c.width = w;
        c.height = h;
      }
    }
    this.canvas.style.width = `${gd.clientWidth}px`;
    this.canvas.style.height = `${gd.clientHeight}px`;
    const ctx = this.ctx;
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.clearRect(0, 0, w, h);
    const xa = fl?.xaxis, ya = fl?.yaxis;
    if (!xa?._length) return;
    const e = this.extent;
    const px = (v) => (xa._offset + xa.l2p(e.logX ? Math.log10(v) : v)) * dpr;
    const py = (v) => (ya._offset + ya.l2p(e.logY ? Math.log10(v) : v)) * dpr;
    const left = px(e.x[0]), right = px(e.x[1]), top = py(e.y[1]), bottom = py(e.y[0]);
    ctx.save();
    ctx.beginPath();
    ctx.rect(xa._offset * dpr, ya._offset * dpr, xa._length * dpr, ya._length * dpr);
    ctx.clip();
    ctx.imageSmoothingEnabled = false;
    ctx.drawImage(this.image, left, top, right - left, bottom - top);
    // Hatched cells: the mask scaled the same way, filled with diagonal lines.
    const s = this.scratch.getContext("2d");
    s.globalCompositeOperation = "source-over";
    s.clearRect(0, 0, w, h);
    s.imageSmoothingEnabled = false;
    s.drawImage(this.mask, left, top, right - left, bottom - top);
    s.globalCompositeOperation = "source-in";
    s.fillStyle = hatch(s, dpr);
    s.fillRect(0, 0, w, h);
    ctx.drawImage(this.scratch, 0, 0);
    ctx.restore();
  }
}

/** fn, called at most once per animation frame however often the result is called. */
export function oncePerFrame(fn) {
  let frame = 0;
  return () => {
    if (!frame) frame = requestAnimationFrame(() => {
      frame = 0;
      fn();
    });
  };
}

function hatch(ctx, dpr) {
  const size = Math.round(7 * dpr);
  const tile = document.createElement("canvas");
  tile.width = tile.height = size;
  const g = tile.getContext("2d");
  g.strokeStyle = "rgba(255,255,255,0.38)";
  g.lineWidth = Math.max(1, dpr);
  g.beginPath();
  g.moveTo(0, size);
  g.lineTo(size, 0);
  g.moveTo(-1, 1);
  g.lineTo(1, -1);
  g.moveTo(size - 1, size + 1);
  g.lineTo(size + 1, size - 1);
  g.stroke();
  return ctx.createPattern(tile, "repeat");
}
