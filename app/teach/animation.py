"""A scene as an animated GIF for slides: it plays in PowerPoint, Keynote, Google Slides
and any browser, loops, and carries its legend and step counter in the picture.

    render_gif(request_body, lang="en", frames=100, width=960, cancelled=None) -> bytes

Frames are drawn by slide.SlideRenderer and encoded by Pillow.  The race keeps the
page's pace at 1× (player.js baseRate), holds its first frame a moment and its last one
longer, and never has more frames than steps.  Every frame is mapped to one palette
made from the first and the last frame, without dithering: a pixel that does not move
keeps its index, so Pillow stores each frame as the small rectangle that changed.
"""

from __future__ import annotations

import io
import logging
import time

import numpy as np
from PIL import Image

from ..config import settings
from ..engine.errors import RequestError
from ..engine.request import RunRequest, resolve_surface
from ..engine.fence import Fence
from ..engine.scene import execute
from . import look
from .fonts import find_fonts
from .formula_code import plain_source
from .labels import legend_parts
from .slide import Scene, SlideRenderer, Track, left_view, printable, rgb
from .static_export import LANGS, STRINGS, surface_title

DEFAULT_FRAMES = 100
MAX_FRAMES = 240
DEFAULT_WIDTH = 960
MIN_WIDTH, MAX_WIDTH = 320, 1600
MAX_PIXELS = 80_000_000                  # frames × width × height of one GIF
FIRST_HOLD_MS, LAST_HOLD_MS, MIN_FRAME_MS = 500, 2500, 20

log = logging.getLogger("optplay.animation")


def frame_steps(steps: int, frames: int) -> list[int]:
    """The steps shown: 0, the last one, and evenly between; one per step at most."""
    n = max(2, min(frames, steps + 1))
    return sorted({round(i * steps / (n - 1)) for i in range(n)})


def frame_durations(plan: list[int], steps: int) -> list[int]:
    """Milliseconds per frame, at the page's 1× pace (player.js baseRate); GIF counts
    in hundredths of a second, and players slow anything under 20 ms down to 100 ms."""
    rate = max(40.0, steps / 6)
    out = []
    for i, k in enumerate(plan):
        nxt = plan[i + 1] if i + 1 < len(plan) else k
        ms = max(MIN_FRAME_MS, round((nxt - k) / rate * 100) * 10)
        out.append(ms)
    out[0] = max(out[0], FIRST_HOLD_MS)
    out[-1] = LAST_HOLD_MS
    return out


def check_size(frames: int, width: int, steps: int) -> None:
    """Refuse a GIF beyond the limits (RequestError naming the field)."""
    if not (isinstance(frames, int) and 2 <= frames <= MAX_FRAMES):
        raise RequestError(("frames",), f"frames must be a whole number from 2 to {MAX_FRAMES}")
    if not (isinstance(width, int) and MIN_WIDTH <= width <= MAX_WIDTH):
        raise RequestError(("width",), f"width must be a whole number of pixels from "
                                       f"{MIN_WIDTH} to {MAX_WIDTH}")
    if len(frame_steps(steps, frames)) * width * round(width * 9 / 16) > MAX_PIXELS:
        raise RequestError(("frames",), f"{frames} frames of {width} pixels wide is more than "
                                        f"one GIF may hold ({MAX_PIXELS // 1_000_000} million "
                                        f"pixels): fewer frames or a narrower picture")


def build_scene(req: RunRequest, lang: str, cancelled=None, deadline=None) -> Scene:
    """Compute the runs and put the slide's texts in `lang` (English when no font on
    this machine can write Chinese)."""
    fonts = find_fonts()
    if lang == "zh" and not fonts.cjk:
        log.warning("no font with Chinese glyphs found (install fonts-noto-cjk): the GIF's "
                    "labels are in English")
        lang = "en"
    answer = execute(req, cancelled=cancelled, deadline=deadline)
    surface = resolve_surface(req.surface)
    specs = [r.model_dump(mode="json", exclude_unset=True) for r in req.runs]
    tracks = []
    for spec, run, color in zip(specs, answer["runs"], look.colors_for(specs)):
        name, detail = legend_parts(spec)
        path = np.array(run["path"], dtype=float).reshape(-1, 2)
        tr = Track(name=printable(name), detail=printable(detail),
                   color=rgb(color, look.PALETTE[0]),
                   status=run["status"], steps_done=int(run["steps_done"]), path=path,
                   escaped_at=run.get("escaped_at"))
        tr.left_at = left_view(path, surface.domain, tr.end)
        tracks.append(tr)
    return Scene(surface=surface, contour=look.contour_data(surface, 100, hover=False),
                 start=tuple(answer["start"]), steps=req.steps, tracks=tracks,
                 title=printable(surface_title(surface, lang)),
                 subtitle=printable(surface_line(surface, lang)),
                 strings=STRINGS[lang], fonts=fonts)


def surface_line(surface, lang: str) -> str:
    """The line beside the title: the formula, or for a surface from data its loss over
    the data (as the HTML export writes it)."""
    tree = surface.formula.tree
    if tree is not None:
        return f"f(x, y) = {plain_source(tree)}"
    return STRINGS[lang]["data.lossLinear" if surface.model == "linear" else "data.lossLogistic"]


def render_gif(request_body: dict | RunRequest, lang: str = "en", frames: int = DEFAULT_FRAMES,
               width: int = DEFAULT_WIDTH, cancelled=None) -> bytes:
    """The scene as an animated GIF (bytes).  Raises pydantic's ValidationError or
    RequestError for a request the API would refuse, ComputationTimeout past the compute
    budget (the runs and the drawing together), Cancelled when `cancelled()` says so."""
    if lang not in LANGS:
        raise RequestError(("lang",), "lang must be en or zh")
    req = request_body if isinstance(request_body, RunRequest) \
        else RunRequest.model_validate(request_body)
    check_size(frames, width, req.steps)
    budget = settings().compute_budget_s
    fence = Fence(time.monotonic() + budget, budget, cancelled)
    scene = build_scene(req, lang, cancelled=cancelled, deadline=fence.deadline)
    fence.check()
    renderer = SlideRenderer(scene, width, check=fence.check)
    plan = frame_steps(req.steps, frames)
    first, last = renderer.frame(plan[0]), renderer.frame(plan[-1])
    palette = _palette(first, last)
    images = []
    for i, k in enumerate(plan):
        fence.check()
        im = first if i == 0 else last if i == len(plan) - 1 else renderer.frame(k)
        images.append(im.quantize(palette=palette, dither=Image.Dither.NONE))
    out = io.BytesIO()
    images[0].save(out, format="GIF", save_all=True, append_images=images[1:], loop=0,
                   duration=frame_durations(plan, req.steps), optimize=True)
    return out.getvalue()


def _palette(first: Image.Image, last: Image.Image) -> Image.Image:
    """256 colours for every frame: the first frame has the start of each path and the
    "running" texts, the last one every path whole."""
    both = Image.new("RGB", (first.width, first.height * 2))
    both.paste(first, (0, 0))
    both.paste(last, (0, first.height))
    return both.quantize(colors=255, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
