"""The map-mode keys of a share URL, as static/js/mapstate.js decodeMap reads them, from
the same table (static/js/table.json url.map): map=basin|sweep, mrun=, mres=, mx=, my=,
mcol=. A page opens a shared link with the same map settings as this decodes."""

from __future__ import annotations

import math
import re

from .jsquery import UNDEF, as_json_number, js_number, read_field
from .table import URL_KEYS, defaults, url_field

_NAME = re.compile(r"\w+", re.ASCII)


def default_map() -> dict:
    return {"on": False, **defaults("map")}


def _axis(text: str | None) -> dict | None:
    if not text:
        return None
    parts = text.split(",")
    if len(parts) < 3:
        return None
    name_index = parts[0].split(":")
    name = name_index[0]
    lo, hi = js_number(parts[1]), js_number(parts[2])
    if not _NAME.fullmatch(name) or not (math.isfinite(lo) and math.isfinite(hi)) or not lo < hi:
        return None
    index = None
    if len(name_index) > 1:
        index = js_number(name_index[1])
        if index not in (0, 1):
            return None
        index = int(index)
    return {"param": name, "index": index, "range": [as_json_number(lo), as_json_number(hi)],
            "log": len(parts) > 3 and parts[3] == "log"}


def decode_map(q, rows: list) -> dict:
    """mapstate.js decodeMap: the query's map keys -> map settings (mrun checked against
    the decoded rows)."""
    m = default_map()
    for spec in URL_KEYS["map"]:
        if spec["kind"] == "axis":
            m[spec["field"]] = _axis(q.get(spec["key"]))
        elif spec["kind"] == "row_number":
            n = js_number(q.get(spec["key"]))
            if math.isfinite(n) and n == int(n) and 1 <= n <= len(rows):
                m[spec["field"]] = int(n) - 1
        else:
            v = read_field(q, spec)
            if v is not UNDEF:
                m[spec["field"]] = v
    # map=basin|sweep is the switch as well as the kind.
    m["on"] = read_field(q, url_field("kind", "map")) is not UNDEF
    return m
