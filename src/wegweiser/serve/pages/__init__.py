"""The dashboard: server-rendered pages (Jinja2) with Plotly charts, in German and English.

Pages (all ``GET``, options in the query string): ``/`` overview, ``/journey-map``,
``/funnels``, ``/paths``, ``/attribution``, ``/retention``, ``/data-quality``, ``/settings``,
``/persons`` (search) and ``/persons/<id>`` (one person's journey); downloads at
``/export/<analysis>.csv`` and ``.json`` (:mod:`.export`).
Forms (``POST`` with a CSRF token): ``/login``, ``/logout``, ``/data-quality/replay``,
``/data-quality/drop``, ``/settings/phases``. Assets: ``/static/*`` and plotly.js at
``/assets/plotly-<version>.min.js`` (served from the installed plotly package, cached for a
year: the dashboard works offline and loads nothing from other sites).
"""

from __future__ import annotations

import functools
import gzip

from fastapi import FastAPI, Request
from fastapi.responses import Response
from fastapi.staticfiles import StaticFiles

from wegweiser.serve.access import LoginRequired
from wegweiser.serve.pages import (
    admin,
    analyses,
    audit,
    auth,
    export,
    fixes,
    funnels,
    journeys,
    person,
    segments,
    tracking,
    unsubscribe,
    views,
)
from wegweiser.serve.pages._web import (
    STATIC,
    has_session,
    login_redirect,
    page_headers,
    plotly_version,
    render,
)

__all__ = ["install"]

KNOWN_ERRORS = {"error.400", "error.401", "error.403", "error.404", "error.405", "error.413",
                "error.422", "error.429", "error.500", "error.503"}


@functools.cache
def _plotly_js() -> tuple[bytes, bytes]:
    """plotly.js as bytes, plain and gzipped (made once)."""
    from plotly.offline import get_plotlyjs

    raw = get_plotlyjs().encode("utf-8")
    return raw, gzip.compress(raw, compresslevel=6)


def _plotly_asset(request: Request, version: str) -> Response:
    if version != plotly_version():
        return Response(status_code=404)
    raw, packed = _plotly_js()
    headers = {"Cache-Control": "public, max-age=31536000, immutable", "Vary": "Accept-Encoding"}
    if "gzip" in request.headers.get("accept-encoding", ""):
        headers["Content-Encoding"] = "gzip"
        return Response(packed, media_type="text/javascript; charset=utf-8", headers=headers)
    return Response(raw, media_type="text/javascript; charset=utf-8", headers=headers)


def html_error(request: Request, status: int, code: str, message: str) -> Response:
    """The error as a dashboard page (``app.state.html_error`` of :mod:`..errors`)."""
    from wegweiser.serve.access import context, current_user

    bare = not context(request).open_access and (
        not has_session(request) or current_user(request) is None
    )
    response = render(request, "error.html.j2", status=status, title_key="error.title",
                      status_code=status, code=code, message=message, bare=bare,
                      known_errors=KNOWN_ERRORS)
    return page_headers(response)


def install(app: FastAPI) -> None:
    """Add the dashboard routes, static files and the HTML error renderer to ``app``."""

    async def to_login(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, LoginRequired)
        return login_redirect(exc.next_url)

    app.add_exception_handler(LoginRequired, to_login)
    app.add_api_route("/assets/plotly-{version}.min.js", _plotly_asset, methods=["GET"],
                      include_in_schema=False)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.include_router(auth.router)
    app.include_router(views.router)
    app.include_router(funnels.router)
    app.include_router(admin.router)
    app.include_router(analyses.router)
    app.include_router(export.router)
    app.include_router(segments.router)
    app.include_router(person.router)
    app.include_router(fixes.router)
    app.include_router(journeys.router)
    app.include_router(unsubscribe.router)
    app.include_router(tracking.router)
    app.include_router(audit.router)
    app.state.html_error = html_error
