// What a screen reader hears as the race goes, from a polite live region: "Adam lr=0.1
// finished", "SGD lr=0.01 diverged at step 6: <why>" — when the animation reaches each
// outcome (or at once, when the paths are shown finished). A drag of a slider recomputes
// many times a second: the outcomes are gathered and said once it has been quiet for a
// moment, each run's only when it differs from what was last said of it.

import { reasonText, statusKind, statusText } from "./readout.js";

const QUIET_MS = 600;
const OUTCOMES = new Set(["finished", "diverged", "escaped", "failed"]);

export class Announcer {
  constructor() {
    this.region = document.createElement("p");
    this.region.id = "announcer";
    this.region.className = "visually-hidden";
    this.region.setAttribute("role", "status");
    this.region.setAttribute("aria-live", "polite");
    document.body.append(this.region);
    this.runs = [];
    this.k = 0;
    this.said = [];   // per run: the outcome last said, or null while it runs
    this.pending = new Map();
    this.timer = 0;
  }

  setRuns(runs) {
    this.runs = runs;
    this.check();
  }

  setStep(k) {
    this.k = k;
    this.check();
  }

  relabel() {
    this.said = [];
  }

  check() {
    const step = Math.floor(this.k + 1e-9);
    this.runs.forEach((run, i) => {
      if (!run.visible || !run.path?.length) return;
      const kind = statusKind(run, step);
      if (!OUTCOMES.has(kind)) {
        this.said[i] = null;
        this.pending.delete(i);
        return;
      }
      const why = kind === "diverged" || kind === "escaped" ? reasonText(run) : "";
      const text = `${run.label} ${statusText(run, step)}${why ? `: ${why}` : ""}`;
      if (this.said[i] === text) return;
      this.said[i] = text;
      this.pending.set(i, text);
      clearTimeout(this.timer);
      this.timer = setTimeout(() => this.flush(), QUIET_MS);
    });
  }

  flush() {
    const texts = [...this.pending.entries()].sort((a, b) => a[0] - b[0]).map(([, text]) => text);
    this.pending.clear();
    // One sentence per run (the server's explanations end with their own full stop).
    if (texts.length) this.region.textContent = texts.map((s) => (/[.。!！?？]$/.test(s) ? s : `${s}.`)).join(" ");
  }
}
