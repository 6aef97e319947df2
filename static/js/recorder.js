// The race as a video, recorded in the browser: MediaRecorder over a canvas on which
// each frame is drawn (Plotly's picture of the contour, the paths at that step, the
// title with the step counter and the legend: slidecanvas.js). MP4 where the browser
// records it (slide tools play it everywhere), else WebM. Real time at the page's 1×
// pace, then the last frame held a moment.

/* global Plotly */

import { baseRate } from "./player.js";
import { loadImage, makeSlide } from "./slidecanvas.js";
import { videoFormat } from "./videoformat.js";

const FPS = 30;
const HOLD_S = 1.5;
const MAX_WIDTH = 1280; // pixels of the video: a slide's width is plenty

/**
 * Record the race: `contour` (ContourView) draws the paths, `legend.snapshot(k)` the
 * legend at step k; `title`, `steps`, `stepText(k)`. onProgress(seconds left).
 * Resolves {blob, ext}.
 */
export async function recordRace({ contour, legend, title, steps, stepText, onProgress }) {
  const format = videoFormat();
  if (!format) throw new Error("MediaRecorder");
  const gd = contour.gd;
  const w = gd.clientWidth, h = gd.clientHeight;
  const scale = Math.max(1, Math.min(2, MAX_WIDTH / w));
  // Even pixel sizes: H.264 wants them.
  const even = (v) => Math.round(v * scale / 2) * 2 / scale;
  const bg = await loadImage(await Plotly.toImage(gd, { format: "png", width: w, height: h, scale }));
  const layer = document.createElement("canvas");
  layer.width = Math.round(w * scale);
  layer.height = Math.round(h * scale);
  const layerCtx = layer.getContext("2d");
  const sizing = legend.snapshot(0).map((e, i) => {
    const last = legend.snapshot(steps)[i];
    return last.text.length > e.text.length ? last : e;
  });
  const slide = makeSlide({ width: even(w), plotHeight: h, scale, title, entries: sizing, stepSample: stepText(steps) });
  slide.canvas.height = Math.round(slide.canvas.height / 2) * 2;
  const paintAt = (k) => {
    contour.paint({ ctx: layerCtx, canvas: layer, dpr: scale }, k);
    slide.draw({
      stepText: stepText(Math.floor(k + 1e-9)),
      entries: legend.snapshot(k),
      paintPlot: (ctx) => {
        ctx.drawImage(bg, 0, 0, w, h);
        ctx.drawImage(layer, 0, 0, w, h);
      },
    });
  };
  paintAt(0);
  const stream = slide.canvas.captureStream(FPS);
  const recorder = new MediaRecorder(stream, { mimeType: format.mimeType, videoBitsPerSecond: 4_000_000 });
  const chunks = [];
  recorder.ondataavailable = (ev) => { if (ev.data.size) chunks.push(ev.data); };
  const stopped = new Promise((resolve) => { recorder.onstop = resolve; });
  const run = steps / baseRate(steps);
  recorder.start(500);
  const t0 = performance.now();
  await new Promise((resolve) => {
    // setTimeout, not requestAnimationFrame: a tab in the background still records.
    const tick = () => {
      const s = (performance.now() - t0) / 1000;
      paintAt(Math.min(steps, (s / run) * steps));
      onProgress?.(Math.max(0, Math.ceil(run + HOLD_S - s)));
      if (s >= run + HOLD_S) resolve();
      else setTimeout(tick, 1000 / FPS);
    };
    tick();
  });
  recorder.stop();
  await stopped;
  for (const track of stream.getTracks()) track.stop();
  return { blob: new Blob(chunks, { type: format.mimeType.split(";")[0] }), ext: format.ext };
}
