"""What a page needs to build its controls, from the specs the engine runs on."""

from __future__ import annotations

from functools import lru_cache

from .data import DATASETS, builtin_surface
from .optim import REGISTRY as OPTIMIZERS
from .sched import catalogue as scheduler_catalogue
from .surfaces import SURFACES


@lru_cache(maxsize=1)
def optimizers() -> dict:
    return {"optimizers": [cls.catalogue() for cls in OPTIMIZERS.values()]}


@lru_cache(maxsize=1)
def schedulers() -> dict:
    return {"schedulers": scheduler_catalogue()}


@lru_cache(maxsize=1)
def surfaces() -> dict:
    return {"surfaces": [s.to_dict() for s in SURFACES.values()]}


@lru_cache(maxsize=1)
def datasets() -> dict:
    """The built-in data sets: what GET /api/v1/datasets lists, the points included."""
    out = []
    for d in DATASETS.values():
        s = builtin_surface(d.id)
        out.append({"id": d.id, "name": d.name, "name_zh": d.name_zh, "model": d.model,
                    "n": d.n, "domain": [list(s.domain[0]), list(s.domain[1])],
                    "start": list(s.start), "minima": [list(p) for p in s.minima],
                    "about": d.about, "about_zh": d.about_zh,
                    "x": d.x.tolist(), "y": d.y.tolist()})
    return {"datasets": out}
