"""The pages ("/" and "/embed") and the static files under content-hashed URLs (assets.py):
the app never asks another host for anything. plotly.js is vendored in static/vendor
(official partial bundles from the npm registry, tools/vendor_plotly.py)."""

from __future__ import annotations


from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, PlainTextResponse, Response
from fastapi.templating import Jinja2Templates

from . import __version__
from .assets import Assets
from .config import settings
from .engine.surfaces import SURFACES
from .paths import STATIC_DIR, TEMPLATES_DIR

TEMPLATES = Jinja2Templates(directory=str(TEMPLATES_DIR))
ASSETS = Assets(STATIC_DIR)
LANGS = ("en", "zh")

router = APIRouter(include_in_schema=False)


def page_lang(request: Request) -> str:
    """`lang=` in the URL, else the browser's first choice we speak, else English."""
    asked = request.query_params.get("lang", "")
    if asked in LANGS:
        return asked
    for part in request.headers.get("accept-language", "").split(","):
        tag = part.split(";")[0].strip().lower()
        if tag.startswith("zh"):
            return "zh"
        if tag.startswith("en"):
            return "en"
    return "en"


def render(request: Request, name: str) -> HTMLResponse:
    # max_runs: the page sizes a fan of seeds to what one request may ask for; surfaces:
    # the built-in ids, so the page asks for a linked surface's grid before its catalogue;
    # max_tune_n: the lr values of a tuning; max_data_points: pasted data is checked
    # against the server's limit before it is sent.
    return TEMPLATES.TemplateResponse(request, name, {"lang": page_lang(request),
                                                      "version": __version__,
                                                      "assets": ASSETS,
                                                      "surfaces": ",".join(SURFACES),
                                                      "max_runs": settings().max_runs,
                                                      "max_data_points": settings().max_data_points,
                                                      "max_state_steps": settings().max_state_steps,
                                                      "max_tune_n": settings().max_tune_n})


@router.get("/", response_class=HTMLResponse)
def index(request: Request):
    return render(request, "index.html")


@router.get("/embed", response_class=HTMLResponse)
def embed(request: Request):
    return render(request, "embed.html")


@router.api_route("/static/{path:path}", methods=["GET", "HEAD"])
def static_file(path: str, request: Request) -> Response:
    # A plain function: FastAPI runs it in the thread pool, where a file's first
    # compression happens (once; the result is kept).
    found = ASSETS.answer(path, request.headers.get("accept-encoding", ""),
                          request.headers.get("if-none-match"))
    if found is None:
        return PlainTextResponse("Not Found", status_code=404)
    body = b"" if request.method == "HEAD" or found.status == 304 else found.body
    response = Response(body, status_code=found.status, headers=found.headers)
    if request.method == "HEAD":
        response.headers["content-length"] = str(len(found.body))
    return response
