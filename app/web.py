"""The pages ("/" and "/embed"), the static files, and plotly.js from the installed
`plotly` package: the app never asks another host for anything."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import plotly
from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse
from fastapi.templating import Jinja2Templates

from . import __version__
from .config import settings
from .paths import STATIC_DIR, TEMPLATES_DIR

TEMPLATES = Jinja2Templates(directory=str(TEMPLATES_DIR))
LANGS = ("en", "zh")
YEAR = 365 * 24 * 3600

router = APIRouter(include_in_schema=False)


@lru_cache(maxsize=1)
def plotly_js() -> Path:
    return Path(plotly.__file__).resolve().parent / "package_data" / "plotly.min.js"


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
    # max_runs: the page sizes a fan of seeds to what one request may ask for.
    return TEMPLATES.TemplateResponse(request, name, {"lang": page_lang(request),
                                                      "version": __version__,
                                                      "max_runs": settings().max_runs,
                                                      "max_state_steps": settings().max_state_steps})


@router.get("/", response_class=HTMLResponse)
def index(request: Request):
    return render(request, "index.html")


@router.get("/embed", response_class=HTMLResponse)
def embed(request: Request):
    return render(request, "embed.html")


@router.get("/static/vendor/plotly.min.js")
def plotly_bundle():
    # Versioned by the page (?v=), so it may be cached for a year.
    return FileResponse(plotly_js(), media_type="text/javascript",
                        headers={"Cache-Control": f"public, max-age={YEAR}, immutable"})
