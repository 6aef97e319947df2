"""The one-file HTML export: self-contained (plotly.js inline, no URL of any host in a
script or link), paths from our engine, hostile text kept inert; the endpoint and the
`optplay export` command.  (Playing it in Chromium: tests/browser/.)"""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser

import pytest

from app.engine import run_request
from app.teach.static_export import export_html, plotly_js, scene_data
from optplay.cli import main as cli

SCENE = {"surface": "rosenbrock", "start": [-1.2, 1.0], "steps": 120,
         "runs": [{"optimizer": "sgd", "params": {"lr": 0.001, "momentum": 0.9}},
                  {"optimizer": "adam", "params": {"lr": 0.1}, "color": "#123456"}]}


class Tags(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.scripts: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if tag == "script":
            self._in_script = True
            self.scripts.append("")

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False

    def handle_data(self, data):
        if self._in_script:
            self.scripts[-1] += data


def parse(html: str) -> Tags:
    t = Tags()
    t.feed(html)
    return t


def data_of(html: str) -> dict:
    m = re.search(r'<script type="application/json" id="optplay-data">(.*?)</script>', html,
                  re.S)
    return json.loads(m.group(1))


def test_self_contained_and_plotly_inline():
    html = export_html(SCENE)
    t = parse(html)
    for tag, attrs in t.tags:
        for key in ("src", "href"):
            assert not re.match(r"\s*(https?:)?//", attrs.get(key) or "", re.I), (tag, attrs)
    assert not [a for tag, a in t.tags if tag in ("script", "link", "img", "iframe") and
                (a.get("src") or a.get("href"))]
    assert not re.search(r"<(script|link|img|iframe)[^>]+(src|href)\s*=\s*[\"']?\s*(https?:)?//",
                         html, re.I)
    # plotly.js itself, inline and whole; the player after it.
    plotly = plotly_js().read_text(encoding="utf-8")
    assert len(t.scripts) == 3
    assert t.scripts[1] == plotly
    assert "window.__optplayExport" in t.scripts[2]
    assert html.startswith("<!doctype html>") and '<meta charset="utf-8">' in html


def test_paths_are_the_engines():
    data = scene_data(SCENE)
    ours = run_request(SCENE)["runs"]
    (variant,) = data["variants"]
    for mine, shown in zip(ours, variant["runs"]):
        assert len(shown["path"]) == len(mine["path"])
        for p, q in zip(mine["path"], shown["path"]):
            assert q == pytest.approx(p, rel=1e-8, abs=1e-12)
    assert [r["color"] for r in variant["runs"]] == ["#e8453c", "#123456"]
    assert variant["runs"][0]["label"] == "SGD lr=0.001 momentum=0.9"
    assert data["contour"]["log"] is True and len(data["contour"]["x"]) == 100


def test_lr_variants_and_languages():
    html = export_html(SCENE, lang="zh", lr_variants=[0.0003, 0.001, 0.003])
    data = data_of(html)
    assert [v["lr"] for v in data["variants"]] == [0.0003, 0.001, 0.003]
    assert data["variant"] == 1
    sgd = [v["runs"][0] for v in data["variants"]]
    assert sgd[0]["path"][-1] != sgd[2]["path"][-1]
    assert '<html lang="zh-CN">' in html and "所有优化器的学习率" in html
    assert "Rosenbrock 函数（香蕉谷）" in html
    # Lookahead: the slider sets the inner optimizer's lr.
    la = {"surface": "bowl", "steps": 20, "runs": [
        {"optimizer": "lookahead", "params": {"optimizer": {"optimizer": "adam"}}}]}
    data = scene_data(la, lr_variants=[0.01, 0.1])
    assert data["variants"][0]["runs"][0]["path"] != data["variants"][1]["runs"][0]["path"]


def test_a_scene_from_data_carries_its_data_batches_and_epochs():
    body = {"surface": {"data": "line"}, "batch": {"size": 8, "seed": 2, "shuffle": False},
            "steps": 30, "runs": [{"optimizer": "sgd", "params": {"lr": 0.05}}]}
    html = export_html(body, lang="zh")
    data = data_of(html)
    answer = run_request(body)
    ours = answer["runs"][0]
    assert data["data"]["model"] == "linear" and len(data["data"]["x"]) == 40
    assert data["data"]["best"] == pytest.approx(answer["surface"]["minima"][0])
    assert data["epoch"] == 5                                  # ceil(40 / 8)
    (run,) = data["variants"][0]["runs"]
    assert run["batch_loss"] == pytest.approx(ours["batch_loss"], rel=1e-8)
    assert "学习时长与考试分数" in html and "L(w, b) = 对所有数据取平均" in html
    assert "每批 8 个（随机种子 2，按数据顺序）：一个 epoch 为 5 步" in html
    # Your own data, logistic, no batches.
    own = {"surface": {"data": {"x": [0, 1, 2, 3], "y": [0, 1, 0, 1]}, "model": "logistic"},
           "steps": 10, "runs": [{"optimizer": "adam", "params": {"lr": 0.1}}]}
    data = scene_data(own)
    assert data["data"]["y"] == [0, 1, 0, 1] and data["epoch"] is None
    assert data["surface"]["name"] == "Your data"


def test_refusals():
    from pydantic import ValidationError

    from app.engine.errors import RequestError
    with pytest.raises(RequestError):
        export_html(SCENE, lr_variants=[0.1, -1.0])
    with pytest.raises(RequestError):
        export_html(SCENE, lr_variants=[0.1] * 13)
    with pytest.raises(RequestError):
        export_html({**SCENE, "steps": 10000, "runs": SCENE["runs"] * 8}, lr_variants=[0.1] * 3)
    with pytest.raises(RequestError):
        export_html(SCENE, lang="fr")
    with pytest.raises(ValidationError):
        export_html({**SCENE, "surface": {"expr": "x +", "domain": [[-1, 1], [-1, 1]]}})


def test_hostile_text_stays_text():
    evil = "</script><script>alert(1)</script><!--"
    body = {"surface": {"expr": "x**2 + y**2", "domain": [[-1, 1], [-1, 1]]}, "steps": 5,
            "runs": [{"optimizer": "sgd", "params": {"lr": 0.1}, "label": evil}]}
    html = export_html(body)
    t = parse(html)
    assert len(t.scripts) == 3 and "alert(1)" not in t.scripts[1] + t.scripts[2]
    assert evil not in html
    assert data_of(html)["variants"][0]["runs"][0]["label"] == evil


def test_endpoint_attachment(client):
    r = client.post("/api/v1/export/html",
                    json={**SCENE, "lang": "zh", "lr_variants": [0.001, 0.01]})
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/html")
    assert r.headers["content-disposition"] == 'attachment; filename="scene.html"'
    assert data_of(r.text)["lang"] == "zh"
    r = client.post("/api/v1/export/html", json={**SCENE, "lr_variants": [0.1, 0.0]})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "lr_variants"]
    r = client.post("/api/v1/export/html", json={**SCENE, "lang": "de"})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "lang"]


def test_cli_from_share_url_and_from_body(tmp_path, capsys):
    out = tmp_path / "a.html"
    url = ("http://127.0.0.1:8000/?s=himmelblau&steps=60&o=sgd(lr=0.01;momentum=0.9)"
           "&o=adam(lr=0.1)&c=aa0000,00aa00&lang=zh")
    assert cli(["export", url, "-o", str(out), "--lr-variants", "0.01,0.03"]) == 0
    data = data_of(out.read_text(encoding="utf-8"))
    assert data["lang"] == "zh" and data["steps"] == 60 and len(data["variants"]) == 2
    assert [r["color"] for r in data["variants"][0]["runs"]] == ["#aa0000", "#00aa00"]
    body = tmp_path / "req.json"
    body.write_text(json.dumps({**SCENE, "lang": "en"}))
    out2 = tmp_path / "b.html"
    assert cli(["export", "--body", str(body), "-o", str(out2)]) == 0
    assert data_of(out2.read_text(encoding="utf-8"))["steps"] == 120
    body.write_text(json.dumps({**SCENE, "steps": 0}))
    assert cli(["export", "--body", str(body), "-o", str(out2)]) == 2
    assert "steps" in capsys.readouterr().err
