// On a narrow screen the optimizer rows sit far below the plot: the path cannot be
// watched while a slider moves. This strip, fixed to the bottom of the screen while the
// plot is in view, holds one row's main sliders (lr and the next number PyTorch's docs
// put first: momentum, alpha ...) and a button per row to pick which. CSS shows it only
// under 700 px; it edits the store like the rows panel does, and follows its changes.

import { t } from "./i18n.js";
import { valueOf } from "./catalog.js";
import { paramField } from "./controls.js";
import { el } from "./dom.js";

const MAIN = ["lr", "momentum", "alpha", "rho", "lr_decay", "lambd"];
const MAX_SLIDERS = 2;

export class PhoneStrip {
  /** box: an empty element; watch: the element whose visibility shows the strip. */
  constructor(box, { store, catalog, watch }) {
    this.box = box;
    this.store = store;
    this.catalog = catalog;
    this.active = 0;
    box.classList.add("phone-strip");
    box.setAttribute("role", "region");
    store.subscribe(({ what, from }) => {
      if (from !== this && (what.has("rows") || what.has("row") || what.has("look") || what.has("lang"))) this.render();
    });
    // Only while the plot is on screen: below it, the rows' own sliders are there.
    new IntersectionObserver(([entry]) => box.classList.toggle("is-shown", entry.isIntersecting), { threshold: 0.25 }).observe(watch);
    this.render();
  }

  render() {
    const rows = this.store.state.rows;
    this.active = Math.min(this.active, Math.max(0, rows.length - 1));
    this.box.setAttribute("aria-label", t("strip.label"));
    this.box.replaceChildren();
    if (!rows.length) return;
    const picks = el("div", { class: "strip-rows", role: "group", "aria-label": t("strip.rows") });
    rows.forEach((row, i) => {
      const b = el("button", { type: "button", class: "strip-row", "aria-pressed": String(i === this.active),
        title: this.catalog.rowLabel(row), "aria-label": `${i + 1} · ${this.catalog.rowLabel(row)}` },
      el("span", { class: "swatch", style: `background:${row.color}` }), el("span", { text: String(i + 1) }));
      b.addEventListener("click", () => {
        this.active = i;
        this.render();
        this.box.querySelectorAll(".strip-row")[i]?.focus();
      });
      picks.append(b);
    });
    const row = rows[this.active];
    const opt = this.catalog.optimizer(row.optimizer);
    const specs = MAIN.map((name) => opt?.params.find((p) => p.name === name && p.type === "float"))
      .filter(Boolean).slice(0, MAX_SLIDERS);
    const fields = el("div", { class: "strip-fields" });
    fields.style.setProperty("--row-color", row.color);
    for (const spec of specs) {
      const f = paramField(spec, valueOf(row.params, spec), (v) => {
        this.store.update({ row: this.active, params: { [spec.name]: v } }, { from: this });
      }, { catalog: this.catalog, labelPrefix: `${this.active + 1} · ${opt.name}` });
      f.node.querySelector(".doc")?.remove();
      fields.append(f.node);
    }
    this.box.append(picks, fields);
  }
}
