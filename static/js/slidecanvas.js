// A picture of the plot for a slide, on a canvas: a title line (the surface, the step),
// the plot, and under it the legend (colour, optimizer, changed hyperparameters,
// status). The PNG export draws it once, the video once per frame.

import { FONT } from "./plot.js";

const PAD = 14;
const HEAD = 40;
const ROW = 24;
const SWATCH = 12;

/** An <img> once it has loaded `src` (a data: URL of Plotly's picture). */
export function loadImage(src) {
  return new Promise((resolve, reject) => {
    const img = new Image();
    img.onload = () => resolve(img);
    img.onerror = () => reject(new Error("image"));
    img.src = src;
  });
}

function css(name, fallback) {
  const v = getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  return v || fallback;
}

function statusColor(kind) {
  switch (kind) {
    case "diverged": return css("--danger", "#c92a2a");
    case "escaped": return css("--warn", "#b35c00");
    case "finished": return css("--ok", "#2b8a3e");
    default: return css("--fg-muted", "#5b6478");
  }
}

function fit(ctx, text, width) {
  if (ctx.measureText(text).width <= width) return text;
  let s = text;
  while (s && ctx.measureText(`${s}…`).width > width) s = s.slice(0, -1);
  return s ? `${s}…` : "";
}

const NAME_FONT = `700 14px ${FONT}`;
const TEXT_FONT = `13px ${FONT}`;

/**
 * A slide `width` CSS pixels wide around a plot `plotHeight` tall, drawn at `scale`.
 * `entries` ({name, detail, text}) size the legend: give each its longest status.
 * Returns {canvas, draw({stepText, entries, paintPlot(ctx)})}: paintPlot draws the plot
 * at (0, 0) in CSS pixels (the title line is above it).
 */
export function makeSlide({ width, plotHeight, scale = 2, title, entries }) {
  const canvas = document.createElement("canvas");
  const ctx = canvas.getContext("2d");
  const inner = width - 2 * PAD;
  // One column per entry as wide as the widest one (at most the whole line).
  let colW = 0;
  for (const e of entries) {
    ctx.font = NAME_FONT;
    let w = SWATCH + 6 + ctx.measureText(e.name).width;
    ctx.font = TEXT_FONT;
    w += ctx.measureText(` ${e.detail} · ${e.text}`).width;
    colW = Math.max(colW, w + 18);
  }
  colW = Math.min(inner, colW);
  const cols = Math.max(1, Math.floor(inner / Math.max(colW, 1)));
  const rows = Math.ceil(entries.length / cols);
  const legendH = rows ? rows * ROW + PAD : 0;
  const height = HEAD + plotHeight + legendH;
  canvas.width = Math.round(width * scale);
  canvas.height = Math.round(height * scale);
  const fg = css("--fg", "#1d2433"), muted = css("--fg-muted", "#5b6478");

  function draw({ stepText, entries: now, paintPlot }) {
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.fillStyle = "#ffffff";
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    ctx.setTransform(scale, 0, 0, scale, 0, 0);
    ctx.textBaseline = "middle";
    ctx.font = `700 16px ${FONT}`;
    const stepW = ctx.measureText(stepText).width;
    ctx.fillStyle = fg;
    ctx.textAlign = "right";
    ctx.fillText(stepText, width - PAD, HEAD / 2);
    ctx.textAlign = "left";
    ctx.fillText(fit(ctx, title, inner - stepW - 16), PAD, HEAD / 2);
    ctx.save();
    ctx.translate(0, HEAD);
    paintPlot(ctx);
    ctx.restore();
    now.forEach((e, i) => {
      const x = PAD + (i % cols) * colW;
      const y = HEAD + plotHeight + PAD / 2 + Math.floor(i / cols) * ROW + ROW / 2;
      ctx.fillStyle = e.color;
      ctx.beginPath();
      ctx.arc(x + SWATCH / 2, y, SWATCH / 2, 0, 2 * Math.PI);
      ctx.fill();
      let cx = x + SWATCH + 6;
      ctx.font = NAME_FONT;
      ctx.fillStyle = fg;
      ctx.fillText(e.name, cx, y);
      cx += ctx.measureText(e.name).width;
      ctx.font = TEXT_FONT;
      const status = ` · ${e.text}`;
      const statusW = ctx.measureText(status).width;
      const detail = e.detail ? fit(ctx, ` ${e.detail}`, Math.max(0, x + colW - 18 - cx - statusW)) : "";
      ctx.fillStyle = muted;
      ctx.fillText(detail, cx, y);
      cx += ctx.measureText(detail).width;
      ctx.fillStyle = statusColor(e.kind);
      ctx.fillText(status, cx, y);
    });
  }

  return { canvas, width, height, draw };
}
