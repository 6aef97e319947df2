"""Answers through the cache (app/cache.py): POST and GET of /api/v1/run and /api/v1/map.

    return await cached.answer(request, "run", RunRequest, body, explained)

looks the request body up (its canonical JSON: no validation needed); on a miss it
validates and computes through `compute.computed` (the thread pool: the client's slot,
the gate, the budget, cancellation when the client leaves), and keeps the encoded answer.
Cache hits and requests that wait for an identical computation in flight take no slot
and do no work.

GET-able answers (for embeds and links): `GET /api/v1/run?q=<base64url of the request
JSON>` answers what POST /api/v1/run answers to that JSON, with a weak ETag,
`Cache-Control: public, max-age=<cache_max_age_s>` and 304 on a matching If-None-Match,
so browsers and any HTTP cache in front of the servers share one computation.  A URL
longer than the HTTP server parses (uvicorn's parser: 64 KiB) never reaches the app, so
`q` is held to MAX_QUERY_CHARS (a 414 that says to POST the request instead).
"""

from __future__ import annotations

import base64
import binascii
from typing import Any, Callable, TypeVar

import orjson
from fastapi import HTTPException, Request, Response
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ValidationError
from starlette.background import BackgroundTask

from .. import cache
from ..config import env_name, settings
from ..encoding import pick_encoding
from ..engine.errors import Cancelled
from .compute import TooBusy, computed
from .responses import dumps

M = TypeVar("M", bound=BaseModel)

QUERY_DOC = ("the request body as base64url (RFC 4648 §5, padding optional) of its "
             "JSON, e.g. btoa(JSON.stringify(body)) with + → -, / → _; at most 60,000 "
             "characters (POST a longer request)")
NOT_MODIFIED = {304: {"description": "not modified (If-None-Match matched the ETag)"}}
TOO_LONG = {414: {"description": "q is longer than a URL may be: POST the request"}}
# Characters of `q`: the whole URL must stay within the 65,535 bytes uvicorn's parser
# (httptools) takes; a longer one is answered by the server with a plain-text 400.
MAX_QUERY_CHARS = 60_000


async def answer(request: Request, kind: str, model: type[M], source: dict | str,
                 fn: Callable[..., Any], *, public: bool = False,
                 best: bool = False) -> Response:
    """The JSON answer of `fn(req, cancelled=...)` where req is `source` (a body, or the
    `q` of a GET) validated as `model`, from the cache when it has it.  `best`: an answer
    many visitors ask for alike, worth its Brotli form (cache.brotli_later), made after
    this response went out."""
    gzip = "gzip" in request.headers.get("accept-encoding", "")
    from_query = isinstance(source, str)
    body = query_body(source) if from_query else source

    def encoded(cancelled: Callable[[], bool]) -> bytes:
        req = validated(model, body, ("query", "q") if from_query else ())
        return dumps(fn(req, cancelled=cancelled))

    async def produce() -> bytes:
        # Cancelled when the client went away meanwhile: a waiter computes it instead.
        return await computed(request, encoded)

    key = cache.key_of(kind, body)
    entry = await cache.lookup(key, produce, gzip=gzip, owners_only=(Cancelled, TooBusy))
    response = respond(request, entry, public=public)
    job = cache.brotli_later(key, entry) if best else None
    if job is not None:
        response.background = BackgroundTask(job)   # a sync job: Starlette runs it in a thread
    return response


def respond(request: Request, entry: cache.Entry, *, public: bool) -> Response:
    """The entry as a response: Brotli or gzip when the client takes it (and the entry
    has it), an ETag always, and for
    GET-able answers Cache-Control: public and 304 on a matching If-None-Match."""
    headers = {"ETag": entry.etag, "Vary": "Accept-Encoding"}
    if public:
        headers["Cache-Control"] = f"public, max-age={settings().cache_max_age_s}"
        match = request.headers.get("if-none-match")
        if match is not None:
            tags = {t.strip().removeprefix("W/") for t in match.split(",")}
            if "*" in tags or entry.etag.removeprefix("W/") in tags:
                return Response(status_code=304, headers=headers)
    if entry.br is not None and pick_encoding(request.headers.get("accept-encoding", "")) == "br":
        headers["Content-Encoding"] = "br"
        return Response(entry.br, media_type="application/json", headers=headers)
    if entry.gz is not None and "gzip" in request.headers.get("accept-encoding", ""):
        headers["Content-Encoding"] = "gzip"
        return Response(entry.gz, media_type="application/json", headers=headers)
    return Response(entry.body, media_type="application/json", headers=headers)


def check_query_length(q: str) -> None:
    if len(q) > MAX_QUERY_CHARS:
        raise HTTPException(414, detail=[{
            "loc": ["query", "q"], "type": "limit", "limit": MAX_QUERY_CHARS,
            "msg": f"q is {len(q)} characters, over the {MAX_QUERY_CHARS} a URL can carry "
                   f"here: POST the request body to the same path instead"}])


def query_body(q: str) -> dict:
    """The request body in `q` (base64url of its JSON), not yet validated: a 414 when q
    is longer than a URL may be here, a 413-worded 422 when it decodes to more than the
    body limit, a 422 at ["query", "q"] when it is not base64url of a JSON object."""
    check_query_length(q)
    limit = settings().max_body_bytes
    if len(q) > limit * 4 // 3 + 4:
        raise RequestValidationError([{"loc": ("query", "q"), "type": "limit",
                                       "msg": f"q decodes to more than the limit of "
                                              f"{limit} bytes ({env_name('max_body_bytes')})"}])
    try:
        raw = base64.urlsafe_b64decode(q + "=" * (-len(q) % 4))
        body = orjson.loads(raw)
    except (binascii.Error, ValueError) as e:
        raise RequestValidationError([{"loc": ("query", "q"), "type": "value_error",
                                       "msg": f"q must be base64url of a JSON object: "
                                              f"{e}"}]) from None
    if not isinstance(body, dict):
        raise RequestValidationError([{"loc": ("query", "q"), "type": "value_error",
                                       "msg": "q must be base64url of a JSON object"}])
    return body


def validated(model: type[M], body: dict, prefix: tuple = ()) -> M:
    """`body` as `model` (in a worker: validation compiles formulas).  A bad body raises
    pydantic's ValidationError (answered as FastAPI's own 422 at ["body", ...]); with a
    `prefix`, a RequestValidationError whose locations start with it."""
    if not prefix:
        return model.model_validate(body)
    try:
        return model.model_validate(body)
    except ValidationError as e:
        raise RequestValidationError([
            {**err, "loc": (*prefix, *err["loc"])}
            for err in e.errors(include_url=False, include_input=False)]) from None


def encode_query(body: dict) -> str:
    """The `q` of a request body (what a page or a test puts in the URL)."""
    return base64.urlsafe_b64encode(orjson.dumps(body)).decode().rstrip("=")
