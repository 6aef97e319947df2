// The Map panel as the first view has it: with the map off (the default) it is only a
// head (title, "Show map" switch) and an intro line, drawn here. Map mode itself
// (mapmode.js: the settings form, the stream, the painting) is loaded when a map is
// first switched on, by the switch, by a link or lesson with the map on, or by a test.

import { t } from "./i18n.js";
import { el } from "./dom.js";

/** The panel's head and intro line (all of it while the map is off); `onToggle(on)` when
 *  the switch is turned. Returns the panel's focus key from before (to restore). */
export function renderMapHead(panel, on, onToggle) {
  const focused = document.activeElement?.dataset?.focus;
  panel.innerHTML = "";
  const toggle = el("input", { type: "checkbox", role: "switch", id: "map-on", "data-focus": "on" });
  toggle.checked = on;
  toggle.addEventListener("change", () => onToggle(toggle.checked));
  panel.append(el("div", { class: "panel-head" },
    el("h2", { id: "map-h", text: t("map.section") }),
    el("label", { class: "switch", for: "map-on" }, toggle, el("span", { text: t("map.show") }))));
  panel.append(el("p", { class: "map-intro", text: t("map.intro") }));
  return focused;
}

/** The strip's data-* marks (what tests and the curious read of the map's progress). */
export function markStrip(strip, { status, kind, requestId, data }) {
  strip.dataset.state = status;
  strip.dataset.kind = kind;
  strip.dataset.request = String(requestId);
  strip.dataset.shape = data ? `${data.ny}x${data.nx}` : "";
  strip.dataset.painted = data ? String(data.rowsDone * data.nx) : "0";
}

export class MapPanel {
  /** els: {panel, strip, sweepHost, stage}; views: {scene, catalog, contour}: passed on
   *  to MapMode once it is loaded. */
  constructor(els, views) {
    this.els = els;
    this.views = views;
    this.store = views.scene.store;
    this.mode = null; // the MapMode, once loaded
    this.loading = null;
    this.unsubscribe = this.store.subscribe(({ what }) => {
      if (what.has("lang") || what.has("map")) this.render();
    });
    markStrip(els.strip, { status: "off", kind: this.map.kind, requestId: 0, data: null });
    this.render();
  }

  get map() {
    return this.store.state.map;
  }

  render() {
    const focused = renderMapHead(this.els.panel, this.map.on, (on) => this.store.update({ map: { on } }, { from: this }));
    if (focused) this.els.panel.querySelector(`[data-focus="${focused}"]`)?.focus();
    if (this.map.on) this.load();
  }

  /** Load map mode (once); it takes the panel over from here. Resolves the MapMode. */
  load() {
    this.loading ||= import("./mapmode.js").then(({ MapMode }) => {
      this.unsubscribe();
      this.mode = new MapMode(this.els, this.views);
      return this.mode;
    }, (e) => {
      this.loading = null; // (offline: the switch tries again)
      throw e;
    });
    return this.loading;
  }

  /** For tests and the curious: what the map holds (nothing while map mode is not
   *  loaded), and the page is not idle while it loads. */
  exposeHooks() {
    const panel = this;
    window.__optplayMap = {
      info() {
        if (panel.mode) return panel.mode.info();
        const m = panel.map;
        return {
          status: "off", requestId: 0, on: m.on, kind: m.kind, shape: null, x: null, y: null, minima: null,
          xParam: null, yParam: null, rowsDone: 0, counts: null, basinImage: null, sweepImage: null,
        };
      },
      cells: () => panel.mode?.cells() ?? null,
      load: () => panel.load().then(() => true),
    };
    const h = window.__optplay;
    const idle = h.idle;
    h.idle = () => idle() && !(panel.loading && !panel.mode);
  }
}
