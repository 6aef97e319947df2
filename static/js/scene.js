// The scene: state + server + views. It computes what the store schedules (a streamed
// recomputation), fetches grids, keeps the paths as they arrive, and drives the shared
// player. Used by both the full page (main.js) and the embed (embed.js).

import { fetchGrid, StreamClient } from "./api.js";
import { dataSurface, runRequest } from "./state.js";
import { Player } from "./player.js";
import { paintFans, withFans } from "./noise.js";
import { afterPaint } from "./redraws.js";

const SEND_INTERVAL_MS = 45; // ≤ ~22 requests a second while a slider moves (server allows 30)
// While an answer streams in, its pieces are shown at most this often (its first at once).
const PIECE_SHOW_MS = 50;

/** Points per side of the contour's grid: fewer in an embed and on a phone. */
export function gridPoints(embed) {
  return embed || window.innerWidth < 520 ? 90 : 120;
}

/** The reader asked the system for less motion: no race starts by itself, the paths
 *  are shown finished (▶ still plays them). */
export function reducedMotion() {
  return typeof matchMedia === "function" && matchMedia("(prefers-reduced-motion: reduce)").matches;
}

export class Scene {
  /**
   * store: the page's Store (store.js); views: {contour, loss?, readout?, bar?, data?, extra?};
   * hooks: {onErrors?(detail), onConnection?(status), onRuns?(), onStep?(k), onGrid?(grid)
   *   (the contour drawn), onSurface?(grid) (the grid in, before the contour is drawn)}
   */
  constructor({ catalog, store, embed = false, hooks = {} }) {
    this.catalog = catalog;
    this.store = store;
    this.embed = embed;
    this.hooks = hooks;
    this.views = {};
    this.runs = [];
    this.extra = []; // a fan's extra runs (noise.js), after the rows' runs in each request
    this.grid = null;
    this.surface = null;
    this.gridToken = 0;
    this.lastSent = 0;
    this.sendTimer = 0;
    this.pieceOf = null; // streamed pieces: the request last shown, when, and one held back
    this.pieceShownAt = 0;
    this.pieceTimer = 0;
    this.followEnd = false;
    this.playOnData = false;
    this.requests = 0;
    this.doneCount = 0;
    this.maxStateSteps = Infinity; // the server's limit on steps when the state is asked for
    this.player = new Player({
      onStep: (k) => this.showStep(k),
      onState: () => this.views.bar?.update(),
    });
    this.player.setSpeed(this.state.speed || 1);
    this.snapStart = null; // map mode's say in where a click puts the start
    store.onCompute((p) => this.compute(p));
    store.subscribe((info) => this.changed(info));
    this.stream = new StreamClient({
      onChunk: (msg, id) => this.onChunk(msg, id),
      onDone: (msg, id) => this.onDone(msg, id),
      onError: (detail, id) => this.onError(detail, id),
      onStatus: (s) => this.hooks.onConnection?.(s),
    });
  }

  /** The page's state (read-only: change it with this.store.update). */
  get state() {
    return this.store.state;
  }

  attach(views) {
    this.views = views;
    views.contour.layers?.push((ctx, ax, step) => paintFans(ctx, ax, this.fanDescriptors(), step));
    views.contour.onPick = (x, y) => this.pickStart(x, y);
  }

  /** A state change: what the scene itself shows of it (computing is the store's call). */
  changed({ what }) {
    if (["start", "surface", "formula", "data", "model"].some((w) => what.has(w))) this.views.contour?.setStart(this.startPoint());
    if (what.has("look")) this.restyle();
    if (what.has("speed")) this.player.setSpeed(this.state.speed);
    if ((what.has("inspect") || what.has("arrows")) && this.wantsState()) this.askState();
    if (what.has("lang")) {
      for (const v of [this.views.bar, this.views.data, ...(this.views.extra || [])]) v?.relabel();
      this.refreshRuns(true);
      if (this.grid) this.views.contour?.setGrid(this.grid);
    }
  }

  /** A click on the plot: the race starts again from there (from the centre of the
   *  basin map's cell under it, when one is shown), at 4 significant digits. */
  pickStart(x, y) {
    const start = this.snapStart?.(x, y) || [Number(x.toPrecision(4)), Number(y.toPrecision(4))];
    this.store.update({ start }, { restart: true });
  }

  /** The surface the state names, as sent to the server. */
  surfaceSpec() {
    const st = this.state;
    return st.formula ? { expr: st.formula.expr, domain: st.formula.domain } : st.data ? dataSurface(st) : st.surface;
  }

  /** What the data panel draws for a surface spec and the grid's surface: the points,
   *  the model and its best fit; null for a surface that is not from data. */
  dataOf(spec, surface) {
    if (!spec?.data || !surface?.data) return null;
    const points = typeof spec.data === "string" ? this.catalog.dataset(spec.data) : spec.data;
    if (!points?.x) return null;
    return { x: points.x, y: points.y, model: surface.model, best: surface.minima?.[0] || null };
  }

  /** Steps per epoch, ceil(n / batch size), while mini-batches are on; else null. */
  epochSteps() {
    const st = this.state, n = this.surface?.n;
    return st.data && st.batchSize && n ? Math.ceil(n / st.batchSize) : null;
  }

  /** Fetch and draw the grid. Resolves {ok, detail?}; on a 422 nothing changes.
   *  `beforeDraw()`: called once the grid has arrived, before the contour is drawn (the
   *  first run request goes out then, and is computed while Plotly draws). */
  async loadGrid(spec = this.surfaceSpec(), { beforeDraw } = {}) {
    const token = ++this.gridToken;
    const res = await fetchGrid(spec, gridPoints(this.embed));
    if (token !== this.gridToken) return { ok: false, stale: true };
    if (!res.ok) return res;
    this.grid = res.grid;
    this.surface = res.grid.surface;
    beforeDraw?.();
    // The data panel first: it takes its place beside the contour before the contour sizes.
    const data = this.views.data?.setData(this.dataOf(spec, res.grid.surface));
    if (this.views.readout) this.views.readout.wb = Boolean(res.grid.surface.data);
    this.views.contour.start = this.startPoint(); // (drawn on the contour's first picture)
    this.hooks.onSurface?.(res.grid);
    await this.views.contour.setGrid(res.grid);
    await data;
    this.views.contour.setStart(this.startPoint());
    this.hooks.onGrid?.(res.grid);
    return res;
  }

  /** On a built-in surface the catalogue's entry is what its grid will say of it (domain,
   *  start): a race can be computed, and its escapes judged, before the grid is in. True
   *  when the surface is known. */
  knowSurface() {
    const st = this.state;
    if (!this.surface && !st.formula && !st.data) this.surface = this.catalog.surface(st.surface) || null;
    return Boolean(this.surface);
  }

  startPoint() {
    return this.state.start || this.surface?.start || [0, 0];
  }

  // ------------------------------------------------------------------ computing

  /** Recompute every run (throttled: the newest state always goes out last). */
  compute({ restart = false } = {}) {
    if (restart && reducedMotion()) {
      // The finished race at once: the paths arrive drawn to their ends.
      this.playOnData = false;
      this.player.pause();
      this.player.setMax(this.state.steps);
      this.player.seek(this.player.max);
    } else if (restart) {
      this.playOnData = true;
      this.player.pause();
      this.player.seek(0);
    }
    clearTimeout(this.sendTimer);
    const wait = SEND_INTERVAL_MS - (performance.now() - this.lastSent);
    if (wait > 0) {
      this.sendTimer = setTimeout(() => this.send(), wait);
    } else {
      this.send();
    }
  }

  send() {
    this.sendTimer = 0;
    this.lastSent = performance.now();
    this.followEnd = !this.player.playing && this.player.atEnd() && this.player.max > 0;
    const st = this.state;
    const shown = this.pieceTimer ? [] : [...this.runs, ...this.extra];
    const have = this.holdPaths(); // (before the runs follow the rows: a removed row's moved them)
    // Runs follow the rows; a new row gets an empty slot until its path arrives.
    this.runs = st.rows.map((row, i) => this.runs[i] && this.runs[i].row === row ? this.runs[i] : emptyRun(row));
    for (const r of this.runs) r.computing = true;
    this.player.setMax(st.steps);
    this.requests++;
    this.stateFor = null;
    if (!st.rows.length) {
      this.refreshRuns(true);
      this.doneCount++;
      this.hooks.onErrors?.([]);
      return;
    }
    const { body, fans } = withFans(runRequest(st, this.catalog), st.rows);
    this.extra = fans.map((f, j) => {
      const old = this.extra[j];
      return old && old.row === st.rows[f.row] && old.seed === f.seed ? old : { ...emptyRun(st.rows[f.row]), seed: f.seed };
    });
    for (const r of this.extra) r.computing = true;
    // The request goes before the views are told: the server computes while they redraw.
    // The paths alone: the optimizer's state (megabytes for long runs) is asked for in a
    // request of its own once they are in (askState), so a slider's paths are never held
    // up by the inspector.
    this.body = body;
    this.currentId = this.stream.send(body, undefined, have);
    // The same runs with their old paths (a slider moved): the plot's picture is as it
    // was until the new paths come, so it is not painted again meanwhile.
    const kept = [...this.runs, ...this.extra];
    this.refreshRuns(true, { samePaths: kept.length === shown.length && kept.every((r, i) => r === shown[i]) });
  }

  /** While a view shows the optimizer's state: ask for it along the paths on screen
   *  (their request again, with "state": true) once they are complete and no newer
   *  request is on its way. Its answer fills in run.state, run.grad and LBFGS's
   *  run.evals; a newer request on the socket cancels it. */
  askState() {
    if (!this.wantsState() || !this.body || this.sendTimer || this.stateFor === this.currentId) return;
    if ([...this.runs, ...this.extra].some((r) => r.computing || r.failed)) return;
    if (this.runs.every((r) => r.state)) return;
    const forId = this.currentId;
    this.stateFor = forId;
    const ended = () => {
      if (this.stateFor === forId) this.stateFor = null;
    };
    // Sent once the paths' frame is painted: its computation (every step's state, to
    // encode and compress) would take the CPU that frame needs on a small machine.
    afterPaint(() => {
      if (this.currentId === forId && !this.sendTimer) this.sendState(forId, ended);
      else ended();
    });
  }

  sendState(forId, ended) {
    this.stream.send({ ...this.body, state: true }, {
      onChunk: () => {},
      onDone: (msg) => {
        if (this.currentId !== forId) return; // paths since replaced
        (msg.runs || []).forEach((info, i) => {
          const run = this.runAt(i);
          if (!run || run.reqId !== forId) return;
          run.state = info.state || null;
          run.grad = info.grad || null;
          run.evals = info.evals || null;
        });
        this.stateDone = forId;
        ended();
        this.refreshRuns(true);
      },
      // The paths on screen stay right; their state just does not come (the views say "—").
      onError: ended,
    }, this.holdPaths());
  }

  /** The paths the scene holds whole, by the key their answer gave them; their keys go
   *  with the next request, which answers an unchanged run by its key (onChunk's
   *  `same`) instead of sending its path again. */
  holdPaths() {
    this.held = new Map();
    for (const r of [...this.runs, ...this.extra]) {
      if (r.key) this.held.set(r.key, { path: r.path, loss: r.loss, lr: r.lr, batchLoss: r.batchLoss, lrs: r.lrs });
    }
    return [...this.held.keys()];
  }

  /** A state request is on its way for the paths on screen. */
  stateWaiting() {
    return this.stateFor != null && this.stateFor === this.currentId && this.stateDone !== this.stateFor;
  }

  /** The run answering request index i: a row's, or a fan's extra run. */
  runAt(i) {
    return i < this.runs.length ? this.runs[i] : this.extra[i - this.runs.length];
  }

  wantsState() {
    return !this.embed && Boolean(this.state.inspect || this.state.arrows) && this.state.steps <= this.maxStateSteps;
  }

  onChunk(msg) {
    const run = this.runAt(msg.run);
    if (!run) return;
    if (run.reqId !== msg.id) {
      // First piece of a new answer: replace the old path from here on.
      run.reqId = msg.id;
      run.key = null;
      run.path = [];
      run.loss = [];
      run.lr = [];
      run.batchLoss = [];
      run.lrs = [];
      run.evals = null;
      run.status = "ok";
      run.escapedAt = null;
      run.leftAt = null;
      run.stepsDone = null;
      run.state = null;
      run.grad = null;
      run.reason = null;
      run.failed = false;
    }
    if (msg.same) {
      // The path of a run the page holds (this run's own, or another row's it matches).
      const held = this.held?.get(msg.same);
      if (held) {
        for (const name of ["path", "loss", "lr", "batchLoss", "lrs"]) run[name] = held[name].slice();
      }
      this.showPiece(msg.id);
      return;
    }
    const k = msg.start || 0;
    run.path.length = Math.min(run.path.length, k);
    run.loss.length = Math.min(run.loss.length, k);
    pushAll(run.path, msg.path);
    pushAll(run.loss, msg.loss || []);
    if (msg.lr) {
      run.lr.length = Math.min(run.lr.length, k);
      pushAll(run.lr, msg.lr);
    }
    if (msg.batch_loss) {
      run.batchLoss.length = Math.min(run.batchLoss.length, k);
      pushAll(run.batchLoss, msg.batch_loss);
    }
    if (msg.lrs) {
      // Each param group's lr (a run with param groups): [[lr_x, lr_y], ...].
      run.lrs.length = Math.min(run.lrs.length, k);
      pushAll(run.lrs, msg.lrs);
    }
    this.showPiece(msg.id);
  }

  /** The first piece of an answer is shown at once (the first changed pixel); later
   *  ones at most every PIECE_SHOW_MS until its done message shows it all. A slider's
   *  answer comes in a few pieces within a few frames: each frame painted meanwhile
   *  cost the page's thread ~10 ms on a 2-core machine and held up the last piece. A
   *  long run still grows on screen, 20 times a second. */
  showPiece(id) {
    const now = performance.now();
    if (id !== this.pieceOf || now - this.pieceShownAt >= PIECE_SHOW_MS) {
      this.pieceOf = id;
      this.pieceShownAt = now;
      this.refreshRuns(false);
    } else if (!this.pieceTimer) {
      this.pieceTimer = setTimeout(() => {
        this.pieceShownAt = performance.now();
        this.refreshRuns(false);
      }, PIECE_SHOW_MS - (now - this.pieceShownAt));
    }
  }

  onDone(msg) {
    (msg.runs || []).forEach((info, i) => {
      const run = this.runAt(i);
      if (!run) return;
      if (run.reqId !== msg.id) {
        // No chunk at all (e.g. zero steps): the answer is an empty path.
        run.reqId = msg.id;
      }
      run.key = info.key || null;
      run.status = info.status || "ok";
      run.stepsDone = info.steps_done ?? (run.path.length - 1);
      run.path.length = Math.min(run.path.length, run.stepsDone + 1);
      run.loss.length = Math.min(run.loss.length, run.stepsDone + 1);
      run.escapedAt = info.escaped_at ?? localEscape(run.path, this.surface);
      run.leftAt = leftView(run.path, this.surface, run.escapedAt);
      run.computing = false;
      run.state = info.state || null;
      run.grad = info.grad || null;
      run.evals = info.evals || null;
      run.reason = info.diverged_reason || null;
      run.failed = false;
    });
    this.doneCount++;
    this.hooks.onErrors?.([]);
    // (Before the views are told: they keep their state rows while it is on its way.)
    this.askState();
    this.refreshRuns(true);
    if (this.followEnd) this.player.seek(this.player.max);
    if (this.playOnData) {
      this.playOnData = false;
      this.player.play();
    }
  }

  onError(detail) {
    // The paths on screen are the last ones computed, not the new settings': say so
    // rather than call them finished.
    for (const r of [...this.runs, ...this.extra]) {
      r.computing = false;
      r.failed = true;
    }
    this.doneCount++;
    this.hooks.onErrors?.(detail);
    this.refreshRuns(true);
  }

  // ------------------------------------------------------------------- drawing

  /** Run descriptors for the views: the row's look plus the computed data. */
  descriptors() {
    return this.runs.map((run) => ({
      label: this.catalog.rowLabel(run.row),
      color: run.row.color,
      visible: run.row.visible,
      path: run.path,
      loss: run.loss,
      batchLoss: run.batchLoss,
      status: run.status,
      stepsDone: run.stepsDone ?? (run.path.length ? run.path.length - 1 : null),
      escapedAt: run.escapedAt,
      leftAt: run.leftAt,
      computing: run.computing,
      stateComing: !run.state && this.stateWaiting(), // asked for after the paths (askState)
      lr: run.lr,
      lrs: run.lrs.length ? run.lrs : null,
      state: run.state,
      grad: run.grad,
      evals: run.evals,
      scheduler: Boolean(run.row.scheduler),
      // The torch.optim API options the views explain (inspector, lr strip, markers).
      row: run.row,
      reason: run.reason,
      failed: run.failed,
    }));
  }

  /** The fans' extra runs, for noise.js to draw under the paths. */
  fanDescriptors() {
    return this.extra.map((run) => ({ color: run.row.color, visible: run.row.visible, path: run.path, loss: run.loss, escapedAt: run.escapedAt }));
  }

  /** Push the runs to the views; `final` also relabels the table and redraws the chart;
   *  `samePaths`: the runs and their paths are those on screen. */
  refreshRuns(final, { samePaths = false } = {}) {
    clearTimeout(this.pieceTimer); // (what it would have shown is shown now)
    this.pieceTimer = 0;
    const d = this.descriptors();
    this.views.contour.setRuns(d, { paint: !samePaths });
    this.views.loss?.setRuns(d, this.state.steps, { final, epoch: this.epochSteps() });
    this.views.data?.setRuns(d);
    if (final || !this.views.readout?.runs?.length || this.views.readout.runs.length !== d.length) {
      this.views.readout?.setRuns(d);
    } else {
      this.views.readout.runs = d;
    }
    this.views.readout?.update(this.player.k, true);
    for (const v of this.views.extra || []) v.setRuns(d, this.state.steps, { final });
    this.hooks.onRuns?.();
  }

  /** Colour/visibility changed: redraw without recomputing. */
  restyle() {
    this.refreshRuns(true);
  }

  showStep(k) {
    this.views.contour.setStep(k);
    this.views.loss?.setStep(k);
    this.views.data?.setStep(k);
    this.views.readout?.update(k);
    this.views.bar?.update();
    for (const v of this.views.extra || []) v.setStep(k);
    this.hooks.onStep?.(k);
  }

  /** For tests and curious users: read-only views of what is on screen. */
  exposeHooks() {
    const scene = this;
    window.__optplay = {
      get state() { return JSON.parse(JSON.stringify(scene.state)); },
      paths: () => scene.runs.map((r) => r.path.map((p) => [...p])),
      losses: () => scene.runs.map((r) => [...r.loss]),
      lrs: () => scene.runs.map((r) => [...r.lr]),
      batchLosses: () => scene.runs.map((r) => [...(r.batchLoss || [])]),
      epochSteps: () => scene.epochSteps(),
      dataLines: () => (scene.views.data?.drawn || []).map((d) => ({ ...d })),
      groupLrs: () => scene.runs.map((r) => r.lrs.map((v) => [...v])),
      evals: () => scene.runs.map((r) => r.evals && r.evals.map((step) => step.map((p) => [...p]))),
      statuses: () => scene.runs.map((r) => ({ status: r.status, stepsDone: r.stepsDone, escapedAt: r.escapedAt, leftAt: r.leftAt, computing: r.computing, reason: r.reason, failed: r.failed })),
      currentStep: () => scene.player.k,
      playing: () => scene.player.playing,
      requests: () => scene.requests,
      done: () => scene.doneCount,
      idle: () => scene.runs.every((r) => !r.computing) && scene.extra.every((r) => !r.computing) && !scene.stateWaiting()
        && scene.views.contour?.ready !== false,
      fans: () => scene.extra.map((r) => ({ row: scene.state.rows.indexOf(r.row), seed: r.seed, path: r.path.map((p) => [...p]) })),
      hasState: () => scene.runs.length > 0 && scene.runs.every((r) => r.state !== null && r.state !== undefined),
      surface: () => scene.surface,
      // The paths' mapping: Plotly's plot area, or the picture's before plotly.js has run.
      plotArea: () => {
        const ax = scene.views.contour?.axes(), fl = scene.views.contour?.gd._fullLayout;
        return ax && { plotly: Boolean(fl?.xaxis?._length), left: ax.left, top: ax.top, width: ax.width, height: ax.height };
      },
      grid: () => scene.grid && { zmin: scene.grid.zmin, zmax: scene.grid.zmax, logScale: scene.grid.log_scale },
      start: () => scene.startPoint(),
      player: scene.player,
    };
  }
}

function emptyRun(row) {
  return { row, path: [], loss: [], lr: [], lrs: [], batchLoss: [], evals: null, status: "ok", stepsDone: null, escapedAt: null, leftAt: null, computing: true, reqId: null, key: null, state: null, grad: null, reason: null, failed: false };
}

function pushAll(target, items) {
  // push(...items) overflows the stack for very long chunks.
  for (let i = 0; i < items.length; i++) target.push(items[i]);
}

/** The step after which the run stays outside the plot (the surface's domain), or null
 *  if it ends inside: a path that swings out and comes back has not "left". */
function leftView(path, surface, escapedAt) {
  if (!surface || path.length < 2) return null;
  const [[x0, x1], [y0, y1]] = surface.domain;
  const last = escapedAt != null ? Math.min(escapedAt, path.length - 1) : path.length - 1;
  const out = (p) => p[0] < x0 || p[0] > x1 || p[1] < y0 || p[1] > y1;
  if (!out(path[last])) return null;
  let k = last;
  while (k > 0 && out(path[k - 1])) k--;
  return k > 0 ? k : null;
}

/** First step outside the domain padded by 50% (what the server reports as escaped_at). */
function localEscape(path, surface) {
  if (!surface) return null;
  const [[x0, x1], [y0, y1]] = surface.domain;
  const px = (x1 - x0) / 2, py = (y1 - y0) / 2;
  for (let k = 0; k < path.length; k++) {
    const [x, y] = path[k];
    if (x < x0 - px || x > x1 + px || y < y0 - py || y > y1 + py) return k;
  }
  return null;
}
