"""A surface from data: the loss of a one-feature model over a data set, used wherever
a formula's Surface is (the step loop, the grid, maps): `formula` is its DataObjective."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

from .fit import default_domain, minimum
from .objective import DataObjective
from .order import BatchOrder
from .sets import DATASETS, DataSet, check_labels

Point = tuple[float, float]

# Inline data starts where an untrained torch.nn.Linear(1, 1) would if zeroed: w = b = 0.
INLINE_START: Point = (0.0, 0.0)


@dataclass(frozen=True)
class DataSurface:
    id: str                         # the data set's id, or "inline"
    name: str
    name_zh: str
    model: str                      # "linear" | "logistic"
    domain: tuple[Point, Point]     # ((w_min, w_max), (b_min, b_max))
    minima: tuple[Point, ...]       # the full-data minimum, or () when there is none
    start: Point
    dataset: DataSet = field(repr=False, compare=False)
    formula: DataObjective = field(repr=False, compare=False)
    saddles: tuple[Point, ...] = ()

    @property
    def n(self) -> int:
        return self.formula.n

    def batch_order(self, size: int, seed: int = 0, shuffle: bool = True) -> BatchOrder:
        return BatchOrder(self.n, size, seed, shuffle)

    def to_dict(self) -> dict:
        """The surface as an answer carries it (api-v1.md, "Surfaces from data")."""
        return {"data": self.id, "model": self.model, "n": self.n, "name": self.name,
                "name_zh": self.name_zh,
                "domain": [list(self.domain[0]), list(self.domain[1])],
                "minima": [list(p) for p in self.minima], "start": list(self.start)}


@lru_cache(maxsize=None)
def _builtin_objective(data_id: str, model: str) -> tuple[DataObjective, Point | None]:
    d = DATASETS[data_id]
    f = DataObjective(d.x, d.y, model)
    return f, minimum(f)


def data_surface(dataset: DataSet, model: str | None = None, domain=None, *,
                 limit: float = 1e6) -> DataSurface:
    """The surface of `dataset` under `model` (default: the data set's own).  A built-in
    keeps its view and start under its own model; otherwise the view frames the
    minimum and the start is (0, 0).  DataError for labels the model cannot take."""
    model = model or dataset.model
    check_labels(dataset.y, model)
    if dataset.id != "inline":
        f, best = _builtin_objective(dataset.id, model)
    else:
        f = DataObjective(dataset.x, dataset.y, model)
        best = minimum(f)
    own = model == dataset.model and dataset.start is not None
    start = dataset.start if own else INLINE_START
    if domain is None:
        domain = dataset.domain if own and dataset.domain is not None else \
            default_domain(f, best, start, limit)
    (x0, x1), (y0, y1) = domain
    return DataSurface(id=dataset.id, name=dataset.name, name_zh=dataset.name_zh,
                       model=model,
                       domain=((float(x0), float(x1)), (float(y0), float(y1))),
                       minima=() if best is None else (best,), start=start,
                       dataset=dataset, formula=f)


def builtin_surface(data_id: str, model: str | None = None, domain=None) -> DataSurface:
    """A built-in data set's surface; KeyError when there is no such data set."""
    if data_id not in DATASETS:
        raise KeyError(f"unknown data set {data_id!r}; built-in data sets: "
                       f"{', '.join(DATASETS)}")
    return data_surface(DATASETS[data_id], model, domain)
