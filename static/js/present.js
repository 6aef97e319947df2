// Presentation mode: the plot fills the screen, its text at projector size, with its
// legend beside or below it and the player under it; everything else steps aside.
// The "Present" button enters it (and asks the browser for full screen), as does
// present=1 in the URL of the page or of /embed; Esc or "Leave presentation" leaves.

import { t, surfaceName } from "./i18n.js";

/** The picture's title: the surface's name, or a typed formula. */
export function sceneTitle(scene) {
  const st = scene.state;
  if (st.formula) return `f(x, y) = ${st.formula.expr}`;
  return surfaceName(scene.surface || scene.catalog.surface(st.surface));
}

export class Presentation {
  /**
   * contour: ContourView; legend: PlotLegend; button: the page's toggle (or null in the
   * embed); bar: {el, title, exit} shown while presenting (or null); onChange(on).
   */
  constructor({ scene, contour, legend, button = null, bar = null, onChange = () => {} }) {
    Object.assign(this, { scene, contour, legend, button, bar, onChange });
    this.on = false;
    this.viaFullscreen = false;
    button?.addEventListener("click", () => (this.on ? this.leave() : this.enter({ fullscreen: true })));
    bar?.exit.addEventListener("click", () => this.leave());
    document.addEventListener("keydown", (ev) => {
      if (ev.key !== "Escape" || !this.on || !this.button) return;
      if (document.querySelector("dialog[open]")) return; // Esc closes the dialog first
      ev.preventDefault();
      this.leave();
    });
    // Esc in full screen is the browser's: it leaves full screen, so leave with it.
    document.addEventListener("fullscreenchange", () => {
      if (!document.fullscreenElement && this.viaFullscreen && this.on) this.leave();
    });
    window.addEventListener("resize", () => { if (this.on) this.contour.resize(); });
    this.relabel();
  }

  async enter({ fullscreen = false } = {}) {
    if (this.on) return;
    this.on = true;
    this.focusBack = document.activeElement;
    document.body.classList.add("is-presenting");
    this.mark();
    if (fullscreen && document.fullscreenEnabled && !document.fullscreenElement) {
      try {
        await document.documentElement.requestFullscreen({ navigationUI: "hide" });
        this.viaFullscreen = true;
      } catch (e) {
        // refused (an iframe without allow="fullscreen"): the page still fills the window
      }
    }
    await this.contour.setBig(true);
    this.legend.arrange();
    // From the button: focus moves to its way out (a page opened with present=1 keeps
    // no focus ring on the projector).
    if (fullscreen) this.bar?.exit.focus({ preventScroll: true });
    this.onChange(true);
  }

  async leave() {
    if (!this.on) return;
    this.on = false;
    document.body.classList.remove("is-presenting");
    this.mark();
    if (this.viaFullscreen && document.fullscreenElement) document.exitFullscreen().catch(() => {});
    this.viaFullscreen = false;
    await this.contour.setBig(false);
    this.legend.arrange();
    (this.button || this.focusBack)?.focus?.({ preventScroll: true });
    this.onChange(false);
  }

  mark() {
    this.button?.setAttribute("aria-pressed", String(this.on));
    if (this.bar) {
      this.bar.el.hidden = !this.on;
      this.bar.title.textContent = sceneTitle(this.scene);
    }
  }

  relabel() {
    if (this.button) {
      this.button.textContent = t("present.button");
      this.button.title = t("present.title");
    }
    if (this.bar) {
      this.bar.exit.textContent = t("present.leave");
      this.bar.title.textContent = sceneTitle(this.scene);
    }
  }
}
