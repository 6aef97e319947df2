"""Live feel, measured in headless Chromium against a real uvicorn on loopback.

    python bench/live.py [--moves 40]

- slider input -> redrawn path: median and 95th percentile, 4 optimizers x 1000 steps
  (from the `input` event on an lr slider to the first animation frame after every
  run's new path has arrived);
- navigation -> first drawn path;
- bytes transferred for the first load (compressed, as on the wire; WebSocket frames
  not included).
Targets: median <= 50 ms, p95 <= 100 ms; first path < 1 s.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.conftest import LiveServer  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
SCENE = ("/?s=rosenbrock&steps=1000&o=adam(lr=0.01)&o=sgd(lr=0.0005;momentum=0.9)"
         "&o=rmsprop(lr=0.003)&o=adagrad(lr=0.1)")

# Move the first lr slider to a new position and resolve with the milliseconds until
# a frame is painted after every run has its new path.
MOVE = """async (value) => {
  const h = window.__optplay;
  const slider = document.querySelector("#rows .row-card [data-param='lr'] input[type=range]");
  const before = h.done();
  const t0 = performance.now();
  slider.value = String(value);
  slider.dispatchEvent(new Event("input", { bubbles: true }));
  await new Promise((resolve) => {
    const tick = () => (h.done() > before && h.idle()) ? resolve() : requestAnimationFrame(tick);
    requestAnimationFrame(tick);
  });
  await new Promise((r) => requestAnimationFrame(r));
  return performance.now() - t0;
}"""


def percentile(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(q * (len(xs) - 1))))]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--moves", type=int, default=40)
    args = ap.parse_args()
    from playwright.sync_api import sync_playwright

    server = LiveServer()
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            cdp = page.context.new_cdp_session(page)
            cdp.send("Network.enable")
            wire = [0]
            cdp.on("Network.loadingFinished", lambda e: wire.__setitem__(0, wire[0] + e["encodedDataLength"]))
            page.goto(server.url + SCENE)
            page.wait_for_function("() => window.__optplay && window.__optplay.idle() && "
                                   "window.__optplay.paths().every(p => p.length > 1)")
            first = page.evaluate("() => performance.now()")
            page.wait_for_timeout(500)
            times = []
            slider_range = page.evaluate("""() => {
              const s = document.querySelector("#rows .row-card [data-param='lr'] input[type=range]");
              return [Number(s.min), Number(s.max)];
            }""")
            lo, hi = slider_range
            for i in range(args.moves):
                value = lo + (hi - lo) * (0.3 + 0.2 * ((i * 7) % 10) / 10)
                times.append(page.evaluate(MOVE, value))
            browser.close()
    finally:
        server.stop()
    print(f"slider input -> redrawn path (4 optimizers x 1000 steps, {len(times)} moves): "
          f"median {statistics.median(times):.1f} ms, p95 {percentile(times, 0.95):.1f} ms")
    print(f"navigation -> first drawn paths: {first:.0f} ms")
    print(f"first load transferred (compressed): {wire[0] / 1024:.0f} KiB")


if __name__ == "__main__":
    main()
