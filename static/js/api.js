// Talking to the server: catalogue and grid fetches, and the WebSocket stream that
// recomputes the paths while a slider moves. Only same-origin URLs: the page never asks
// another host for anything.

const BASE = "/api/v1";

async function getJSON(path) {
  const res = await fetch(BASE + path, { headers: { accept: "application/json" } });
  if (!res.ok) throw new Error(`${path}: HTTP ${res.status}`);
  return res.json();
}

/** The four catalogues, fetched in parallel; the typeset rules are left out (two thirds
 *  of their bytes): fetchRules() has them, once a rule is opened (rule.js). */
export async function fetchCatalogues() {
  const [o, s, f, d] = await Promise.all([getJSON("/optimizers?math=false"), getJSON("/schedulers?math=false"),
    getJSON("/surfaces"), getJSON("/datasets")]);
  return { optimizers: o.optimizers, schedulers: s.schedulers, surfaces: f.surfaces, datasets: d.datasets };
}

/** Every typeset rule: {optimizers: {id: {rule_mathml, rule_note, rule_note_zh}}, schedulers}. */
export function fetchRules() {
  return getJSON("/rules");
}

const GRID_DIGITS = 5;
let early = null;

/** Ask for a built-in surface's grid before anything else is known (it needs no
 *  catalogue), and read it as soon as it is in: the first fetchGrid of the same grid
 *  takes the answer, read already, so the contour's first picture is painted in the
 *  same task that asks for it (no frame of the page drawn in between). */
export function prefetchGrid(surface, n) {
  const body = JSON.stringify({ surface, n, digits: GRID_DIGITS });
  const answer = fetch(BASE + "/grid", { method: "POST", headers: { "content-type": "application/json" }, body })
    .then(gridAnswer)
    .catch(() => null); // then fetchGrid asks again
  early = { body, answer };
}

/** POST /grid. Resolves {ok: true, grid} or {ok: false, detail: [...]} for a 422.
 *  Five significant digits: the same contour, and the same values in its 4-digit hover
 *  labels (format.js), as the exact grid (the server never rounds onto a tie of a
 *  shorter rounding), in a third of the bytes. */
export async function fetchGrid(surface, n = 120, signal) {
  const body = JSON.stringify({ surface, n, digits: GRID_DIGITS });
  if (early && early.body === body && !signal) {
    const answer = await early.answer;
    early = null;
    if (answer) return answer;
  }
  const res = await fetch(BASE + "/grid", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body,
    signal,
  });
  return gridAnswer(res);
}

async function gridAnswer(res) {
  if (res.ok) return { ok: true, grid: await res.json() };
  let detail = [{ loc: [], msg: `HTTP ${res.status}` }];
  try {
    const body = await res.json();
    if (Array.isArray(body.detail)) detail = body.detail;
  } catch (e) {
    // a body that is not JSON keeps the HTTP status as its message
  }
  return { ok: false, status: res.status, detail };
}

const streamUrl = () => `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}${BASE}/stream`;
let earlySocket = null;

/** Open the stream's socket before anything else is known (the page's first lines), so
 *  that it is open when the first request goes: its open event needs the main thread,
 *  which plotly.js and the page's first drawing keep busy for a while. The first
 *  StreamClient takes it over. */
export function openStream() {
  if ("WebSocket" in window && !earlySocket) earlySocket = new WebSocket(streamUrl());
}

/** The early socket, if it is still connecting or open (once). */
function takeEarlySocket() {
  const ws = earlySocket;
  earlySocket = null;
  return ws && (ws.readyState === WebSocket.CONNECTING || ws.readyState === WebSocket.OPEN) ? ws : null;
}

/**
 * One WebSocket to /api/v1/stream, reconnecting with backoff. `send(body)` tags the
 * request with a fresh id; replies with any other id are stale and dropped (the server
 * also cancels the computation a new request replaces). If the socket cannot be opened
 * at all, requests go to POST /run instead, so the page still works behind proxies that
 * refuse WebSockets.
 */
export class StreamClient {
  constructor({ onChunk, onDone, onError, onStatus }) {
    this.handlers = { onChunk, onDone, onError, onStatus: onStatus || (() => {}) };
    this.nextId = 1;
    this.current = null; // {id, body, finished}
    this.ws = null;
    this.failures = 0;
    this.useHttp = !("WebSocket" in window);
    this.everOpened = false;
    this.http = null;
    this.closed = false;
    if (!this.useHttp) this.connect();
  }

  connect() {
    if (this.closed) return;
    let opened = false;
    const ws = takeEarlySocket() || new WebSocket(streamUrl());
    this.ws = ws;
    const onOpen = () => {
      opened = true;
      this.everOpened = true;
      this.failures = 0;
      this.handlers.onStatus("open");
      // A request made while the socket was connecting goes out now.
      const cur = this.current;
      if (cur && !cur.finished && !cur.viaHttp) ws.send(message(cur));
    };
    if (ws.readyState === WebSocket.OPEN) onOpen(); // the early socket, already open
    else ws.onopen = onOpen;
    ws.onmessage = (ev) => this.receive(ev.data);
    ws.onclose = () => {
      if (this.ws !== ws || this.closed) return;
      this.ws = null;
      this.failures += 1;
      if (!opened && !this.everOpened && this.failures >= 3) {
        // Never got through (a proxy that refuses WebSockets): plain HTTP for good.
        this.useHttp = true;
        this.handlers.onStatus("http");
        if (this.current && !this.current.finished) this.postRun(this.current);
        return;
      }
      this.handlers.onStatus(this.everOpened ? "lost" : "connecting");
      // The request the socket took down with it is answered over HTTP meanwhile.
      const cur = this.current;
      if (cur && !cur.finished && !cur.viaHttp && this.everOpened) this.postRun(cur);
      const delay = Math.min(5000, 250 * 2 ** this.failures);
      setTimeout(() => this.connect(), delay);
    };
  }

  receive(text) {
    let msg;
    try {
      msg = JSON.parse(text);
    } catch (e) {
      return;
    }
    const cur = this.current;
    if (!cur || msg.id !== cur.id) return; // a reply to a request since replaced
    if (msg.error) {
      cur.finished = true;
      cur.on.onError(msg.error.detail || [{ loc: [], msg: String(msg.error) }], cur.id);
    } else if (msg.done) {
      cur.finished = true;
      cur.on.onDone(msg, cur.id);
    } else if (msg.path || msg.same) {
      cur.on.onChunk(msg, cur.id);
    }
  }

  /** Send a run request (it replaces the one in flight); returns its id. `on`: this
   *  request's own {onChunk, onDone, onError}, if not the client's. `have`: the keys of
   *  paths the page holds (their done messages gave them): the socket answers such a
   *  run {run, same: key} instead of its path (HTTP sends every path). */
  send(body, on = this.handlers, have = []) {
    const id = this.nextId++;
    this.current = { id, body, have, finished: false, on };
    if (this.useHttp) {
      this.postRun(this.current);
    } else if (this.ws && this.ws.readyState === WebSocket.OPEN) {
      this.ws.send(message(this.current));
    } else if (this.everOpened) {
      // Reconnecting: don't leave the user waiting for the socket.
      this.postRun(this.current);
    }
    return id;
  }

  async postRun(req) {
    req.viaHttp = true;
    if (this.http) this.http.abort();
    const ctrl = new AbortController();
    this.http = ctrl;
    try {
      const res = await fetch(BASE + "/run", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(req.body),
        signal: ctrl.signal,
      });
      const body = await res.json();
      if (this.current !== req) return;
      req.finished = true;
      if (!res.ok) {
        req.on.onError(body.detail || [{ loc: [], msg: `HTTP ${res.status}` }], req.id);
        return;
      }
      body.runs.forEach((run, i) => req.on.onChunk({ id: req.id, run: i, start: 0, path: run.path, loss: run.loss, lr: run.lr, batch_loss: run.batch_loss }, req.id));
      req.on.onDone({ id: req.id, done: true, surface: body.surface, runs: body.runs }, req.id);
    } catch (e) {
      if (e.name !== "AbortError" && this.current === req) {
        req.finished = true;
        req.on.onError([{ loc: [], msg: String(e.message || e) }], req.id);
      }
    }
  }

  close() {
    this.closed = true;
    if (this.ws) this.ws.close();
  }
}

/** A request as the socket takes it: its id, and the paths the page holds. */
function message({ id, body, have }) {
  return JSON.stringify(have.length ? { id, have, ...body } : { id, ...body });
}
