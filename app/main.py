"""The application: `uvicorn app.main:app`."""

from __future__ import annotations

import gc
import sys
import threading
from contextlib import asynccontextmanager
from typing import AsyncIterator

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.middleware.gzip import GZipMiddleware

from . import __version__, docs, web
from .api import animation, catalog, code, errors, grid, maps, run, stream, tune
from .config import settings
from .headers import AllowedMethods, HeadAsGet, SecurityHeaders, origin_list
from .limits import BodyLimit

# The event loop shares the GIL with the threads that compute: a thread holding it is
# asked to hand it over after this long.  With CPython's 5 ms, /healthz waited ~30 ms
# (p99 ~180 ms) behind four computations; with 1 ms ~10 ms (p99 ~35 ms), for under 1 %
# of the computations' speed (measured by tests/test_faults.py on 2 cores).
SWITCH_INTERVAL_S = 0.001


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    # What is built by now (modules, models, schemas: ~80,000 objects) lives as long as
    # the process.  Frozen, a full garbage collection no longer scans it: it took 0.2 s,
    # with the GIL held, so the event loop and every computation stopped meanwhile.
    gc.collect()
    gc.freeze()
    yield


def create_app() -> FastAPI:
    sys.setswitchinterval(SWITCH_INTERVAL_S)
    s = settings()
    app = FastAPI(title="Optimizer Playground", version=__version__,
                  summary="PyTorch's optimizers and LR schedulers, exact to float64, on 2D "
                          "surfaces.", docs_url=None, redoc_url=None, lifespan=lifespan)
    errors.install(app)
    for module in (run, catalog, grid, stream, maps, code, tune, animation):
        app.include_router(module.router)

    @app.get("/healthz", tags=["health"])
    async def healthz() -> dict:
        # async: answered on the event loop, never queued behind computations for a thread
        return {"status": "ok"}

    app.include_router(web.router)
    # The static files' compressed forms, made once, in the background.
    threading.Thread(target=web.ASSETS.warm, name="assets-warm", daemon=True).start()
    docs.install(app)

    # The last added is the outermost: the security headers (and CORS's, when on) go on
    # every answer, the body limit's 413 included.
    # Level 6: a third of the CPU of the default 9 for the same size within 1%.
    app.add_middleware(GZipMiddleware, minimum_size=1024, compresslevel=6)
    app.add_middleware(AllowedMethods)
    app.add_middleware(BodyLimit, limit=s.max_body_bytes)
    origins = origin_list(s.cors_origins)
    if origins:
        app.add_middleware(CORSMiddleware, allow_origins=origins,
                           allow_methods=["GET", "POST"], allow_headers=["content-type"])
    app.add_middleware(HeadAsGet)
    app.add_middleware(SecurityHeaders)
    return app


app = create_app()
