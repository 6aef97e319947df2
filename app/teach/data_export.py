"""Download data: a scene's runs as CSV (one row per run per step, for a spreadsheet) or
as JSON (the run answer itself).

CSV columns: run (1, 2, ... as the page numbers its rows), optimizer, label, step, x, y,
loss, lr (the lr of the step that starts from this point; empty on the last point), and,
when the request asked for `"state": true`, grad_x, grad_y (the gradient that step used,
noise included) and the optimizer's state after the step that reached this point, under
PyTorch's names: `state_exp_avg_x`, `state_exp_avg_y` for a per-coordinate entry,
`state_step` for a number, JSON text for anything longer (LBFGS's history).  Numbers are
written in full (Python's shortest round-trip form); a null of the engine is left empty.
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import orjson

from .labels import run_label

BASE_COLUMNS = ("run", "optimizer", "label", "step", "x", "y", "loss", "lr")


def _num(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return "1" if v else "0"
    if isinstance(v, float):
        return repr(v)
    return str(v)


def _shape(values: list) -> str | None:
    """How a state entry is laid out: "pair" (two columns), "number", "json", or None
    when every value is null."""
    seen = [v for v in values if v is not None]
    if not seen:
        return None
    if all(isinstance(v, list) and len(v) == 2
                    and all(x is None or isinstance(x, (int, float)) for x in v) for v in seen):
        return "pair"
    if all(isinstance(v, (int, float)) for v in seen):
        return "number"
    return "json"


def _state_columns(runs: list[dict]) -> list[tuple[str, str, str]]:
    """(column, state name, part) for every state entry of any run, in order of appearance."""
    shapes: dict[str, str] = {}
    for r in runs:
        for name, values in (r.get("state") or {}).items():
            shape = _shape(values)
            known = shapes.get(name)
            if known is None or shape is None or known == shape:
                shapes[name] = known or shape
            else:
                shapes[name] = "json"
    cols = []
    for name, shape in shapes.items():
        shape = shape or "number"
        if shape == "pair":
            cols += [(f"state_{name}_x", name, "x"), (f"state_{name}_y", name, "y")]
        else:
            cols.append((f"state_{name}", name, shape))
    return cols


def _state_cell(value: Any, part: str) -> str:
    if value is None:
        return ""
    if part == "x":
        return _num(value[0]) if isinstance(value, list) else ""
    if part == "y":
        return _num(value[1]) if isinstance(value, list) else ""
    if isinstance(value, (int, float)) and part == "number":
        return _num(value)
    return json.dumps(value, separators=(",", ":"))


def to_csv(answer: dict, request: dict | None = None, bom: bool = False) -> str:
    """The run answer as CSV text; `request` gives labels to runs that have none (the
    page's legend text); `bom` starts the text with a UTF-8 byte-order mark, which Excel
    needs to read Chinese labels correctly."""
    runs = answer["runs"]
    specs = (request or {}).get("runs") or [{}] * len(runs)
    with_state = any("grad" in r or "state" in r for r in runs)
    state_cols = _state_columns(runs) if with_state else []
    header = list(BASE_COLUMNS)
    if with_state:
        header += ["grad_x", "grad_y"] + [c for c, _, _ in state_cols]
    out = io.StringIO()
    if bom:
        out.write("\ufeff")
    w = csv.writer(out, lineterminator="\n")
    w.writerow(header)
    for i, r in enumerate(runs):
        spec = {**(specs[i] if i < len(specs) else {}), **r}
        label = r.get("label") or run_label(spec)
        lrs, grads, state = r.get("lr", []), r.get("grad") or [], r.get("state") or {}
        for k, (p, loss) in enumerate(zip(r["path"], r["loss"])):
            row = [i + 1, r["optimizer"], label, k, _num(p[0]), _num(p[1]), _num(loss),
                   _num(lrs[k]) if k < len(lrs) else ""]
            if with_state:
                g = grads[k] if k < len(grads) else None
                row += [_num(g[0]) if g else "", _num(g[1]) if g else ""]
                for _, name, part in state_cols:
                    values = state.get(name) or []
                    row.append(_state_cell(values[k - 1], part)
                               if 0 < k <= len(values) else "")
            w.writerow(row)
    return out.getvalue()


def to_json(answer: dict) -> bytes:
    """The run answer as JSON bytes, exactly as POST /api/v1/run sends it."""
    return orjson.dumps(answer, option=orjson.OPT_SERIALIZE_NUMPY)
