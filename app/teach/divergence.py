"""Why a run diverged, in words a student can act on (English and Chinese).

    explain(surface, run_answer, optimizer, params) -> {"en": ..., "zh": ...} | None
    annotate(answer, request) -> answer     (adds "diverged_reason" to diverged runs)

- SGD (plain, momentum, Nesterov) that blew up: on a quadratic, gradient descent is
  stable only while lr < 2/λ_max (λ_max: the largest eigenvalue of the Hessian), with
  heavy-ball momentum μ while lr·(1 − dampening) < 2(1 + μ)/λ_max, with Nesterov while
  lr < 2(1 + μ)/((1 + 2μ)·λ_max); weight decay adds to every eigenvalue.  The Hessian is
  the formula engine's exact one, taken along the path where the steps began to grow.
- A step that landed outside the domain of log or sqrt (the loss is NaN there).
- Otherwise: the steps grew at each iteration until the numbers overflowed, or a
  generic message.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..engine.expr import Call, compile_formula
from ..engine.expr.nodes import postorder
from ..engine.optim import REGISTRY as OPTIMIZERS
from .formula_code import plain_source
from .labels import fmt

RESTRICTED = {"log": ("≤ 0", "小于或等于 0"), "sqrt": ("< 0", "小于 0")}


def _lr_at(run_answer: dict, params: dict, optimizer: str, k: int) -> float | None:
    lrs = run_answer.get("lr") or []
    if k < len(lrs):
        return lrs[k]
    if lrs:
        return lrs[-1]
    lr = params.get("lr")
    if lr is None and optimizer in OPTIMIZERS:
        lr = next((h.default for h in OPTIMIZERS[optimizer].hypers if h.name == "lr"), None)
    return lr


def _sgd_bound(params: dict) -> tuple[float, str, str] | None:
    """(c, rule_en, rule_zh): SGD is stable on curvature λ while lr < c / λ."""
    if params.get("maximize"):
        return None
    mu = float(params.get("momentum") or 0.0)
    damp = float(params.get("dampening") or 0.0)
    if mu == 0.0:
        return 2.0, "plain SGD is stable only while lr < 2/λ_max", "普通 SGD 只有在 lr < 2/λ_max 时才稳定"
    if params.get("nesterov"):
        c = 2.0 * (1.0 + mu) / (1.0 + 2.0 * mu)
        return (c, f"SGD with Nesterov momentum μ = {fmt(mu, 3)} is stable only while "
                   f"lr < 2(1+μ)/((1+2μ)·λ_max)",
                f"带 Nesterov 动量 μ = {fmt(mu, 3)} 的 SGD 只有在 lr < 2(1+μ)/((1+2μ)·λ_max) 时才稳定")
    if damp >= 1.0:
        return None
    c = 2.0 * (1.0 + mu) / (1.0 - damp)
    tail_en = (f" (dampening = {fmt(damp, 3)} scales each gradient by {fmt(1 - damp, 3)}, "
               f"so the bound is lr·(1 − dampening) < 2(1+μ)/λ_max)") if damp else ""
    tail_zh = (f"（dampening = {fmt(damp, 3)} 使每个梯度乘以 {fmt(1 - damp, 3)}，"
               f"所以条件是 lr·(1 − dampening) < 2(1+μ)/λ_max）") if damp else ""
    return (c, f"SGD with momentum μ = {fmt(mu, 3)} is stable only while lr < 2(1+μ)/λ_max"
               + tail_en,
            f"带动量 μ = {fmt(mu, 3)} 的 SGD 只有在 lr < 2(1+μ)/λ_max 时才稳定" + tail_zh)


def _growth_start(lengths: np.ndarray) -> int:
    """Index (into the path) of the point where the final run of ever longer steps began."""
    j = len(lengths) - 1
    while j > 0 and lengths[j] > lengths[j - 1]:
        j -= 1
    return j


def _lambda_max(formula, point, weight_decay: float) -> float | None:
    with np.errstate(all="ignore"):
        h = formula.hessian(np.asarray(point, dtype=float))
    if not np.all(np.isfinite(h)):
        return None
    return float(np.linalg.eigvalsh(h)[-1]) + weight_decay


def _explain_sgd(formula, path, lengths, run_answer, params) -> dict | None:
    bound = _sgd_bound(params)
    if bound is None:
        return None
    c, rule_en, rule_zh = bound
    wd = float(params.get("weight_decay") or 0.0)
    first = max(0, _growth_start(lengths) - 1) if len(lengths) else 0
    found = None
    for j in range(first, len(path)):
        lam = _lambda_max(formula, path[j], wd)
        lr = _lr_at(run_answer, params, "sgd", j)
        if lam is not None and lam > 0 and lr is not None and lr * lam > c:
            found = (j, lam, lr)          # the first point of the blow-up past the bound
            break
    if found is None:
        return None
    j, lam, lr = found
    x, y = path[j]
    limit = c / lam
    wd_en = f" (λ_max includes weight_decay = {fmt(wd, 3)})" if wd else ""
    wd_zh = f"（λ_max 已包含 weight_decay = {fmt(wd, 3)}）" if wd else ""
    return {
        "en": (f"The lr was too large for the curvature here. At step {j}, at the point "
               f"({fmt(x)}, {fmt(y)}), the surface curves most steeply with "
               f"λ_max = {fmt(lam)} (the largest eigenvalue of the Hessian){wd_en}. "
               f"{rule_en[0].upper() + rule_en[1:]}, that is lr < {fmt(limit)} here, but "
               f"lr = {fmt(lr)}. So each step overshot the valley by more than the one "
               f"before, and the path blew up. Try an lr below {fmt(limit)}."),
        "zh": (f"学习率对这里的曲率来说太大了。第 {j} 步时在 ({fmt(x)}, {fmt(y)}) 处，曲面最陡方向的"
               f"曲率为 λ_max = {fmt(lam)}（Hessian 矩阵的最大特征值）{wd_zh}。{rule_zh}，"
               f"在这里就是 lr < {fmt(limit)}，而实际 lr = {fmt(lr)}。于是每一步越过谷底的距离"
               f"都比上一步更大，路径最终发散。请试试小于 {fmt(limit)} 的 lr。"),
    }


def _probes(formula, path, lengths, optimizer, params, lr) -> list[np.ndarray]:
    """Where the diverging step may have landed: for plain SGD without noise the point
    itself; otherwise points along the last step's direction and along -∇f."""
    p = path[-1]
    with np.errstate(all="ignore"):
        _, g = formula.value_and_grad(p.reshape(1, 2))
    g = g[0]
    out = []
    if optimizer == "sgd" and lr is not None and not params.get("maximize"):
        mu = float(params.get("momentum") or 0.0)
        if len(path) == 1:
            d = g + float(params.get("weight_decay") or 0.0) * p
            out.append(p - lr * (d * (1 + mu) if params.get("nesterov") else d))
    scale = float(lengths[-1]) if len(lengths) else (
        (lr or 1.0) * float(np.hypot(*g)) if np.all(np.isfinite(g)) else 1.0)
    dirs = []
    if len(lengths) and lengths[-1] > 0:
        dirs.append((path[-1] - path[-2]) / lengths[-1])
    norm = float(np.hypot(*g)) if np.all(np.isfinite(g)) else 0.0
    if norm > 0:
        dirs.append(-g / norm)
    for d in dirs:
        for t in (0.25, 0.5, 1.0, 1.5, 2.0, 3.0, 4.0):
            out.append(p + t * max(scale, 1e-12) * d)
    return out


def _explain_domain(formula, path, lengths, optimizer, params, lr, k1) -> dict | None:
    if formula.tree is None:        # a loss over data: defined everywhere
        return None
    calls = [n for n in postorder(formula.tree) if type(n) is Call and n.func in RESTRICTED]
    if not calls:
        return None
    probes = _probes(formula, path, lengths, optimizer, params, lr)
    p = path[-1]
    for node in calls:
        arg = compile_formula(plain_source(node.arg), max_length=None, max_depth=None)
        with np.errstate(all="ignore"):
            here = float(arg.value(p.reshape(1, 2))[0])
        bad = (lambda v: v <= 0) if node.func == "log" else (lambda v: v < 0)
        if not math.isfinite(here) or bad(here):
            continue
        for q in probes:
            with np.errstate(all="ignore"):
                v = float(arg.value(q.reshape(1, 2))[0])
            if math.isfinite(v) and bad(v):
                text = plain_source(node)
                if len(text) > 40:
                    text = f"{node.func}(…)"
                neg_en, neg_zh = RESTRICTED[node.func]
                x, y = p
                return {
                    "en": (f"Step {k1} left the domain of {text}: from ({fmt(x)}, {fmt(y)}) "
                           f"the step landed where its argument is {neg_en}, so f is not "
                           f"defined there (NaN). Try a smaller lr, or a start farther from "
                           f"that edge."),
                    "zh": (f"第 {k1} 步走出了 {text} 的定义域：从 ({fmt(x)}, {fmt(y)}) 出发，"
                           f"这一步落在其自变量{neg_zh} 的地方，f 在那里没有定义（NaN）。"
                           f"可以试试更小的 lr，或者把起点放得离这条边界远一些。"),
                }
    return None


def explain(surface, run_answer: dict, optimizer: str, params: dict | None = None) -> dict | None:
    """{"en", "zh"}: why `run_answer` (one run of a run answer) diverged; None if it did
    not.  `surface`: a Surface, a built-in id, or {"expr", "domain"}."""
    if run_answer.get("status") != "diverged":
        return None
    surface = _surface(surface)
    params = dict(params or {})
    formula = surface.formula
    path = np.asarray(run_answer["path"], dtype=float).reshape(-1, 2)
    lengths = np.hypot(*np.diff(path, axis=0).T) if len(path) > 1 else np.zeros(0)
    k1 = int(run_answer.get("steps_done", len(path) - 1)) + 1
    lr = _lr_at(run_answer, params, optimizer, len(path) - 1)
    name = OPTIMIZERS[optimizer].torch_name if optimizer in OPTIMIZERS else optimizer

    growing = len(lengths) >= 3 and _growth_start(lengths) <= len(lengths) - 3
    # Near the plot, a step into NaN is more likely than an overflow: look there first.
    (x0, x1), (y0, y1) = surface.domain
    reach = 10.0 * max(x1 - x0, y1 - y0, abs(x0), abs(x1), abs(y0), abs(y1))
    near = bool(np.all(np.abs(path[-1]) <= reach))
    order = [_explain_domain, _explain_sgd] if near else [_explain_sgd, _explain_domain]
    for rule in order:
        if rule is _explain_domain:
            why = _explain_domain(formula, path, lengths, optimizer, params, lr, k1)
        elif optimizer == "sgd":
            why = _explain_sgd(formula, path, lengths, run_answer, params)
        else:
            why = None
        if why is not None:
            return why
    if growing:
        j = _growth_start(lengths)
        a, b = lengths[j], lengths[-1]
        return {
            "en": (f"From step {j + 1} on, each step was longer than the one before (from "
                   f"{fmt(a)} to {fmt(b)}) until the numbers overflowed: {name} with "
                   f"lr = {fmt(lr)} takes too large steps on this part of the surface. Try a "
                   f"smaller lr."),
            "zh": (f"从第 {j + 1} 步开始，每一步都比上一步更长（从 {fmt(a)} 增长到 {fmt(b)}），"
                   f"直到数值溢出：在曲面的这一区域，lr = {fmt(lr)} 的 {name} 步子迈得太大了。"
                   f"请试试更小的 lr。"),
        }
    return {
        "en": (f"At step {k1} the point or the loss stopped being a finite number (an "
               f"overflow, or a value where f is not defined). With {name}, lr = {fmt(lr)} "
               f"is probably too large for this surface: try a smaller one."),
        "zh": (f"第 {k1} 步时，位置或损失不再是有限的数（数值溢出，或到了 f 没有定义的地方）。"
               f"对 {name} 来说，lr = {fmt(lr)} 在这个曲面上可能太大了，请试试更小的值。"),
    }


def _surface(spec: Any):
    from ..engine.data import DataSurface
    from ..engine.surfaces import SURFACES, Surface, custom_surface
    if isinstance(spec, (Surface, DataSurface)):
        return spec
    if isinstance(spec, str):
        return SURFACES[spec]
    if isinstance(spec, dict):
        return custom_surface(spec["expr"], spec["domain"])
    from ..engine.request import resolve_surface
    return resolve_surface(spec)


def annotate(answer: dict, request) -> dict:
    """Add "diverged_reason": {"en", "zh"} to every diverged run of `answer` (the answer
    of POST /api/v1/run to `request`, a dict or a RunRequest); returns `answer`."""
    from ..engine.request import RunRequest, params_of, resolve_surface
    if not any(r.get("status") == "diverged" for r in answer.get("runs", [])):
        return answer
    req = request if isinstance(request, RunRequest) else RunRequest.model_validate(request)
    surface = resolve_surface(req.surface)
    for run, spec in zip(answer["runs"], req.runs):
        if run.get("status") != "diverged":
            continue
        params = params_of(spec)
        try:
            why = explain(surface, run, spec.optimizer, params)
        except (ArithmeticError, ValueError, np.linalg.LinAlgError):
            why = None
        if why is not None:
            run["diverged_reason"] = why
    return answer
