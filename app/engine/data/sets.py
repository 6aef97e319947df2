"""Data sets for surfaces from data: the built-in ones (app/data/datasets.json, a copy of
the shared contract, then app/data/datasets_extra.json, ours) and the checks that
inline data must pass."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

DATA_DIR = Path(__file__).resolve().parent.parent.parent / "data"
CONTRACT = DATA_DIR / "datasets.json"
EXTRA = DATA_DIR / "datasets_extra.json"

MODELS = ("linear", "logistic")

Point = tuple[float, float]


@dataclass(frozen=True)
class DataSet:
    """Pairs (x, y) and the model fitted to them; a built-in brings its view and start."""

    id: str                       # the built-in id, or "inline"
    model: str                    # "linear" | "logistic"
    x: np.ndarray = field(repr=False, compare=False)
    y: np.ndarray = field(repr=False, compare=False)
    name: str = "Your data"
    name_zh: str = "你的数据"
    domain: tuple[Point, Point] | None = None
    start: Point | None = None
    about: str = ""
    about_zh: str = ""

    @property
    def n(self) -> int:
        return len(self.x)


class DataError(ValueError):
    """Data that cannot make a surface: `field` ("x", "y" or "model") and `index` (the
    first bad pair, or None) say where."""

    def __init__(self, field: str, msg: str, index: int | None = None):
        super().__init__(msg)
        self.field, self.msg, self.index = field, msg, index


def check_pairs(x, y, limit: int) -> None:
    """1..limit pairs of finite numbers, x and y of the same length (DataError)."""
    for name, v in (("x", x), ("y", y)):
        if len(v) == 0:
            raise DataError(name, f"{name} is empty: give at least one pair (x, y)")
        if len(v) > limit:
            raise DataError(name, f"{len(v)} values is over the limit of {limit} pairs")
        bad = np.flatnonzero(~np.isfinite(np.asarray(v, dtype=np.float64)))
        if bad.size:
            i = int(bad[0])
            raise DataError(name, f"{name}[{i}] is not a finite number", i)
    if len(x) != len(y):
        raise DataError("y", f"y has {len(y)} values and x has {len(x)}: give one y per x")


def check_labels(y, model: str) -> None:
    """A logistic model's labels are 0 or 1 (DataError at the first other one)."""
    if model != "logistic":
        return
    v = np.asarray(y, dtype=np.float64)
    bad = np.flatnonzero((v != 0.0) & (v != 1.0))
    if bad.size:
        i = int(bad[0])
        raise DataError("y", f"y[{i}] = {v[i]:g}: a logistic model needs every y to be "
                        f"0 or 1", i)


def _builtin(key: str, entry: dict) -> DataSet:
    (x0, x1), (y0, y1) = entry["domain"]
    return DataSet(id=key, model=entry["model"], name=entry["name"],
                   name_zh=entry["name_zh"],
                   x=np.array(entry["x"], dtype=np.float64),
                   y=np.array(entry["y"], dtype=np.float64),
                   domain=((float(x0), float(x1)), (float(y0), float(y1))),
                   start=(float(entry["start"][0]), float(entry["start"][1])),
                   about=entry.get("about", ""), about_zh=entry.get("about_zh", ""))


def load(*paths: Path) -> dict[str, DataSet]:
    """The data sets of the files, in file order; keys starting "_" are comments."""
    out: dict[str, DataSet] = {}
    for path in paths:
        if not path.is_file():
            continue
        for key, entry in json.loads(path.read_text(encoding="utf-8")).items():
            if not key.startswith("_"):
                out[key] = _builtin(key, entry)
    return out


DATASETS: dict[str, DataSet] = load(CONTRACT, EXTRA)


def inline(x, y, model: str = "linear") -> DataSet:
    return DataSet(id="inline", model=model, x=np.array(x, dtype=np.float64),
                   y=np.array(y, dtype=np.float64))
