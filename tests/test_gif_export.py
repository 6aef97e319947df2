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
from app.teach import animation, fonts
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


def test_a_diverged_run_says_so_in_the_legend():
    body = {"surface": "bowl", "steps": 30, "start": [1.5, 1.5],
            "runs": [{"optimizer": "sgd", "params": {"lr": 1.5}}]}
    scene = build_scene(RunRequest.model_validate(body), "zh")
    tr = scene.tracks[0]
    assert tr.status == "diverged" or tr.left_at is not None
    text = SlideRenderer(scene, 480).status_text(tr, 30)
    assert ("发散" in text or "离开视野" in text) if fonts.find_fonts().cjk else "step" in text


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
