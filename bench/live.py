"""Live feel, measured in headless Chromium against a real uvicorn on loopback.

    python bench/live.py [--runs 3] [--moves 30] [--before DIR] [--only load,slider,...] [--no-memo]

The server remembers finished runs (app/engine/memo.py): a slider's move steps only the
run it changed, and every move here sets a value no earlier move set. `--no-memo` serves
with that memory off (every run of every request stepped), as when a move changes them
all (steps, surface, start).

`--before DIR` also serves another checkout (e.g. `git archive <commit> | tar -x -C DIR`)
and measures both in the same sitting, alternating, so a busy shared machine weighs on
both alike; the last column is after / before.

Scenarios (each printed with the median over every run and move; p95 where it says):
- load: navigation of the 4 x 1000-step scene in a cold browser, then a second visit in
  the same browser (warm cache): every resource (bytes on the wire, when it ended),
  script evaluation per script (Chromium's trace), DOMContentLoaded, first contour on
  screen, first path on screen, every path complete; what the second visit asked the
  server for.
- slider: moves of an lr slider on that scene. "redrawn" = from the `input` event to the
  end of the first frame drawn after every run's new path has arrived (targets: median
  <= 50 ms, p95 <= 100 ms); "first pixel" = to the end of the first frame that shows a
  changed pixel of the paths; "settled" = until the last chart redraw the move caused
  (the inspector's too, and "state answer handled" when the page asks for the optimizer's
  state in a request of its own after the paths). Broken down: the input
  handler, the wait before the request goes out, server compute, encode and the
  socket's deflate (the same request timed in-process), the wait for the first and the last message (transfer and
  queueing beyond the compute), message handling (JSON parse apart), each Plotly graph's
  redraws, the page's animation-frame callbacks (canvas paint).
- default: the same on the default scene "/" (first pixel target <= 30 ms).
- inspector: 4 x 2000 steps with the inspector open (target <= 80 ms).
- drag: an lr slider dragged at 60 input events a second for 3 s while 4 x 10,000-step
  computations are in flight: frame gaps (a smooth page keeps them near 16 ms) and the
  longest main-thread task, and from the last input to the final paths.

Timing is read from outside the page (bench/live_probe.js wraps WebSocket, JSON.parse,
Plotly and requestAnimationFrame), so the same bench measures any version of the page.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.conftest import LiveServer  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
PROBE = (Path(__file__).parent / "live_probe.js").read_text(encoding="utf-8")
SCENE = ("/?s=rosenbrock&steps={steps}&o=adam(lr=0.01)&o=sgd(lr=0.0005;momentum=0.9)"
         "&o=rmsprop(lr=0.003)&o=adagrad(lr=0.1)")
SCENES = {
    "slider": SCENE.format(steps=1000),
    "default": "/",
    "inspector": SCENE.format(steps=2000) + "&insp=1",
    "drag": SCENE.format(steps=10000),
}
SLIDER = "#rows .row-card [data-param='lr'] input[type=range]"

READY = """() => window.__optplay && window.__optplay.idle() && window.__optplay.done() > 0 &&
  window.__optplay.paths().every(p => p.length > 1)"""

# The paths' canvas, shrunk to 160 x 120: enough to see a path move, cheap to read.
PIXELS = """(() => {
  const P = window.__probe;
  P.thumb = P.thumb || Object.assign(document.createElement("canvas"), { width: 160, height: 120 });
  P.pixels = () => {
    const src = document.querySelector("#contour canvas.plot-overlay");
    const ctx = P.thumb.getContext("2d", { willReadFrequently: true });
    ctx.clearRect(0, 0, 160, 120);
    if (src && src.width) ctx.drawImage(src, 0, 0, 160, 120);
    const d = ctx.getImageData(0, 0, 160, 120).data;
    let h = 0;
    for (let i = 0; i < d.length; i += 1) h = (h * 31 + d[i]) | 0;
    return h;
  };
})()"""

# One move: set the slider, fire `input`, and resolve with the times (ms from the
# event) of: the handler's return; the end of the first frame that shows a changed pixel
# of the paths; the end of the first frame begun after the last message of the request
# the move sent (its handler asks for that frame, which paints every path complete; a
# page that asks for the optimizer's state in a request of its own after the paths gets
# it in "settled"); quiet. A frame's end is
# when a task queued in its animation-frame callbacks at the highest priority runs
# (scheduler.postTask "user-blocking": ahead of whatever else the page queued then).
MOVE = """async ({ value, quietMs }) => {
  const h = window.__optplay, P = window.__probe;
  const raf = P.rawRAF;
  const slider = document.querySelector(SLIDER_SEL);
  const before = h.done();
  const base = P.pixels();
  const marks = { plotly: P.plotly.length, raf: P.raf.length, msgs: P.msgs.length, sends: P.sends.length };
  const t0 = performance.now();
  slider.value = String(value);
  slider.dispatchEvent(new Event("input", { bubbles: true }));
  const handler = performance.now() - t0;
  let pixel = null, redrawn = null, doneBefore = false;
  const lastMessage = () => {
    const sent = P.sends.slice(marks.sends)[0];
    const m = P.msgs.slice(marks.msgs).filter((x) => x.kind !== "chunk" && (!sent || x.id === sent.id));
    return m.length ? m[m.length - 1].t1 : null;
  };
  const answered = () => {
    const sent = P.sends.slice(marks.sends)[0];
    return h.done() > before || (Boolean(sent) && P.msgs.slice(marks.msgs).some((x) => x.id === sent.id));
  };
  const first = (fn) => (window.scheduler?.postTask ? scheduler.postTask(fn, { priority: "user-blocking" }) : setTimeout(fn, 0));
  await new Promise((resolve) => {
    const frame = () => {
      const begun = performance.now();
      first(() => {
        const now = performance.now() - t0;
        // The paths can only change once a message of the move's request is in: until
        // then the canvas is not read (a read costs the page up to 10 ms of its thread).
        if (pixel === null && answered() && P.pixels() !== base) pixel = now;
        const last = lastMessage();
        const done = h.done() > before;
        // (An answer over HTTP has no message: the frame after the one that saw it done.)
        if (redrawn === null && done && (last !== null ? last < begun : doneBefore)) redrawn = now;
        doneBefore = done;
        if ((redrawn !== null && pixel !== null) || now > 20000) return resolve();
        raf(frame);
      });
    };
    raf(frame);
  });
  // Quiet: no new Plotly call, frame callback or message, and every Plotly call done.
  let last = performance.now(), seen = -1;
  while (performance.now() - last < quietMs && performance.now() - t0 < 20000) {
    await new Promise((r) => setTimeout(r, 25));
    const n = P.plotly.length + P.raf.length + P.msgs.length;
    const pending = P.plotly.slice(marks.plotly).some((c) => c.done === null);
    if (n !== seen || pending) { seen = n; last = performance.now(); }
  }
  return { t0, handler, redrawn, pixel, marks };
}""".replace("SLIDER_SEL", json.dumps(SLIDER))


def percentile(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(q * (len(xs) - 1))))] if xs else float("nan")


def median(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else float("nan")


# ------------------------------------------------------------------ slider moves

def breakdown(probe: dict, move: dict) -> dict:
    """One move's costs from the probe's records since the move began (ms)."""
    t0 = move["t0"]
    end = t0 + max(x for x in (move["redrawn"], move["pixel"], 0) if x is not None) + 5000
    sends = [s for s in probe["sends"][move["marks"]["sends"]:] if s["t"] >= t0 - 1]
    send = sends[0] if sends else None    # the paths' request (a state request may follow)
    rid = send["id"] if send else None
    msgs = [m for m in probe["msgs"][move["marks"]["msgs"]:] if m["id"] == rid]
    plotly = [c for c in probe["plotly"][move["marks"]["plotly"]:] if c["t0"] < end]
    rafs = [r for r in probe["raf"][move["marks"]["raf"]:] if r["t0"] < end]
    settled = max([0] + [(c["done"] or c["t0"]) - t0 for c in plotly] + [r["t1"] - t0 for r in rafs]
                  + [m["t1"] - t0 for m in msgs])
    out = {
        "redrawn": move["redrawn"], "first pixel": move["pixel"], "settled": settled,
        "input handler": move["handler"],
        "wait to send": (send["t"] - t0) if send else None,
        "send -> first message": (msgs[0]["t0"] - send["t"]) if msgs and send else None,
        "send -> last message": (msgs[-1]["t0"] - send["t"]) if msgs and send else None,
        "messages": len(msgs), "message KB": sum(m["bytes"] for m in msgs) / 1024,
        "message handling": sum(m["t1"] - m["t0"] for m in msgs),
        "  of which JSON.parse": sum(m["parse"] for m in msgs),
        "frame callbacks (canvas paint)": sum(r["t1"] - r["t0"] for r in rafs),
    }
    graphs = sorted({c["graph"] for c in plotly})
    for g in graphs:
        calls = [c for c in plotly if c["graph"] == g]
        out[f"Plotly {g} ({'/'.join(sorted({c['fn'] for c in calls}))})"] = sum(c["sync"] for c in calls)
    out["Plotly calls"] = len(plotly)
    # A page that asks for the optimizer's state after the paths (the inspector's scene):
    # when that answer was handled.
    later = {s["id"] for s in sends[1:]}
    state = [m for m in probe["msgs"][move["marks"]["msgs"]:] if m["id"] in later and m["kind"] != "chunk"]
    if state:
        out["state answer handled"] = max(m["t1"] for m in state) - t0
    out["_body"] = send["body"] if send else None
    return out


# The golden ratio's fraction: move k's slider position, k counted over the sitting, is a
# value no earlier move had (the server remembers finished runs, app/engine/memo.py: a
# value seen before would be answered without computing anything).
GOLDEN = 0.6180339887498949


def moves_on(page, n: int, quiet_ms: int, first: int = 0) -> list[dict]:
    page.evaluate(PIXELS)
    lo, hi = page.evaluate(f"""() => {{
      const s = document.querySelector({json.dumps(SLIDER)});
      return [Number(s.min), Number(s.max)];
    }}""")
    rows = []
    for i in range(first, first + n):
        value = round(lo + (hi - lo) * (0.3 + 0.2 * (i * GOLDEN % 1)))
        move = page.evaluate(MOVE, {"value": value, "quietMs": quiet_ms})
        probe = page.evaluate("() => ({ sends: __probe.sends, msgs: __probe.msgs, plotly: __probe.plotly, raf: __probe.raf })")
        rows.append(breakdown(probe, move))
    return rows


def open_scene(browser, url: str):
    ctx = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US")
    ctx.add_init_script(PROBE)
    page = ctx.new_page()
    page.set_default_timeout(60_000)
    page.goto(url)
    page.wait_for_function(READY)
    # The race autoplays once: stop at its end, where a user moving a slider looks.
    page.evaluate("() => { const p = window.__optplay.player; p.pause(); p.seek(p.max); }")
    page.wait_for_timeout(300)
    return ctx, page


def slider_scenario(browser, base: str, scene: str, n: int, quiet_ms: int,
                    first: int = 0) -> list[dict]:
    ctx, page = open_scene(browser, base + SCENES[scene])
    try:
        return moves_on(page, n, quiet_ms, first)
    finally:
        ctx.close()


SERVER_SIDE = """
import json, sys, time, statistics
import orjson
from app.engine.request import RunRequest
from app.engine.scene import execute
body = json.loads(sys.stdin.read())
body.pop("id", None)
body.pop("have", None)   # the paths the page held: this computes them all
from app.api.stream import SUMMARY_FIELDS
from websockets.extensions.permessage_deflate import ServerPerMessageDeflateFactory
from websockets.frames import Frame, Opcode
comp, enc, pack = [], [], []
for _ in range(int(sys.argv[1])):
    chunks = []
    req = RunRequest.model_validate(body)
    t = time.perf_counter()
    answer = execute(req, cancelled=lambda: False, on_chunk=lambda i, c: chunks.append({"run": i, **c}))
    comp.append((time.perf_counter() - t) * 1000)
    t = time.perf_counter()
    texts = [orjson.dumps({"id": 1, **c}) for c in chunks]
    runs = [{k: r[k] for k in SUMMARY_FIELDS if k in r} for r in answer["runs"]]   # as the stream ends
    texts.append(orjson.dumps({"id": 1, "done": True, "surface": answer["surface"], "runs": runs},
                              option=orjson.OPT_SERIALIZE_NUMPY))
    enc.append((time.perf_counter() - t) * 1000)
    # permessage-deflate as uvicorn sets it up (its websockets-sansio protocol)
    factory = ServerPerMessageDeflateFactory(server_max_window_bits=12, client_max_window_bits=12,
                                             compress_settings={"memLevel": 5})
    deflate = factory.process_request_params([("client_max_window_bits", None)], [])[1]
    t = time.perf_counter()
    for text in texts:
        deflate.encode(Frame(Opcode.TEXT, text))
    pack.append((time.perf_counter() - t) * 1000)
print(json.dumps([statistics.median(comp), statistics.median(enc), statistics.median(pack)]))
"""


def server_side(body_text: str, checkout: Path, repeats: int = 7) -> dict:
    """The request the page sent, computed and encoded by that checkout's engine in a
    process of its own, as the stream does (orjson per chunk): medians in ms."""
    import subprocess

    # every run stepped at each repeat: none remembered from the one before
    env = {**os.environ, "OPTPLAY_RUN_MEMO_ENTRIES": "0"}
    done = subprocess.run([sys.executable, "-c", SERVER_SIDE, str(repeats)], cwd=checkout,
                          input=body_text, capture_output=True, text=True, timeout=300, env=env)
    if done.returncode != 0:
        return {}
    comp, enc, pack = json.loads(done.stdout)
    return {"server compute, every run (in-process)": comp, "server encode (in-process)": enc,
            "server deflate (in-process)": pack}


# ------------------------------------------------------------------------ drag

DRAG = """async ({ ms }) => {
  const h = window.__optplay, P = window.__probe, raf = P.rawRAF;
  const slider = document.querySelector(SLIDER_SEL);
  const lo = Number(slider.min), hi = Number(slider.max);
  const long = [];
  const obs = new PerformanceObserver((l) => { for (const e of l.getEntries()) long.push(e.duration); });
  try { obs.observe({ type: "longtask" }); } catch (e) { /* not in this browser */ }
  const marks = { plotly: P.plotly.length, sends: P.sends.length };
  const frames = [];
  const t0 = performance.now();
  let i = 0, lastInput = t0;
  await new Promise((resolve) => {
    const tick = (ts) => {
      frames.push(performance.now());
      if (performance.now() - t0 < ms) {
        slider.value = String(lo + (hi - lo) * (0.35 + 0.15 * Math.sin(i++ / 12)));
        slider.dispatchEvent(new Event("input", { bubbles: true }));
        lastInput = performance.now();
        raf(tick);
      } else resolve();
    };
    raf(tick);
  });
  // Final: idle, with no request sent for 150 ms (a send the page's throttle still held
  // at the last input goes out after it).
  let seen = h.requests(), sentAt = performance.now(), idleAt = null;
  await new Promise((resolve) => {
    const poll = () => {
      const now = performance.now();
      if (h.requests() !== seen) { seen = h.requests(); sentAt = now; idleAt = null; }
      if (!h.idle()) idleAt = null;
      else if (idleAt === null) idleAt = now;
      if ((idleAt !== null && now - sentAt > 150) || now - lastInput > 30000) resolve();
      else setTimeout(poll, 5);
    };
    poll();
  });
  const final = idleAt !== null ? idleAt - lastInput : null;
  await new Promise((r) => setTimeout(r, 300));
  obs.disconnect();
  const gaps = frames.slice(1).map((t, j) => t - frames[j]);
  return { gaps, long, final, inputs: i, sends: P.sends.length - marks.sends,
           plotly: P.plotly.length - marks.plotly };
}""".replace("SLIDER_SEL", json.dumps(SLIDER))


def drag_scenario(browser, base: str, seconds: float) -> dict:
    ctx, page = open_scene(browser, base + SCENES["drag"])
    try:
        r = page.evaluate(DRAG, {"ms": seconds * 1000})
    finally:
        ctx.close()
    gaps = r["gaps"]
    return {
        "frame gap median": median(gaps), "frame gap p95": percentile(gaps, 0.95),
        "frame gap max": max(gaps) if gaps else float("nan"),
        "frames over 50 ms": sum(g > 50 for g in gaps),
        "longest task": max(r["long"]) if r["long"] else 0.0,
        "last input -> final paths": r["final"] if r["final"] is not None else float("nan"),
        "requests sent": r["sends"], "Plotly calls": r["plotly"], "inputs": r["inputs"],
    }


# ------------------------------------------------------------------------- load

TRACE_CATEGORIES = ["devtools.timeline", "v8", "disabled-by-default-devtools.timeline"]


def script_eval(trace: bytes, base: str) -> dict[str, float]:
    """Milliseconds of compile + evaluation per script URL of the page (classic and
    module; not the browser's own)."""
    events = json.loads(trace)
    events = events["traceEvents"] if isinstance(events, dict) else events
    out: dict[str, float] = {}
    for e in events:
        if e.get("ph") != "X" or "dur" not in e:
            continue
        name = e.get("name")
        data = (e.get("args") or {}).get("data") or {}
        url = data.get("url") or (e.get("args") or {}).get("fileName") or ""
        if name in ("EvaluateScript", "v8.evaluateModule", "v8.compile", "v8.compileModule") and \
                url.startswith(base):
            key = short(url)
            out[key] = out.get(key, 0.0) + e["dur"] / 1000
    return out


def short(url: str) -> str:
    from urllib.parse import urlsplit

    path = urlsplit(url).path
    return path if len(path) < 60 else "…" + path[-58:]


LOAD_TIMES = """() => {
  const nav = performance.getEntriesByType("navigation")[0];
  const P = window.__probe;
  const done = P.msgs.find((m) => m.kind === "done");
  return {
    dcl: nav.domContentLoadedEventEnd, load: nav.loadEventEnd,
    plotlyReady: P.marks.plotlyReady ?? null, firstContour: P.marks.firstContour ?? null,
    firstPicture: P.marks.firstPicture ?? null,
    firstPath: P.marks.firstPath ?? null, allPaths: done ? done.t1 : null,
    contourDraw: P.plotly.filter((c) => c.graph === "contour").reduce((a, c) => a + c.sync, 0),
    lossDraw: P.plotly.filter((c) => c.graph === "loss").reduce((a, c) => a + c.sync, 0),
    sent: P.sends.length ? P.sends[0].t : null,
    resources: performance.getEntriesByType("resource").map((r) => ({
      name: r.name, type: r.initiatorType, bytes: r.transferSize, body: r.encodedBodySize,
      start: r.startTime, end: r.responseEnd })),
  };
}"""


def one_load(ctx, url: str, trace_browser=None) -> dict:
    page = ctx.new_page()
    page.set_default_timeout(60_000)
    cdp = ctx.new_cdp_session(page)
    cdp.send("Network.enable")
    wire = {"bytes": 0, "asked": [], "cached": set()}
    cdp.on("Network.loadingFinished", lambda e: wire.__setitem__("bytes", wire["bytes"] + e["encodedDataLength"]))
    cdp.on("Network.requestServedFromCache", lambda e: wire["cached"].add(e["requestId"]))
    reqs = {}
    cdp.on("Network.requestWillBeSent", lambda e: reqs.__setitem__(e["requestId"], e["request"]["url"]))
    cdp.on("Network.responseReceived", lambda e: wire["asked"].append(
        (e["requestId"], e["response"]["url"], e["response"]["status"],
         e["response"].get("fromDiskCache") or e["response"].get("fromPrefetchCache"))))
    if trace_browser:
        trace_browser.start_tracing(page=page, categories=TRACE_CATEGORIES)
    page.goto(url)
    page.wait_for_function(READY)
    page.wait_for_timeout(200)
    times = page.evaluate(LOAD_TIMES)
    evals = script_eval(trace_browser.stop_tracing(), url.split("/?")[0]) if trace_browser else {}
    page.close()
    server_hits = [(u, s) for rid, u, s, disk in wire["asked"] if not disk and rid not in wire["cached"]]
    return {**times, "wire": wire["bytes"], "evals": evals, "server_hits": server_hits}


def warm_server(browser, base: str) -> None:
    """One unmeasured visit: the server's first answers (imports, compressed forms) are
    made before a measured "cold browser" asks; the browser cache is not shared."""
    ctx = browser.new_context()
    try:
        page = ctx.new_page()
        page.goto(base + SCENES["slider"])
        page.wait_for_function(READY, timeout=60_000)
    finally:
        ctx.close()


def load_scenario(browser, base: str) -> dict:
    ctx = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US")
    ctx.add_init_script(PROBE)
    try:
        cold = one_load(ctx, base + SCENES["slider"], trace_browser=browser)
        warm = one_load(ctx, base + SCENES["slider"])
    finally:
        ctx.close()
    return {"cold": cold, "warm": warm}


def summarize_loads(loads: list[dict]) -> list[tuple[str, float]]:
    rows = []
    for visit in ("cold", "warm"):
        vs = [x[visit] for x in loads]
        for key, label in (("dcl", "DOMContentLoaded"), ("plotlyReady", "Plotly ready"),
                           ("firstPicture", "picture of the surface (before Plotly)"),
                           ("firstContour", "first contour on screen"),
                           ("contourDraw", "  contour's Plotly calls"), ("sent", "run request sent"),
                           ("firstPath", "first path on screen"), ("allPaths", "every path complete"),
                           ("lossDraw", "  loss chart's Plotly calls")):
            rows.append((f"{visit}: {label} (ms)", median([v[key] for v in vs])))
        rows.append((f"{visit}: transferred (KiB, compressed)", median([v["wire"] / 1024 for v in vs])))
        rows.append((f"{visit}: requests reaching the server", median([len(v["server_hits"]) for v in vs])))
    return rows


def print_resources(loads: list[dict], title: str) -> None:
    print(f"\n  {title}: resources of the cold load (median over runs)")
    names: dict[str, list] = {}
    for x in loads:
        for r in x["cold"]["resources"]:
            names.setdefault(short(r["name"]), []).append(r)
    evals: dict[str, list] = {}
    for x in loads:
        for k, v in x["cold"]["evals"].items():
            evals.setdefault(k, []).append(v)
    print(f"  {'resource':60} {'KiB':>7} {'start':>7} {'end':>7} {'eval ms':>8}")
    for name, rs in sorted(names.items(), key=lambda kv: median([r["end"] for r in kv[1]])):
        ev = median(evals.get(name, [None]))
        print(f"  {name:60} {median([r['bytes'] for r in rs]) / 1024:7.1f} {median([r['start'] for r in rs]):7.0f} "
              f"{median([r['end'] for r in rs]):7.0f} {ev:8.1f}")
    rest = {k: v for k, v in evals.items() if k not in names}
    for k, v in rest.items():
        print(f"  {k:60} {'':7} {'':7} {'':7} {median(v):8.1f}")
    hits = loads[-1]["warm"]["server_hits"]
    print(f"  second visit asked the server for: {[short(u) + ' ' + str(s) for u, s in hits]}")


# ------------------------------------------------------------------------ main

def summarize_moves(rows: list[dict]) -> list[tuple[str, float]]:
    keys: list[str] = []
    for r in rows:
        keys += [k for k in r if k not in keys and not k.startswith("_")]
    out = []
    for k in keys:
        vals = [r.get(k) for r in rows]
        out.append((k, median(vals)))
        if k in ("redrawn", "first pixel", "settled"):
            out.append((f"{k} p95", percentile([v for v in vals if v is not None], 0.95)))
    return out


def print_table(title: str, cols: dict[str, list[tuple[str, float]]]) -> None:
    names = list(cols)
    print(f"\n{title}")
    keys: list[str] = []
    for rows in cols.values():
        keys += [k for k, _ in rows if k not in keys]
    head = "".join(f"{n:>12}" for n in names) + ("    after/before" if len(names) == 2 else "")
    print(f"  {'':44}{head}")
    for k in keys:
        vals = [dict(cols[n]).get(k) for n in names]
        line = "".join(f"{v:12.1f}" if isinstance(v, (int, float)) else f"{'':>12}" for v in vals)
        if len(vals) == 2 and all(isinstance(v, (int, float)) and v == v for v in vals) and vals[0]:
            line += f"    {vals[1] / vals[0]:.2f}"
        print(f"  {k:44}{line}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=3, help="fresh pages per scenario and checkout")
    ap.add_argument("--moves", type=int, default=20, help="slider moves per run")
    ap.add_argument("--quiet", type=int, default=400, help="ms without activity that end a move")
    ap.add_argument("--before", type=Path, help="another checkout to measure in the same sitting")
    ap.add_argument("--only", default="load,slider,default,inspector,drag")
    ap.add_argument("--no-memo", action="store_true",
                    help="servers that step every run of every request (OPTPLAY_RUN_MEMO_ENTRIES=0)")
    args = ap.parse_args()
    only = args.only.split(",")
    from playwright.sync_api import sync_playwright

    checkouts = {"after": ROOT} if not args.before else {"before": args.before.resolve(), "after": ROOT}
    env = {"OPTPLAY_RUN_MEMO_ENTRIES": "0"} if args.no_memo else None
    servers = {name: LiveServer(cwd=path, env=env) for name, path in checkouts.items()}
    load0 = os.getloadavg()
    t_start = time.monotonic()
    results: dict[str, dict[str, list]] = {name: {s: [] for s in only} for name in checkouts}
    try:
        with sync_playwright() as p:
            for run in range(args.runs):
                for name, server in servers.items():
                    # A fresh browser per run and checkout: nothing cached across them.
                    browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
                    try:
                        if run == 0:
                            warm_server(browser, server.url)
                        for s in only:
                            if s == "load":
                                results[name][s].append(load_scenario(browser, server.url))
                            elif s == "drag":
                                results[name][s].append(drag_scenario(browser, server.url, 3.0))
                            else:
                                results[name][s] += slider_scenario(browser, server.url, s, args.moves,
                                                                    args.quiet, run * args.moves)
                            print(f"  {name}: {s} done ({time.monotonic() - t_start:.0f} s)", file=sys.stderr, flush=True)
                    finally:
                        browser.close()
                print(f"run {run + 1}/{args.runs} done ({time.monotonic() - t_start:.0f} s)", file=sys.stderr)
    finally:
        for server in servers.values():
            server.stop()
    load1 = os.getloadavg()
    print(f"Chromium headless, 1280x900, uvicorn on loopback; {args.runs} runs per checkout; "
          f"{'every run stepped at every move; ' if args.no_memo else ''}"
          f"load average {load0[0]:.2f} at start, {load1[0]:.2f} at end, {os.cpu_count()} cores")

    if "load" in only:
        print_table("First load: 4 x 1000-step scene (medians)",
                    {n: summarize_loads(results[n]["load"]) for n in checkouts})
        for n in checkouts:
            print_resources(results[n]["load"], n)
    for s, title in (("slider", "Slider move, 4 runs x 1000 steps"), ("default", "Slider move, default scene"),
                     ("inspector", "Slider move, 4 runs x 2000 steps, inspector open")):
        if s not in only:
            continue
        cols = {}
        for n in checkouts:
            rows = results[n][s]
            body = next((r["_body"] for r in reversed(rows) if r["_body"]), None)
            server = list(server_side(body, checkouts[n]).items()) if body else []
            moves = summarize_moves(rows)
            cols[n] = moves[:6] + server + moves[6:]
        print_table(f"{title}: ms from the input event, medians of {len(results[n][s])} moves", cols)
    if "drag" in only:
        cols = {n: [(k, median([r[k] for r in results[n]["drag"]])) for k in results[n]["drag"][0]]
                for n in checkouts}
        print_table("Drag for 3 s while 4 x 10,000-step computations are in flight (ms; medians of runs)", cols)


if __name__ == "__main__":
    main()
