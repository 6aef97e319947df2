"""Short texts shared by the exports: numbers as the page prints them (static/js/format.js)
and a run's label as the page writes it (Catalog.rowLabel in static/js/catalog.js)."""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal

from ..engine.optim import REGISTRY as OPTIMIZERS


def _trim(s: str) -> str:
    return s.rstrip("0").rstrip(".") if "." in s else s


def _js_fixed(v: float, digits: int) -> str:
    """Number.prototype.toFixed: the exact binary value, rounded half away from zero."""
    return f"{Decimal(v).quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP):f}"


def fmt(v, digits: int = 4) -> str:
    """format.js fmt(): 4 significant digits, exponent form below 1e-3 and from 1e5."""
    if v is None:
        return "—"
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        return str(v)
    v = float(v)
    if not math.isfinite(v):
        return "∞" if v > 0 else ("−∞" if v < 0 else "NaN")
    if v == 0:
        return "0"
    a = abs(v)
    if a >= 1e5 or a < 1e-3:
        m, e = f"{v:.{max(0, digits - 2)}e}".split("e")
        return f"{_trim(m)}e{int(e)}"
    int_digits = math.floor(math.log10(a)) + 1
    return _trim(_js_fixed(v, min(20, max(0, digits - int_digits))))


def _same(a, b) -> bool:
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if isinstance(a, (int, float)) and isinstance(b, (int, float)) \
            and not isinstance(a, bool) and not isinstance(b, bool):
        return abs(a - b) <= 1e-15 * max(1.0, abs(a))
    return a == b


def changed_params(run: dict) -> list[str]:
    """The run's hyperparameters as "name=value", lr first, then every other one that
    differs from PyTorch's default (a Lookahead's inner optimizer by its name)."""
    cls = OPTIMIZERS.get(run.get("optimizer"))
    if cls is None:
        return []
    params = run.get("params") or {}
    bits = []
    for h in cls.hypers:
        if h.name not in params:
            continue
        v = params[h.name]
        if h.name != "lr" and _same(v, h.default):
            continue
        if h.kind == "optimizer":
            inner = OPTIMIZERS.get((v or {}).get("optimizer"))
            bits.append(inner.torch_name if inner else str((v or {}).get("optimizer")))
        elif h.kind == "bool":
            if v:
                bits.append(h.name)
        elif isinstance(v, (list, tuple)):
            bits.append(f"{h.name}={','.join(fmt(x, 3) for x in v)}")
        else:
            bits.append(f"{h.name}={fmt(v, 3)}")
    bits.sort(key=lambda b: 0 if b.startswith("lr=") else 1)
    return bits


def run_label(run: dict, max_extra: int = 2) -> str:
    """"Adam lr=0.05 amsgrad · StepLR": the run's own label if it has one, else its
    optimizer, lr and what differs from the defaults (as the page's legend)."""
    if run.get("label"):
        return str(run["label"])
    cls = OPTIMIZERS.get(run.get("optimizer"))
    if cls is None:
        return str(run.get("optimizer"))
    shown = changed_params(run)[: 1 + max_extra]
    label = cls.torch_name + (" " + " ".join(shown) if shown else "")
    sched = run.get("scheduler")
    if sched:
        label += f" · {sched.get('name')}"
    return label + lab_label(run, cls.torch_name)


def legend_parts(run: dict) -> tuple[str, str]:
    """A legend entry's two texts: ("SGD", "lr=0.002 momentum=0.9 · StepLR · σ=0.1"),
    every changed hyperparameter (static/js/plotlegend.js legendParts writes the same)."""
    cls = OPTIMIZERS.get(run.get("optimizer"))
    name = str(run.get("label") or (cls.torch_name if cls else run.get("optimizer")))
    detail = " ".join(changed_params(run))
    extra = []
    if run.get("scheduler"):
        extra.append(str(run["scheduler"].get("name")))
    noise = run.get("noise") or {}
    if noise.get("std"):
        extra.append(f"σ={fmt(noise['std'], 3)}")
    if cls is not None:
        lab = lab_label(run, cls.torch_name).removeprefix(" · ")
        if lab:
            extra.append(lab)
    return name, " · ".join([detail, *extra] if detail else extra)


def _values(v: dict | None) -> str:
    items = list((v or {}).items())
    text = " ".join(f"{k}={','.join(fmt(y, 3) for y in x) if isinstance(x, (list, tuple)) else fmt(x, 3) if isinstance(x, (int, float)) and not isinstance(x, bool) else _js_str(x)}"
                    for k, x in items[:2])
    return text + (" …" if len(items) > 2 else "")


def _js_str(x) -> str:
    return "true" if x is True else "false" if x is False else "null" if x is None else str(x)


def lab_label(run: dict, name: str) -> str:
    """catalog.js labLabel: the torch.optim API options of a run in its label, as code."""
    parts = []
    groups = run.get("groups")
    if groups:
        parts.append(f"x({_values(groups.get('x'))}) y({_values(groups.get('y'))})")
    if run.get("zero_grad") == "never":
        parts.append("no zero_grad()")
    events = run.get("events") or []
    for e in events[:2]:
        params = e.get("params") or {}
        if e.get("state", "keep") == "reset":
            parts.append(f"@{e['at']} {name}({_values(params)})")
        else:
            parts.append(f"@{e['at']} {_values(params)}".rstrip())
    if len(events) > 2:
        parts.append("…")
    return "".join(f" · {p}" for p in parts)
