// The player of an exported scene: one self-contained file, no server, no network.
// Data comes from the JSON block #optplay-data (paths precomputed by the engine); the
// contour is drawn once by plotly.js, the paths on a canvas over it (as the playground
// does), the loss chart by plotly.js. On a surface from data (D.data) a data panel shows
// the points and each run's model at the step shown (the line w·x + b, or σ(w·x + b)),
// and the loss chart draws each step's batch loss faintly and marks the epochs (D.epoch).
// window.__optplayExport is the test hook.
(function () {
  "use strict";
  /* global Plotly */
  const D = JSON.parse(document.getElementById("optplay-data").textContent);
  const T = D.t;
  const $ = (id) => document.getElementById(id);
  const gd = $("plot"), canvas = $("overlay"), ctx = canvas.getContext("2d");
  const lossDiv = $("loss");
  const SPEEDS = D.style.speeds;
  const state = { variant: D.variant, k: 0, playing: false, speed: 1, last: 0, ready: false };
  let lossStep = -1, lossTimer = 0;

  function fmt(v, digits = 4) {
    if (v === null || v === undefined) return "—";
    if (!Number.isFinite(v)) return v > 0 ? "∞" : v < 0 ? "−∞" : "NaN";
    if (v === 0) return "0";
    const a = Math.abs(v);
    const trim = (s) => (s.includes(".") ? s.replace(/\.?0+$/, "") : s);
    if (a >= 1e5 || a < 1e-3) {
      const [m, e] = v.toExponential(digits - 2).split("e");
      return `${trim(m)}e${e.replace("+", "")}`;
    }
    const intDigits = Math.floor(Math.log10(a)) + 1;
    return trim(v.toFixed(Math.min(20, Math.max(0, digits - intDigits))));
  }
  const say = (key, vars = {}) => (T[key] || key).replace(/\{(\w+)\}/g, (m, n) => (n in vars ? String(vars[n]) : m));
  const runs = () => D.variants[state.variant].runs;
  const DATA = D.data;
  const NAMES = DATA ? ["w", "b", "L"] : ["x", "y", "f"];
  const maxStep = () => D.steps;
  const baseRate = (steps) => Math.max(40, steps / 6);

  // ------------------------------------------------------------------ contour
  function plotSize() {
    const [[x0, x1], [y0, y1]] = D.surface.domain;
    // A surface from data: w and b have units of their own (not drawn 1:1).
    const ratio = DATA ? 0.8 : (y1 - y0) / (x1 - x0);
    const m = { l: 44, r: 88, t: 10, b: 36 };
    const w = Math.max(260, $("plot-wrap").clientWidth || 600);
    const ideal = (w - m.l - m.r) * ratio + m.t + m.b;
    const h = Math.round(Math.min(Math.max(280, window.innerHeight * 0.72), Math.max(240, ideal)));
    const width = h < ideal ? Math.round(Math.min(w, (h - m.t - m.b) / ratio + m.l + m.r)) : w;
    return { width, height: h };
  }

  function drawContour() {
    const C = D.contour, s = D.surface;
    const colorbar = { thickness: 12, len: 1, outlinewidth: 0, tickfont: { size: 10 }, title: { text: DATA ? T["data.colorbar"] : "f(x, y)", side: "right" } };
    if (C.log) Object.assign(colorbar, { tickvals: C.tickvals, ticktext: C.ticktext });
    const traces = [{
      type: "contour", x: C.x, y: C.y, z: C.z, text: C.text,
      hovertemplate: `${NAMES[0]} = %{x:.3f}<br>${NAMES[1]} = %{y:.3f}<br>${NAMES[2]} = %{text}<extra></extra>`,
      colorscale: D.style.colorscale, ncontours: 26, connectgaps: false,
      contours: { coloring: "fill", showlines: true },
      line: { width: 0.6, color: "rgba(255,255,255,0.35)", smoothing: 0.6 }, colorbar,
    }];
    if (s.minima.length) {
      traces.push({
        type: "scatter", mode: "markers", x: s.minima.map((p) => p[0]), y: s.minima.map((p) => p[1]),
        marker: { symbol: "star", size: 15, color: D.style.minimum, line: { color: "#1b1b1b", width: 1.2 } },
        hovertemplate: `${T["surface.minimum"]} (%{x:.4g}, %{y:.4g})<extra></extra>`,
      });
    }
    if (s.saddles.length) {
      traces.push({
        type: "scatter", mode: "markers", x: s.saddles.map((p) => p[0]), y: s.saddles.map((p) => p[1]),
        marker: { symbol: "x-thin", size: 14, color: "#ffffff", line: { color: "#ffffff", width: 3 } },
        hovertemplate: `${T["surface.saddle"]} (%{x:.4g}, %{y:.4g})<extra></extra>`,
      });
    }
    const [[x0, x1], [y0, y1]] = s.domain;
    const layout = {
      ...plotSize(), margin: { l: 44, r: 8, t: 10, b: 36 },
      xaxis: { range: [x0, x1], constrain: "domain", title: { text: DATA ? T["data.w"] : "x", standoff: 4 }, zeroline: false, showgrid: false, ticks: "outside", ticklen: 3 },
      yaxis: { range: [y0, y1], title: { text: DATA ? T["data.b"] : "y", standoff: 2 }, zeroline: false, showgrid: false, ...(DATA ? {} : { scaleanchor: "x", scaleratio: 1 }), constrain: "domain", ticks: "outside", ticklen: 3 },
      showlegend: false, hovermode: "closest", dragmode: "zoom",
      paper_bgcolor: "rgba(0,0,0,0)", plot_bgcolor: D.style.plot_bg,
      font: { family: D.style.font, size: 11, color: "#475467" },
    };
    const config = {
      responsive: false, displaylogo: false, scrollZoom: false, showSendToCloud: false,
      showEditInChartStudio: false, displayModeBar: "hover", doubleClick: "reset",
      modeBarButtonsToRemove: ["select2d", "lasso2d", "autoScale2d", "zoomIn2d", "zoomOut2d", "sendChartToCloud"],
      toImageButtonOptions: { filename: "optimizer-playground" },
    };
    return Plotly.newPlot(gd, traces, layout, config);
  }

  // ------------------------------------------------------------------ paths overlay
  function axes() {
    const fl = gd._fullLayout;
    if (!fl || !fl.xaxis || !fl.xaxis._length) return null;
    const xa = fl.xaxis, ya = fl.yaxis;
    return {
      left: xa._offset, top: ya._offset, width: xa._length, height: ya._length,
      px: (x) => xa._offset + xa.l2p(x), py: (y) => ya._offset + ya.l2p(y),
    };
  }

  function sizeCanvas() {
    const dpr = window.devicePixelRatio || 1;
    const w = gd.clientWidth, h = gd.clientHeight;
    canvas.style.width = `${w}px`;
    canvas.style.height = `${h}px`;
    canvas.width = Math.round(w * dpr);
    canvas.height = Math.round(h * dpr);
    state.dpr = dpr;
  }

  function stroke(ax, path, to, tip) {
    ctx.beginPath();
    ctx.moveTo(ax.px(path[0][0]), ax.py(path[0][1]));
    let lx = Infinity, ly = Infinity;
    for (let i = 1; i <= to; i++) {
      const x = ax.px(path[i][0]), y = ax.py(path[i][1]);
      if (i < to && Math.abs(x - lx) < 0.7 && Math.abs(y - ly) < 0.7) continue;
      ctx.lineTo(x, y);
      lx = x;
      ly = y;
    }
    if (tip) ctx.lineTo(ax.px(tip[0]), ax.py(tip[1]));
    if (to === 0 && !tip) ctx.lineTo(ax.px(path[0][0]) + 0.01, ax.py(path[0][1]));
    ctx.stroke();
  }

  function paint() {
    const ax = axes();
    const dpr = state.dpr || 1;
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.clearRect(0, 0, canvas.width, canvas.height);
    if (!ax) return;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.save();
    ctx.beginPath();
    ctx.rect(ax.left, ax.top, ax.width, ax.height);
    ctx.clip();
    ctx.lineJoin = "round";
    ctx.lineCap = "round";
    for (const run of runs()) {
      const path = run.path;
      const last = path.length - 1;
      const end = run.escaped_at != null ? Math.min(run.escaped_at, last) : last;
      ctx.globalAlpha = 0.35;
      ctx.strokeStyle = run.color;
      ctx.lineWidth = 1.4;
      ctx.setLineDash([4, 4]);
      stroke(ax, path, end, null);
      ctx.setLineDash([]);
      ctx.globalAlpha = 1;
      const k = Math.min(state.k, end);
      const whole = Math.floor(k), frac = k - whole;
      const tip = whole < end && frac > 0
        ? [path[whole][0] + (path[whole + 1][0] - path[whole][0]) * frac, path[whole][1] + (path[whole + 1][1] - path[whole][1]) * frac]
        : null;
      ctx.strokeStyle = "rgba(255,255,255,0.75)";
      ctx.lineWidth = 5;
      stroke(ax, path, whole, tip);
      ctx.strokeStyle = run.color;
      ctx.lineWidth = 2.4;
      stroke(ax, path, whole, tip);
      for (const [at, how] of run.events || []) {
        // A change of course at step `at`: hollow when the state was kept, filled when
        // the optimizer was built anew (as on the playground).
        if (at > end) continue;
        const ex = ax.px(path[at][0]), ey = ax.py(path[at][1]), r = 5.5;
        ctx.beginPath();
        ctx.moveTo(ex, ey - r); ctx.lineTo(ex + r, ey); ctx.lineTo(ex, ey + r); ctx.lineTo(ex - r, ey);
        ctx.closePath();
        ctx.fillStyle = how === "reset" ? run.color : "#fff";
        ctx.fill();
        ctx.lineWidth = 1.8;
        ctx.strokeStyle = run.color;
        ctx.stroke();
      }
      const head = tip || path[whole];
      const hx = ax.px(head[0]), hy = ax.py(head[1]);
      if (state.k >= end && run.status === "diverged") {
        ctx.strokeStyle = run.color;
        ctx.lineWidth = 3;
        ctx.beginPath();
        ctx.moveTo(hx - 6, hy - 6); ctx.lineTo(hx + 6, hy + 6);
        ctx.moveTo(hx + 6, hy - 6); ctx.lineTo(hx - 6, hy + 6);
        ctx.stroke();
      } else {
        ctx.beginPath();
        ctx.arc(hx, hy, 5.5, 0, 2 * Math.PI);
        ctx.fillStyle = run.color;
        ctx.fill();
        ctx.lineWidth = 2;
        ctx.strokeStyle = "#fff";
        ctx.stroke();
      }
    }
    const sx = ax.px(D.start[0]), sy = ax.py(D.start[1]);
    ctx.beginPath();
    ctx.arc(sx, sy, 7, 0, 2 * Math.PI);
    ctx.lineWidth = 4;
    ctx.strokeStyle = "rgba(0,0,0,0.55)";
    ctx.stroke();
    ctx.lineWidth = 2;
    ctx.strokeStyle = "#fff";
    ctx.stroke();
    ctx.restore();
  }

  // ------------------------------------------------------------------ loss chart
  function drawLoss() {
    const all = runs().flatMap((r) => r.loss);
    const log = all.length > 0 && all.every((v) => v > 0) && Math.max(...all) / Math.min(...all) > 100;
    const behind = D.epoch ? runs().filter((r) => r.batch_loss.length).map((r) => ({
      type: "scatter", mode: "lines", x: r.batch_loss.map((_, i) => i), y: log ? r.batch_loss.map((v) => (v > 0 ? v : null)) : r.batch_loss,
      name: `${r.label} · ${T["loss.batch"]}`, line: { color: r.color, width: 1 }, opacity: 0.3,
      hovertemplate: `${r.label}<br>${T["loss.batch"]}, ${T["loss.step"]} %{x}: %{y:.4g}<extra></extra>`,
    })) : [];
    const traces = behind.concat(runs().map((r) => ({
      type: "scatter", mode: r.loss.length < 3 ? "lines+markers" : "lines",
      x: r.loss.map((_, i) => i), y: r.loss, name: r.label,
      line: { color: r.color, width: 1.6 }, hovertemplate: `${r.label}<br>${T["loss.step"]} %{x}: %{y:.4g}<extra></extra>`,
    })));
    const layout = {
      height: D.epoch ? 246 : 230, margin: { l: 56, r: 10, t: D.epoch ? 44 : 28, b: 36 }, showlegend: false,
      title: { text: T["loss.title"], font: { size: 13 }, x: 0, xanchor: "left" },
      xaxis: { title: { text: T["loss.step"], standoff: 4 }, range: [0, Math.max(1, maxStep())], zeroline: false },
      // A log axis labels whole decades only (Plotly's 2 and 5 between them crowd a short chart).
      yaxis: { title: { text: T["loss.loss"] }, type: log ? "log" : "linear", exponentformat: "power", dtick: log ? decadeStep(all) : undefined },
      paper_bgcolor: "rgba(0,0,0,0)", plot_bgcolor: "#f8f9fb",
      font: { family: D.style.font, size: 11, color: "#475467" },
      // shapes[0] is the step marker (moveLossMarker); the epochs' bands follow it.
      shapes: [{ type: "line", xref: "x", yref: "paper", x0: 0, x1: 0, y0: 0, y1: 1, line: { color: "#1d2939", width: 1, dash: "dot" } }].concat(epochBands()),
      annotations: epochLabels(),
    };
    lossStep = 0;
    return Plotly.react(lossDiv, traces, layout, { displaylogo: false, displayModeBar: false, responsive: true });
  }

  // Decades between labels: one per decade up to six, then wider (the page's loss chart too).
  function decadeStep(values) {
    const pos = values.filter((v) => v > 0 && Number.isFinite(v));
    if (!pos.length) return 1;
    const span = Math.log10(Math.max(...pos)) - Math.log10(Math.min(...pos));
    return Math.max(1, Math.ceil(span / 6));
  }

  // Epoch e (1-based) is steps (e - 1)·B … e·B: every other epoch shaded, labels over the
  // bands as many as fit (as the playground's loss chart marks them).
  function epochBands() {
    const B = D.epoch, n = maxStep();
    if (!B) return [];
    const out = [];
    for (let e = 2; (e - 1) * B < n; e += 2) {
      out.push({ type: "rect", xref: "x", yref: "paper", x0: (e - 1) * B, x1: Math.min(n, e * B), y0: 0, y1: 1,
        layer: "below", line: { width: 0 }, fillcolor: "rgba(71,84,103,0.07)" });
    }
    return out;
  }

  function epochLabels() {
    const B = D.epoch, n = maxStep();
    if (!B || n < B) return [];
    const width = lossDiv.clientWidth || 380;
    const every = Math.max(1, Math.ceil(70 / Math.max(1e-9, (width * B) / n)));
    const out = [];
    for (let e = 1; (e - 1) * B < n; e += every) {
      const x0 = (e - 1) * B, x1 = Math.min(n, e * B);
      if (x1 - x0 < B * 0.5) continue;
      out.push({ xref: "x", yref: "paper", x: (x0 + x1) / 2, y: 1, yanchor: "bottom", showarrow: false,
        text: e === 1 ? say("loss.epoch", { n: e }) : String(e), font: { size: 10 } });
    }
    return out;
  }

  // ------------------------------------------------------------------ data panel
  let dataReady = false;
  const dataGd = $("data-plot"), dataCanvas = $("data-overlay"), dataCtx = dataCanvas.getContext("2d");

  function span(values, pad) {
    const lo = Math.min(...values), hi = Math.max(...values);
    const d = hi - lo || Math.abs(hi) || 1;
    return [lo - pad * d, hi + pad * d];
  }

  function drawData() {
    if (!DATA) return Promise.resolve();
    $("data-panel").hidden = false;
    $("data-model").textContent = (DATA.model === "logistic" ? T["data.logisticModel"] : T["data.linearModel"]) + (DATA.best ? ` · ${T["data.best"]}` : "");
    const n = DATA.x.length, logistic = DATA.model === "logistic";
    const w = Math.max(240, $("data-wrap").clientWidth || 380);
    const layout = {
      width: w, height: Math.round(w * 0.78), margin: { l: 44, r: 10, t: 8, b: 38 }, showlegend: false,
      xaxis: { range: span(DATA.x, 0.06), title: { text: T["data.x"], standoff: 4 }, zeroline: false },
      yaxis: logistic ? { range: [-0.12, 1.12], tickvals: [0, 0.5, 1], title: { text: T["data.yLogistic"] }, zeroline: false }
        : { range: span(DATA.y, 0.1), title: { text: T["data.y"] }, zeroline: false },
      hovermode: "closest", dragmode: false, paper_bgcolor: "rgba(0,0,0,0)", plot_bgcolor: "#fbfcfe",
      font: { family: D.style.font, size: 11, color: "#475467" },
    };
    const points = { type: "scatter", mode: "markers", x: DATA.x, y: DATA.y,
      marker: { size: n > 2000 ? 3 : n > 300 ? 5 : 7, color: "rgba(29,36,51,0.55)" },
      hovertemplate: "x = %{x:.4g}<br>y = %{y:.4g}<extra></extra>" };
    return Plotly.newPlot(dataGd, [points], layout, { displayModeBar: false, responsive: false, doubleClick: false }).then(() => {
      const dpr = window.devicePixelRatio || 1;
      dataCanvas.style.width = `${dataGd.clientWidth}px`;
      dataCanvas.style.height = `${dataGd.clientHeight}px`;
      dataCanvas.width = Math.round(dataGd.clientWidth * dpr);
      dataCanvas.height = Math.round(dataGd.clientHeight * dpr);
      dataReady = true;
    });
  }

  function modelPoints(wb, x0, x1) {
    if (DATA.model !== "logistic") return [[x0, wb[0] * x0 + wb[1]], [x1, wb[0] * x1 + wb[1]]];
    const out = [];
    for (let i = 0; i <= 160; i++) {
      const x = x0 + ((x1 - x0) * i) / 160, z = wb[0] * x + wb[1];
      out.push([x, z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z))]);
    }
    return out;
  }

  const drawnLines = [];
  function paintData() {
    if (!DATA || !dataReady) return;
    const fl = dataGd._fullLayout, xa = fl.xaxis, ya = fl.yaxis, dpr = window.devicePixelRatio || 1;
    dataCtx.setTransform(1, 0, 0, 1, 0, 0);
    dataCtx.clearRect(0, 0, dataCanvas.width, dataCanvas.height);
    dataCtx.setTransform(dpr, 0, 0, dpr, 0, 0);
    dataCtx.save();
    dataCtx.beginPath();
    dataCtx.rect(xa._offset, ya._offset, xa._length, ya._length);
    dataCtx.clip();
    const px = (x) => xa._offset + xa.l2p(x);
    // Far outside the plot (a run that diverged) a line is cut where the canvas draws it.
    const py = (y) => Math.max(-1e5, Math.min(1e5, ya._offset + ya.l2p(y)));
    const [x0, x1] = xa.range;
    const line = (pts, color, width) => {
      dataCtx.beginPath();
      pts.forEach(([x, y], i) => (i ? dataCtx.lineTo(px(x), py(y)) : dataCtx.moveTo(px(x), py(y))));
      dataCtx.strokeStyle = color;
      dataCtx.lineWidth = width;
      dataCtx.stroke();
    };
    if (DATA.best) {
      dataCtx.setLineDash([6, 5]);
      line(modelPoints(DATA.best, x0, x1), "rgba(29,36,51,0.55)", 1.4);
      dataCtx.setLineDash([]);
    }
    drawnLines.length = 0;
    for (const run of runs()) {
      const path = run.path, last = path.length - 1;
      if (last < 0) continue;
      const end = run.escaped_at != null ? Math.min(run.escaped_at, last) : last;
      const k = Math.max(0, Math.min(state.k, end)), whole = Math.floor(k), frac = k - whole;
      const a = path[whole];
      const wb = whole < end && frac > 0 ? [a[0] + (path[whole + 1][0] - a[0]) * frac, a[1] + (path[whole + 1][1] - a[1]) * frac] : a;
      const pts = modelPoints(wb, x0, x1);
      line(pts, "rgba(255,255,255,0.85)", 5);
      line(pts, run.color, 2.4);
      drawnLines.push({ color: run.color, step: whole, w: wb[0], b: wb[1], from: pts[0], to: pts[pts.length - 1] });
    }
    dataCtx.restore();
    $("data-title").textContent = say("data.title", { k: Math.round(state.k) });
  }

  function moveLossMarker() {
    const k = Math.round(state.k);
    if (k === lossStep || lossTimer) return;
    lossTimer = setTimeout(() => {
      lossTimer = 0;
      lossStep = Math.round(state.k);
      Plotly.relayout(lossDiv, { "shapes[0].x0": lossStep, "shapes[0].x1": lossStep });
    }, 60);
  }

  // ------------------------------------------------------------------ legend, readout
  function legend() {
    const body = $("legend-body");
    body.textContent = "";
    for (const run of runs()) {
      const tr = body.insertRow();
      const name = tr.insertCell();
      const sw = document.createElement("span");
      sw.className = "swatch";
      sw.style.background = run.color;
      name.append(sw, document.createTextNode(run.label));
      if (run.reason) {
        const why = document.createElement("div");
        why.className = "reason";
        why.textContent = run.reason;
        name.append(why);
      }
      const status = tr.insertCell();
      const loss = tr.insertCell();
      loss.className = "num";
      run.cells = { status, loss };
    }
    readout();
  }

  function readout() {
    const k = Math.round(state.k);
    $("readout").textContent = say("player.stepOf", { k, n: maxStep() });
    $("scrub").value = String(k);
    for (const run of runs()) {
      if (!run.cells) continue;
      const j = Math.min(k, run.path.length - 1);
      run.cells.loss.textContent = fmt(run.loss[j]);
      let text, kind = "";
      if (run.status === "diverged" && k >= run.steps_done) {
        text = say("status.diverged", { k: run.steps_done + 1 });
        kind = "diverged";
      } else if (run.escaped_at != null && k >= run.escaped_at) {
        text = say("status.escaped", { k: run.escaped_at });
      } else {
        text = k >= run.steps_done ? T["status.finished"] : T["status.running"];
      }
      run.cells.status.textContent = text;
      run.cells.status.className = kind;
    }
  }

  // ------------------------------------------------------------------ the clock
  function render() {
    paint();
    paintData();
    readout();
    moveLossMarker();
  }

  function tick(now) {
    if (!state.playing) return;
    const dt = Math.max(0, Math.min(0.1, (now - state.last) / 1000));
    state.last = now;
    state.k = Math.min(maxStep(), state.k + dt * baseRate(maxStep()) * state.speed);
    if (state.k >= maxStep()) stop();
    render();
    if (state.playing) requestAnimationFrame(tick);
  }

  function play() {
    if (maxStep() <= 0) return;
    if (state.k >= maxStep()) state.k = 0;
    state.playing = true;
    state.last = performance.now();
    $("play").textContent = T["player.pause"];
    requestAnimationFrame(tick);
  }

  function stop() {
    state.playing = false;
    $("play").textContent = T["player.play"];
  }

  function seek(k) {
    state.k = Math.max(0, Math.min(maxStep(), Number(k) || 0));
    render();
  }

  function setVariant(i) {
    if (!(i >= 0 && i < D.variants.length)) return Promise.resolve();
    state.variant = i;
    $("lr-value").textContent = `lr = ${fmt(D.variants[i].lr)}`;
    $("lr").value = String(i);
    legend();
    return drawLoss().then(render);
  }

  // ------------------------------------------------------------------ wiring
  $("play").addEventListener("click", () => (state.playing ? stop() : play()));
  $("scrub").max = String(maxStep());
  $("scrub").addEventListener("input", (ev) => { stop(); seek(Number(ev.target.value)); });
  const speedSel = $("speed");
  for (const s of SPEEDS) {
    const o = document.createElement("option");
    o.value = String(s);
    o.textContent = `${s}×`;
    if (s === 1) o.selected = true;
    speedSel.append(o);
  }
  speedSel.addEventListener("change", () => { state.speed = Number(speedSel.value) || 1; });
  if (D.variants.length > 1) {
    $("lr-bar").hidden = false;
    $("lr").max = String(D.variants.length - 1);
    $("lr").addEventListener("input", (ev) => setVariant(Number(ev.target.value)));
  }
  document.addEventListener("keydown", (ev) => {
    if (ev.target.closest && ev.target.closest("button, input, select")) return;
    if (ev.key === " ") { ev.preventDefault(); state.playing ? stop() : play(); }
    if (ev.key === "j" || ev.key === "J") { stop(); seek(Math.round(state.k) - 1); }
    if (ev.key === "l" || ev.key === "L") { stop(); seek(Math.round(state.k) + 1); }
  });
  window.addEventListener("resize", () => {
    if (!state.ready) return;
    Plotly.relayout(gd, plotSize()).then(() => { sizeCanvas(); paint(); });
  });

  window.__optplayExport = {
    ready: () => state.ready,
    step: () => state.k,
    max: maxStep,
    playing: () => state.playing,
    play, pause: stop, seek,
    variant: () => state.variant,
    variants: () => D.variants.length,
    setVariant,
    runs: () => runs().map((r) => ({ label: r.label, status: r.status, steps_done: r.steps_done, lr: D.variants[state.variant].lr, events: r.events || [] })),
    paths: () => runs().map((r) => r.path.map((p) => [...p])),
    dataLines: () => drawnLines.map((d) => ({ ...d })),
    lossShapes: () => (lossDiv.layout?.shapes || []).map((s) => ({ type: s.type, x0: s.x0, x1: s.x1 })),
  };

  drawContour().then(drawData).then(() => {
    sizeCanvas();
    gd.on("plotly_relayout", paint);
    gd.on("plotly_afterplot", paint);
    setVariant(state.variant).then(() => {
      lossDiv.on("plotly_click", (ev) => { if (ev.points && ev.points.length) { stop(); seek(ev.points[0].x); } });
      state.ready = true;
      render();
      // Asked for less motion: the finished race, no autoplay (Play still plays it).
      if (window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches) seek(maxStep());
      else if (D.autoplay) play();
    });
  });
})();
