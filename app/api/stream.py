"""WebSocket /api/v1/stream: paths in chunks as they are computed.

The socket takes POST /api/v1/run's body (with an optional "id") and answers

    {"id", "run": i, "start", "path", "loss", "lr"}     a piece of run i's path, as computed
                                                          (and "lrs" with param groups)
    ...
    {"id", "done": true, "surface", "runs": [...]}        each run's status and summary,
                                                          and its path's "key"

A page that still holds paths it was sent may list their keys in its next message,
{"id", "have": [key, ...], ...the request}: a run whose path has one of those keys is
answered {"id", "run": i, "same": key} instead of its pieces (a slider moved another
run; the state asked for along the paths on screen).  Without "have", every path comes
whole, as api-v1.md says.

One job at a time per socket: a new request cancels the one in flight (its thread stops
at its next look at the cancel flag, within milliseconds); rate, size and per-client
limits as app/api/wsjobs.py says.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, WebSocket

from ..config import env_name, settings
from ..engine.errors import RequestError
from ..engine.memo import path_keys
from ..engine.request import RunRequest
from ..engine.scene import validate_all
from ..teach.divergence import explained
from . import wsjobs

router = APIRouter(prefix="/api/v1", tags=["stream"])

KEY_CHARS = 64

# Fields of a finished run that the "done" message repeats (the path came in chunks).
SUMMARY_FIELDS = ("optimizer", "status", "steps_done", "escaped_at", "label", "color",
                  "state", "grad", "evals", "diverged_reason")


def known_paths(have: Any) -> frozenset[str]:
    """The message's "have": the keys of paths the page holds (at most a key per run)."""
    if have is None:
        return frozenset()
    if not isinstance(have, list) or not all(isinstance(k, str) and len(k) <= KEY_CHARS
                                             for k in have):
        raise RequestError(("have",), f"a list of the keys of paths (strings of at "
                           f"most {KEY_CHARS} characters) that the done messages gave")
    limit = settings().max_runs
    if len(have) > limit:
        raise RequestError(("have",), f"{len(have)} keys is over the limit of {limit} "
                           f"({env_name('max_runs')})")
    return frozenset(have)


def validate(body: dict) -> tuple[RunRequest, frozenset[str]]:
    """The whole check, optimizers and schedulers built once, so bad hyperparameters are
    refused before the first chunk (in the job's worker thread)."""
    have = known_paths(body.pop("have", None))
    req = RunRequest.model_validate(body)
    validate_all(req)
    return req, have


def start(prepared: tuple[RunRequest, frozenset[str]]):
    req, have = prepared
    keys = path_keys(req)

    def on_chunk(i: int, chunk: dict, job: wsjobs.Job) -> None:
        if keys[i] not in have:
            job.post({"run": i, **chunk})
        elif chunk["start"] == 0:
            job.post({"run": i, "same": keys[i]})

    def compute(job: wsjobs.Job) -> dict:
        return explained(req, cancelled=job.stop.is_set,
                         on_chunk=lambda i, chunk: on_chunk(i, chunk, job))

    def last(answer: dict) -> dict[str, Any]:
        runs = [{**{k: r[k] for k in SUMMARY_FIELDS if k in r}, "key": key}
                for r, key in zip(answer["runs"], keys)]
        return {"done": True, "surface": answer["surface"], "runs": runs}

    return compute, last


@router.websocket("/stream")
async def stream(ws: WebSocket) -> None:
    await wsjobs.serve(ws, validate, start)
