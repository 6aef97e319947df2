// A row card's "torch.optim API" disclosure (issue #15) as the first view has it: closed,
// with its summary, and the two questions the rest of the page asks of a row. What is
// inside (torchapi.js and its words) loads when it is first opened, or at once when the
// row uses any of it (a link with groups, zero_grad or changes at a step); once loaded,
// every later card is filled as it is built.

import { t } from "./i18n.js";
import { groupItem, groupsAllowed } from "./state.js";
import { urlField } from "./table.js";
import { el } from "./dom.js";

let body = null; // torchapi.js, once loaded
let loading = null;

function loadBody() {
  loading ||= import("./torchapi.js").then((m) => { body = m; });
  return loading;
}

// A link whose rows use the section (groups1=..., zero_grad1=..., events1=...) loads it
// with the page, so it is filled as the cards are first built.
const USED = new RegExp(`^(${["groups", "zero_grad", "events"].map((f) => urlField(f, "row").key).join("|")})\\d+$`);
if (typeof location !== "undefined" && [...new URLSearchParams(location.search).keys()].some((k) => USED.test(k))) loadBody();

/** The row's torch.optim options once its optimizer becomes `next` (a select): only the
 *  values the new optimizer has, no groups where PyTorch refuses them. */
export function fitToOptimizer(row, nextId, params, catalog) {
  const probe = { ...row, optimizer: nextId, params };
  const item = groupItem(probe, catalog);
  const keep = (values) => Object.fromEntries(Object.entries(values || {}).filter(([k]) => item?.params.some((p) => p.name === k)));
  const groups = row.groups && item && groupsAllowed(probe, catalog) ? { x: keep(row.groups.x), y: keep(row.groups.y) } : null;
  const events = item ? (row.events || []).map((e) => ({ at: e.at, state: e.state, params: keep(e.params) })) : [];
  return { groups, events };
}

/** Is any of it in use (the disclosure then opens by itself)? */
export function usesLab(row) {
  return Boolean(row.groups) || row.zero_grad === "never" || (row.events?.length || 0) > 0;
}

/** The disclosure's summary: "torch.optim API", with what the row uses of it. */
export function labSummary(row) {
  const on = [];
  if (row.groups) on.push(t("lab.on.groups"));
  if (row.zero_grad === "never") on.push(t("lab.on.never"));
  if (row.events?.length) on.push(t("lab.on.events", { n: row.events.length }));
  return on.length ? t("lab.summaryOn", { what: on.join(" · ") }) : t("lab.summary");
}

export class LabDisclosure {
  /** editor: the RowEditor; `editor.lab` is this until the card is built again. */
  constructor(editor) {
    this.editor = editor;
    this.block = null; // torchapi.js's TorchApiBlock, once filled
    this.summary = el("summary", { text: labSummary(editor.row) });
    this.node = el("details", { class: "more torch-api", "data-torch-api": "" }, this.summary);
    this.node.open = editor.labOpen ?? usesLab(editor.row);
    this.node.addEventListener("toggle", () => {
      editor.labOpen = this.node.open;
      if (this.node.open) this.fill();
      this.followStep();
    });
    if (this.node.open || body) this.fill();
  }

  fill() {
    if (this.block) return;
    if (body) {
      this.block = new body.TorchApiBlock(this.editor, this.node, this.summary);
      return;
    }
    // (A card built again meanwhile has a disclosure of its own: this one is left empty.)
    loadBody().then(() => this.editor.lab === this && this.fill());
  }

  /** The scrubber moved: the "add a change at step k" button follows it. */
  followStep() {
    this.block?.followStep();
  }
}
