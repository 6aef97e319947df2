"""The page's share URL -> a run request, as static/js/state.js reads it (decodeState and
runRequest), against the same catalogues the page fetches and the same table of URL keys
(static/js/table.json: keys, kinds, limits, defaults).

    decode_state(query) -> state          (the page's state object, as a dict)
    run_request(state) -> body            (POST /api/v1/run, exactly as the page sends it)
    request_from_url(url_or_query) -> (body, state)   body plus the rows' colours, without
                                                      hidden rows: what an export draws

The format is described at the top of state.js. Every key is optional; anything unusable
takes its default, as on the page (tests/test_share_url.py decodes the same links with
state.js under Node.js and here).
"""

from __future__ import annotations

import math
import re
from typing import Any

from ..engine import catalog as catalogues
from ..engine.errors import RequestError
from .jsquery import UNDEF, Query, as_json_number, is_integer, js_number, js_round, read_field
from .share_map import decode_map
from .lessons import lesson_search
from .look import colors_for
from .table import URL_KEYS, defaults, url_field

DEFAULT_STEPS = url_field("steps")["default"]
STEP_COUNTS = tuple(URL_KEYS["step_counts"])

# ----------------------------------------------------------------- the catalogue
class Catalog:
    """static/js/catalog.js Catalog, over the server's own catalogues."""

    def __init__(self):
        self.optimizers = catalogues.optimizers()["optimizers"]
        self.schedulers = catalogues.schedulers()["schedulers"]
        self.surfaces = catalogues.surfaces()["surfaces"]
        self.datasets = catalogues.datasets()["datasets"]
        self._opt = {o["id"]: o for o in self.optimizers}
        self._sched = {s["id"]: s for s in self.schedulers}
        self._surf = {s["id"]: s for s in self.surfaces}
        self._data = {d["id"]: d for d in self.datasets}

    def optimizer(self, id_):
        return self._opt.get(id_)

    def scheduler(self, id_):
        return self._sched.get(id_)

    def surface(self, id_):
        return self._surf.get(id_)

    def dataset(self, id_):
        return self._data.get(id_)

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
            return min(math.floor(hi), max(math.ceil(lo), max(1, js_round(steps / 4))))
        if kind == "float":
            return as_json_number(math.sqrt(max(lo, 1e-12) * hi) if p.get("log") else (lo + hi) / 2)
        if kind in ("int_list", "float_list"):
            return [js_round(steps / 3), js_round(2 * steps / 3)]
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
    if integer and not is_integer(v):
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
    return {"optimizer": optimizer, "params": params, **defaults("row"), "color": None,
            "visible": True}


def assign_colors(rows: list[dict]) -> None:
    for row, color in zip(rows, colors_for(rows)):
        row["color"] = color


def default_state(catalog: Catalog) -> dict:
    rows = [_new_row(r["optimizer"], dict(r["params"])) for r in URL_KEYS["default_rows"]
            if catalog.optimizer(r["optimizer"])]
    assign_colors(rows)
    return {**defaults("scene"), "formula": None, "data": None, "model": None, "rows": rows}


def _numbers(text: str | None, count: int):
    if not isinstance(text, str):
        return None
    v = [js_number(p.strip()) for p in text.split(",")]
    if len(v) == count and all(math.isfinite(x) for x in v) and text.strip() != "":
        return [as_json_number(x) for x in v]
    return None


def parse_points(text: str | None) -> dict | None:
    """state.js parsePoints: "0.5:1.1,1:2" -> {x, y}, or None when any pair is unusable."""
    if not isinstance(text, str) or text.strip() == "":
        return None
    x, y = [], []
    for pair in text.split(","):
        xy = pair.split(":")
        if len(xy) != 2 or any(v.strip() == "" for v in xy):
            return None
        a, b = js_number(xy[0]), js_number(xy[1])
        if not (math.isfinite(a) and math.isfinite(b)):
            return None
        x.append(as_json_number(a))
        y.append(as_json_number(b))
    return {"x": x, "y": y}


def _read_surface(q: Query, st: dict, spec: dict, catalog: Catalog) -> None:
    f = q.get(spec["formula_key"])
    d = _numbers(q.get(spec["domain_key"]), 4)
    pts = parse_points(q.get(spec["points_key"]))
    if f is not None and f.strip() != "":
        ok = d and d[0] < d[1] and d[2] < d[3]
        st["formula"] = {"expr": f, "domain": [[d[0], d[1]], [d[2], d[3]]] if ok
                         else [list(r) for r in spec["domain_default"]]}
        st["surface"] = None
    elif pts or catalog.dataset(q.get(spec["data_key"])):
        st["data"] = pts or {"id": q.get(spec["data_key"])}
        st["surface"] = None
        if q.get(spec["model_key"]) in spec["models"]:
            st["model"] = q.get(spec["model_key"])
    elif catalog.surface(q.get(spec["key"])):
        st["surface"] = q.get(spec["key"])


def _read_point(q: Query, st: dict, spec: dict, catalog: Catalog) -> None:
    p = _numbers(q.get(spec["key"]), 2)
    if p:
        st[spec["field"]] = p


def _read_rows(q: Query, st: dict, spec: dict, catalog: Catalog) -> None:
    if not q.has(spec["key"]):
        return
    colors = (q.get(spec["colors_key"]) or "").split(",")
    hidden = {js_number(x) for x in (q.get(spec["hidden_key"]) or "").split(",")}
    rows = []
    for i, text in enumerate(t for t in q.get_all(spec["key"]) if t.strip()):
        name, args = parse_call(text)
        opt = catalog.optimizer(name)
        if opt is None:
            continue
        row = _new_row(opt["id"], typed_args(opt, args, catalog, st["steps"]))
        n = i + 1
        for f in URL_KEYS["row"]:
            key = f"{f['key']}{n}"
            reader = ROW_READERS.get(f["kind"])
            v = reader(q.get(key), row, f, catalog, st["steps"]) if reader else read_field(q, f, key)
            if v is not UNDEF:
                row[f["field"]] = v
        if i < len(colors) and re.fullmatch(r"[0-9a-fA-F]{6}", colors[i]):
            row["color"] = "#" + colors[i].lower()
        if n in hidden:
            row["visible"] = False
        rows.append(row)
    st["rows"] = rows[:spec["max"]]
    assign_colors(st["rows"])


# ----------------------------------------------------------------- a row's other keys
GROUP_KINDS = {"float", "int", "bool", "pair", "choice", "float_list", "int_list"}
COORDINATES = ("x", "y")
EVENT_STATES = ("keep", "reset")


def group_item(row: dict, catalog: Catalog) -> dict | None:
    """state.js groupItem: the catalogue entry whose hyperparameters the row's param
    groups and events hold (Lookahead's inner optimizer's), group kinds only."""
    opt = catalog.optimizer(row["optimizer"])
    if opt is None:
        return None
    inner_spec = next((p for p in opt["params"] if p["type"] == "optimizer"), None)
    item = opt
    if inner_spec is not None:
        inner = row["params"].get(inner_spec["name"]) or inner_spec["default"]
        item = catalog.optimizer((inner or {}).get("optimizer")) or catalog.optimizer("sgd")
    if item is None:
        return None
    return {**item, "params": [p for p in item["params"] if p["type"] in GROUP_KINDS]}


def groups_allowed(row: dict, catalog: Catalog) -> bool:
    item = group_item(row, catalog)
    return item is not None and not item.get("closure")


def _typed_values(item: dict, args: dict, catalog: Catalog, steps: int) -> dict:
    out = {}
    for spec in item["params"]:
        if spec["name"] in args:
            v = from_raw(spec, args[spec["name"]], catalog, steps)
            if v is not UNDEF:
                out[spec["name"]] = v
    return out


def clean_values(item: dict | None, values: dict | None) -> dict:
    values = values or {}
    return {p["name"]: values[p["name"]] for p in (item or {}).get("params", [])
            if p["name"] in values}


def _read_scheduler(raw, row, spec, catalog, steps):
    return decode_scheduler(raw, catalog, steps) if raw else UNDEF


def _read_groups(raw, row, spec, catalog, steps):
    if not raw or not groups_allowed(row, catalog):
        return UNDEF
    item = group_item(row, catalog)
    groups: dict = {}
    for part in split_top(raw, ","):
        name, args = parse_call(part)
        if name in COORDINATES and name not in groups:
            groups[name] = _typed_values(item, args, catalog, steps)
    if not groups:
        return UNDEF
    return {"x": groups.get("x", {}), "y": groups.get("y", {})}


def _read_events(raw, row, spec, catalog, steps):
    if not raw:
        return UNDEF
    item = group_item(row, catalog)
    if item is None:
        return UNDEF
    events: list = []
    for part in split_top(raw, ","):
        name, args = parse_call(part)
        at_text, _, state = name.partition(":")
        state = state if ":" in name else "keep"
        at = js_number(at_text)
        last = events[-1]["at"] if events else 0
        if at_text.strip() == "" or not is_integer(at) or at <= last or state not in EVENT_STATES:
            continue
        events.append({"at": as_json_number(at), "params": _typed_values(item, args, catalog, steps),
                       "state": state})
    return events[:spec["max"]]


# state.js ROW_CODECS: a row's keys that are not plain numbers, choices or flags.
ROW_READERS = {"scheduler": _read_scheduler, "groups": _read_groups, "events": _read_events}


def _read_map(q: Query, st: dict, spec: dict, catalog: Catalog) -> None:
    st["map"] = decode_map(q, st["rows"])


def _read_names(q: Query, st: dict, spec: dict, catalog: Catalog) -> None:
    if q.has(spec["key"]):
        c = [s.strip() for s in q.get(spec["key"]).split(",") if s.strip()]
        st[spec["field"]] = [] if spec["none"] in c else c


# state.js CODECS: the keys that are not plain numbers, choices or flags, by kind.
READERS = {"surface": _read_surface, "point": _read_point, "rows": _read_rows,
           "map": _read_map, "names": _read_names}


def decode_state(search: str, catalog: Catalog | None = None) -> dict:
    """state.js decodeState: URL query -> the page's state."""
    catalog = catalog or Catalog()
    q = Query(search)
    st = default_state(catalog)
    for spec in URL_KEYS["scene"]:
        if spec.get("when") == "data" and not st["data"]:
            continue                    # batch keys: only on a surface from data
        reader = READERS.get(spec["kind"])
        if reader:
            reader(q, st, spec, catalog)
        elif (v := read_field(q, spec)) is not UNDEF:
            st[spec["field"]] = v
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
        run.update(lab_options(row, catalog))
        runs.append(run)
    if st["formula"]:
        surface = {"expr": st["formula"]["expr"], "domain": st["formula"]["domain"]}
    elif st["data"]:
        surface = data_surface(st)
    else:
        surface = st["surface"]
    body: dict[str, Any] = {"surface": surface, "steps": st["steps"], "runs": runs}
    if st["start"]:
        body["start"] = st["start"]
    if st["data"] and st["batchSize"]:
        body["batch"] = {"size": st["batchSize"], "seed": st["batchSeed"],
                         "shuffle": st["shuffle"]}
    return body


def data_surface(st: dict) -> dict:
    """state.js dataSurface: {data: id | {x, y}, model?}."""
    data = st["data"]
    spec: dict[str, Any] = {"data": data["id"] if "id" in data else
                            {"x": data["x"], "y": data["y"]}}
    if st["model"]:
        spec["model"] = st["model"]
    return spec


def lab_options(row: dict, catalog: Catalog) -> dict:
    """state.js labOptions: the row's param groups, zero_grad and events as the request
    writes them."""
    out: dict[str, Any] = {}
    item = group_item(row, catalog)
    if row["groups"] and item:
        out["groups"] = {c: clean_values(item, row["groups"].get(c)) for c in COORDINATES}
    if row["zero_grad"] == "never":
        out["zero_grad"] = "never"
    if row["events"] and item:
        out["events"] = [{"at": e["at"], "params": clean_values(item, e["params"]),
                          "state": e["state"]} for e in row["events"]]
    return out


def query_of(url_or_query: str) -> str:
    """The query string of a share URL (or the query string itself)."""
    s = url_or_query.strip()
    if "?" in s:
        s = s.split("?", 1)[1]
    elif "://" in s or s.startswith("/"):
        s = ""
    return s.split("#", 1)[0]


def request_from_url(url_or_query: str) -> tuple[dict, dict]:
    """(run request with each row's colour, page state) for a share URL (a lesson's link
    stands for its scene): the rows the page shows (hidden ones left out, unless every row
    is hidden)."""
    catalog = Catalog()
    query = lesson_search(query_of(url_or_query))
    spec = url_field("surface")
    q = Query(query)
    if q.get(spec["data_key"]) == spec["local"] and not parse_points(q.get(spec["points_key"])):
        raise RequestError((spec["data_key"],), "this link's data was too long to travel in a "
                           "link (it stayed in the browser that made it): export the scene "
                           "from that page, or give its request with --body")
    st = decode_state(query, catalog)
    body = run_request(st, catalog)
    for run, row in zip(body["runs"], st["rows"]):
        run["color"] = row["color"]
    shown = [run for run, row in zip(body["runs"], st["rows"]) if row["visible"]]
    if shown:
        body["runs"] = shown
    return body, st
