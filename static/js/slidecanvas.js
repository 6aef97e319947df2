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
const TITLE_FONT = `700 16px ${FONT}`;
const LINE = 18;

/** `text` in lines at most `first` wide (the first) and `rest` wide (the others), broken
 *  between words; a word too long for any line is cut with "…". */
function wrap(ctx, text, first, rest) {
  const lines = [];
  let line = "";
  for (const word of text.split(" ").filter(Boolean)) {
    const room = lines.length ? rest : first;
    const next = line ? `${line} ${word}` : word;
    if (ctx.measureText(next).width <= room || (!line && lines.length)) {
      line = next;
    } else if (!line) {
      lines.push("");           // nothing fits beside the name: start below it
      line = word;
    } else {
      lines.push(line);
      line = word;
    }
  }
  if (line || !lines.length) lines.push(line);
  return lines.map((l, i) => fit(ctx, l, i ? rest : first));
}

/**
 * How an entry is laid out in a column `width` wide: its detail in lines (the first
 * beside the name), and whether the status follows the last line or has its own.
 * `e.text` should be the longest status the entry will show.
 */
function layoutEntry(ctx, e, width) {
  const indent = SWATCH + 6;
  ctx.font = NAME_FONT;
  const nameW = ctx.measureText(e.name).width + ctx.measureText(" ").width;
  ctx.font = TEXT_FONT;
  const lines = e.detail ? wrap(ctx, e.detail, width - indent - nameW, width - indent) : [""];
  const lastW = (lines.length > 1 ? 0 : nameW) + ctx.measureText(lines[lines.length - 1]).width;
  const statusOwnLine = indent + lastW + ctx.measureText(` · ${e.text}`).width > width;
  return { lines, statusOwnLine, height: ROW + (lines.length - 1 + (statusOwnLine ? 1 : 0)) * LINE };
}

/**
 * A slide `width` CSS pixels wide around a plot `plotHeight` tall, drawn at `scale`.
 * `entries` ({name, detail, text}) size the legend: give each its longest status, and
 * `stepSample` the longest step text. Narrow slides (a phone's plot) put the step under
 * the title and break an entry's hyperparameters and status over lines.
 * Returns {canvas, draw({stepText, entries, paintPlot(ctx)})}: paintPlot draws the plot
 * at (0, 0) in CSS pixels (the title line is above it).
 */
export function makeSlide({ width, plotHeight, scale = 2, title, entries, stepSample = "" }) {
  const canvas = document.createElement("canvas");
  const ctx = canvas.getContext("2d");
  const inner = width - 2 * PAD;
  ctx.font = TITLE_FONT;
  const twoLineHead = ctx.measureText(title).width + 16 + ctx.measureText(stepSample).width > inner;
  const head = twoLineHead ? HEAD + LINE + 4 : HEAD;
  // One column per entry as wide as the widest one on one line; one column, its entries
  // over several lines, when that is wider than the slide.
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
  const layouts = entries.map((e) => layoutEntry(ctx, e, cols > 1 ? colW - 18 : inner));
  const tops = [];
  let legendH = 0;
  for (let r = 0; r * cols < entries.length; r++) {
    const row = layouts.slice(r * cols, (r + 1) * cols);
    tops.push(legendH);
    legendH += Math.max(...row.map((l) => l.height));
  }
  if (entries.length) legendH += PAD;
  const height = head + plotHeight + legendH;
  canvas.width = Math.round(width * scale);
  canvas.height = Math.round(height * scale);
  const fg = css("--fg", "#1d2433"), muted = css("--fg-muted", "#5b6478");

  function draw({ stepText, entries: now, paintPlot }) {
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.fillStyle = "#ffffff";
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    ctx.setTransform(scale, 0, 0, scale, 0, 0);
    ctx.textBaseline = "middle";
    ctx.font = TITLE_FONT;
    ctx.fillStyle = fg;
    if (twoLineHead) {
      ctx.fillText(fit(ctx, title, inner), PAD, HEAD / 2);
      ctx.font = `600 14px ${FONT}`;
      ctx.fillText(fit(ctx, stepText, inner), PAD, HEAD / 2 + LINE + 2);
    } else {
      const stepW = ctx.measureText(stepText).width;
      ctx.textAlign = "right";
      ctx.fillText(stepText, width - PAD, HEAD / 2);
      ctx.textAlign = "left";
      ctx.fillText(fit(ctx, title, inner - stepW - 16), PAD, HEAD / 2);
    }
    ctx.save();
    ctx.translate(0, head);
    paintPlot(ctx);
    ctx.restore();
    now.forEach((e, i) => {
      const lay = layouts[i];
      if (!lay) return;
      const x = PAD + (i % cols) * colW;
      let y = head + plotHeight + PAD / 2 + tops[Math.floor(i / cols)] + ROW / 2;
      ctx.fillStyle = e.color;
      ctx.beginPath();
      ctx.arc(x + SWATCH / 2, y, SWATCH / 2, 0, 2 * Math.PI);
      ctx.fill();
      const tx = x + SWATCH + 6;
      ctx.font = NAME_FONT;
      ctx.fillStyle = fg;
      ctx.fillText(e.name, tx, y);
      let cx = tx + ctx.measureText(e.name).width;
      ctx.font = TEXT_FONT;
      ctx.fillStyle = muted;
      lay.lines.forEach((line, j) => {
        if (j) {
          y += LINE;
          cx = tx;
        } else if (line) {
          cx += ctx.measureText(" ").width;
        }
        ctx.fillText(line, cx, y);
        cx += ctx.measureText(line).width;
      });
      ctx.fillStyle = statusColor(e.kind);
      if (lay.statusOwnLine) ctx.fillText(e.text, tx, y + LINE);
      else ctx.fillText(` · ${e.text}`, cx, y);
    });
  }

  return { canvas, width, height, draw };
}
