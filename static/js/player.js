// The animation clock shared by every path (one clock, so the race is fair), its bar of
// buttons, scrubber and speed, and the keyboard shortcuts.

import { t } from "./i18n.js";
import { urlField } from "./table.js";

const SPEEDS = urlField("speed").choices;

/** Steps per second at 1×: short runs at a pace the eye can follow, long runs in ~6 s. */
export function baseRate(steps) {
  return Math.max(40, steps / 6);
}

export class Player {
  constructor({ onStep, onState }) {
    this.onStep = onStep;
    this.onState = onState || (() => {});
    this.k = 0;
    this.max = 0;
    this.speed = 1;
    this.playing = false;
    this.last = 0;
    this.tick = this.tick.bind(this);
  }

  setMax(max) {
    this.max = max;
    if (this.k > max) this.seek(max);
    this.onState();
  }

  play() {
    if (this.max <= 0) return;
    if (this.k >= this.max) this.k = 0;
    this.playing = true;
    this.last = performance.now();
    requestAnimationFrame(this.tick);
    this.onState();
  }

  pause() {
    if (!this.playing) return;
    this.playing = false;
    this.onState();
  }

  toggle() {
    if (this.playing) this.pause();
    else this.play();
  }

  tick(now) {
    if (!this.playing) return;
    // rAF's timestamp is the frame's start and may precede play()'s performance.now();
    // a background tab must not jump either.
    const dt = Math.max(0, Math.min(0.1, (now - this.last) / 1000));
    this.last = now;
    this.k = Math.min(this.max, this.k + dt * baseRate(this.max) * this.speed);
    if (this.k >= this.max) {
      this.k = this.max;
      this.playing = false;
      this.onState();
    }
    this.onStep(this.k);
    if (this.playing) requestAnimationFrame(this.tick);
  }

  seek(k) {
    this.k = Math.max(0, Math.min(this.max, k));
    this.onStep(this.k);
    this.onState();
  }

  stepBy(d) {
    this.pause();
    this.seek(Math.round(this.k) + d);
  }

  reset() {
    this.pause();
    this.seek(0);
  }

  setSpeed(s) {
    this.speed = s;
    this.onState();
  }

  atEnd() {
    return this.k >= this.max;
  }
}

const ICONS = {
  reset: '<svg viewBox="0 0 24 24" aria-hidden="true"><path d="M6 5h2v14H6zM20 5v14L9 12z"/></svg>',
  back: '<svg viewBox="0 0 24 24" aria-hidden="true"><path d="M7 5h2v14H7zM19 5v14l-9-7z"/></svg>',
  play: '<svg viewBox="0 0 24 24" aria-hidden="true"><path d="M7 4.5v15l13-7.5z"/></svg>',
  pause: '<svg viewBox="0 0 24 24" aria-hidden="true"><path d="M6 4.5h4.5v15H6zM13.5 4.5H18v15h-4.5z"/></svg>',
  forward: '<svg viewBox="0 0 24 24" aria-hidden="true"><path d="M15 5h2v14h-2zM5 5v14l9-7z"/></svg>',
};

/** The bar under the plot: ⏮ ◀ ▶ ▶| · scrubber · step n/N · speed. */
export class PlayerBar {
  constructor(el, player, { onSpeed, compact = false } = {}) {
    this.el = el;
    this.player = player;
    this.onSpeed = onSpeed || (() => {});
    el.classList.add("player-bar");
    if (compact) el.classList.add("compact");
    el.innerHTML = "";
    const btn = (name, cls = "") => {
      const b = document.createElement("button");
      b.type = "button";
      b.className = `icon-btn ${cls}`;
      b.dataset.action = name;
      el.append(b);
      return b;
    };
    this.resetBtn = btn("reset");
    this.backBtn = btn("back");
    this.playBtn = btn("play", "play-btn");
    this.fwdBtn = btn("forward");
    this.scrubber = document.createElement("input");
    this.scrubber.type = "range";
    this.scrubber.min = "0";
    this.scrubber.step = "1";
    this.scrubber.className = "scrubber";
    this.scrubber.id = `scrubber-${Math.random().toString(36).slice(2, 8)}`;
    this.stepLabel = document.createElement("output");
    this.stepLabel.className = "step-label";
    this.stepLabel.setAttribute("for", this.scrubber.id);
    this.speedSel = document.createElement("select");
    this.speedSel.className = "speed";
    for (const s of SPEEDS) {
      const o = document.createElement("option");
      o.value = String(s);
      o.textContent = `${s}×`;
      this.speedSel.append(o);
    }
    el.append(this.scrubber, this.stepLabel, this.speedSel);

    this.resetBtn.addEventListener("click", () => player.reset());
    this.backBtn.addEventListener("click", () => player.stepBy(-1));
    this.fwdBtn.addEventListener("click", () => player.stepBy(1));
    this.playBtn.addEventListener("click", () => player.toggle());
    this.scrubber.addEventListener("input", () => {
      player.pause();
      player.seek(Number(this.scrubber.value));
    });
    this.speedSel.addEventListener("change", () => {
      player.setSpeed(Number(this.speedSel.value));
      this.onSpeed(player.speed);
    });
    this.relabel();
  }

  relabel() {
    this.resetBtn.innerHTML = ICONS.reset;
    this.backBtn.innerHTML = ICONS.back;
    this.fwdBtn.innerHTML = ICONS.forward;
    this.resetBtn.title = t("player.reset");
    this.backBtn.title = t("player.back");
    this.fwdBtn.title = t("player.forward");
    for (const b of [this.resetBtn, this.backBtn, this.fwdBtn]) b.setAttribute("aria-label", b.title);
    this.scrubber.setAttribute("aria-label", t("player.scrubber"));
    this.speedSel.setAttribute("aria-label", t("player.speed"));
    this.speedSel.title = t("player.speed");
    this.update(true);
  }

  /** Reflect the player (cheap: called every frame while playing). */
  update(force = false) {
    const p = this.player;
    const k = Math.floor(p.k + 1e-9);
    if (force || this.shownPlaying !== p.playing) {
      this.shownPlaying = p.playing;
      this.playBtn.innerHTML = p.playing ? ICONS.pause : ICONS.play;
      this.playBtn.title = p.playing ? t("player.pause") : t("player.play");
      this.playBtn.setAttribute("aria-label", this.playBtn.title);
      this.playBtn.setAttribute("aria-pressed", String(p.playing));
    }
    if (force || this.shownMax !== p.max) {
      this.shownMax = p.max;
      this.scrubber.max = String(p.max);
    }
    if (force || this.shownK !== k) {
      this.shownK = k;
      this.scrubber.value = String(k);
      this.stepLabel.textContent = t("player.stepOf", { k, n: p.max });
      this.scrubber.setAttribute("aria-valuetext", this.stepLabel.textContent);
    }
    if (force || this.shownSpeed !== p.speed) {
      this.shownSpeed = p.speed;
      this.speedSel.value = String(p.speed);
    }
  }
}

/** Space: play/pause; J / L (and ← / → outside inputs): one step back / forward. */
export function bindKeys(player, target = document) {
  target.addEventListener("keydown", (ev) => {
    if (ev.ctrlKey || ev.metaKey || ev.altKey) return;
    const el = ev.target;
    const tag = el && el.tagName;
    const typing = tag === "TEXTAREA" || tag === "SELECT" || el?.isContentEditable ||
      (tag === "INPUT" && !["range", "checkbox", "color", "button"].includes(el.type));
    if (typing) return;
    const key = ev.key.toLowerCase();
    if (key === " " || key === "k") {
      // A focused button or checkbox keeps its own Space.
      if (key === " " && (tag === "BUTTON" || (tag === "INPUT" && el.type !== "range"))) return;
      ev.preventDefault();
      player.toggle();
    } else if (key === "j" || (key === "arrowleft" && tag !== "INPUT")) {
      ev.preventDefault();
      player.stepBy(-1);
    } else if (key === "l" || (key === "arrowright" && tag !== "INPUT")) {
      ev.preventDefault();
      player.stepBy(1);
    }
  });
}
