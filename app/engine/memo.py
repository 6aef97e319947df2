"""A run finished once is not computed again while it is remembered.

A slider moves one run's hyperparameter, and the request that follows holds every run of
the scene: the others are the same runs as in the last answer.  A run's answer depends on
its own part of the request and on what the request says of them all (surface, start,
steps, batches, state), never on the other runs (noise is seeded per run, a data set's
batch order per request), so those two, dumped to canonical JSON, are a complete key.
Less the state, the same key names the run's path: the stream (app/api/stream.py) says
it in each run's summary, and a page that still holds that path can say so ("have") to
be sent the key instead of the path again.

What is kept is the run's answer as JSON bytes (runner.run_one's dict, finished: a run
that was cancelled or ran out of its budget raised and is never kept), bounded by
settings().run_memo_entries and run_memo_bytes; a recall is a fresh copy, which callers
may annotate (teach.divergence adds its words).
"""

from __future__ import annotations

import hashlib

import orjson
from pydantic import BaseModel

from ..config import settings
from .lru import LRU
from .request import RunRequest

_memo: LRU[bytes] | None = None


def memo() -> LRU[bytes]:
    global _memo
    if _memo is None:
        s = settings()
        _memo = LRU(s.run_memo_entries, s.run_memo_bytes)
    return _memo


# What a run's answer echoes but its path does not depend on.
ECHOED = {"label", "color"}


def _digest(*parts) -> str:
    canonical = orjson.dumps(parts, option=orjson.OPT_SORT_KEYS)
    return hashlib.blake2b(canonical, digest_size=16).hexdigest()


def path_keys(req: RunRequest) -> list[str]:
    """What names each run's path (and loss and lrs): the same for every request in which
    it is the same run, whether or not the request asks for its state, whatever its label
    and colour."""
    shared = _digest(req.model_dump(mode="json", exclude={"runs", "state"}))
    return [_digest(shared, _dump(run, exclude=ECHOED)) for run in req.runs]


def keys_of(req: RunRequest) -> list[str]:
    """The memo's key of each run: the whole request but for the other runs.  (What the
    runs share, a data set's points among it, is dumped once.)"""
    shared = _digest(req.model_dump(mode="json", exclude={"runs"}))
    return [_digest(shared, _dump(run)) for run in req.runs]


def _dump(run: BaseModel, exclude: set[str] | None = None) -> dict:
    # (A run without "params" holds the default {}, not its params model: dumped as is.)
    return run.model_dump(mode="json", exclude=exclude, warnings=False)


def recall(key: str) -> dict | None:
    kept = memo().get(key)
    return None if kept is None else orjson.loads(kept)


def keep(key: str, run: dict) -> None:
    """Kept when the run is plain JSON (what orjson writes without options: no NumPy
    value, no key but a string), so that its recall reads as the computed dict does."""
    try:
        kept = orjson.dumps(run)
    except orjson.JSONEncodeError:
        return
    memo().put(key, kept)
