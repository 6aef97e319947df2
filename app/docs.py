"""/docs: Swagger UI from the installed swagger-ui-bundle package (no CDN), started by
a static script rather than FastAPI's inline one, so the page obeys script-src 'self'."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Optimizer Playground API</title>
<link rel="stylesheet" href="/docs-assets/swagger-ui.css"></head>
<body><div id="swagger-ui"></div>
<script src="/docs-assets/swagger-ui-bundle.js"></script>
<script src="/static/js/docs-init.js"></script></body></html>"""


def install(app: FastAPI) -> None:
    try:
        import swagger_ui_bundle
    except ImportError:  # the schema stays at /openapi.json
        return
    app.mount("/docs-assets", StaticFiles(directory=str(Path(swagger_ui_bundle.swagger_ui_path))),
              name="docs-assets")

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        return HTMLResponse(PAGE)
