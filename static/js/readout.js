// The table under the player: per run, the step it is at, its loss and position, and
// whether it finished, diverged (when, and why: the server's explanation under the row)
// or left the view (and when).

import { getLang, t } from "./i18n.js";
import { fmt, fmtPoint } from "./format.js";

export class Readout {
  constructor(table, { compact = false } = {}) {
    this.table = table;
    this.compact = compact;
    this.runs = [];
    this.cells = [];
    this.k = -1;
    table.classList.add("readout");
  }

  /** New runs: the rows rebuilt when their number, the language or the columns change;
   *  else their labels and colours rewritten in place (a slider's move: the table keeps
   *  its elements, and its layout what did not change). */
  setRuns(runs) {
    this.runs = runs;
    this.k = -1;
    const shape = `${runs.length}|${getLang()}|${this.wb}|${this.compact}`;
    if (shape === this.shape) {
      runs.forEach((run, i) => {
        const c = this.cells[i];
        c.tr.classList.toggle("is-hidden", !run.visible);
        if (c.color !== run.color) {
          c.color = c.swatch.style.background = run.color;
          c.why?.firstChild.style.setProperty("--row-color", run.color);
        }
        setText(c.label, run.label);
      });
      return;
    }
    this.shape = shape;
    const tb = this.table;
    tb.innerHTML = "";
    if (!this.compact) {
      const head = tb.createTHead().insertRow();
      // On a surface from data the point is (w, b) (the scene sets `wb`).
      for (const key of ["readout.optimizer", "readout.step", "readout.loss", this.wb ? "readout.positionWb" : "readout.position", "readout.status"]) {
        const th = document.createElement("th");
        th.scope = "col";
        th.textContent = t(key);
        head.append(th);
      }
    }
    const body = tb.createTBody();
    this.cells = runs.map((run) => {
      const tr = body.insertRow();
      tr.classList.toggle("is-hidden", !run.visible);
      const name = document.createElement("th");
      name.scope = "row";
      const sw = document.createElement("span");
      sw.className = "swatch";
      sw.style.background = run.color;
      const label = document.createTextNode(run.label);
      name.append(sw, label);
      tr.append(name);
      const cells = { tr, swatch: sw, label, color: run.color, step: tr.insertCell(), loss: tr.insertCell(), pos: tr.insertCell(), status: tr.insertCell() };
      cells.step.className = "num";
      cells.loss.className = "num";
      cells.pos.className = "num pos";
      cells.status.className = "status";
      if (!this.compact) {
        // Why it diverged, in a row of its own under the run's (the whole table's width).
        cells.why = body.insertRow();
        cells.why.className = "reason-row";
        cells.why.hidden = true;
        const td = cells.why.insertCell();
        td.colSpan = 5;
        td.className = "reason";
        td.style.setProperty("--row-color", run.color);
      }
      return cells;
    });
  }

  /** Fill the numbers for step k (skipped if the integer step did not change). */
  update(k, force = false) {
    const step = Math.floor(k + 1e-9);
    if (!force && step === this.k) return;
    this.k = step;
    this.runs.forEach((run, i) => {
      const c = this.cells[i];
      if (!c) return;
      const n = run.path ? run.path.length : 0;
      // (Each cell written only when its text changes: a slider's move leaves most.)
      if (!n) {
        setText(c.step, "—");
        setText(c.loss, "—");
        setText(c.pos, "—");
        setText(c.status, t("status.computing"));
        return;
      }
      const kind = statusKind(run, step);
      const blewUp = run.status === "diverged" && step >= run.stepsDone;
      if (blewUp) {
        // The step that gave no number: the one the status names, with nothing to show.
        setText(c.step, String(run.stepsDone + 1));
        setText(c.loss, "—");
        setText(c.pos, "—");
      } else {
        const j = Math.min(step, n - 1);
        setText(c.step, String(j));
        setText(c.loss, fmt(run.loss?.[j]));
        setText(c.pos, fmtPoint(run.path[j]));
      }
      setText(c.status, statusText(run, step));
      if (c.status.dataset.kind !== kind) c.status.dataset.kind = kind;
      if (c.why) {
        const why = blewUp && run.visible ? reasonText(run) : "";
        c.why.hidden = !why;
        if (c.why.firstChild.textContent !== why) c.why.firstChild.textContent = why;
      }
    });
  }
}

function setText(node, text) {
  if (node.textContent !== text) node.textContent = text;
}

/** The server's explanation of a divergence, in the page's language ("" if none). */
export function reasonText(run) {
  return run.reason ? run.reason[getLang()] || run.reason.en || "" : "";
}

export function statusKind(run, step) {
  if (run.failed) return "failed";
  if (run.leftAt != null && step >= run.leftAt) return "escaped";
  if (run.status === "diverged" && step >= run.stepsDone) return "diverged";
  if (run.computing) return "computing";
  return step >= (run.stepsDone ?? Infinity) ? "finished" : "running";
}

export function statusText(run, step) {
  if (!run.visible) return t("status.hidden");
  switch (statusKind(run, step)) {
    case "escaped":
      return t("status.escaped", { k: run.leftAt }) + (run.status === "diverged" && step >= run.stepsDone ? ` · ${t("status.diverged", { k: run.stepsDone + 1 })}` : "");
    case "diverged":
      return t("status.diverged", { k: run.stepsDone + 1 });
    case "computing":
      return t("status.computing");
    case "failed":
      return t("status.failed");
    case "finished":
      return t("status.finished");
    default:
      return t("status.running");
  }
}
