// Injected by bench/live.py before any of the page's scripts (Playwright's init script,
// which the page's CSP does not apply to). It times, from the outside and without the
// page's help, what a slider move and a first load cost: WebSocket sends and messages,
// JSON parsing, every Plotly call per graph, every animation-frame callback, and when
// the contour and the first path are first on screen. Nothing here changes what the
// page does; it only wraps and records. The bench reads window.__probe.

(() => {
  const now = () => performance.now();
  const P = {
    sends: [],        // {t, id, bytes}
    msgs: [],         // {t0, t1, bytes, id, kind, parse}
    parses: [],       // {t0, dt, bytes} (JSON.parse of more than 1 kB)
    fetches: [],      // {url, t0, t1} (Response.json: body read + parse)
    plotly: [],       // {fn, graph, t0, sync, done}
    raf: [],          // {t0, t1}
    marks: {},        // first contour, first path, ...
    rawRAF: window.requestAnimationFrame.bind(window),
  };
  window.__probe = P;

  // --- a picture of the surface drawn before Plotly (canvas.plot-preview), if the page has one
  new MutationObserver((changes, obs) => {
    if (P.marks.firstPicture === undefined && document.querySelector("#contour canvas.plot-preview")) {
      P.marks.firstPicture = null;
      obs.disconnect();
      P.rawRAF(() => P.rawRAF(() => { P.marks.firstPicture = now(); }));
    }
  }).observe(document, { childList: true, subtree: true });

  // --- JSON.parse (the stream's messages are parsed by the page itself)
  const parse = JSON.parse;
  let parsing = 0;
  JSON.parse = function (text, reviver) {
    const t0 = now();
    const value = parse.call(JSON, text, reviver);
    const dt = now() - t0;
    if (typeof text === "string" && text.length > 1000) P.parses.push({ t0, dt, bytes: text.length });
    parsing += dt;
    return value;
  };
  const json = Response.prototype.json;
  Response.prototype.json = async function () {
    const t0 = now();
    const value = await json.call(this);
    P.fetches.push({ url: this.url, t0, t1: now() });
    return value;
  };

  // --- WebSocket: what is sent, and each message's handler time (parse included)
  const send = WebSocket.prototype.send;
  WebSocket.prototype.send = function (data) {
    const m = /"id":(\d+)/.exec(String(data).slice(0, 40));
    P.sends.push({ t: now(), id: m ? Number(m[1]) : null, bytes: String(data).length, body: String(data) });
    return send.call(this, data);
  };
  const onmessage = Object.getOwnPropertyDescriptor(WebSocket.prototype, "onmessage");
  Object.defineProperty(WebSocket.prototype, "onmessage", {
    configurable: true,
    get() { return onmessage.get.call(this); },
    set(fn) {
      onmessage.set.call(this, typeof fn !== "function" ? fn : function (ev) {
        const text = typeof ev.data === "string" ? ev.data : "";
        const head = text.slice(0, 60);
        const id = /"id":(\d+)/.exec(head);
        const kind = head.includes('"done":true') ? "done" : head.includes('"error"') ? "error" : "chunk";
        const before = parsing;
        const t0 = now();
        const out = fn.call(this, ev);
        const t1 = now();
        P.msgs.push({ t0, t1, bytes: text.length, id: id ? Number(id[1]) : null, kind, parse: parsing - before });
        if (kind === "chunk" && P.marks.firstChunk === undefined) {
          P.marks.firstChunk = t1;
          // The first frame that paints it over a surface (Plotly's contour, or a page's
          // picture of it drawn before Plotly), then the next one: the path is on screen.
          const over = () => document.querySelector("#contour .contourlayer, #contour canvas.plot-preview");
          const frame = () => P.rawRAF(() => (over() ? P.rawRAF(() => { P.marks.firstPath = now(); }) : frame()));
          frame();
        }
        return out;
      });
    },
  });

  // --- animation frames: the page's own callbacks (the probe's are not counted)
  window.requestAnimationFrame = (cb) => P.rawRAF((ts) => {
    const t0 = now();
    try {
      cb(ts);
    } finally {
      P.raf.push({ t0, t1: now() });
    }
  });

  // --- Plotly: every call, by graph; window.Plotly trapped when a bundle sets it
  const graphOf = (gd) => {
    if (!gd || !gd.closest) return "?";
    if (gd.closest("#contour")) return "contour";
    if (gd.closest("#loss")) return "loss";
    if (gd.closest(".lr-strip, #lr-section")) return "lr";
    if (gd.closest(".insp-eff-chart, #inspector")) return "inspector";
    if (gd.closest("#surface3d")) return "3d";
    if (gd.closest("#sweep-view, #map-strip")) return "map";
    return gd.className || gd.id || "?";
  };
  const FNS = ["newPlot", "react", "restyle", "relayout", "update", "purge", "toImage", "extendTraces", "addTraces", "deleteTraces"];
  let depth = 0;
  const wrapped = new WeakSet();
  const wrap = (lib) => {
    if (!lib || typeof lib !== "object" || wrapped.has(lib)) return lib;
    wrapped.add(lib);
    for (const fn of FNS) {
      const orig = lib[fn];
      if (typeof orig !== "function") continue;
      lib[fn] = function (gd, ...rest) {
        if (depth) return orig.call(this, gd, ...rest);
        depth++;
        const t0 = now();
        let out;
        try {
          out = orig.call(this, gd, ...rest);
        } finally {
          depth--;
        }
        const rec = { fn, graph: graphOf(typeof gd === "string" ? document.getElementById(gd) : gd), t0, sync: now() - t0, done: null };
        P.plotly.push(rec);
        if (out && typeof out.then === "function") out.then(() => { rec.done = now(); }, () => { rec.done = now(); });
        else rec.done = now();
        if (rec.graph === "contour" && fn !== "purge" && P.marks.firstContour === undefined) {
          const mark = () => P.rawRAF(() => P.rawRAF(() => { if (P.marks.firstContour === undefined) P.marks.firstContour = now(); }));
          if (out && out.then) out.then(mark); else mark();
        }
        return out;
      };
    }
    return lib;
  };
  let plotly;
  Object.defineProperty(window, "Plotly", {
    configurable: true,
    enumerable: true,
    get() { return plotly; },
    set(v) {
      plotly = wrap(v);
      if (P.marks.plotlyReady === undefined) P.marks.plotlyReady = now();
    },
  });
  // A page may keep its own Plotly for a view (a bundle loaded later): the bench can
  // wrap it too through this.
  P.wrapPlotly = wrap;
})();
