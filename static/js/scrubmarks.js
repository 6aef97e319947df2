// Markers on the player's scrubber at the steps where a run changes course (a change at
// step k, torch.optim API): one small button per change, in the run's colour, hollow
// when the state is kept and filled when the optimizer is built anew. A click seeks to
// that step; a screen reader hears which run and what happens there.

import { t } from "./i18n.js";
import { el } from "./dom.js";

// Chromium's range thumb is 16 px wide: the track's ends sit 8 px inside the input.
const THUMB_HALF = 8;

export class ScrubMarks {
  /** bar: the PlayerBar; player: the shared Player. */
  constructor(bar, player) {
    this.bar = bar;
    this.player = player;
    this.runs = [];
    this.wrap = el("span", { class: "scrub-wrap" });
    bar.scrubber.replaceWith(this.wrap);
    this.box = el("span", { class: "scrub-marks" });
    this.wrap.append(bar.scrubber, this.box);
    this.key = "";
  }

  setRuns(runs, steps) {
    this.runs = runs;
    this.steps = steps;
    this.render();
  }

  relabel() {
    this.key = "";
    this.render();
  }

  setStep() {}

  render() {
    const max = this.steps || this.player.max || 0;
    const marks = [];
    for (const run of this.runs) {
      if (!run.visible) continue;
      for (const e of run.row?.events || []) if (e.at > 0 && e.at <= max) marks.push({ run, e });
    }
    const key = `${max}|${marks.map(({ run, e }) => `${run.color}:${run.label}:${e.at}:${e.state}`).join(",")}`;
    if (key === this.key) return;
    this.key = key;
    this.wrap.classList.toggle("has-marks", marks.length > 0);
    const stacked = new Map(); // marks at the same step stand above one another
    this.box.replaceChildren(...marks.map(({ run, e }) => {
      const level = stacked.get(e.at) || 0;
      stacked.set(e.at, level + 1);
      const how = t(e.state === "reset" ? "lab.events.markerReset" : "lab.events.markerKeep");
      const label = t("lab.events.marker", { name: run.label, k: e.at, how });
      const b = el("button", { type: "button", class: `scrub-mark is-${e.state}`, title: label, "aria-label": label, "data-at": String(e.at) });
      b.style.setProperty("--mark-color", run.color);
      b.style.left = `calc(${THUMB_HALF}px + (100% - ${2 * THUMB_HALF}px) * ${e.at / max})`;
      // Two runs changing course at one step: the second mark goes under the track.
      if (level) b.style.top = level === 1 ? "11px" : `${-4 - 12 * (level - 1)}px`;
      b.addEventListener("click", () => {
        this.player.pause();
        this.player.seek(e.at);
      });
      return b;
    }));
  }
}
