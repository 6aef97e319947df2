"""Lessons (static/js/lessons.json): the tutorials' chapters as scenes, each a URL query of
the page with its captions, and claims about what the scene computes.

    lesson(id) -> the lesson or None
    lesson_search(search) -> the query a link stands for (static/js/lessons.js lessonSearch)
    unknown_keys(query) -> the keys of a query that static/js/table.json does not know
    check(claims, answer) -> what does not hold, in words ([] when every claim holds)

A link `?lesson=<id>` without rows (`o`) opens the lesson's scene, its own keys (`lang`,
`steps`, ...) written over the lesson's; a link with rows is a scene of its own (a lesson
after an edit, reloaded) and keeps only the caption.
"""

from __future__ import annotations

import json
import re
from urllib.parse import parse_qsl, urlencode

import numpy as np

from ..paths import STATIC_DIR
from .table import URL_KEYS, url_field

DATA = json.loads((STATIC_DIR / "js" / "lessons.json").read_text(encoding="utf-8"))
LESSONS: list[dict] = DATA["lessons"]
TOL: float = DATA["tol"]
_BY_ID = {x["id"]: x for x in LESSONS}
ROWS_KEY = url_field("rows")["key"]
LESSON_KEY = url_field("lesson")["key"]


def lesson(id_: str | None) -> dict | None:
    return _BY_ID.get(id_) if isinstance(id_, str) else None


def lesson_search(search: str) -> str:
    pairs = parse_qsl(search.lstrip("?"), keep_blank_values=True)
    found = lesson(next((v for k, v in pairs if k == LESSON_KEY), None))
    if found is None or any(k == ROWS_KEY for k, _ in pairs):
        return search.lstrip("?")
    own = {k for k, _ in pairs}
    base = [(k, v) for k, v in parse_qsl(found["scene"], keep_blank_values=True) if k not in own]
    return urlencode(base + pairs)


def known_key(key: str) -> bool:
    """Is `key` one of the table's URL keys (a row's with its row number)?"""
    for group in ("scene", "map"):
        for spec in URL_KEYS[group]:
            if key in [v for name, v in spec.items() if name == "key" or name.endswith("_key")]:
                return True
    return any(re.fullmatch(re.escape(spec["key"]) + r"[1-9][0-9]*", key) for spec in URL_KEYS["row"])


def unknown_keys(query: str) -> list[str]:
    return sorted({k for k, _ in parse_qsl(query, keep_blank_values=True) if not known_key(k)})


def scenes(item: dict) -> list[tuple[str, str, list]]:
    """(name, query, claims) of a lesson's scene and of each of its variants."""
    out = [(item["id"], item["scene"], item.get("claims", []))]
    for i, v in enumerate(item.get("variants", []), 1):
        out.append((f"{item['id']}/{i}", v["scene"], v.get("claims", [])))
    return out


# ----------------------------------------------------------------- claims
def _first(mask) -> int | None:
    hits = np.flatnonzero(mask)
    return int(hits[0]) if hits.size else None


def _reached(run: dict, surface: dict) -> int | None:
    minima = np.asarray(surface.get("minima") or [], dtype=float).reshape(-1, 2)
    path = np.asarray(run["path"], dtype=float).reshape(-1, 2)
    if not minima.size:
        return None
    d = np.min(np.linalg.norm(path[:, None, :] - minima[None, :, :], axis=2), axis=1)
    return _first(d <= TOL)


def _left(run: dict, surface: dict) -> int | None:
    (x0, x1), (y0, y1) = surface["domain"]
    p = np.asarray(run["path"], dtype=float).reshape(-1, 2)
    return _first((p[:, 0] < x0) | (p[:, 0] > x1) | (p[:, 1] < y0) | (p[:, 1] > y1))


def _rises(run: dict) -> int:
    return int(np.sum(np.diff(np.asarray(run["loss"], dtype=float)) > 0))


def _between(v, lo_hi) -> bool:
    return v is not None and lo_hi[0] <= v < lo_hi[1]


def _close(a: float, b: float) -> bool:
    return abs(a - b) <= 1e-9 * max(abs(b), 1e-12)


def _lr_first_drop(lr) -> int | None:
    lr = np.asarray(lr, dtype=float)
    k = _first(lr[1:] < lr[:-1])
    return None if k is None else k + 1


# claim name -> (what it measures, whether the measure satisfies the value)
CLAIMS = {
    "status": (lambda r, s: r["status"], lambda m, v: m == v),
    "reason_has": (lambda r, s: (r.get("diverged_reason") or {}).get("en", ""), lambda m, v: v in m),
    "reaches_min": (_reached, lambda m, v: (m is not None) == v),
    "reaches_min_before": (_reached, lambda m, v: m is not None and m < v),
    "reaches_min_between": (_reached, _between),
    "stays_on_plot": (_left, lambda m, v: (m is None) == v),
    "leaves_plot_before": (_left, lambda m, v: m is not None and m < v),
    "leaves_plot_between": (_left, _between),
    "final_loss_below": (lambda r, s: float(r["loss"][-1]), lambda m, v: m < v),
    "final_loss_above": (lambda r, s: float(r["loss"][-1]), lambda m, v: m > v),
    "late_mean_loss_below": (lambda r, s: float(np.mean(r["loss"][len(r["loss"]) // 2:])), lambda m, v: m < v),
    "late_mean_loss_above": (lambda r, s: float(np.mean(r["loss"][len(r["loss"]) // 2:])), lambda m, v: m > v),
    "loss_rises_at_least": (lambda r, s: _rises(r), lambda m, v: m >= v),
    "loss_rises_at_most": (lambda r, s: _rises(r), lambda m, v: m <= v),
    "loss_rises_between": (lambda r, s: _rises(r), _between),
    "loss_jump_after": (lambda r, s: r["loss"], lambda m, v: len(m) > v[0] + 1 and m[v[0] + 1] >= v[1] * m[v[0]]),
    "loss_falls_after": (lambda r, s: r["loss"], lambda m, v: len(m) > v + 1 and m[v + 1] < m[v]),
    "lr_at": (lambda r, s: r["lr"], lambda m, v: len(m) > v[0] and _close(float(m[v[0]]), v[1])),
    "lr_peak_at": (lambda r, s: int(np.argmax(r["lr"])), lambda m, v: m == v),
    "lr_first_drop_between": (lambda r, s: _lr_first_drop(r["lr"]), _between),
    "evals_at_least": (lambda r, s: sum(len(e) for e in (r.get("evals") or [])), lambda m, v: m >= v),
}


def needs_state(claims: list[dict]) -> bool:
    """LBFGS's evaluations come with the optimizer's state."""
    return any("evals_at_least" in c for c in claims)


def check(claims: list[dict], answer: dict) -> list[str]:
    """What does not hold. `answer`: {"surface": {"domain", "minima"}, "runs": [{"status",
    "path", "loss", "lr", "evals"?, "diverged_reason"?}]} (the API's answer, or the page's)."""
    failed = []
    for claim in claims:
        (name, value), = [(k, v) for k, v in claim.items() if k != "run"]
        if name not in CLAIMS:
            failed.append(f"unknown claim {name!r}")
            continue
        runs = answer["runs"]
        if not 1 <= claim["run"] <= len(runs):
            failed.append(f"run {claim['run']}: no such run ({len(runs)} runs)")
            continue
        measure, holds = CLAIMS[name]
        m = measure(runs[claim["run"] - 1], answer["surface"])
        if not holds(m, value):
            shown = m if not isinstance(m, (list, np.ndarray)) or len(m) < 8 else f"[{len(m)} values]"
            failed.append(f"run {claim['run']}: {name} {value!r} does not hold (it is {shown})")
    return failed
