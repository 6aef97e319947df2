// The Plotly charts' redraws (loss chart, lr strip, effective step charts), one at a time
// and each in a task of its own after a frame has been painted: a new path is always on
// screen before any chart is redrawn for it, a slider drag is never stuck behind a row of
// redraws, and a chart asked again before its turn is drawn once, with its newest data.

const queue = new Set();
let pumping = false;

/** Redraw `chart` (anything with render(): Promise|void) when its turn comes. */
export function queueRedraw(chart) {
  queue.add(chart);
  if (!pumping) {
    pumping = true;
    afterPaint(pump);
  }
}

/** Drop a chart that is going away. */
export function dropRedraw(chart) {
  queue.delete(chart);
}

async function pump() {
  const [chart] = queue;
  if (chart) {
    queue.delete(chart);
    try {
      await chart.render();
    } catch (e) {
      console.error(e);
    }
  }
  if (queue.size) afterPaint(pump);
  else pumping = false;
}

/** The next frame, then a task of its own (a redraw never delays that frame's paint). */
export function afterPaint(fn) {
  requestAnimationFrame(() => setTimeout(fn, 0));
}
