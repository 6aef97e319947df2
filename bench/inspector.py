"""What "Inside the optimizer" costs, measured in headless Chromium against a real uvicorn.

    python bench/inspector.py [--moves 20]

For 8 optimizers x 2000 steps on Rosenbrock (4 Adam-like with the effective step chart,
4 SGD with momentum and a StepLR), with the inspector closed and then open with the
arrows on:
- animation frames per second while playing (and the worst frame);
- slider input -> every run's new path (and state) arrived and painted: median, p95;
- bytes the server sends over the WebSocket for one computation.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.live import ARGS, CHROMIUM, MOVE, percentile  # noqa: E402
from tests.conftest import LiveServer  # noqa: E402

ROWS = "&".join(
    f"o=adam(lr={0.01 * (i + 1)})" if i % 2 == 0
    else f"o=sgd(lr={0.0003 * (i + 1)};momentum=0.9)&sched{i + 1}=StepLR(step_size=500)"
    for i in range(8))
SCENE = f"/?s=rosenbrock&steps=2000&{ROWS}"

PLAY = """() => new Promise((done) => {
  const h = window.__optplay;
  h.player.seek(0); h.player.setSpeed(1); h.player.play();
  let frames = 0, worst = 0, last = performance.now();
  const t0 = last;
  function frame(now) {
    frames++; worst = Math.max(worst, now - last); last = now;
    if (now - t0 < 2000) requestAnimationFrame(frame);
    else { h.player.pause(); done({fps: frames / ((now - t0) / 1000), worst}); }
  }
  requestAnimationFrame(frame);
})"""


def measure(page, url: str, moves: int) -> dict:
    received: list[int] = []
    page.on("websocket", lambda ws: ws.on("framereceived", lambda payload: received.append(len(payload))))
    page.goto(url)
    page.wait_for_function("() => window.__optplay && window.__optplay.idle() && "
                           "window.__optplay.paths().every(p => p.length > 1)", timeout=60_000)
    page.wait_for_timeout(3000)  # the small charts draw once the state has arrived
    play = page.evaluate(PLAY)
    lo, hi = page.evaluate("""() => {
      const s = document.querySelector("#rows .row-card [data-param='lr'] input[type=range]");
      return [Number(s.min), Number(s.max)];
    }""")
    received.clear()
    times = [page.evaluate(MOVE, lo + (hi - lo) * (0.3 + 0.2 * ((i * 7) % 10) / 10)) for i in range(moves)]
    return {"play": play, "times": times, "bytes": sum(received) / max(1, moves)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--moves", type=int, default=20)
    args = ap.parse_args()
    from playwright.sync_api import sync_playwright

    server = LiveServer()
    results = {}
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            for name, query in (("closed", ""), ("open + arrows", "&insp=1&arrows=1")):
                page = browser.new_page(viewport={"width": 1280, "height": 900})
                results[name] = measure(page, server.url + SCENE + query, args.moves)
                page.close()
            browser.close()
    finally:
        server.stop()
    for name, r in results.items():
        t = r["times"]
        print(f"inspector {name}, 8 optimizers x 2000 steps: playing {r['play']['fps']:.1f} fps "
              f"(worst frame {r['play']['worst']:.0f} ms); slider -> redrawn median "
              f"{statistics.median(t):.0f} ms, p95 {percentile(t, 0.95):.0f} ms; "
              f"{r['bytes'] / 1024:.0f} KiB over the WebSocket per computation")


if __name__ == "__main__":
    main()
