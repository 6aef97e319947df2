"""The animated GIF for slides: decoded with Pillow, it has the frames it promises, its
paths move from frame to frame, it stays small, it carries the legend; the endpoint
refuses absurd sizes by name, and `optplay export` writes the same file."""

from __future__ import annotations

import io
import os

import numpy as np
import pytest
from PIL import Image, ImageSequence

from app.config import settings
from app.engine import run_request
from app.engine.errors import Cancelled, ComputationTimeout
from app.engine.request import RunRequest
from app.teach import animation, fonts, slide
from app.teach.animation import build_scene, frame_steps, render_gif
from app.teach.slide import SlideRenderer
from optplay.cli import main as cli

FOUR = {"surface": "rosenbrock", "steps": 200, "runs": [
    {"optimizer": "sgd", "params": {"lr": 0.002}},
    {"optimizer": "sgd", "params": {"lr": 0.001, "momentum": 0.9}},
    {"optimizer": "adam", "params": {"lr": 0.1}},
    {"optimizer": "rmsprop", "params": {"lr": 0.01}}]}
ADAM = (242, 169, 0)                     # the third palette colour (#f2a900)


def frames_of(data: bytes) -> list[np.ndarray]:
    im = Image.open(io.BytesIO(data))
    assert im.format == "GIF"
    return [np.asarray(f.convert("RGB"), dtype=int) for f in ImageSequence.Iterator(im)]


def near(pixel, color, tol=60) -> bool:
    return int(np.abs(np.asarray(pixel) - color).sum()) < tol


def test_a_four_run_200_step_gif_decodes_with_moving_paths(client):
    res = client.post("/api/v1/export/gif", json=FOUR)
    assert res.status_code == 200, res.text
    assert res.headers["content-type"] == "image/gif"
    assert res.headers["content-disposition"] == 'attachment; filename="scene.gif"'
    data = res.content
    assert len(data) <= 5 * 1024 * 1024
    im = Image.open(io.BytesIO(data))
    assert im.size == (960, 540) and im.info.get("loop") == 0
    plan = frame_steps(200, animation.DEFAULT_FRAMES)
    assert im.n_frames == len(plan) == 100 and plan[0] == 0 and plan[-1] == 200
    frames = frames_of(data)

    # Where Adam's path is at steps 40..200 (in the picture's pixels), as the renderer
    # lays the scene out: empty early on, Adam's colour once the race has passed there.
    renderer = SlideRenderer(build_scene(RunRequest.model_validate(FOUR), "en"))
    path = np.array(run_request(FOUR)["runs"][2]["path"])
    pts = renderer.to_layer(path) / 2 + [renderer.left, renderer.top]
    early = frames[plan.index(next(k for k in plan if k >= 20))]
    last = frames[-1]
    moved = painted = 0
    for k in range(40, 201, 8):
        x, y = (int(round(v)) for v in pts[k])
        if np.abs(pts[k] - pts[20]).max() < 12:
            continue                      # still where it was at step 20
        moved += int(np.abs(early[y, x] - last[y, x]).sum() > 60)
        painted += near(last[y, x], ADAM)
    assert moved >= 10 and painted >= 8, (moved, painted)
    # Frame after frame, more of Adam's colour inside the plot.
    box = (slice(renderer.top, renderer.top + renderer.ph),
           slice(renderer.left, renderer.left + renderer.pw))
    counts = [int((np.abs(f[box] - ADAM).sum(axis=-1) < 60).sum()) for f in frames[::20]]
    assert counts == sorted(counts) and counts[-1] > 3 * counts[0] + 50, counts


def test_the_legend_and_counter_are_in_every_frame():
    data = render_gif(FOUR, frames=6, width=640)
    frames = frames_of(data)
    assert len(frames) == 6
    renderer = SlideRenderer(build_scene(RunRequest.model_validate(FOUR), "en"), 640)
    for f in frames:
        for row, color in zip(renderer.legend_rows, [(232, 69, 60), (31, 119, 208), ADAM]):
            sw = row["swatch"]
            # the swatch: a square of the run's colour beside its name
            assert near(f[int(row["y"] + sw * 0.65), int(row["x"] + sw / 2)], color)
    # The counter and the statuses change: the top right corner and the status lines
    # differ between the first frame and the last.
    top_right = (slice(0, renderer.header), slice(renderer.W // 2, renderer.W))
    assert np.abs(frames[0][top_right] - frames[-1][top_right]).sum() > 0
    assert renderer.status_text(renderer.s.tracks[2], 0) == "running"
    assert renderer.status_text(renderer.s.tracks[2], 200) == "finished"


# The 4-run, 200-step scene of issue #17 with a run that diverges (SGD lr=0.01 on
# Rosenbrock leaves the view at step 2 and overflows at step 6).
DIVERGING = {**FOUR, "runs": [*FOUR["runs"][:3], {"optimizer": "sgd", "params": {"lr": 0.01}}]}
RUN_COLORS = [(232, 69, 60), (31, 119, 208), ADAM, (123, 63, 209)]


def region(frame: np.ndarray, x0, y0, x1, y1) -> np.ndarray:
    return frame[int(y0):int(y1), int(x0):int(x1)].reshape(-1, 3)


def has_color(pixels: np.ndarray, color, tol=12) -> bool:
    return bool((np.abs(pixels - color).sum(axis=-1) <= tol).any())


def test_the_four_run_gif_has_one_palette_the_run_colours_and_a_legend_that_says_diverged():
    data = render_gif(DIVERGING)
    assert len(data) <= 5 * 1024 * 1024
    frames = frames_of(data)
    assert len(frames) == 100
    # One palette for the whole animation (no colour that shifts from frame to frame),
    # which holds each run's own colour exactly, not a near one.
    packed = set()
    for f in frames:
        packed.update(np.unique((f[..., 0] << 16) | (f[..., 1] << 8) | f[..., 2]).tolist())
    assert len(packed) <= 256
    for r, g, b in RUN_COLORS:
        assert (r << 16) | (g << 8) | b in packed, (r, g, b)
    renderer = SlideRenderer(build_scene(RunRequest.model_validate(DIVERGING), "en"))
    tracks, rows = renderer.s.tracks, renderer.legend_rows
    # The legend names each run's changed hyperparameters ...
    assert [t.detail for t in tracks] == ["lr=0.002", "lr=0.001 momentum=0.9", "lr=0.1", "lr=0.01"]
    ink = np.array(slide.MUTED)
    for f in (frames[0], frames[50], frames[-1]):
        for row, color in zip(rows, RUN_COLORS):
            sw = row["swatch"]
            assert near(f[int(row["y"] + sw * 0.65), int(row["x"] + sw / 2)], color)
            # ... and draws them beside the name
            x0 = row["tx"] + row["name_w"] + row["gap"]
            assert has_color(region(f, x0, row["y"], renderer.W, row["y"] + row["name_h"]), ink, 40)
    # ... and its status: running at first, "diverged at step 6" (in the warning's
    # colour, after "left the view at step 2") at the end; the others finished.
    assert tracks[3].status == "diverged" and tracks[3].steps_done == 5
    assert renderer.status_text(tracks[3], 0) == "running"
    assert renderer.status_text(tracks[3], 200) == "left the view at step 2 · diverged at step 6"
    assert renderer.status_text(tracks[0], 200) == "finished"

    def status_pixels(f, i):
        row = rows[i]
        return region(f, row["tx"], row["status_y"], renderer.W, row["status_y"] + row["line_h"])

    warn, done, running = (slide.STATUS_COLORS[k] for k in ("escaped", "finished", "running"))
    assert has_color(status_pixels(frames[0], 3), running) and not has_color(status_pixels(frames[0], 3), warn)
    assert has_color(status_pixels(frames[-1], 3), warn)
    assert has_color(status_pixels(frames[-1], 0), done) and not has_color(status_pixels(frames[0], 0), done)


def test_a_diverged_run_says_so_in_chinese():
    scene = build_scene(RunRequest.model_validate({**DIVERGING, "steps": 20}), "zh")
    text = SlideRenderer(scene, 480).status_text(scene.tracks[3], 20)
    if fonts.find_fonts().cjk:
        assert text == "在第 2 步离开视野 · 在第 6 步发散"
    else:
        assert text.endswith("diverged at step 6")


def test_frames_never_outnumber_the_steps_and_keep_the_page_pace():
    assert frame_steps(10, 100) == list(range(11))
    assert len(frame_steps(10_000, 100)) == 100
    data = render_gif({**FOUR, "steps": 10}, frames=100, width=320)
    im = Image.open(io.BytesIO(data))
    assert im.n_frames == 11
    durations = []
    for f in ImageSequence.Iterator(im):
        durations.append(f.info["duration"])
    assert durations[0] >= 500 and durations[-1] >= 2000     # a moment to look at both ends
    assert all(d >= 20 for d in durations)


@pytest.mark.parametrize("extra, field", [
    ({"frames": 100_000}, "frames"), ({"frames": 1}, "frames"), ({"width": 99_999}, "width"),
    ({"width": 10}, "width"), ({"frames": 240, "width": 1600}, "frames"),
    ({"lang": "fr"}, "lang"), ({"steps": 10**9}, "steps")])
def test_absurd_requests_are_refused_by_name(client, extra, field):
    res = client.post("/api/v1/export/gif", json={**FOUR, **extra})
    assert res.status_code == 422, res.text
    detail = res.json()["detail"][0]
    # the field in the location, or (the engine's own limits) first in the message
    assert field in detail["loc"] or detail["msg"].startswith(f"{field}:"), detail


def test_the_budget_and_the_cancel_flag_stop_the_drawing(monkeypatch):
    with pytest.raises(Cancelled):
        render_gif(FOUR, frames=20, width=320, cancelled=lambda: True)
    monkeypatch.setattr(settings(), "compute_budget_s", 0.0)
    with pytest.raises(ComputationTimeout):
        render_gif(FOUR, frames=20, width=320)


def test_chinese_without_a_chinese_font_falls_back_to_english(monkeypatch):
    latin = fonts.Fonts(None, None, False)
    monkeypatch.setattr(animation, "find_fonts", lambda: latin)
    scene = build_scene(RunRequest.model_validate(FOUR), "zh")
    assert scene.strings["status.finished"] == "finished"
    assert scene.title == "Rosenbrock"
    assert len(frames_of(render_gif(FOUR, lang="zh", frames=3, width=320))) == 3


def test_a_chinese_font_is_found_where_fonts_noto_cjk_is_installed():
    if not os.path.exists("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"):
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(".ci/run installs fonts-noto-cjk")
        pytest.skip("fonts-noto-cjk is not installed")
    found = fonts.find_fonts()
    assert found.cjk and found.bold_face is not None
    zh = build_scene(RunRequest.model_validate(FOUR), "zh")
    assert zh.strings["status.finished"] == "已完成" and "香蕉谷" in zh.title


def test_optplay_export_writes_a_gif(tmp_path, capsys):
    out = tmp_path / "race.gif"
    url = "/?s=himmelblau&steps=60&o=adam(lr=0.1)&o=sgd(lr=0.01;momentum=0.9)&lang=zh"
    assert cli(["export", url, "-o", str(out), "--frames", "20", "--width", "480"]) == 0
    assert "race.gif" in capsys.readouterr().out
    im = Image.open(out)
    assert im.format == "GIF" and im.n_frames == 20 and im.size == (480, 270)
    assert cli(["export", url, "-o", str(tmp_path / "x.gif"), "--frames", "1"]) == 2
    assert "frames" in capsys.readouterr().err
    assert cli(["export", url, "-o", str(tmp_path / "x.gif"), "--lr-variants", "0.1"]) == 2


def test_a_long_formula_is_drawn_under_the_fence():
    """The surface's picture of a 2,000-character formula looks at the clock and the
    cancel flag while it computes (and at most EVAL_SIDE² points, whatever the width)."""
    expr = "+".join(f"sin(x*{i}+y)*cos(y*{i}-x)" for i in range(1, 60))[:1990].rstrip("+*")
    body = {"surface": {"expr": expr, "domain": [[-3, 3], [-3, 3]]}, "steps": 5,
            "runs": [{"optimizer": "adam", "params": {"lr": 0.1}}]}
    scene = build_scene(RunRequest.model_validate(body), "en")
    calls = []

    def check():
        calls.append(1)
        if len(calls) > 3:
            raise Cancelled()

    with pytest.raises(Cancelled):
        SlideRenderer(scene, 1600, check=check)


def test_a_label_with_control_characters_is_drawn(client):
    """A run's label is the user's text: a control character is no 500."""
    body = {"surface": "bowl", "steps": 5,
            "runs": [{"optimizer": "adam", "label": "\u001e\u200b\x00 mine \U0001f600"}]}
    res = client.post("/api/v1/export/gif", json={**body, "frames": 3, "width": 320})
    assert res.status_code == 200, res.text
    assert Image.open(io.BytesIO(res.content)).n_frames == 3


def test_a_surface_from_data_is_drawn_with_its_loss(client):
    """A loss over a data set has no formula: the line beside the title is the loss
    (was a 422 "not enough values to unpack"), the plot has the page's aspect."""
    body = {"surface": {"data": "line"}, "batch": {"size": 8, "seed": 0}, "steps": 40,
            "runs": [{"optimizer": "sgd", "params": {"lr": 0.05}}]}
    res = client.post("/api/v1/export/gif", json={**body, "frames": 4, "width": 480})
    assert res.status_code == 200, res.text
    assert Image.open(io.BytesIO(res.content)).n_frames == 4
    scene = build_scene(RunRequest.model_validate(body), "en")
    assert scene.subtitle == "L(w, b) = mean over the data of (w·x + b − y)²"
    assert scene.title == "Study hours and exam score"
    renderer = SlideRenderer(scene, 960)
    assert abs(renderer.ph / renderer.pw - 0.8) < 0.01
