// Code and data out of the current scene: "Copy as PyTorch" (POST /api/v1/code), CSV and
// JSON (POST /api/v1/export/csv|json), a self-contained HTML file (/export/html), a PNG
// of the plot as it is on screen (Plotly's image with the paths' canvas drawn over, a
// title line with the surface and the step, the legend under it), an animated GIF for
// slides (/export/gif, drawn on the server) and a video recorded in the browser
// (recorder.js, where MediaRecorder can; it and slidecanvas.js load on first use). Exports hold the rows that are shown (all of
// them when every row is hidden), in their colours; the fan's extra seeds stay on the page.

import { getLang, t } from "./i18n.js";
import { runRequest } from "./state.js";
import { copyText, toast } from "./share.js";
import { videoFormat } from "./videoformat.js";

const PNG_SCALE = 2;
// The HTML file's lr slider: the first shown run's lr times these (every run takes the
// slider's lr, all precomputed; the server allows 12).
const LR_LADDER = [0.1, 0.2, 0.5, 1, 2, 5, 10];

/** The scene as an export request: visible rows, their colours. */
export function exportRequest(scene) {
  const st = scene.state;
  const body = runRequest(st, scene.catalog);
  const shown = st.rows.map((row, i) => ({ row, run: { ...body.runs[i], color: row.color } }))
    .filter((x) => x.row.visible);
  body.runs = shown.length ? shown.map((x) => x.run) : body.runs.map((run, i) => ({ ...run, color: st.rows[i].color }));
  return body;
}

/** Learning rates for the HTML file's slider, around the first shown run's lr; none when
 *  a run's lr is also set elsewhere (its param groups, a change at a step): one slider
 *  could not say which lr it moves. */
export function lrVariants(body, catalog) {
  const run = body.runs[0];
  if (!run || body.runs.some((r) => r.groups || r.events)) return null;
  const inner = run.params?.optimizer;
  const [opt, params] = inner && typeof inner === "object" ? [inner.optimizer, inner.params || {}] : [run.optimizer, run.params || {}];
  const lr = params.lr ?? catalog.param(opt, "lr")?.default;
  return typeof lr === "number" && lr > 0 ? LR_LADDER.map((m) => Number((lr * m).toPrecision(3))) : null;
}

async function post(path, body) {
  const res = await fetch(`/api/v1${path}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  if (!res.ok) {
    let msg = `HTTP ${res.status}`;
    try {
      const detail = (await res.json()).detail;
      if (Array.isArray(detail) && detail.length) {
        msg = detail.map((d) => `${(d.loc || []).filter((x) => x !== "body").join(".")} ${d.msg}`.trim()).join("; ");
      }
    } catch (e) {
      // not JSON: keep the status
    }
    throw new Error(msg);
  }
  return res;
}

function fileName(res, fallback) {
  const m = /filename="([^"]+)"/.exec(res.headers.get("content-disposition") || "");
  return m ? m[1] : fallback;
}

/** Hand a blob to the browser as a download. */
export function saveBlob(blob, name) {
  const url = URL.createObjectURL(blob);
  const a = document.createElement("a");
  a.href = url;
  a.download = name;
  a.hidden = true;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 30_000);
}

/**
 * The plot as a PNG blob at PNG_SCALE: a title line (`slide.title`, `slide.stepText`),
 * Plotly's picture of `gd` with `overlay(target)` (the contour's paths) painted over it,
 * and under it the legend (`slide.entries`: {color, name, detail, text, kind}).
 */
export async function plotPng(gd, overlay = null, slide = { title: "", stepText: "", entries: [] }, lib = window.Plotly) {
  const w = gd.clientWidth, h = gd.clientHeight;
  // The slide's drawing loads with the first PNG (the first view has no use for it).
  const [url, { loadImage, makeSlide }] = await Promise.all([
    lib.toImage(gd, { format: "png", width: w, height: h, scale: PNG_SCALE }), import("./slidecanvas.js")]);
  const img = await loadImage(url);
  let layer = null;
  if (overlay) {
    layer = document.createElement("canvas");
    layer.width = Math.round(w * PNG_SCALE);
    layer.height = Math.round(h * PNG_SCALE);
    overlay({ ctx: layer.getContext("2d"), canvas: layer, dpr: PNG_SCALE });
  }
  const picture = makeSlide({ width: w, plotHeight: h, scale: PNG_SCALE, title: slide.title, entries: slide.entries, stepSample: slide.stepText });
  picture.draw({
    stepText: slide.stepText,
    entries: slide.entries,
    paintPlot: (ctx) => {
      ctx.drawImage(img, 0, 0, w, h);
      if (layer) ctx.drawImage(layer, 0, 0, w, h);
    },
  });
  const canvas = picture.canvas;
  return new Promise((resolve, reject) => canvas.toBlob((b) => (b ? resolve(b) : reject(new Error("png"))), "image/png"));
}

/** The dialog that shows the PyTorch script (built once, on first use). */
function codeDialog() {
  let dialog = document.getElementById("code-dialog");
  if (dialog) return dialog;
  dialog = document.createElement("dialog");
  dialog.id = "code-dialog";
  dialog.className = "dialog code-dialog";
  dialog.setAttribute("aria-labelledby", "code-title");
  dialog.innerHTML = `<h2 id="code-title"></h2><p class="code-status" role="status"></p>
    <pre class="code-view" tabindex="0"><code></code></pre>
    <label class="visually-hidden" for="code-text"></label>
    <textarea id="code-text" class="code-text" rows="8" readonly spellcheck="false" hidden></textarea>
    <div class="dialog-actions"><button type="button" class="btn" data-act="save"></button>
    <button type="button" class="btn primary" data-act="copy"></button>
    <button type="button" class="btn" data-act="close"></button></div>`;
  dialog.addEventListener("click", (ev) => {
    if (ev.target === dialog) dialog.close();
  });
  dialog.querySelector("[data-act=close]").addEventListener("click", () => dialog.close());
  document.body.append(dialog);
  return dialog;
}

function labelDialog(dialog) {
  dialog.querySelector("#code-title").textContent = t("export.codeHeading");
  dialog.querySelector("label[for=code-text]").textContent = t("export.codeHeading");
  dialog.querySelector("[data-act=save]").textContent = t("export.codeSave");
  dialog.querySelector("[data-act=copy]").textContent = t("export.codeCopy");
  dialog.querySelector("[data-act=close]").textContent = t("dialog.close");
}

/** Show the code; copied says whether the clipboard took it, else the text is selected. */
function showCode(code, filename, copied) {
  const dialog = codeDialog();
  labelDialog(dialog);
  const status = dialog.querySelector(".code-status");
  const area = dialog.querySelector("#code-text");
  dialog.querySelector(".code-view code").textContent = code;
  area.value = code;
  const manual = () => {
    // No clipboard (an http page, a refused permission): a field to select and copy.
    status.textContent = t("export.codeManual");
    area.hidden = false;
    area.focus();
    area.select();
  };
  status.textContent = copied ? t("export.codeCopied") : "";
  area.hidden = true;
  dialog.querySelector("[data-act=copy]").onclick = async () => {
    if (await copyText(code)) {
      status.textContent = t("export.codeCopied");
      toast(t("export.codeCopied"));
    } else {
      manual();
    }
  };
  dialog.querySelector("[data-act=save]").onclick = () => saveBlob(new Blob([code], { type: "text/x-python" }), filename);
  if (!dialog.open) dialog.showModal();
  if (!copied) manual();
}

/**
 * The bar of export buttons. `graph()`: what the PNG shows, {gd, overlay?, lib?} (the
 * contour, or the 3D view's graph and the plotly.js that drew it); `slide()`: {title,
 * legend, contour, steps} for the PNG's title and legend and the video.
 */
export function bindExportBar(bar, scene, { graph, slide }) {
  const buttons = {};
  // "with an lr slider": the HTML file then lets its reader try other learning rates.
  const withSlider = document.createElement("input");
  withSlider.type = "checkbox";
  withSlider.id = "export-lr-slider";
  const sliderLabel = document.createElement("label");
  sliderLabel.className = "check export-option";
  sliderLabel.htmlFor = withSlider.id;
  const sliderText = document.createElement("span");
  sliderLabel.append(withSlider, sliderText);
  const actions = {
    code: async () => {
      const res = await post("/code", exportRequest(scene));
      const { code, filename } = await res.json();
      const copied = await copyText(code);
      if (copied) toast(t("export.codeCopied"));
      showCode(code, filename, copied);
    },
    csv: () => download("/export/csv", exportRequest(scene), "scene.csv"),
    json: () => download("/export/json", exportRequest(scene), "scene.json"),
    html: () => {
      const body = { ...exportRequest(scene), lang: getLang() };
      const ladder = withSlider.checked ? lrVariants(body, scene.catalog) : null;
      return download("/export/html", ladder ? { ...body, lr_variants: ladder } : body, "scene.html");
    },
    png: async () => {
      const { gd, overlay, lib } = graph();
      const s = slide();
      const k = scene.player.k;
      const stepText = t("player.stepOf", { k: Math.floor(k + 1e-9), n: scene.player.max });
      saveBlob(await plotPng(gd, overlay, { title: s.title, stepText, entries: s.legend.snapshot(k) }, lib), "scene.png");
    },
    gif: () => download("/export/gif", { ...exportRequest(scene), lang: getLang() }, "scene.gif"),
    video: async () => {
      const s = slide();
      if (!s.contour.gd.offsetParent) throw new Error(t("export.videoContour"));
      const b = buttons.video;
      const { recordRace } = await import("./recorder.js");
      const { blob, ext } = await recordRace({
        contour: s.contour, legend: s.legend, title: s.title, steps: scene.player.max,
        stepText: (k) => t("player.stepOf", { k, n: scene.player.max }),
        onProgress: (left) => { b.textContent = t("export.recording", { s: left }); },
      });
      b.textContent = t("export.video");
      saveBlob(blob, `scene.${ext}`);
    },
  };
  if (!videoFormat()) delete actions.video;
  async function download(path, body, fallback) {
    const res = await post(path, body);
    saveBlob(await res.blob(), fileName(res, fallback));
  }
  for (const name of Object.keys(actions)) {
    const b = document.createElement("button");
    b.type = "button";
    b.className = `btn small${name === "code" ? " primary" : ""}`;
    b.dataset.export = name;
    b.addEventListener("click", async () => {
      if (b.disabled) return;
      b.disabled = true;
      b.setAttribute("aria-busy", "true");
      try {
        await actions[name]();
      } catch (e) {
        toast(t("export.failed", { msg: e.message || String(e) }));
      } finally {
        b.disabled = false;
        b.removeAttribute("aria-busy");
      }
    });
    buttons[name] = b;
  }
  const label = document.createElement("span");
  label.className = "export-label";
  bar.append(label, ...Object.values(buttons));
  buttons.html.after(sliderLabel);
  const relabel = () => {
    label.textContent = t("export.label");
    bar.setAttribute("aria-label", t("export.label"));
    for (const [name, b] of Object.entries(buttons)) {
      b.textContent = t(`export.${name}`);
      b.title = t(`export.${name}Title`);
    }
    sliderText.textContent = t("export.lrSlider");
    sliderLabel.title = t("export.lrSliderTitle");
  };
  relabel();
  scene.store.subscribe(({ what }) => what.has("lang") && relabel());
}
