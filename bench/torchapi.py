"""What the torch.optim API lab's views cost the page, in headless Chromium against a real
uvicorn.

    python bench/torchapi.py [--repeats 5]

- LBFGS's closure marks: 2 LBFGS runs x 300 steps on Ackley (12,000 evaluation points), animation frames per second while playing with the inspector open
  (the marks drawn) against closed (no marks), and the worst frame;
- optimizer.state_dict() in the inspector: a scrub (player.seek, which fills the cards
  synchronously) with the state_dict() text open against closed, for 4 Adam runs x 1,000 steps with
  param groups and 2 changes of course, and for the 2 LBFGS runs (their 'al' lists hold
  100 entries a step). Medians of `--repeats` rounds, the ratio open / closed.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.live import ARGS, CHROMIUM  # noqa: E402
from tests.conftest import LiveServer  # noqa: E402

# LBFGS at lr=0.2 on Ackley evaluates 20 times in every step: 6,000 points a run.
LBFGS = "/?s=ackley&steps=300&o=lbfgs(lr=0.2)&o=lbfgs(lr=0.2)"
ADAM = "/?s=himmelblau&steps=1000&" + "&".join(
    f"o=adam(lr={0.01 * (i + 1)})&groups{i + 1}=x,y(lr=0.005)&events{i + 1}=300:keep(lr=0.001),700:reset"
    for i in range(4))

PLAY = """() => new Promise((done) => {
  const h = window.__optplay;
  h.player.seek(0); h.player.setSpeed(1); h.player.play();
  let frames = 0, worst = 0, last = performance.now();
  const t0 = last;
  function frame(now) {
    frames++; worst = Math.max(worst, now - last); last = now;
    if (now - t0 < 2500) requestAnimationFrame(frame);
    else { h.player.pause(); done({fps: frames / ((now - t0) / 1000), worst}); }
  }
  requestAnimationFrame(frame);
})"""

# Milliseconds of one synchronous scrub (seek: the cards, the canvas request), the mean of
# n (one scrub can take less than the timer's resolution).
SCRUB = """(n) => {
  const h = window.__optplay;
  const t0 = performance.now();
  for (let i = 0; i < n; i++) h.player.seek(1 + Math.floor((i * 7919) % (h.player.max - 1)));
  return (performance.now() - t0) / n;
}"""


def ready(page, url: str) -> None:
    page.goto(url)
    page.wait_for_function("() => window.__optplay && window.__optplay.idle() && "
                           "window.__optplay.paths().every(p => p.length > 1)", timeout=120_000)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args()
    from playwright.sync_api import sync_playwright

    server = LiveServer()
    out: dict[str, list[float]] = {}
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            for name, query in (("closed", ""), ("open", "&insp=1")):
                ready(page, server.url + LBFGS + query)
                if query:
                    page.wait_for_function("() => window.__optplay.hasState()", timeout=120_000)
                for _ in range(args.repeats):
                    r = page.evaluate(PLAY)
                    out.setdefault(f"lbfgs fps {name}", []).append(r["fps"])
                    out.setdefault(f"lbfgs worst {name}", []).append(r["worst"])
            marks = page.evaluate("() => { const h = window.__optplay; h.player.seek(h.player.max);"
                                  " return new Promise((r) => requestAnimationFrame(() => r(h.labMarks().evals))); }")
            for scene, url in (("adam", ADAM), ("lbfgs", LBFGS)):
                ready(page, server.url + url + "&insp=1")
                page.wait_for_function("() => window.__optplay.hasState()", timeout=120_000)
                page.wait_for_selector(".insp-sd > summary", timeout=120_000)
                for state in ("closed", "open"):
                    if state == "open":
                        page.evaluate("() => window.__optplay.player.pause()")
                        page.locator(".insp-sd > summary").first.click()
                    for _ in range(args.repeats):
                        out.setdefault(f"{scene} scrub {state}", []).append(page.evaluate(SCRUB, 200))
            browser.close()
    finally:
        server.stop()
    med = {k: statistics.median(v) for k, v in out.items()}
    print(f"closure marks: 2 LBFGS x 300 steps, {marks} evaluation points at the end; playing "
          f"{med['lbfgs fps open']:.1f} fps with them (worst frame {med['lbfgs worst open']:.0f} ms) "
          f"vs {med['lbfgs fps closed']:.1f} fps without ({med['lbfgs worst closed']:.0f} ms): "
          f"ratio {med['lbfgs fps open'] / med['lbfgs fps closed']:.2f}")
    for scene, what in (("adam", "4 Adam x 1000 steps, groups + 2 changes"),
                        ("lbfgs", "2 LBFGS x 300 steps")):
        o, c = med[f"{scene} scrub open"], med[f"{scene} scrub closed"]
        print(f"state_dict() on a scrub, {what}: {o:.2f} ms open vs {c:.2f} ms closed "
              f"(median of {args.repeats} rounds of 200 scrubs), ratio {o / c:.2f}")


if __name__ == "__main__":
    main()
