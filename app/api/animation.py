"""The scene as an animated GIF for slides.

POST /api/v1/export/gif   body = run request + "lang", "frames", "width" -> scene.gif

Computed and drawn in the worker pool like the other exports (code.py): under the
client's slot, the worker gate and the compute budget, cancelled when the client leaves.
"""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import Field

from ..engine.errors import Cancelled
from ..engine.request import RunRequest
from ..teach.animation import (DEFAULT_FRAMES, DEFAULT_WIDTH, MAX_FRAMES, MAX_WIDTH,
                               MIN_WIDTH, render_gif)
from . import compute
from .routing import OrjsonRoute
from .schemas import UNPROCESSABLE

router = APIRouter(prefix="/api/v1", tags=["teaching"], route_class=OrjsonRoute)


class GifExportRequest(RunRequest):
    """A run request, plus the language of the labels and the size of the animation."""

    lang: Literal["en", "zh"] = Field("en", description="language of the legend and counter")
    frames: int = Field(DEFAULT_FRAMES, ge=2, le=MAX_FRAMES,
                        description="at most this many frames (never more than steps + 1)")
    width: int = Field(DEFAULT_WIDTH, ge=MIN_WIDTH, le=MAX_WIDTH,
                       description="width in pixels; the height is 9/16 of it")


def _gif(req: GifExportRequest, cancelled=None) -> bytes:
    return render_gif(req, req.lang, req.frames, req.width, cancelled=cancelled)


@router.post("/export/gif", response_class=Response,
             responses={200: {"description": "scene.gif (attachment): the race, looping, "
                                             "with its legend and step counter",
                              "content": {"image/gif": {"schema": {"type": "string",
                                                                   "format": "binary"}}}},
                        **UNPROCESSABLE})
async def export_gif(req: GifExportRequest, request: Request):
    """The scene as an animated GIF that plays in any slide tool."""
    try:
        # A GIF is compressed already (GZipMiddleware leaves image/gif alone too).
        content = await compute.computed(request, _gif, req)
    except Cancelled:
        return Response(status_code=compute.CLIENT_GONE)
    return Response(content, media_type="image/gif",
                    headers={"Content-Disposition": 'attachment; filename="scene.gif"'})
