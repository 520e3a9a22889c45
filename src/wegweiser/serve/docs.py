"""``/api/docs``: Swagger UI for the OpenAPI spec, served from this server (works offline).

The Swagger UI files come from the ``fastapi-offline`` package (its ``static`` folder, Swagger
UI 5, which reads OpenAPI 3.1); nothing is loaded from a CDN.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

DOCS_URL = "/api/docs"
ASSETS_URL = "/api/docs/assets"


def assets_folder() -> Path:
    """Where the installed Swagger UI files are."""
    import fastapi_offline

    return Path(fastapi_offline.__file__).resolve().parent / "static"


def install(app: FastAPI, *, openapi_url: str) -> None:
    """Add ``/api/docs`` and its assets to ``app`` (created with ``docs_url=None``)."""

    def docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=openapi_url,
            title=f"{app.title} API",
            swagger_js_url=f"{ASSETS_URL}/swagger-ui-bundle.js",
            swagger_css_url=f"{ASSETS_URL}/swagger-ui.css",
            swagger_favicon_url=f"{ASSETS_URL}/favicon.png",
        )

    app.add_api_route(DOCS_URL, docs, methods=["GET"], include_in_schema=False)
    app.mount(ASSETS_URL, StaticFiles(directory=assets_folder()), name="api-docs-assets")
