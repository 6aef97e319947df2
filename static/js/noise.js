// Gradient noise per row (σ and seed, the API's "noise": {"std", "seed"}), and the "fan":
// the same run under N seeds drawn together in lighter lines of the row's colour, to show
// how far stochastic training spreads. The fan's extra runs travel in the scene's own
// request (seeds s+1 … s+N−1 after the rows' runs), within the server's runs-per-request
// limit (app/config.py max_runs, given to the page as <body data-max-runs>).

import { t } from "./i18n.js";
import { fmt, numText, tidy } from "./format.js";
import { urlField } from "./table.js";
import { strokePath } from "./plot.js";

const FANS = urlField("fan", "row").choices;
const SEED_MAX = urlField("seed", "row").max;

// σ slider: position 0 is "off"; 1 … 1000 spread 0.001 … 100 on a log scale, so the small
// values that matter on gentle surfaces get most of the travel.
const LOG_LO = -3, LOG_HI = 2;

export function sigmaToValue(pos) {
  if (pos <= 0) return 0;
  return tidy(10 ** (LOG_LO + (pos / 1000) * (LOG_HI - LOG_LO)), 2);
}

export function sigmaToPos(v) {
  if (!(v > 0)) return 0;
  const p = ((Math.log10(v) - LOG_LO) / (LOG_HI - LOG_LO)) * 1000;
  return Math.max(1, Math.min(1000, Math.round(p)));
}

export function maxRuns() {
  const n = Number(document.body?.dataset.maxRuns);
  return Number.isInteger(n) && n > 0 ? n : 16;
}

// Each row's status line, to say when its fan was cut or needs σ > 0, and what the last
// request made of its fan (a line built later, in another language, says it too).
const statusOf = new WeakMap();
const fanOf = new WeakMap();
let uid = 0;

function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "class") e.className = v;
    else if (k === "text") e.textContent = v;
    else e.setAttribute(k, v);
  }
  e.append(...children);
  return e;
}

/**
 * The row's noise controls: σ (slider and box), seed, fan. `set(fields)` changes the row
 * ({noise}, {seed}, {fan}: the store recomputes). Returns {node, setError(msg)} like the
 * other fields.
 */
export function noiseBox(row, set) {
  const id = `noise-${++uid}`;
  const box = el("details", { class: "more noise-box", "data-noise": "" });
  const summary = el("summary");
  const label = () => {
    summary.textContent = row.noise > 0
      ? t("noise.summaryOn", { sigma: fmt(row.noise, 3), seed: row.seed || 0 })
      : t("noise.summary");
  };
  label();
  box.open = row.noise > 0 || row.fan > 0;

  const slider = el("input", { type: "range", min: "0", max: "1000", step: "1", class: "slider",
    "aria-label": t("noise.label") });
  const sigma = el("input", { type: "number", id: `${id}-sigma`, class: "num", min: "0", step: "any",
    inputmode: "decimal" });
  const sayValue = (v) => slider.setAttribute("aria-valuetext", v > 0 ? `σ = ${numText(v)}` : t("noise.fanOff"));
  const showSigma = () => {
    slider.value = String(sigmaToPos(row.noise));
    sigma.value = numText(row.noise || 0);
    sayValue(row.noise);
  };
  showSigma();
  slider.addEventListener("input", () => {
    const v = sigmaToValue(Number(slider.value));
    sigma.value = numText(v);
    sayValue(v);
    sigma.removeAttribute("aria-invalid");
    changed({ noise: v });
  });
  sigma.addEventListener("input", () => {
    const v = Number(sigma.value);
    const ok = sigma.value.trim() !== "" && Number.isFinite(v) && v >= 0 && v <= 1e6;
    sigma.toggleAttribute("aria-invalid", !ok);
    if (!ok) return;
    slider.value = String(sigmaToPos(v));
    sayValue(v);
    changed({ noise: v });
  });

  const seed = el("input", { type: "number", id: `${id}-seed`, class: "num seed", min: "0",
    max: String(SEED_MAX), step: "1", inputmode: "numeric" });
  seed.value = String(row.seed || 0);
  seed.addEventListener("input", () => {
    const v = Number(seed.value);
    const ok = seed.value.trim() !== "" && Number.isInteger(v) && v >= 0 && v <= SEED_MAX;
    seed.toggleAttribute("aria-invalid", !ok);
    if (!ok) return;
    changed({ seed: v });
  });

  const fan = el("select", { id: `${id}-fan`, class: "fan-select" });
  fan.append(el("option", { value: "0", text: t("noise.fanOff") }));
  for (const n of FANS) fan.append(el("option", { value: String(n), text: t("noise.fanN", { n }) }));
  fan.value = String(row.fan || 0);
  fan.addEventListener("change", () => changed({ fan: Number(fan.value) }));

  const status = el("p", { class: "noise-status", role: "status", "aria-live": "polite" });
  const error = el("p", { class: "field-error", role: "status", "aria-live": "polite" });
  statusOf.set(row, status);
  if (fanOf.has(row)) showStatus(row, ...fanOf.get(row));
  function changed(fields) {
    set(fields);
    label();
    error.textContent = "";
  }

  box.append(summary, el("div", { class: "fields" },
    el("div", { class: "field", "data-param": "noise" },
      el("label", { for: sigma.id }, el("code", { text: t("noise.sigma") })),
      el("div", { class: "num-control" }, slider, sigma),
      el("p", { class: "doc", text: t("noise.doc"), title: t("noise.doc") })),
    el("div", { class: "noise-row" },
      el("label", { for: seed.id, text: t("noise.seed") }), seed,
      el("label", { for: fan.id, text: t("noise.fan") }), fan),
    status, error));
  return {
    node: box,
    setError(msg) {
      error.textContent = msg || "";
      if (msg) box.open = true;
    },
  };
}

/**
 * The scene's request plus each fan's extra runs: returns {body, fans: [{row, seed}]}.
 * Extra runs are shared out one at a time between the rows that ask for a fan, so that
 * when the limit bites, every fan is cut by about as much; each row's status says so.
 */
export function withFans(body, rows, limit = maxRuns()) {
  const wants = rows.map((row) => (row.fan > 0 && row.noise > 0 ? row.fan - 1 : 0));
  const got = rows.map(() => 0);
  let budget = Math.max(0, limit - body.runs.length);
  for (let more = true; more && budget > 0;) {
    more = false;
    for (let i = 0; i < rows.length && budget > 0; i++) {
      if (got[i] < wants[i]) {
        got[i]++;
        budget--;
        more = true;
      }
    }
  }
  const fans = [];
  const runs = [...body.runs];
  rows.forEach((row, i) => {
    for (let k = 1; k <= got[i]; k++) {
      const seed = (row.seed || 0) + k;
      fans.push({ row: i, seed });
      runs.push({ ...body.runs[i], noise: { std: row.noise, seed } });
    }
    showStatus(row, wants[i], got[i], limit);
  });
  return { body: { ...body, runs }, fans };
}

function showStatus(row, wanted, got, limit) {
  fanOf.set(row, [wanted, got, limit]);
  const status = statusOf.get(row);
  if (!status) return;
  let text = "";
  if (row.fan > 0 && !(row.noise > 0)) text = t("noise.fanNeedsSigma");
  else if (got < wanted) text = t("noise.fanCut", { n: got + 1, asked: wanted + 1, limit });
  else if (got > 0) text = t("noise.fanSeeds", { from: row.seed || 0, to: (row.seed || 0) + got });
  status.textContent = text;
  status.classList.toggle("warn", got < wanted || (row.fan > 0 && !(row.noise > 0)));
}

/**
 * Draw the fans under the main paths: each extra run up to the current step, thin and
 * light, with a small dot where it is. fans: [{color, visible, path, escapedAt}].
 */
export function paintFans(ctx, ax, fans, step) {
  ctx.save();
  ctx.lineWidth = 1.3;
  for (const f of fans) {
    if (!f.visible || !f.path?.length) continue;
    const last = f.path.length - 1;
    const end = Math.min(Math.floor(step), f.escapedAt != null ? Math.min(f.escapedAt, last) : last);
    ctx.strokeStyle = f.color;
    ctx.globalAlpha = 0.38;
    strokePath(ctx, ax, f.path, 0, end, null);
    const p = f.path[end];
    ctx.globalAlpha = 0.75;
    ctx.beginPath();
    ctx.arc(ax.px(p[0]), ax.py(p[1]), 2.6, 0, 2 * Math.PI);
    ctx.fillStyle = f.color;
    ctx.fill();
  }
  ctx.restore();
}
