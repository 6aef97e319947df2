// "Inside the optimizer": a collapsible panel under the readout with, per visible run, the
// optimizer's state at the step shown under PyTorch's names, the gradient, the step
// taken and the lr (definitions in stepdata.js), plus an effective step chart for
// adaptive methods. Its header also holds the switch for the arrows on the contour.
//
// The state costs bytes, so the scene asks the server for it (`"state": true`) only while
// the panel is open or the arrows are on; opening either recomputes if it is missing.
// The cards' code (inspectcards.js, inspectlab.js, statedict.js) loads when the panel
// first opens (a link with insp=1 opens it at once); the header is all a closed one needs.

import { t } from "./i18n.js";
import { el } from "./inspectdom.js";
import { ARROW_KINDS } from "./arrows.js";
import { urlField } from "./table.js";

const FILL_EVERY_MS = 120;

let cards = null; // inspectcards.js, once the panel has been opened
let loading = null;
// The cards and their state_dict() printer load when the panel first opens, all asked for
// at once (not one after another as each module names the next).
const loadCards = () => (loading ||= Promise.all([import("./inspectcards.js"), import("./inspectlab.js"),
  import("./statedict.js")]).then(([m]) => m.ready.then(() => { cards = m; })));
// A link that opens the panel (insp=1) loads them with the page, while it waits for the
// catalogues: the cards are then there when the first answer is.
const INSPECT = urlField("inspect");
if (typeof location !== "undefined" && INSPECT.true.includes(new URLSearchParams(location.search).get(INSPECT.key))) loadCards();

export class Inspector {
  /** section: an empty element to fill; arrows: the contour's ArrowLayer. */
  constructor(section, { scene, contour, arrows }) {
    this.section = section;
    this.scene = scene;
    this.contour = contour;
    this.arrows = arrows;
    this.runs = [];
    this.steps = 0;
    this.k = 0;
    this.cards = [];
    this.lastFill = 0;
    this.fillTimer = 0;
    this.stateDict = { open: false }; // the cards' optimizer.state_dict() open or not
    section.classList.add("inspector");
    // Above this many steps the server does not send the state (it would be megabytes).
    this.maxStateSteps = Number(section.dataset.maxStateSteps) || Infinity;
    scene.maxStateSteps = this.maxStateSteps;
    this.build();
    this.arrows.enabled = Boolean(scene.state.arrows);
    this.apply();
  }

  get open() {
    return Boolean(this.scene.state.inspect);
  }

  build() {
    const bodyId = "insp-body";
    this.toggle = el("button", { type: "button", class: "insp-toggle", "aria-expanded": "false", "aria-controls": bodyId });
    this.toggleText = el("span");
    this.toggle.append(el("span", { class: "chev", "aria-hidden": "true" }), this.toggleText);
    this.arrowBox = el("input", { type: "checkbox", id: "arrows-toggle" });
    this.arrowText = el("span");
    this.legend = el("span", { class: "arrow-legend" });
    this.limitNote = el("p", { class: "insp-limit", role: "status" });
    const head = el("div", { class: "insp-bar" },
      el("h3", { class: "insp-h" }, this.toggle),
      el("label", { class: "check arrows-check" }, this.arrowBox, this.arrowText),
      this.legend, this.limitNote);
    this.definition = el("p", { class: "insp-def" });
    this.cardBox = el("div", { class: "insp-cards" });
    this.body = el("div", { id: bodyId, class: "insp-body", hidden: true }, this.definition, this.cardBox);
    this.section.append(head, this.body);

    this.toggle.addEventListener("click", () => this.scene.store.update({ inspect: !this.open }));
    this.arrowBox.addEventListener("change", () => this.scene.store.update({ arrows: this.arrowBox.checked }));
    // The scene asks for the optimizer's state when a switch now needs it.
    this.scene.store.subscribe(({ what }) => {
      if (!what.has("inspect") && !what.has("arrows")) return;
      this.arrows.enabled = Boolean(this.scene.state.arrows);
      this.apply();
      this.contour.draw();
    });
    this.relabel();
  }

  /** Reflect state.inspect / state.arrows on the controls. */
  apply() {
    this.toggle.setAttribute("aria-expanded", String(this.open));
    this.body.hidden = !this.open;
    this.section.classList.toggle("is-open", this.open);
    this.arrowBox.checked = this.arrows.enabled;
    this.legend.hidden = !this.arrows.enabled;
    this.showLimit();
    if (this.open) this.render(true);
  }

  /** Too many steps for the state: say so instead of waiting for it. */
  tooManySteps() {
    return this.steps > this.maxStateSteps || this.scene.state.steps > this.maxStateSteps;
  }

  showLimit() {
    const blocked = (this.open || this.arrows.enabled) && this.tooManySteps();
    this.limitNote.textContent = blocked ? t("insp.tooMany", { n: this.maxStateSteps }) : "";
    this.limitNote.hidden = !blocked;
  }

  relabel() {
    this.toggleText.textContent = t("insp.title");
    this.toggle.title = t("insp.definition");
    this.definition.textContent = t("insp.definition");
    this.arrowText.textContent = t("arrows.toggle");
    this.arrowBox.parentElement.title = t("arrows.tooltip");
    this.legend.title = t("arrows.tooltip");
    this.legend.replaceChildren(...ARROW_KINDS.map((look) => el("span", { class: "legend-item" }, arrowSample(look), el("span", { text: t(`arrows.${look.kind}`) }))));
    this.signature = null;
    if (this.open) this.render(true);
  }

  /** New data: while a stream arrives, the cards follow once a frame at most. */
  setRuns(runs, steps, { final = true } = {}) {
    this.runs = runs;
    this.steps = steps;
    this.showLimit();
    if (!this.open) return;
    if (final) {
      cancelAnimationFrame(this.renderFrame);
      this.renderFrame = 0;
      this.render(true);
    } else if (!this.renderFrame) {
      this.renderFrame = requestAnimationFrame(() => {
        this.renderFrame = 0;
        if (this.open) this.render(false);
      });
    }
  }

  setStep(k) {
    this.k = k;
    if (!this.open) return;
    for (const c of this.cards) c.chart?.setStep(k);
    // While playing, the numbers change faster than anyone reads them, and each change
    // lays out every card: about 8 updates a second then, and the last step once it stops.
    clearTimeout(this.fillTimer);
    if (this.scene.player.playing && performance.now() - this.lastFill < FILL_EVERY_MS) {
      this.fillTimer = setTimeout(() => this.fillNow(), FILL_EVERY_MS);
      return;
    }
    this.fillNow();
  }

  fillNow() {
    this.lastFill = performance.now();
    this.fill();
  }

  /** Rebuild the cards when the runs' make-up changed, then fill in the numbers
   *  (inspectcards.js, loaded the first time the panel opens). */
  render(final) {
    if (cards) {
      cards.render(this, final);
      return;
    }
    loadCards().then(() => this.open && this.render(true));
  }

  /** The numbers for the step shown. */
  fill(force = false) {
    cards?.fill(this, force);
  }
}

/** The legend's picture of one arrow kind, drawn as on the contour. */
function arrowSample(look) {
  const canvas = el("canvas", { class: "arrow-sample", width: "72", height: "24", "aria-hidden": "true" });
  const ctx = canvas.getContext("2d");
  ctx.scale(2, 2);
  ctx.lineCap = "round";
  ctx.strokeStyle = ctx.fillStyle = "#3d4556";
  ctx.lineWidth = look.width * 0.8;
  ctx.setLineDash(look.dash);
  ctx.beginPath();
  ctx.moveTo(3, 6);
  ctx.lineTo(look.head === "open" ? 32 : 27, 6);
  ctx.stroke();
  ctx.setLineDash([]);
  ctx.beginPath();
  ctx.moveTo(26, 2.5);
  ctx.lineTo(33, 6);
  ctx.lineTo(26, 9.5);
  if (look.head !== "open") {
    ctx.closePath();
    if (look.head === "hollow") ctx.fillStyle = "#fff";
    ctx.fill();
  }
  ctx.lineWidth = 1.4;
  ctx.stroke();
  return canvas;
}
