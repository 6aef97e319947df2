// "Share" copies a link to the current view; "Embed" shows the <iframe> snippet for it.
// navigator.clipboard needs a secure context (https or localhost): elsewhere the text is
// shown selected in a field, ready for Ctrl+C.

import { t } from "./i18n.js";
import { encodeState } from "./state.js";
import { linkDropsData } from "./datachoice.js";

export async function copyText(text) {
  try {
    if (navigator.clipboard && window.isSecureContext) {
      await navigator.clipboard.writeText(text);
      return true;
    }
  } catch (e) {
    // permission refused: fall through to the manual field
  }
  return false;
}

export function toast(message) {
  let box = document.getElementById("toast");
  if (!box) {
    box = document.createElement("div");
    box.id = "toast";
    box.className = "toast";
    box.setAttribute("role", "status");
    box.setAttribute("aria-live", "polite");
    document.body.append(box);
  }
  box.textContent = message;
  box.classList.add("show");
  clearTimeout(box.timer);
  box.timer = setTimeout(() => box.classList.remove("show"), 2600);
}

export function shareUrl(scene) {
  return `${location.origin}/?${encodeState(scene.state, scene.catalog)}`;
}

export function embedUrl(scene, { autoplay, controls, present = false }) {
  const st = { ...scene.state, autoplay, controls, present };
  return `${location.origin}/embed?${encodeState(st, scene.catalog, { embed: true })}`;
}

/** Wire the Share button and the fallback field under it. */
export function bindShare(button, fallback, scene) {
  const field = fallback.querySelector("input");
  button.addEventListener("click", async () => {
    const url = shareUrl(scene);
    const dropsData = linkDropsData(scene.state);
    if (await copyText(url)) {
      fallback.hidden = true;
      toast(dropsData ? t("share.dataTooLong") : t("share.copied"));
      return;
    }
    if (dropsData) toast(t("share.dataTooLong"));
    fallback.hidden = false;
    field.value = url;
    field.focus();
    field.select();
  });
  fallback.querySelector("button")?.addEventListener("click", () => { fallback.hidden = true; button.focus(); });
}

/** Wire the Embed button and its dialog. */
export function bindEmbed(button, dialog, scene) {
  const code = dialog.querySelector("#embed-code");
  const autoplay = dialog.querySelector("#embed-autoplay");
  const present = dialog.querySelector("#embed-present");
  const controls = dialog.querySelector("#embed-controls");
  const height = dialog.querySelector("#embed-height");
  const copy = dialog.querySelector("#embed-copy");
  const close = dialog.querySelector("#embed-close");
  const refresh = () => {
    const list = controls.value.split(",").map((s) => s.trim()).filter(Boolean);
    const src = embedUrl(scene, { autoplay: autoplay.checked, present: present.checked, controls: list.includes("none") || !list.length ? [] : list });
    const h = Math.max(240, Math.min(2000, Number(height.value) || 520));
    code.value = `<iframe src="${src.replace(/&/g, "&amp;").replace(/"/g, "&quot;")}" width="100%" height="${h}" style="border:0;max-width:960px" loading="lazy" title="${t("app.title")}"></iframe>`;
  };
  for (const e of [autoplay, present, controls, height]) e.addEventListener("input", refresh);
  button.addEventListener("click", () => {
    refresh();
    if (dialog.showModal) dialog.showModal();
    else dialog.setAttribute("open", "");
    code.focus();
    code.select();
  });
  copy.addEventListener("click", async () => {
    if (await copyText(code.value)) {
      toast(t("embed.copied"));
    } else {
      code.focus();
      code.select();
    }
  });
  close.addEventListener("click", () => dialog.close ? dialog.close() : dialog.removeAttribute("open"));
  dialog.addEventListener("click", (ev) => {
    if (ev.target === dialog) dialog.close();
  });
}
