"""What a page needs to build its controls, from the specs the engine runs on."""

from __future__ import annotations

from functools import lru_cache

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
