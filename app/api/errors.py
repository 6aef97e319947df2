"""Every bad input becomes a 422 (or 413) whose body names the field; nothing else leaks.
More computations at once than a client may have is a 429 that names the limit.

FastAPI's shape is kept: {"detail": [{"loc": [...], "msg": "...", "type": "..."}]}.
Tags that pydantic puts in `loc` for tagged unions ("adam", "formula", "StepLR", ...) are
dropped, so a location reads as the request is written: ["body", "runs", 0, "params", "lr"].
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError

from ..engine.errors import Cancelled, ComputationTimeout, RequestError
from ..engine.optim import REGISTRY as OPTIMIZERS
from ..engine.request import UNKNOWN_SCHEDULER
from ..engine.sched import REGISTRY as SCHEDULERS
from .compute import CLIENT_GONE, TooBusy
from .responses import FastJSONResponse

log = logging.getLogger("optplay")

OPTIMIZER_TAGS = set(OPTIMIZERS)
SCHEDULER_TAGS = {*SCHEDULERS, UNKNOWN_SCHEDULER}
# The tags of a surface (a built-in id, a formula, data) and of its data (a built-in id
# or inline pairs): surface.data.inline.x reads as the request does, surface.data.x.
SURFACE_TAGS = ("id", "formula", "data")
DATA_TAGS = ("id", "inline")


# At most this many items in a 422: a body with 20,000 wrong fields gets a short answer.
MAX_ERRORS = 20


def clean_errors(errors: list[dict], prefix: tuple = ("body",)) -> list[dict]:
    out = []
    if len(errors) > MAX_ERRORS:
        more = len(errors) - MAX_ERRORS
        errors = errors[:MAX_ERRORS]
    else:
        more = 0
    for e in errors:
        loc = list(e.get("loc", ()))
        if prefix and (not loc or loc[0] != prefix[0]):
            loc = [*prefix, *loc]
        loc = [part for i, part in enumerate(loc) if not (i > 0 and _is_tag(loc, i))]
        item = {"loc": loc, "msg": _message(e), "type": e.get("type", "value_error")}
        ctx = e.get("ctx") or {}
        if "column" in ctx:
            item["column"] = ctx["column"]
        out.append(item)
    if more:
        out.append({"loc": list(prefix), "msg": f"and {more} more errors", "type": "truncated"})
    return out


def _is_tag(loc: list, i: int) -> bool:
    """A tagged union's tag: runs.0.adam.params, surface.formula.expr,
    surface.data.inline.x, runs.0.scheduler.StepLR.params,
    ...params.schedulers.1.StepLR.params."""
    part, before = loc[i], loc[i - 1]
    if not isinstance(part, str):
        return False
    if before == "surface":
        return part in SURFACE_TAGS
    if before == "data":
        return part in DATA_TAGS and i > 1 and loc[i - 2] in ("data", "surface")
    if isinstance(before, int) or before == "run":
        return part in OPTIMIZER_TAGS or (isinstance(before, int) and part in SCHEDULER_TAGS)
    return before == "scheduler" and part in SCHEDULER_TAGS


def _message(e: dict) -> str:
    msg = str(e.get("msg", "invalid value"))
    ctx = e.get("ctx") or {}
    if e.get("type") == "json_invalid" and ctx.get("error"):
        where = e.get("loc", ())[-1:] or ("?",)
        hint = " (NaN, Infinity and comments are not JSON)" \
            if "expected a JSON value" in str(ctx["error"]) else ""
        return f"not valid JSON at character {where[0]}: {ctx['error']}{hint}"
    # pydantic prefixes messages raised inside validators; the field is in `loc` already.
    return msg.removeprefix("Value error, ")


def validation_detail(exc: ValidationError, prefix: tuple = ("body",)) -> list[dict]:
    return clean_errors(exc.errors(include_url=False, include_input=False), prefix)


def error_detail(exc: Exception) -> list[dict]:
    """The 422 detail of any bad-input exception the engine or pydantic raises."""
    if isinstance(exc, RequestError):
        return exc.detail()
    if isinstance(exc, ValidationError):
        return validation_detail(exc)
    if isinstance(exc, RequestValidationError):
        return clean_errors(list(exc.errors()), prefix=())
    if isinstance(exc, ComputationTimeout):
        return [{"loc": ["body"], "msg": str(exc), "type": "limit", "limit_s": exc.budget}]
    raise exc


def unexpected_detail(exc: BaseException) -> tuple[int, list[dict]]:
    """(status, detail) for an error the engine did not name a field for: input that
    overflowed, nested too deeply or asked for too much memory is still bad input (a
    4xx that says so), never a 500.  Logged, one line, so such gaps can be closed."""
    if isinstance(exc, MemoryError):
        status, msg, kind = 413, "the request needs more memory than the server allows", "limit"
    elif isinstance(exc, RecursionError):
        status, msg, kind = 422, "the request is nested too deeply", "limit"
    elif isinstance(exc, ArithmeticError):
        status, msg, kind = 422, f"the computation overflowed: {exc}", "arithmetic"
    else:
        status, msg, kind = 422, f"invalid input: {exc}", "value_error"
    tb = exc.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    where = f"{tb.tb_frame.f_code.co_filename}:{tb.tb_lineno}" if tb is not None else "?"
    log.warning("refused with %d: %s: %s (raised at %s)", status, type(exc).__name__,
                exc, where)
    return status, [{"loc": ["body"], "msg": msg, "type": kind}]


UNEXPECTED = (ArithmeticError, ValueError, RecursionError, MemoryError)


def install(app: FastAPI) -> None:
    async def unprocessable(request: Request, exc: Exception):
        return FastJSONResponse({"detail": error_detail(exc)}, status_code=422)

    for exc_type in (RequestValidationError, ValidationError, RequestError, ComputationTimeout):
        app.add_exception_handler(exc_type, unprocessable)

    async def too_busy(request: Request, exc: TooBusy):
        return FastJSONResponse({"detail": exc.detail()}, status_code=429,
                                headers={"Retry-After": "1"})

    async def client_gone(request: Request, exc: Cancelled):
        return Response(status_code=CLIENT_GONE)

    async def unexpected(request: Request, exc: Exception):
        status, detail = unexpected_detail(exc)
        return FastJSONResponse({"detail": detail}, status_code=status)

    app.add_exception_handler(TooBusy, too_busy)
    app.add_exception_handler(Cancelled, client_gone)
    for exc_type in UNEXPECTED:
        app.add_exception_handler(exc_type, unexpected)
