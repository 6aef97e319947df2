"""The map-mode keys of a share URL, mirroring static/js/mapstate.js decodeMap:
map=basin|sweep, mrun=, mres=, mx=, my=, mcol= (see the comment at the top of that file).
A page opens a shared link with the same map settings as this decodes."""

from __future__ import annotations

import math
import re

MAP_KINDS = ("basin", "sweep")
MAP_RESOLUTIONS = (32, 64, 128, 256)
MAP_COLORS = ("loss", "steps")
DEFAULT_RES = 64
_NAME = re.compile(r"\w+", re.ASCII)


def default_map() -> dict:
    return {"on": False, "kind": "basin", "run": 0, "res": DEFAULT_RES, "color": "loss",
            "x": None, "y": None}


def _axis(text: str | None, js_number, as_json_number) -> dict | None:
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


def decode_map(q, rows: list, js_number, as_json_number) -> dict:
    """mapstate.js decodeMap: the query's map keys -> map settings (mrun checked against
    the decoded rows)."""
    m = default_map()
    kind = q.get("map")
    if kind in MAP_KINDS:
        m["on"], m["kind"] = True, kind
    run = js_number(q.get("mrun"))
    if math.isfinite(run) and run == int(run) and 1 <= run <= len(rows):
        m["run"] = int(run) - 1
    res = js_number(q.get("mres"))
    if res in MAP_RESOLUTIONS:
        m["res"] = int(res)
    if q.get("mcol") in MAP_COLORS:
        m["color"] = q.get("mcol")
    m["x"] = _axis(q.get("mx"), js_number, as_json_number)
    m["y"] = _axis(q.get("my"), js_number, as_json_number)
    return m
