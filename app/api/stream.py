"""WebSocket /api/v1/stream: paths in chunks as they are computed.

The socket takes POST /api/v1/run's body (with an optional "id") and answers

    {"id", "run": i, "start", "path", "loss", "lr"}     a piece of run i's path, as computed
                                                          (and "lrs" with param groups)
    ...
    {"id", "done": true, "surface", "runs": [...]}        each run's status and summary

One job at a time per socket: a new request cancels the one in flight (its thread stops
at its next look at the cancel flag, within milliseconds); rate, size and per-client
limits as app/api/wsjobs.py says.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, WebSocket

from ..engine.request import RunRequest
from ..engine.scene import execute, validate_all
from . import wsjobs

router = APIRouter(prefix="/api/v1", tags=["stream"])

# Fields of a finished run that the "done" message repeats (the path came in chunks).
SUMMARY_FIELDS = ("optimizer", "status", "steps_done", "escaped_at", "label", "color",
                  "state", "grad", "evals", "diverged_reason")


def validate(body: dict) -> RunRequest:
    """The whole check, optimizers and schedulers built once, so bad hyperparameters are
    refused before the first chunk."""
    req = RunRequest.model_validate(body)
    validate_all(req)
    return req


def start(req: RunRequest):
    def compute(job: wsjobs.Job) -> dict:
        return execute(req, cancelled=job.stop.is_set,
                       on_chunk=lambda i, chunk: job.post({"run": i, **chunk}))

    def last(answer: dict) -> dict[str, Any]:
        runs = [{k: r[k] for k in SUMMARY_FIELDS if k in r} for r in answer["runs"]]
        return {"done": True, "surface": answer["surface"], "runs": runs}

    return compute, last


@router.websocket("/stream")
async def stream(ws: WebSocket) -> None:
    await wsjobs.serve(ws, validate, start)
