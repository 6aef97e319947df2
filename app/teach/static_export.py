"""A scene as ONE self-contained HTML file: opened from disk, with no server and no
network, it plays the race (play/pause, scrubber, speed, step readout, loss chart), over
the surface's contour, with the legend and the optimizers' update rules.  On a surface
from data it also shows the data with each run's model at the step shown, each step's
batch loss behind the full-data loss, and the epochs.

    export_html(request_body, lang="en", lr_variants=None) -> str

plotly.js is inlined from the installed `plotly` package; the paths are precomputed by
our engine.  `lr_variants` adds an lr slider: at each position every run's lr (the
inner optimizer's, for Lookahead) is set to that value, all precomputed.
"""

from __future__ import annotations

import copy
import html
import json
import math
import time
from datetime import date
from functools import lru_cache
from pathlib import Path

import plotly

from .. import __version__
from ..config import settings
from ..engine.errors import RequestError
from ..engine.data import DataSurface
from ..engine.optim import REGISTRY as OPTIMIZERS
from ..engine.request import RunRequest, resolve_surface
from ..engine.scene import execute
from . import divergence, look
from .formula_code import plain_source
from .labels import run_label
from .table import url_field

ASSETS = Path(__file__).resolve().parent / "assets"
MAX_VARIANTS = 12
LANGS = ("en", "zh")

STRINGS = {
    "en": {
        "title": "Optimizer Playground", "player.play": "Play", "player.pause": "Pause",
        "player.speed": "Speed", "player.scrubber": "Step", "player.stepOf": "step {k} / {n}",
        "loss.title": "Loss per step", "loss.step": "step", "loss.loss": "loss",
        "legend.run": "Optimizer", "legend.status": "Status", "legend.loss": "Loss",
        "status.running": "running", "status.finished": "finished",
        "status.diverged": "diverged at step {k}", "status.escaped": "left the view at step {k}",
        "surface.minimum": "minimum", "surface.saddle": "saddle point",
        "lr.label": "Learning rate of every optimizer",
        "rules": "Update rules (as in the PyTorch docs)",
        "keys": "Keys: Space play/pause · J / L one step",
        "footer": "Made with Optimizer Playground {version}: every path is the one "
                  "torch.optim takes (float64). This file works offline. Exported {date}.",
        "custom": "Custom formula",
        "data.title": "The data, and each optimizer's model at step {k}",
        "data.w": "w (weight)", "data.b": "b (bias)", "data.x": "x (feature)",
        "data.y": "y (target)", "data.yLogistic": "y (0 or 1), and P(y = 1)",
        "data.colorbar": "loss L(w, b)", "data.best": "dashed: the best fit (★ on the contour)",
        "data.linearModel": "ŷ = w·x + b", "data.logisticModel": "P(y = 1) = σ(w·x + b)",
        "data.lossLinear": "L(w, b) = mean over the data of (w·x + b − y)²",
        "data.lossLogistic": "L(w, b) = mean over the data of −[y·log σ(w·x + b) + "
                             "(1 − y)·log(1 − σ(w·x + b))]",
        "data.batches": "mini-batches of {size} (seed {seed}{order}): an epoch is {steps} steps",
        "data.inOrder": ", in data order",
        "loss.batch": "batch loss", "loss.epoch": "epoch {n}",
    },
    "zh": {
        "title": "优化器游乐场", "player.play": "播放", "player.pause": "暂停",
        "player.speed": "速度", "player.scrubber": "步数", "player.stepOf": "第 {k} / {n} 步",
        "loss.title": "损失随步数的变化", "loss.step": "步数", "loss.loss": "损失",
        "legend.run": "优化器", "legend.status": "状态", "legend.loss": "损失",
        "status.running": "运行中", "status.finished": "已完成",
        "status.diverged": "在第 {k} 步发散", "status.escaped": "在第 {k} 步离开视野",
        "surface.minimum": "极小值点", "surface.saddle": "鞍点",
        "lr.label": "所有优化器的学习率",
        "rules": "更新规则（与 PyTorch 文档一致）",
        "keys": "快捷键：空格 播放/暂停 · J / L 单步",
        "footer": "由优化器游乐场 {version} 生成：每条路径都与 torch.optim 的实际计算一致"
                  "（float64）。本文件可离线打开。导出日期 {date}。",
        "custom": "自定义公式",
        "data.title": "数据，以及各优化器在第 {k} 步的模型",
        "data.w": "w（权重）", "data.b": "b（偏置）", "data.x": "x（特征）",
        "data.y": "y（目标值）", "data.yLogistic": "y（0 或 1）与 P(y = 1)",
        "data.colorbar": "损失 L(w, b)", "data.best": "虚线：最佳拟合（等高线图上的 ★）",
        "data.linearModel": "ŷ = w·x + b", "data.logisticModel": "P(y = 1) = σ(w·x + b)",
        "data.lossLinear": "L(w, b) = 对所有数据取平均 (w·x + b − y)²",
        "data.lossLogistic": "L(w, b) = 对所有数据取平均 −[y·log σ(w·x + b) + "
                             "(1 − y)·log(1 − σ(w·x + b))]",
        "data.batches": "小批量，每批 {size} 个（随机种子 {seed}{order}）：一个 epoch 为 {steps} 步",
        "data.inOrder": "，按数据顺序",
        "loss.batch": "批损失", "loss.epoch": "第 {n} 个 epoch",
    },
}

# Built-in surfaces' names in Chinese (as static/js/i18n.js shows them).
SURFACE_NAMES_ZH = {
    "bowl": "碗形函数 x² + y²", "ravine": "狭长山谷（条件数 20）",
    "rosenbrock": "Rosenbrock 函数（香蕉谷）", "beale": "Beale 函数", "saddle": "鞍点 x² − y²",
    "monkey_saddle": "猴鞍面", "himmelblau": "Himmelblau 函数（四个极小值）",
    "rastrigin": "Rastrigin 函数（大量局部极小值）", "ackley": "Ackley 函数",
    "booth": "Booth 函数", "goldstein_price": "Goldstein-Price 函数",
    "six_hump_camel": "六峰驼背函数", "styblinski_tang": "Styblinski-Tang 函数",
    "matyas": "Matyas 函数", "three_hump_camel": "三峰驼背函数", "levi": "Levi N.13 函数",
    "mccormick": "McCormick 函数", "abs_valley": "不光滑的 V 形谷（含绝对值）",
}


def surface_title(surface, lang: str) -> str:
    if isinstance(surface, DataSurface):
        return surface.name_zh if lang == "zh" and surface.name_zh else surface.name
    if surface.id == "custom":
        return STRINGS[lang]["custom"]
    if lang == "zh":
        return SURFACE_NAMES_ZH.get(surface.id, surface.name)
    return surface.name


def plotly_js() -> Path:
    """plotly.min.js of the installed `plotly` package (what the app serves too)."""
    return Path(plotly.__file__).resolve().parent / "package_data" / "plotly.min.js"


@lru_cache(maxsize=1)
def _plotly_source() -> str:
    # An inline script ends at the first "</script": plotly.min.js has none, and a
    # replacement inside its strings would not change what they mean.
    return plotly_js().read_text(encoding="utf-8").replace("</script", "<\\/script")


def _asset(name: str) -> str:
    return (ASSETS / name).read_text(encoding="utf-8")


def _round(v: float) -> float:
    return float(f"{v:.9g}")


def with_lr(body: dict, lr: float) -> dict:
    """A copy of the request in which every run's lr (Lookahead: its inner one's) is lr."""
    out = copy.deepcopy(body)
    for run in out["runs"]:
        params = run.setdefault("params", {})
        if run.get("optimizer") == "lookahead":
            inner = params.setdefault("optimizer", {"optimizer": "sgd", "params": {}})
            inner.setdefault("params", {})["lr"] = lr
        else:
            params["lr"] = lr
    return out


def check_variants(lr_variants, req: RunRequest) -> list[float]:
    values = [float(v) for v in lr_variants]
    if not 1 <= len(values) <= MAX_VARIANTS:
        raise RequestError(("lr_variants",), f"give 1 to {MAX_VARIANTS} learning rates")
    for v in values:
        if not (math.isfinite(v) and v > 0):
            raise RequestError(("lr_variants",), f"a learning rate must be a positive number, "
                                                  f"not {v}")
    s = settings()
    if len(values) * len(req.runs) * req.steps > s.max_runs * s.max_steps:
        raise RequestError(("lr_variants",), f"{len(values)} learning rates × "
                                              f"{len(req.runs)} runs × {req.steps} steps is "
                                              f"more work than one request may ask for")
    return values


def _first_lr(body: dict) -> float | None:
    run = body["runs"][0]
    params = run.get("params") or {}
    if run.get("optimizer") == "lookahead":
        inner = params.get("optimizer") or {"optimizer": "sgd"}
        run, params = inner, inner.get("params") or {}
    lr = params.get("lr")
    if lr is None:
        cls = OPTIMIZERS.get(run.get("optimizer"))
        lr = next((h.default for h in cls.hypers if h.name == "lr"), None) if cls else None
    return lr


def _runs_view(body: dict, answer: dict, lang: str) -> list[dict]:
    specs = body["runs"]
    colors = look.colors_for(specs)
    out = []
    for spec, run, color in zip(specs, answer["runs"], colors):
        reason = run.get("diverged_reason") or {}
        out.append({
            "label": run_label(spec),
            "color": color, "status": run["status"], "steps_done": run["steps_done"],
            "escaped_at": run.get("escaped_at"),
            "path": [[_round(x), _round(y)] for x, y in run["path"]],
            "loss": [_round(v) for v in run["loss"]],
            "batch_loss": [_round(v) for v in run.get("batch_loss") or []],
            "reason": reason.get(lang),
            # changes of course (torch.optim API): a diamond on the path at each
            "events": [[e["at"], e.get("state", "keep")] for e in spec.get("events") or []],
        })
    return out


def _rules(body: dict, lang: str) -> str:
    seen: list[str] = []
    for run in body["runs"]:
        ids = [run["optimizer"]]
        if run["optimizer"] == "lookahead":
            ids.append(((run.get("params") or {}).get("optimizer") or {}).get("optimizer", "sgd"))
        seen += [i for i in ids if i not in seen and i in OPTIMIZERS]
    parts = []
    for i in seen:
        cls = OPTIMIZERS[i]
        summary = cls.summary_zh if lang == "zh" and cls.summary_zh else cls.summary
        rule = (cls.__doc__ or "").strip()
        parts.append(f"{cls.torch_name}: {summary}\n\n{rule}")
    return "\n\n────────\n\n".join(parts)


def scene_data(request_body: dict | RunRequest, lang: str = "en",
               lr_variants: list[float] | None = None, cancelled=None) -> dict:
    """Everything the exported player shows, computed by the engine."""
    if lang not in LANGS:
        raise RequestError(("lang",), "lang must be en or zh")
    req = request_body if isinstance(request_body, RunRequest) \
        else RunRequest.model_validate(request_body)
    body = {k: v for k, v in req.model_dump(mode="json", exclude_unset=True).items()
            if k in RunRequest.model_fields}
    body["runs"] = [r.model_dump(mode="json", exclude_unset=True) for r in req.runs]
    surface = resolve_surface(req.surface)
    variants = []
    if lr_variants:
        values = check_variants(lr_variants, req)
        # One file is one computation: every variant within one compute budget.
        deadline = time.monotonic() + settings().compute_budget_s
        for v in values:
            vbody = with_lr(body, v)
            vreq = RunRequest.model_validate(vbody)
            answer = divergence.annotate(execute(vreq, cancelled=cancelled,
                                                 deadline=deadline), vreq)
            variants.append({"lr": v, "runs": _runs_view(vbody, answer, lang)})
        first = _first_lr(body)
        pick = 0
        if first and first > 0:
            pick = min(range(len(values)), key=lambda i: abs(math.log(values[i] / first)))
    else:
        answer = divergence.annotate(execute(req, cancelled=cancelled), req)
        variants.append({"lr": None, "runs": _runs_view(body, answer, lang)})
        pick = 0
    return {
        "lang": lang, "t": STRINGS[lang], "steps": req.steps, "variant": pick,
        "autoplay": True, "start": list(answer["start"]),
        **_data_view(surface, req, lang),
        "surface": {"name": surface_title(surface, lang),
                    "formula": _formula_line(surface, lang),
                    "domain": [list(surface.domain[0]), list(surface.domain[1])],
                    "minima": [list(p) for p in surface.minima],
                    "saddles": [list(p) for p in surface.saddles]},
        "contour": look.contour_data(surface, 100),
        "style": {"colorscale": look.COLORSCALE, "font": look.FONT, "plot_bg": look.PLOT_BG,
                  "minimum": look.MINIMUM_COLOR, "speeds": url_field("speed")["choices"]},
        "variants": variants,
        "rules": _rules(body, lang),
    }


def _formula_line(surface, lang: str) -> str:
    """f(x, y) = <formula>, or the loss of a surface from data in words."""
    if isinstance(surface, DataSurface):
        return STRINGS[lang]["data.lossLogistic" if surface.model == "logistic"
                             else "data.lossLinear"]
    return f"f(x, y) = {plain_source(surface.formula.tree)}"


def _data_view(surface, req: RunRequest, lang: str) -> dict:
    """A surface from data: its points, model and best fit (the data panel), and the
    steps per epoch when mini-batches are on (the loss chart's marks)."""
    if not isinstance(surface, DataSurface):
        return {"data": None, "epoch": None, "batches": None}
    ds = surface.dataset
    batch = req.batch
    epoch = math.ceil(surface.n / batch.size) if batch is not None else None
    batches = None
    if batch is not None:
        t = STRINGS[lang]
        batches = t["data.batches"].format(size=batch.size, seed=batch.seed, steps=epoch,
                                           order="" if batch.shuffle else t["data.inOrder"])
    return {"data": {"x": [float(v) for v in ds.x], "y": [float(v) for v in ds.y],
                     "model": surface.model,
                     "best": list(surface.minima[0]) if surface.minima else None},
            "epoch": epoch, "batches": batches}


def _json_for_script(data: dict) -> str:
    """JSON that cannot end its <script> block early (every "<" as \\u003c)."""
    text = json.dumps(data, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


PAGE = """<!doctype html>
<html lang="{html_lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="Optimizer Playground {version}">
<title>{title}</title>
<style>:root {{ --font: {font}; }}
{css}</style>
</head>
<body>
<main>
<header>
<h1>{title}</h1>
<p>{surface_name} · <code>{formula}</code>{batches}</p>
</header>
<div class="layout">
<section>
<div class="plot-wrap" id="plot-wrap"><div id="plot"></div><canvas id="overlay" aria-hidden="true"></canvas></div>
<div class="bar">
<button type="button" id="play">{play}</button>
<input type="range" id="scrub" min="0" max="0" step="1" value="0" aria-label="{scrubber}">
<output id="readout" for="scrub"></output>
<label>{speed} <select id="speed"></select></label>
</div>
<div class="bar" id="lr-bar" hidden>
<label for="lr">{lr_label}</label>
<input type="range" id="lr" min="0" max="0" step="1" value="0">
<output id="lr-value" for="lr"></output>
</div>
</section>
<section>
<div id="data-panel" hidden><p id="data-title"></p><p id="data-model"></p>
<div class="plot-wrap" id="data-wrap"><div id="data-plot"></div><canvas id="data-overlay" aria-hidden="true"></canvas></div></div>
<table><thead><tr><th>{legend_run}</th><th>{legend_status}</th><th>{legend_loss}</th></tr></thead>
<tbody id="legend-body"></tbody></table>
<div id="loss"></div>
<p class="keys">{keys}</p>
</section>
</div>
<details><summary>{rules_title}</summary><pre>{rules}</pre></details>
<footer>{footer}</footer>
</main>
<script type="application/json" id="optplay-data">{data}</script>
<script>{plotly}</script>
<script>{player}</script>
</body>
</html>
"""


def render_html(data: dict) -> str:
    t = data["t"]
    e = html.escape
    return PAGE.format(
        html_lang="zh-CN" if data["lang"] == "zh" else "en", version=e(__version__),
        title=e(t["title"]), font=look.FONT, css=_asset("export.css"),
        surface_name=e(data["surface"]["name"]), formula=e(data["surface"]["formula"]),
        batches=f" · {e(data['batches'])}" if data.get("batches") else "",
        play=e(t["player.play"]), scrubber=e(t["player.scrubber"]), speed=e(t["player.speed"]),
        lr_label=e(t["lr.label"]), legend_run=e(t["legend.run"]),
        legend_status=e(t["legend.status"]), legend_loss=e(t["legend.loss"]),
        keys=e(t["keys"]), rules_title=e(t["rules"]), rules=e(data["rules"]),
        footer=e(t["footer"].format(version=__version__, date=date.today().isoformat())),
        data=_json_for_script(data), plotly=_plotly_source(), player=_asset("export.js"))


def export_html(request_body: dict | RunRequest, lang: str = "en",
                lr_variants: list[float] | None = None, cancelled=None) -> str:
    """The scene as one self-contained HTML file (text).  Raises pydantic's
    ValidationError or RequestError for a request the API would refuse; `cancelled()`
    is looked at as the engine runs (app.engine.scene.execute)."""
    return render_html(scene_data(request_body, lang, lr_variants, cancelled))
