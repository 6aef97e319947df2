"""The built-in surfaces (app/data/surfaces.json, a copy of the shared contract, in file
order) and custom surfaces made from a typed formula."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

from .expr import Formula, compile_formula

DATA = Path(__file__).resolve().parent.parent / "data" / "surfaces.json"

Point = tuple[float, float]


@dataclass(frozen=True)
class Surface:
    id: str
    name: str
    expr: str
    domain: tuple[Point, Point]          # ((x_min, x_max), (y_min, y_max))
    minima: tuple[Point, ...]
    saddles: tuple[Point, ...]
    start: Point
    formula: Formula = field(repr=False, compare=False)

    @property
    def latex(self) -> str:
        return self.formula.latex

    def to_dict(self) -> dict:
        """What GET /api/v1/surfaces lists: id, name, expr, latex, domain, minima,
        saddles, start (points as [x, y] lists)."""
        return {"id": self.id, "name": self.name, "expr": self.expr, "latex": self.latex,
                "domain": [list(self.domain[0]), list(self.domain[1])],
                "minima": [list(p) for p in self.minima],
                "saddles": [list(p) for p in self.saddles],
                "start": list(self.start)}


def _point(p) -> Point:
    x, y = p
    return (float(x), float(y))


def _domain(d) -> tuple[Point, Point]:
    (x0, x1), (y0, y1) = d
    return ((float(x0), float(x1)), (float(y0), float(y1)))


def _builtin(entry: dict) -> Surface:
    # Built-ins are trusted text of our own; they still go through the same parser.
    return Surface(id=entry["id"], name=entry["name"], expr=entry["expr"],
                   domain=_domain(entry["domain"]),
                   minima=tuple(_point(p) for p in entry.get("minima", [])),
                   saddles=tuple(_point(p) for p in entry.get("saddles", [])),
                   start=_point(entry["start"]),
                   formula=compile_formula(entry["expr"], max_length=None, max_depth=None))


def load(path: Path = DATA) -> dict[str, Surface]:
    entries = json.loads(path.read_text(encoding="utf-8"))["surfaces"]
    return {e["id"]: _builtin(e) for e in entries}


SURFACES: dict[str, Surface] = load()


def get_surface(surface_id: str) -> Surface:
    """The built-in surface `surface_id`; KeyError when there is none."""
    try:
        return SURFACES[surface_id]
    except KeyError:
        raise KeyError(f"unknown surface {surface_id!r}; built-in surfaces: "
                       f"{', '.join(SURFACES)}") from None


# Where a custom surface starts, as fractions of its domain: first a point up and to the
# left of the centre (a centre start would sit still on the many symmetric bowls whose
# minimum is the centre), then the centre, then the other quadrants' points.  The first
# candidate where the formula and its gradient are finite wins; if none is, the first.
START_CANDIDATES = ((0.25, 0.75), (0.5, 0.5), (0.75, 0.25), (0.25, 0.25), (0.75, 0.75))


def default_start(formula: Formula, domain) -> Point:
    (x0, x1), (y0, y1) = _domain(domain)
    points = [(_tidy(x0 + fx * (x1 - x0)), _tidy(y0 + fy * (y1 - y0)))
              for fx, fy in START_CANDIDATES]
    for px, py in points:
        v, gx, gy = formula.value_and_grad_at(px, py)
        if math.isfinite(v) and math.isfinite(gx) and math.isfinite(gy):
            return (px, py)
    return points[0]


def _tidy(v: float) -> float:
    """Round to 12 significant digits, so that 0.1-steps look like 0.1-steps."""
    return float(f"{v:.12g}")


def custom_surface(expr: str, domain, formula: Optional[Formula] = None) -> Surface:
    """A surface from a typed formula: id "custom", name "Custom", no known minima or
    saddles, start by `default_start` (up and left of the domain's centre, where the
    formula is finite).  `formula`: the compiled `expr` if the caller has it already.
    FormulaError when `expr` cannot be read."""
    f = formula if formula is not None else compile_formula(expr)
    dom = _domain(domain)
    return Surface(id="custom", name="Custom", expr=expr, domain=dom, minima=(),
                   saddles=(), start=default_start(f, dom), formula=f)


__all__ = ["Surface", "SURFACES", "get_surface", "custom_surface", "default_start", "load",
           "DATA"]


# A run "escapes" when it leaves the surface's domain padded by this fraction per side.
ESCAPE_PAD = 0.5


def _escape_box(domain) -> tuple[float, float, float, float]:
    """The domain padded by ESCAPE_PAD per side: x_lo, x_hi, y_lo, y_hi."""
    (x0, x1), (y0, y1) = domain
    px, py = (x1 - x0) * ESCAPE_PAD, (y1 - y0) * ESCAPE_PAD
    return x0 - px, x1 + px, y0 - py, y1 + py


def escaped_at(path: list, domain) -> int | None:
    """First step whose point ([x, y]) lies outside the domain padded by ESCAPE_PAD per
    side."""
    x_lo, x_hi, y_lo, y_hi = _escape_box(domain)
    for k, (x, y) in enumerate(path):
        if x < x_lo or x > x_hi or y < y_lo or y > y_hi:
            return k
    return None
