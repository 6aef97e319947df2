"""The page's share URL -> a run request, mirroring static/js/state.js (decodeState and
runRequest) function for function, against the same catalogues the page fetches.

    decode_state(query) -> state          (the page's state object, as a dict)
    run_request(state) -> body            (POST /api/v1/run, exactly as the page sends it)
    request_from_url(url_or_query) -> (body, state)   body plus the rows' colours, without
                                                      hidden rows: what an export draws

The format (see the comment at the top of state.js): s= or f=/d=, start=, steps=, one o=
per optimizer row as name(key=value;...), sched<n>=, noise<n>=, seed<n>=, fan<n>=, c=, hide=,
speed=, lang=, view=.
Every key is optional; anything unusable takes its default, as on the page.
"""

from __future__ import annotations

import math
import re
from typing import Any
from urllib.parse import parse_qsl

from ..engine import catalog as catalogues
from .share_map import decode_map, default_map

PALETTE = ["#e8453c", "#1f77d0", "#f2a900", "#7b3fd1", "#11a37f", "#ef5fa7", "#00a3c4",
           "#8c564b", "#b8c400", "#444444", "#ff8c1a", "#4b6bff", "#2ca02c", "#d62728",
           "#9467bd", "#17becf"]
SPEEDS = [0.25, 0.5, 1, 2, 4, 8]
MAX_ROWS = 16
STEPS_MAX = 10000
DEFAULT_SURFACE = "rosenbrock"
DEFAULT_STEPS = 200
FANS = (4, 8, 16)
SEED_MAX = 2147483647
DEFAULT_ROWS = [("sgd", {"lr": 0.002}), ("sgd", {"lr": 0.001, "momentum": 0.9}),
                ("adam", {"lr": 0.1}), ("rmsprop", {"lr": 0.01})]
STEP_COUNTS = ("total_steps", "T_max")

UNDEF = object()          # JavaScript's undefined: "no usable value"


# ----------------------------------------------------------------- JavaScript numbers
_DECIMAL = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_PREFIXED = re.compile(r"0([xXoObB])([0-9a-fA-F]+)")


def js_number(text: str | None) -> float:
    """Number(text) of JavaScript (Number(null) is 0)."""
    if text is None:
        return 0.0
    s = text.strip()
    if s == "":
        return 0.0
    if s in ("Infinity", "+Infinity"):
        return math.inf
    if s == "-Infinity":
        return -math.inf
    m = _PREFIXED.fullmatch(s)
    if m:
        base = {"x": 16, "o": 8, "b": 2}[m.group(1).lower()]
        try:
            return float(int(m.group(2), base))
        except ValueError:
            return math.nan
    if _DECIMAL.fullmatch(s):
        return float(s)
    return math.nan


def as_json_number(v: float):
    """What JSON.stringify writes and the server reads: integers without a fraction."""
    if math.isfinite(v) and v == int(v) and abs(v) < 1e21:
        return int(v)
    return v


def _is_integer(v: float) -> bool:
    return math.isfinite(v) and v == int(v)


def _js_round(v: float) -> int:
    return math.floor(v + 0.5)


# ----------------------------------------------------------------- URLSearchParams
class Query:
    def __init__(self, search: str):
        self.pairs = parse_qsl(search.lstrip("?"), keep_blank_values=True)

    def get(self, key: str) -> str | None:
        return next((v for k, v in self.pairs if k == key), None)

    def get_all(self, key: str) -> list[str]:
        return [v for k, v in self.pairs if k == key]

    def has(self, key: str) -> bool:
        return any(k == key for k, _ in self.pairs)


# ----------------------------------------------------------------- the catalogue
class Catalog:
    """static/js/catalog.js Catalog, over the server's own catalogues."""

    def __init__(self):
        self.optimizers = catalogues.optimizers()["optimizers"]
        self.schedulers = catalogues.schedulers()["schedulers"]
        self.surfaces = catalogues.surfaces()["surfaces"]
        self._opt = {o["id"]: o for o in self.optimizers}
        self._sched = {s["id"]: s for s in self.schedulers}
        self._surf = {s["id"]: s for s in self.surfaces}

    def optimizer(self, id_):
        return self._opt.get(id_)

    def scheduler(self, id_):
        return self._sched.get(id_)

    def surface(self, id_):
        return self._surf.get(id_)

    def required_values(self, item, steps: int = 200) -> dict:
        out = {}
        for p in (item or {}).get("params", []):
            if p["name"] in STEP_COUNTS and (p["default"] is None or p["name"] == "T_max"):
                out[p["name"]] = steps
                continue
            if p["default"] is not None or p.get("nullable"):
                continue
            out[p["name"]] = self.suggested_value(p, steps)
        return out

    def suggested_value(self, p: dict, steps: int):
        lo, hi = p.get("ui") or [p.get("min", 0) if p.get("min") is not None else 0,
                                 p.get("max") if p.get("max") is not None else max(1, steps)]
        kind = p["type"]
        if kind == "int":
            return min(math.floor(hi), max(math.ceil(lo), max(1, _js_round(steps / 4))))
        if kind == "float":
            return as_json_number(math.sqrt(max(lo, 1e-12) * hi) if p.get("log") else (lo + hi) / 2)
        if kind in ("int_list", "float_list"):
            return [_js_round(steps / 3), _js_round(2 * steps / 3)]
        if kind == "pair":
            return [lo, hi]
        if kind == "bool":
            return False
        if kind == "choice":
            choices = p.get("choices") or []
            return choices[0] if choices else None
        if kind == "optimizer":
            return {"optimizer": "sgd", "params": {}}
        if kind == "schedulers":
            first = "LinearLR" if self.scheduler("LinearLR") else (
                self.schedulers[0]["id"] if self.schedulers else None)
            second = "ExponentialLR" if self.scheduler("ExponentialLR") else first
            return [{"name": n, "params": self.required_values(self.scheduler(n), steps)}
                    for n in (first, second) if n]
        return None


def same_value(a, b) -> bool:
    """catalog.js sameValue: deep equality, numbers to 1e-15 relative."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if a is None or b is None:
        return a is b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a == b or abs(a - b) <= 1e-15 * max(1, abs(a))
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same_value(x, y) for x, y in zip(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return len(a) == len(b) and all(k in b and same_value(a[k], b[k]) for k in a)
    return a == b


# ----------------------------------------------------------------- call syntax
def split_top(text: str, sep: str) -> list[str]:
    out, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth = max(0, depth - 1)
        elif ch == sep and depth == 0:
            out.append(text[start:i])
            start = i + 1
    out.append(text[start:])
    return out


def parse_call(text: str) -> tuple[str, dict]:
    s = str(text).strip()
    opened = s.find("(")
    if opened < 0:
        return s, {}
    name = s[:opened].strip()
    body = s[opened + 1:-1] if s.endswith(")") else s[opened + 1:]
    args: dict[str, str] = {}
    for part in split_top(body, ";"):
        eq = part.find("=")
        if eq <= 0:
            continue
        args[part[:eq].strip()] = part[eq + 1:].strip()
    return name, args


def _parse_number(raw: str, spec: dict, integer: bool):
    if raw in ("null", "None", ""):
        return None if spec.get("nullable") else UNDEF
    v = js_number(raw)
    if not math.isfinite(v):
        return UNDEF
    if integer and not _is_integer(v):
        return UNDEF
    return as_json_number(v)


def from_raw(spec: dict, raw: str, catalog: Catalog, steps: int = DEFAULT_STEPS):
    kind = spec["type"]
    if kind == "float":
        return _parse_number(raw, spec, False)
    if kind == "int":
        return _parse_number(raw, spec, True)
    if kind == "bool":
        if raw in ("1", "true", "True"):
            return True
        if raw in ("0", "false", "False"):
            return False
        return UNDEF
    if kind == "pair":
        parts = raw.split(",")
        if len(parts) != 2:
            return UNDEF
        v = [_parse_number(p.strip(), spec, False) for p in parts]
        return UNDEF if any(x is UNDEF for x in v) else v
    if kind in ("float_list", "int_list"):
        if raw.strip() == "":
            return []
        v = [_parse_number(p.strip(), {"nullable": False}, kind == "int_list")
             for p in raw.split(",")]
        return UNDEF if any(x is UNDEF for x in v) else v
    if kind == "choice":
        for c in spec.get("choices") or []:
            if ("null" if c is None else str(c)) == raw or (c is None and raw in ("null", "None")):
                return c
        return UNDEF
    if kind == "optimizer":
        name, args = parse_call(raw)
        opt = catalog.optimizer(name)
        if opt is None:
            return UNDEF
        return {"optimizer": opt["id"], "params": typed_args(opt, args, catalog, steps)}
    if kind == "schedulers":
        out = []
        for part in split_top(raw, ","):
            sch = decode_scheduler(part, catalog, steps)
            if sch:
                out.append(sch)
        return out
    return UNDEF


def typed_args(item: dict, args: dict, catalog: Catalog, steps: int = DEFAULT_STEPS) -> dict:
    params: dict[str, Any] = {}
    for name, raw in args.items():
        spec = next((p for p in item["params"] if p["name"] == name), None)
        if spec is None:
            continue
        v = from_raw(spec, raw, catalog, steps)
        if v is not UNDEF and (name == "lr" or not same_value(v, spec["default"])):
            params[name] = v
    return params


def decode_scheduler(text: str, catalog: Catalog, steps: int = DEFAULT_STEPS) -> dict | None:
    """What the text leaves out and PyTorch has no default for is sized for `steps`."""
    name, args = parse_call(text)
    item = catalog.scheduler(name)
    if item is None:
        return None
    params = {**catalog.required_values(item, steps), **typed_args(item, args, catalog, steps)}
    return full_scheduler({"name": item["id"], "params": params}, catalog)


def full_scheduler(sch: dict, catalog: Catalog) -> dict:
    item = catalog.scheduler(sch["name"])
    given = sch.get("params") or {}
    if item is None:
        return {"name": sch["name"], "params": given}
    params = {}
    for spec in item["params"]:
        present = spec["name"] in given
        v = given[spec["name"]] if present else spec["default"]
        if v is None and not present:
            continue
        if spec["type"] == "schedulers" and isinstance(v, list):
            v = [full_scheduler(c, catalog) for c in v]
        params[spec["name"]] = v
    return {"name": sch["name"], "params": params}


# ----------------------------------------------------------------- whole state
def _new_row(optimizer: str, params: dict) -> dict:
    return {"optimizer": optimizer, "params": params, "scheduler": None, "noise": 0, "seed": 0,
            "fan": 0, "color": None, "visible": True}


def assign_colors(rows: list[dict]) -> None:
    for i, row in enumerate(rows):
        if row["color"]:
            continue
        used = {r["color"] for r in rows if r["color"]}
        row["color"] = next((c for c in PALETTE if c not in used), PALETTE[i % len(PALETTE)])


def default_state(catalog: Catalog) -> dict:
    rows = [_new_row(o, dict(p)) for o, p in DEFAULT_ROWS if catalog.optimizer(o)]
    assign_colors(rows)
    return {"surface": DEFAULT_SURFACE, "formula": None, "start": None,
            "steps": DEFAULT_STEPS, "rows": rows, "speed": 1, "lang": None,
            "view": "contour", "autoplay": False, "controls": None, "map": default_map(),
            "inspect": False, "arrows": False}


def _numbers(text: str | None, count: int):
    if not isinstance(text, str):
        return None
    v = [js_number(p.strip()) for p in text.split(",")]
    if len(v) == count and all(math.isfinite(x) for x in v) and text.strip() != "":
        return [as_json_number(x) for x in v]
    return None


def decode_state(search: str, catalog: Catalog | None = None) -> dict:
    """state.js decodeState: URL query -> the page's state."""
    catalog = catalog or Catalog()
    q = Query(search)
    st = default_state(catalog)

    f = q.get("f")
    d = _numbers(q.get("d"), 4)
    if f is not None and f.strip() != "":
        ok = d and d[0] < d[1] and d[2] < d[3]
        st["formula"] = {"expr": f, "domain": [[d[0], d[1]], [d[2], d[3]]] if ok
                         else [[-3, 3], [-3, 3]]}
        st["surface"] = None
    elif catalog.surface(q.get("s")):
        st["surface"] = q.get("s")

    start = _numbers(q.get("start"), 2)
    if start:
        st["start"] = start
    steps = js_number(q.get("steps"))
    if q.has("steps") and _is_integer(steps) and 1 <= steps <= STEPS_MAX:
        st["steps"] = int(steps)

    if q.has("o"):
        colors = (q.get("c") or "").split(",")
        hidden = {js_number(x) for x in (q.get("hide") or "").split(",")}
        rows = []
        for i, text in enumerate(t for t in q.get_all("o") if t.strip()):
            name, args = parse_call(text)
            opt = catalog.optimizer(name)
            if opt is None:
                continue
            row = _new_row(opt["id"], typed_args(opt, args, catalog, st["steps"]))
            n = i + 1
            sched = q.get(f"sched{n}")
            if sched:
                row["scheduler"] = decode_scheduler(sched, catalog, st["steps"])
            noise = js_number(q.get(f"noise{n}"))
            if q.has(f"noise{n}") and math.isfinite(noise) and noise >= 0:
                row["noise"] = as_json_number(noise)
            seed = js_number(q.get(f"seed{n}"))
            if q.has(f"seed{n}") and _is_integer(seed) and 0 <= seed <= SEED_MAX:
                row["seed"] = int(seed)
            fan = js_number(q.get(f"fan{n}"))
            if fan in FANS:
                row["fan"] = int(fan)
            if i < len(colors) and re.fullmatch(r"[0-9a-fA-F]{6}", colors[i]):
                row["color"] = "#" + colors[i].lower()
            if n in hidden:
                row["visible"] = False
            rows.append(row)
        st["rows"] = rows[:MAX_ROWS]
        assign_colors(st["rows"])

    st["map"] = decode_map(q, st["rows"], js_number, as_json_number)

    speed = js_number(q.get("speed"))
    if speed in SPEEDS:
        st["speed"] = as_json_number(speed)
    if q.get("lang") in ("en", "zh"):
        st["lang"] = q.get("lang")
    if q.get("view") == "3d":
        st["view"] = "3d"
    st["autoplay"] = q.get("autoplay") in ("1", "true")
    st["inspect"] = q.get("insp") == "1"
    st["arrows"] = q.get("arrows") == "1"
    if q.has("controls"):
        c = [s.strip() for s in q.get("controls").split(",") if s.strip()]
        st["controls"] = [] if "none" in c else c
    return st


def run_request(st: dict, catalog: Catalog | None = None) -> dict:
    """state.js runRequest: the body of POST /api/v1/run for a state."""
    catalog = catalog or Catalog()
    runs = []
    for row in st["rows"]:
        opt = catalog.optimizer(row["optimizer"]) or {"params": []}
        params = {p["name"]: row["params"][p["name"]] for p in opt["params"]
                  if p["name"] in row["params"]}
        run: dict[str, Any] = {"optimizer": row["optimizer"], "params": params}
        if row["scheduler"]:
            run["scheduler"] = full_scheduler(row["scheduler"], catalog)
        if row["noise"] > 0:
            run["noise"] = {"std": row["noise"], "seed": row["seed"]}
        runs.append(run)
    body: dict[str, Any] = {
        "surface": ({"expr": st["formula"]["expr"], "domain": st["formula"]["domain"]}
                    if st["formula"] else st["surface"]),
        "steps": st["steps"], "runs": runs}
    if st["start"]:
        body["start"] = st["start"]
    return body


def query_of(url_or_query: str) -> str:
    """The query string of a share URL (or the query string itself)."""
    s = url_or_query.strip()
    if "?" in s:
        s = s.split("?", 1)[1]
    elif "://" in s or s.startswith("/"):
        s = ""
    return s.split("#", 1)[0]


def request_from_url(url_or_query: str) -> tuple[dict, dict]:
    """(run request with each row's colour, page state) for a share URL: the rows the
    page shows (hidden ones left out, unless every row is hidden)."""
    catalog = Catalog()
    st = decode_state(query_of(url_or_query), catalog)
    body = run_request(st, catalog)
    for run, row in zip(body["runs"], st["rows"]):
        run["color"] = row["color"]
    shown = [run for run, row in zip(body["runs"], st["rows"]) if row["visible"]]
    if shown:
        body["runs"] = shown
    return body, st
