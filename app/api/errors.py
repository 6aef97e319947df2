"""Every bad input becomes a 422 (or 413) whose body names the field; nothing else leaks.

FastAPI's shape is kept: {"detail": [{"loc": [...], "msg": "...", "type": "..."}]}.
Tags that pydantic puts in `loc` for tagged unions ("adam", "formula", ...) are dropped,
so a location reads as the request is written: ["body", "runs", 0, "params", "lr"].
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError

from ..engine.errors import ComputationTimeout, RequestError
from ..engine.optim import REGISTRY as OPTIMIZERS
from .responses import FastJSONResponse

UNION_TAGS = {"id", "formula", *OPTIMIZERS}


def clean_errors(errors: list[dict], prefix: tuple = ("body",)) -> list[dict]:
    out = []
    for e in errors:
        loc = list(e.get("loc", ()))
        if prefix and (not loc or loc[0] != prefix[0]):
            loc = [*prefix, *loc]
        loc = [part for i, part in enumerate(loc)
               if not (isinstance(part, str) and part in UNION_TAGS and i > 0
                       and isinstance(loc[i - 1], int))
               and not (part in ("id", "formula") and i > 0 and loc[i - 1] == "surface")]
        item = {"loc": loc, "msg": _message(e), "type": e.get("type", "value_error")}
        ctx = e.get("ctx") or {}
        if "column" in ctx:
            item["column"] = ctx["column"]
        out.append(item)
    return out


def _message(e: dict) -> str:
    msg = str(e.get("msg", "invalid value"))
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


def install(app: FastAPI) -> None:
    async def unprocessable(request: Request, exc: Exception):
        return FastJSONResponse({"detail": error_detail(exc)}, status_code=422)

    for exc_type in (RequestValidationError, ValidationError, RequestError, ComputationTimeout):
        app.add_exception_handler(exc_type, unprocessable)
