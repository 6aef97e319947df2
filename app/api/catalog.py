"""GET /api/v1/surfaces | datasets | optimizers | schedulers: what a page needs to build
controls; GET /api/v1/rules: the typeset update rules, which a page reads once it shows one."""

from __future__ import annotations

import hashlib

from fastapi import APIRouter, Query, Request, Response

from ..encoding import compress, pick_encoding
from ..engine import catalog
from .responses import FastJSONResponse, dumps
from .schemas import (DatasetCatalogue, OptimizerCatalogue, RuleCatalogue,
                      SchedulerCatalogue, SurfaceCatalogue)

router = APIRouter(prefix="/api/v1", tags=["catalogue"])

# Built once (and compressed once, as asked): the catalogue only changes with the code.
_BODIES: dict[tuple[str, str | None], bytes] = {}


def _cached(name: str, build, request: Request) -> Response:
    body = _BODIES.get((name, None))
    if body is None:
        body = _BODIES[(name, None)] = dumps(build())
    etag = '"' + hashlib.sha1(body).hexdigest()[:16] + '"'
    headers = {"ETag": etag, "Cache-Control": "public, max-age=300", "Vary": "Accept-Encoding"}
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers=headers)
    encoding = pick_encoding(request.headers.get("accept-encoding", ""))
    if encoding:
        packed = _BODIES.get((name, encoding))
        if packed is None:
            packed = _BODIES[(name, encoding)] = compress(body, encoding)
        if packed is not body:
            body, headers["Content-Encoding"] = packed, encoding
    return Response(body, media_type="application/json", headers=headers)


@router.get("/surfaces", response_model=SurfaceCatalogue, response_class=FastJSONResponse)
def surfaces(request: Request):
    """Built-in surfaces: ids, names, formulas (text and LaTeX), domains, minima, starts."""
    return _cached("surfaces", catalog.surfaces, request)


@router.get("/datasets", response_model=DatasetCatalogue, response_class=FastJSONResponse)
def datasets(request: Request):
    """Built-in data sets for surfaces from data: ids, names (English and Chinese),
    model, size, the view and start of their surface, the full-data minimum, the points."""
    return _cached("datasets", catalog.datasets, request)


MATH = Query(True, description="false: without the typeset rules (rule_mathml, rule_note, "
                                "rule_note_zh), a third of the bytes; GET /api/v1/rules has them")


@router.get("/optimizers", response_model=OptimizerCatalogue, response_class=FastJSONResponse)
def optimizers(request: Request, math: bool = MATH):
    """Optimizers with every hyperparameter: type, default, range, log scale, meaning."""
    if not math:
        return _cached("optimizers-lean", lambda: catalog.without_typeset(catalog.optimizers()), request)
    return _cached("optimizers", catalog.optimizers, request)


@router.get("/schedulers", response_model=SchedulerCatalogue, response_class=FastJSONResponse)
def schedulers(request: Request, math: bool = MATH):
    """Learning-rate schedulers with their parameters."""
    if not math:
        return _cached("schedulers-lean", lambda: catalog.without_typeset(catalog.schedulers()), request)
    return _cached("schedulers", catalog.schedulers, request)


@router.get("/rules", response_model=RuleCatalogue, response_class=FastJSONResponse)
def rules(request: Request):
    """Every optimizer's and scheduler's update rule, typeset (MathML, with the words
    around it in English and Chinese), by id: what a page shows when a rule is opened."""
    return _cached("rules", catalog.typeset_rules, request)
