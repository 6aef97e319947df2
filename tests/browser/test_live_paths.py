"""A slider's move as the page shows it: the legend's lines rewritten in place, the old
paths left as they are until the new ones come, and an answer's pieces shown as they
stream in without a frame painted for each."""

from __future__ import annotations

import pytest

from .conftest import hook, poll, request_body, wait_ready, wait_recomputed
from .test_inspector import assert_shown, panel_values, pause_at, post_run
from .test_presentation import LEGEND, SCENE

# Before the page's scripts: each paint of the paths' canvas, with the time its frame was
# asked for (the page asks when it has something new to show), and each message of the
# page's socket ("done" for an answer's last), with its time, in window.__seen; in
# window.__wire, what the socket sent last and how each answer sent each run: its path
# whole ("path") or by its key ("same").
SEEN = """(() => {
  window.__seen = [];
  window.__wire = { sent: null, got: [] };
  const send = WebSocket.prototype.send;
  WebSocket.prototype.send = function (data) {
    window.__wire.sent = JSON.parse(data);
    return send.call(this, data);
  };
  const raf = window.requestAnimationFrame.bind(window);
  window.requestAnimationFrame = (cb) => {
    const asked = performance.now();
    return raf((t) => {
      window.__asked = asked;
      try { return cb(t); } finally { window.__asked = null; }
    });
  };
  const clear = CanvasRenderingContext2D.prototype.clearRect;
  CanvasRenderingContext2D.prototype.clearRect = function (...a) {
    if (this.canvas.matches('#contour canvas.plot-overlay')) window.__seen.push(['paint', window.__asked ?? performance.now()]);
    return clear.apply(this, a);
  };
  const d = Object.getOwnPropertyDescriptor(WebSocket.prototype, 'onmessage');
  Object.defineProperty(WebSocket.prototype, 'onmessage', {
    configurable: true, get() { return d.get.call(this); },
    set(fn) {
      d.set.call(this, (ev) => {
        const done = typeof ev.data === 'string' && ev.data.includes('"done":true');
        window.__seen.push([done ? 'done' : 'message', performance.now()]);
        const m = JSON.parse(ev.data);
        if (m.run !== undefined) window.__wire.got.push([m.id, m.run, m.same ? 'same' : 'path']);
        return fn.call(this, ev);
      });
    },
  });
})()"""

# The readout's rows: [label, step, loss, position, status] each.
READOUT = """() => [...document.querySelectorAll('#readout tbody tr:not(.reason-row)')]
    .map((tr) => [...tr.cells].map((c) => c.textContent))"""

MOVE = """(at) => {
  window.__seen.length = 0;
  const s = document.querySelector("#rows .row-card [data-param='lr'] input[type=range]");
  s.value = String(Number(s.min) + at * (Number(s.max) - Number(s.min)));
  s.dispatchEvent(new Event('input', { bubbles: true }));
}"""


def open_at_the_end(page, url: str) -> None:
    """The page, its race stopped at the end (where a student moving a slider looks)."""
    page.add_init_script(SEEN)
    page.goto(url)
    wait_ready(page)
    page.evaluate("() => { const p = window.__optplay.player; p.pause(); p.seek(p.max); }")
    page.evaluate("() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))")


# The start's x typed anew: every run changes (a slider changes one, and the others'
# paths are not sent again).
MOVE_START = """(x) => {
  window.__seen.length = 0;
  const box = document.querySelector('#start-x');
  box.value = String(x);
  box.dispatchEvent(new Event('input', { bubbles: true }));
}"""


def move_slider(page, at: float, move: str = MOVE) -> list:
    """Move the first row's lr slider to `at` of its range (or what `move` does with
    `at`); what was seen until the answer was in."""
    done = hook(page, "h.done()")
    page.evaluate(move, at)
    wait_recomputed(page, done)
    page.evaluate("() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))")
    return page.evaluate("() => window.__seen")


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_slider_rewrites_the_legend_and_keeps_the_picture_until_the_answer(page, server, lang):
    """A slider's move changes a line's detail in place (the same list, no layout of a
    new one), the readout's rows are the same elements with new text, and the old paths
    are not painted again while the new ones are computed: the next paint of the paths'
    canvas comes after the answer's first message."""
    open_at_the_end(page, server.url + SCENE + f"&lang={lang}")
    page.wait_for_function("() => { const s = document.querySelector('.plot-legend').style; return s.left + s.right !== ''; }")
    before = page.evaluate(LEGEND)
    page.evaluate("""() => document.querySelectorAll('.plot-legend li, #readout tbody tr')
        .forEach((e, i) => { e.dataset.kept = i; })""")
    rows = page.evaluate(READOUT)
    paths = hook(page, "h.paths()")
    seen = [kind for kind, _ in move_slider(page, 0.8)]
    after = page.evaluate(LEGEND)
    assert after[0]["detail"] != before[0]["detail"] and "lr=" in after[0]["detail"], (before, after)
    assert after[1:] == before[1:]
    assert [a["name"] for a in after] == [b["name"] for b in before]
    assert page.evaluate("() => [...document.querySelectorAll('.plot-legend li')].map((li) => li.dataset.kept)") \
        == ["0", "1", "2"]
    # The table under the player too: the same rows, the first one's label and numbers new.
    kept = page.evaluate("() => [...document.querySelectorAll('#readout tbody tr')].map((e) => e.dataset.kept)")
    assert kept == [str(3 + i) for i in range(len(kept))] and len(kept) >= 3, kept
    after_rows = page.evaluate(READOUT)
    assert after_rows[0] != rows[0] and after_rows[1:] == rows[1:], (rows, after_rows)
    assert hook(page, "h.paths()")[0] != paths[0]
    assert "message" in seen and "paint" in seen, seen
    assert seen.index("message") < seen.index("paint"), seen
    page.watch.assert_clean()


def test_a_long_answer_grows_on_screen_a_paint_at_a_time(page, server):
    """4 x 10,000 steps stream in for a good fraction of a second, a piece about every
    frame. The page shows the first piece at once and then the paths growing, but asks
    to paint them at most every 50 ms (scene.js PIECE_SHOW_MS), not once a frame: with
    a frame painted per piece, a small machine's page fell behind the stream. (A new
    start: all four runs are computed and sent again.)"""
    open_at_the_end(page, server.url + "/?s=rosenbrock&steps=10000&o=adam(lr=0.01)"
                    "&o=sgd(lr=0.0005;momentum=0.9)&o=rmsprop(lr=0.003)&o=adagrad(lr=0.1)")
    seen = move_slider(page, -1.25, MOVE_START)
    first = next(t for kind, t in seen if kind == "message")
    done = next(t for kind, t in seen if kind == "done")
    pieces = [kind for kind, t in seen if kind == "message"]
    paints = [t for kind, t in seen if kind == "paint" and first <= t < done]   # (asked for)
    span = done - first
    assert len(pieces) >= 5, seen
    if span > 120:
        assert len(paints) >= 2, seen         # it grew on screen before it was done
    # Once a frame, a paint per ~17 ms; here one at once, then one per 50 ms at most
    # (the median: a paint the page asks for another reason may come between).
    gaps = sorted(b - a for a, b in zip(paints, paints[1:]))
    assert gaps[len(gaps) // 2] >= 45, (gaps, seen)
    at_done = [kind for kind, _ in seen].index("done")
    assert "paint" in [kind for kind, _ in seen[at_done:]], seen     # then all of it
    page.watch.assert_clean()


# The page's last request, computed afresh over HTTP (every path whole).
FRESH = """async () => {
  const { id, have, ...body } = window.__wire.sent;
  const r = await fetch('/api/v1/run', { method: 'POST', headers: { 'content-type': 'application/json' },
                                          body: JSON.stringify(body) });
  const a = await r.json();
  return { paths: a.runs.map((x) => x.path), losses: a.runs.map((x) => x.loss), lrs: a.runs.map((x) => x.lr) };
}"""


def answer_by_run(page) -> dict:
    """How the last request's answer sent each run: "path" or "same"."""
    wire = page.evaluate("() => window.__wire")
    rid = wire["sent"]["id"]
    return {run: how for i, run, how in wire["got"] if i == rid}


def shown(page) -> dict:
    return {"paths": hook(page, "h.paths()"), "losses": hook(page, "h.losses()"),
            "lrs": hook(page, "h.lrs()")}


def test_a_move_is_sent_only_the_path_it_changed_and_shows_every_path_right(page, server):
    """The page names the paths it holds ("have"); the socket sends the moved run's path
    and the others' keys. What the page then shows is what a fresh computation of its
    request gives, whichever row's path a key names: after a move, after a row's removal
    (the rows below move up), and where two rows are the same run."""
    open_at_the_end(page, server.url + "/?s=rosenbrock&steps=300&o=sgd(lr=0.001)"
                    "&o=sgd(lr=0.001)&o=adam(lr=0.05)&o=rmsprop(lr=0.003)")
    first = shown(page)
    assert first["paths"][0] == first["paths"][1]
    move_slider(page, 0.7)
    assert answer_by_run(page) == {0: "path", 1: "same", 2: "same", 3: "same"}
    assert page.evaluate("() => window.__wire.sent.have.length") == 3   # rows 0 and 1: one key
    now = shown(page)
    assert now == page.evaluate(FRESH)
    assert now["paths"][0] != first["paths"][0] and now["paths"][1:] == first["paths"][1:]
    # Remove the second row: the last two move up, their paths by their keys.
    done = hook(page, "h.done()")
    page.locator("#rows .row-card").nth(1).get_by_role("button", name="Remove").click()
    wait_recomputed(page, done)
    assert answer_by_run(page) == {0: "same", 1: "same", 2: "same"}
    assert shown(page) == page.evaluate(FRESH)
    assert hook(page, "h.paths()")[1:] == first["paths"][2:]
    page.watch.assert_clean()


def test_the_inspector_gets_the_state_along_paths_it_is_not_sent_again(page, server):
    """With the inspector open, the state is asked for along the paths on screen: that
    answer names every path by its key, and the inspector shows each run's state as a
    fresh computation gives it."""
    open_at_the_end(page, server.url + SCENE + "&insp=1")
    move_slider(page, 0.3)
    page.wait_for_function("() => window.__wire.sent.state === true && window.__optplay.hasState()"
                           " && window.__optplay.idle()")
    assert set(answer_by_run(page).values()) == {"same"}
    assert shown(page) == page.evaluate(FRESH)
    body = request_body(page.evaluate("() => window.__wire.sent"))
    api = post_run(server, body)["runs"]
    k = 37
    assert all(run["steps_done"] >= k for run in api)
    pause_at(page, k)
    # a card per shown run (the scene hides its fourth)
    cells = poll(lambda: (v := panel_values(page)) and all(card["_header"] == f"after step {k}"
                                                          for card in v.values()) and v)
    assert cells and len(cells) == 3, panel_values(page)
    for i, card in cells.items():
        for c in range(2):
            assert_shown(card["grad"][c], api[int(i)]["grad"][k - 1][c], f"run {i} grad[{c}]")
    page.watch.assert_clean()
