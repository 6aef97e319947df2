"""A query string read as the page's JavaScript reads it: URLSearchParams, Number(text),
and table.js readField for the plain keys of static/js/table.json (numbers, choices,
flags). The share-URL decoders (share_url.py, share_map.py) stand on these."""

from __future__ import annotations

import math
import re
from urllib.parse import parse_qsl

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


def is_integer(v: float) -> bool:
    return math.isfinite(v) and v == int(v)


def js_round(v: float) -> int:
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


def read_field(q: Query, spec: dict, key: str | None = None):
    """table.js readField: a plain key's typed value, or UNDEF (absent or unusable)."""
    key = key or spec["key"]
    if not q.has(key):
        return UNDEF
    raw = q.get(key)
    kind = spec["kind"]
    if kind in ("int", "float"):
        v = js_number(raw)
        if not math.isfinite(v) or (kind == "int" and not is_integer(v)):
            return UNDEF
        if ("min" in spec and v < spec["min"]) or ("max" in spec and v > spec["max"]):
            return UNDEF
        return int(v) if kind == "int" else as_json_number(v)
    if kind == "choice":
        for c in spec["choices"]:
            if c == (js_number(raw) if isinstance(c, (int, float)) else raw):
                return c
        return UNDEF
    if kind == "flag":
        return raw in spec["true"]
    if kind == "name":
        return raw if re.fullmatch(spec["pattern"], raw) else UNDEF   # JS: no "$" before "\n"
    raise ValueError(f"read_field: {kind} is not a plain kind")
