"""For teaching: the scene as PyTorch code, and downloads of it (CSV, JSON, one HTML file).

POST /api/v1/code          body = run request (?run=i for one run) -> {"code", "filename"}
POST /api/v1/export/csv    body = run request -> scene.csv (one row per run per step)
POST /api/v1/export/json   body = run request -> scene.json (the run answer)
POST /api/v1/export/html   body = run request + "lang", "lr_variants" -> scene.html
"""

from __future__ import annotations

from typing import Annotated, Callable, Literal, Optional

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field

from ..engine.errors import Cancelled
from ..engine.request import FiniteFloat, RunRequest
from ..teach import data_export
from ..teach.divergence import explained
from ..teach.pytorch_code import pytorch_snippet
from ..teach.static_export import MAX_VARIANTS, export_html
from . import compute
from .bodies import Checked
from .responses import FastJSONResponse
from .routing import OrjsonRoute
from .schemas import UNPROCESSABLE, RunResponse

router = APIRouter(prefix="/api/v1", tags=["teaching"], route_class=OrjsonRoute)


class HtmlExportRequest(RunRequest):
    """A run request, plus the language of the file and optional lr slider positions."""

    lang: Literal["en", "zh"] = Field("en", description="language of the file's labels")
    lr_variants: Optional[Annotated[list[FiniteFloat], Field(min_length=1,
                                                             max_length=MAX_VARIANTS)]] = Field(
        None, description="an lr slider: every run recomputed with each of these lrs")


class CodeAnswer(BaseModel):
    code: str = Field(description="a Python script: torch.optim on the scene's surface")
    filename: str = Field(description="a file name for it", examples=["scene.py"])


def _file(media_type: str, what: str) -> dict:
    return {200: {"description": what, "content": {media_type: {"schema": {"type": "string"}}}},
            **UNPROCESSABLE}


@router.post("/code", response_model=CodeAnswer, response_class=FastJSONResponse,
             responses=UNPROCESSABLE)
async def code(body: Checked[RunRequest], request: Request,
               run: Annotated[Optional[int], Query(ge=0)] = None):
    """The scene as a runnable PyTorch script (torch.optim, its schedulers, our loop)."""
    def snippet(cancelled=None) -> dict:
        return {"code": pytorch_snippet(RunRequest.model_validate(body), run),
                "filename": "scene.py"}

    return await compute.compute(request, snippet)


def _csv(req: RunRequest, cancelled=None) -> bytes:
    body = req.model_dump(mode="json", exclude_unset=True)
    return data_export.to_csv(explained(req), body, bom=True).encode("utf-8")


def _json(req: RunRequest, cancelled=None) -> bytes:
    return data_export.to_json(explained(req))


def _html(req: HtmlExportRequest, cancelled=None) -> bytes:
    return export_html(req, req.lang, req.lr_variants).encode("utf-8")


async def download(request: Request, make: Callable[..., bytes], model: type[RunRequest],
                   body: dict, filename: str, media_type: str) -> Response:
    """`make(req)` as an attachment, req the body validated as `model`.  Validated, made
    and compressed in a worker thread (a CSV of 16 runs of 10,000 steps is 15 MB and
    takes a second to write) under the per-client limit, the gate and the budget; 499
    (unread) if the client left meanwhile."""
    gzip = compute.accepts_gzip(request)

    def work(cancelled) -> tuple[bytes, dict[str, str]]:
        return compute.packed(make(model.model_validate(body), cancelled=cancelled), gzip)

    try:
        content, headers = await compute.computed(request, work)
    except Cancelled:
        return Response(status_code=compute.CLIENT_GONE)
    return Response(content, media_type=media_type, headers={
        **headers, "Content-Disposition": f'attachment; filename="{filename}"'})


@router.post("/export/csv", response_class=Response,
             responses=_file("text/csv", "scene.csv (attachment): one row per run per step"))
async def export_csv(body: Checked[RunRequest], request: Request):
    """Every run's path, loss and lr per step as CSV (state and gradient columns when
    the request asks for "state": true)."""
    return await download(request, _csv, RunRequest, body, "scene.csv",
                          "text/csv; charset=utf-8")


@router.post("/export/json", response_class=Response,
             responses={200: {"model": RunResponse,
                              "description": "scene.json (attachment): the run answer"},
                        **UNPROCESSABLE})
async def export_json(body: Checked[RunRequest], request: Request):
    """The run answer as a JSON file."""
    return await download(request, _json, RunRequest, body, "scene.json", "application/json")


@router.post("/export/html", response_class=Response,
             responses=_file("text/html", "scene.html (attachment): one file that plays "
                                          "offline"))
async def export_file(body: Checked[HtmlExportRequest], request: Request):
    """The scene as one HTML file that plays offline, with no server."""
    return await download(request, _html, HtmlExportRequest, body, "scene.html",
                          "text/html; charset=utf-8")
