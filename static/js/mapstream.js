// Map requests over WebSocket /api/v1/map/stream: the grid first, then blocks of rows as
// the server computes them, then done. A new request cancels the one in flight (the
// server stops it within a few steps), and replies tagged with an older id are dropped.
// Closing the socket stops the server's work too, which is how map mode switches off.
// Where WebSockets never get through, POST /api/v1/map answers the whole map at once.

const PATH = "/api/v1/map";
const CELL_FIELDS = ["final", "final_loss", "minimum", "steps_to_min", "diverged"];

export class MapStream {
  /** handlers: {onHeader(msg), onRows(msg), onDone(msg), onError(detail)}; each gets
   *  only messages of the newest request. */
  constructor(handlers) {
    this.handlers = handlers;
    this.nextId = 1;
    this.current = null; // {id, body, sent, finished}
    this.ws = null;
    this.failures = 0;
    this.useHttp = !("WebSocket" in window);
  }

  /** Send a map request; returns its id. */
  send(body) {
    const req = { id: this.nextId++, body, sent: false, finished: false };
    this.current = req;
    if (this.useHttp) {
      this.post(req);
    } else if (this.ws && this.ws.readyState === WebSocket.OPEN) {
      this.transmit(req);
    } else if (!this.ws) {
      this.connect();
    }
    return req.id;
  }

  /** Forget the request in flight and close the socket, so the server stops computing. */
  stop() {
    this.current = null;
    const ws = this.ws;
    this.ws = null;
    if (ws) ws.close();
  }

  transmit(req) {
    req.sent = true;
    this.ws.send(JSON.stringify({ id: req.id, ...req.body }));
  }

  connect() {
    const url = `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}${PATH}/stream`;
    const ws = new WebSocket(url);
    this.ws = ws;
    ws.onopen = () => {
      this.failures = 0;
      const req = this.current;
      if (req && !req.finished && !req.sent) this.transmit(req);
    };
    ws.onmessage = (ev) => this.receive(ev.data);
    ws.onclose = () => {
      if (this.ws !== ws) return;
      this.ws = null;
      const req = this.current;
      if (!req || req.finished) return;
      this.failures += 1;
      if (this.failures >= 3) {
        // A proxy that refuses WebSockets: plain HTTP from now on.
        this.useHttp = true;
        this.post(req);
        return;
      }
      req.sent = false;
      setTimeout(() => {
        if (this.current === req && !this.ws) this.connect();
      }, 250 * 2 ** this.failures);
    };
  }

  receive(text) {
    const msg = parseOrNull(text);
    const req = this.current;
    if (!msg || !req || msg.id !== req.id || req.finished) return;
    const h = this.handlers;
    if (msg.error) {
      req.finished = true;
      h.onError(msg.error.detail || [{ loc: [], msg: String(msg.error) }]);
    } else if (msg.done) {
      req.finished = true;
      h.onDone(msg);
    } else if (msg.rows) {
      h.onRows(msg);
    } else if (msg.shape) {
      h.onHeader(msg);
    }
  }

  async post(req) {
    let res, body;
    try {
      res = await fetch(PATH, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(req.body),
      });
      body = await res.json();
    } catch (e) {
      if (this.current === req) this.handlers.onError([{ loc: [], msg: String(e.message || e) }]);
      return;
    }
    if (this.current !== req) return;
    req.finished = true;
    if (!res.ok) {
      this.handlers.onError(Array.isArray(body.detail) ? body.detail : [{ loc: [], msg: `HTTP ${res.status}` }]);
      return;
    }
    // The whole answer, replayed as the stream would send it.
    const header = { progress: 0 };
    const rows = { rows: [0, body.shape[0]], progress: 1 };
    for (const [k, v] of Object.entries(body)) (CELL_FIELDS.includes(k) ? rows : header)[k] = v;
    this.handlers.onHeader(header);
    this.handlers.onRows(rows);
    this.handlers.onDone({ done: true, cached: false });
  }
}

function parseOrNull(text) {
  try {
    return JSON.parse(text);
  } catch (e) {
    return null; // not JSON: nothing the server sends, so nothing to act on
  }
}
