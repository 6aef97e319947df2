// What "Inside the optimizer" adds for the torch.optim API lab (issue #15), per card:
//   - .grad said in words when zero_grad() is off (the sum of every gradient so far);
//   - each param group's lr, when the run has param groups;
//   - how many times step(closure) evaluated the loss in step k (LBFGS's `evals`);
//   - which change of course the step comes after (kept state, or a new optimizer);
//   - optimizer.state_dict() at step k as PyTorch prints it, with a copy button.

import { t } from "./i18n.js";
import { el } from "./inspectdom.js";
import { copyText, toast } from "./share.js";

/** The label and tooltip of the gradient row: g, or .grad as the sum it has become. */
export function gradWords(run) {
  return run.row?.zero_grad === "never"
    ? { words: t("insp.gradSum"), tip: t("insp.gradSumTip") }
    : { words: t("insp.grad"), tip: t("insp.gradTip") };
}

/** Rows the card adds for this run: [{name, label, tip, kind}]. */
export function labRows(run) {
  const rows = [];
  if (run.lrs) rows.push({ name: "lrs", label: el("code", { text: t("insp.lrGroups") }), tip: t("insp.lrGroupsTip"), kind: "pair" });
  if (run.evals) rows.push({ name: "evals", label: el("span", { class: "insp-words", text: t("insp.evals") }), tip: t("insp.evalsTip"), kind: "scalar" });
  return rows;
}

/** The values of those rows at step j (≥ 1). */
export function labValues(run, j) {
  const out = {};
  if (run.lrs) out.lrs = run.lrs[j - 1] ?? null;
  if (run.evals) out.evals = run.evals[j - 1]?.length ?? null;
  return out;
}

/** A sentence for the card at step j: the sum in .grad, the last change of course. */
export function labNote(run, j) {
  const parts = [];
  if (run.row?.zero_grad === "never" && j > 0) parts.push(t("insp.gradSumNote", { k: j }));
  const last = (run.row?.events || []).filter((e) => e.at < j).pop();
  if (last) parts.push(t(last.state === "reset" ? "insp.eventReset" : "insp.eventKeep", { k: last.at }));
  return parts.join(" ");
}

// The printer of state_dict() (and PyTorch's defaults it prints, torchprint.json) loads when
// the inspector first opens: a closed inspector never needs it.
let printer = null;
export function loadStateDict() {
  return import("./statedict.js").then((m) => { printer = m; return m; });
}

/** The card's optimizer.state_dict() block: a disclosure with the text and a copy button.
 *  `shared`: {open} kept by the inspector, so every card opens and closes together. */
export class StateDictBox {
  constructor(shared, catalog) {
    this.shared = shared;
    this.catalog = catalog;
    this.code = el("code");
    this.pre = el("pre", { class: "insp-sd-text", tabindex: "0" }, this.code);
    this.note = el("p", { class: "insp-sd-note", hidden: true });
    this.copy = el("button", { type: "button", class: "btn small insp-sd-copy", text: t("insp.copy") });
    this.summary = el("summary", {}, el("code", { text: t("insp.stateDict") }));
    this.summary.title = t("insp.stateDictTip");
    this.node = el("details", { class: "insp-sd" }, this.summary, el("div", { class: "insp-sd-body" }, this.pre, this.note, this.copy));
    this.node.open = Boolean(shared.open);
    this.text = "";
    // (Cards are built before they join the page: the list is pruned when one toggles.)
    shared.boxes = [...(shared.boxes || []), this].slice(-64);
    this.node.addEventListener("toggle", () => {
      // Every card's opens and closes with this one (the same question of each run).
      shared.open = this.node.open;
      shared.boxes = shared.boxes.filter((b) => b.node.isConnected);
      for (const b of shared.boxes) if (b !== this && b.node.open !== shared.open) b.node.open = shared.open;
      if (this.node.open && this.pending) this.update(...this.pending);
    });
    this.copy.addEventListener("click", async () => {
      if (await copyText(this.text)) {
        toast(t("insp.copied"));
        return;
      }
      // No clipboard (an http page, a refusal): select the text for a manual copy.
      const range = document.createRange();
      range.selectNodeContents(this.code);
      const sel = window.getSelection();
      sel.removeAllRanges();
      sel.addRange(range);
      toast(t("insp.copyFailed"));
    });
  }

  /** The text at step j (only while open: it is long). */
  update(run, j) {
    this.pending = [run, j];
    if (!this.node.open) return;
    if (!printer) {
      loadStateDict().then(() => this.pending && this.node.open && this.update(...this.pending));
      return;
    }
    this.pending = null;
    const out = run.row ? printer.stateDictText(run, j, this.catalog) : null;
    this.node.hidden = false;
    this.text = out ? out.text : "";
    // Shown with non-breaking hyphens in exponents (1e‑08 never splits over two lines);
    // copied as PyTorch printed it.
    this.code.textContent = this.text.replace(/(\de)-(\d)/g, "$1\u2011$2");
    this.node.dataset.text = this.text;
    this.pre.hidden = !out;
    this.copy.disabled = !out;
    this.note.textContent = out?.partial ? t("insp.stateDictPartial") : "";
    this.note.hidden = !out?.partial;
  }
}
