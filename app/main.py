"""The application: `uvicorn app.main:app`."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.middleware.gzip import GZipMiddleware
from fastapi.staticfiles import StaticFiles

from . import __version__, docs, web
from .api import catalog, errors, grid, run, stream
from .config import settings
from .headers import SecurityHeaders
from .limits import BodyLimit


def create_app() -> FastAPI:
    s = settings()
    app = FastAPI(title="Optimizer Playground", version=__version__,
                  summary="PyTorch's optimizers and LR schedulers, exact to float64, on 2D "
                          "surfaces.", docs_url=None, redoc_url=None)
    errors.install(app)
    for module in (run, catalog, grid, stream):
        app.include_router(module.router)

    @app.get("/healthz", tags=["health"])
    def healthz() -> dict:
        return {"status": "ok"}

    app.include_router(web.router)
    docs.install(app)
    app.mount("/static", StaticFiles(directory=str(web.STATIC_DIR)), name="static")

    if s.cors_origins:
        app.add_middleware(CORSMiddleware, allow_origins=[o.strip() for o in
                                                          s.cors_origins.split(",") if o.strip()],
                           allow_methods=["GET", "POST"], allow_headers=["content-type"])
    app.add_middleware(GZipMiddleware, minimum_size=1024)
    app.add_middleware(SecurityHeaders)
    app.add_middleware(BodyLimit, limit=s.max_body_bytes)
    return app


app = create_app()
