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


# The typeset forms of a rule: two thirds of the optimizers' catalogue, and only read once
# a page opens a rule (GET /api/v1/rules has them apart).
TYPESET = ("rule_mathml", "rule_note", "rule_note_zh")


def without_typeset(catalogue: dict) -> dict:
    """A catalogue ({"optimizers": [...]} or {"schedulers": [...]}) without TYPESET."""
    return {key: [{k: v for k, v in item.items() if k not in TYPESET} for item in items]
            for key, items in catalogue.items()}


@lru_cache(maxsize=1)
def typeset_rules() -> dict:
    """Every optimizer's and scheduler's TYPESET, by id."""
    return {key: {item["id"]: {k: item[k] for k in TYPESET} for item in items}
            for catalogue in (optimizers(), schedulers()) for key, items in catalogue.items()}


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
