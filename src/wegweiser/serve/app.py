"""The FastAPI application: collector, query API, dashboard, one error shape."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI

from wegweiser import __version__
from wegweiser.serve import api, collector, docs, errors, feedback_hook, pages
from wegweiser.serve.context import ServerContext
from wegweiser.serve.guard import Guard
from wegweiser.serve.sessions import Sessions

SESSION_COOKIE = "wegweiser_session"


def create_app(project_dir: str | os.PathLike[str]) -> FastAPI:
    """The app serving the project at ``project_dir`` (see :mod:`wegweiser.serve.context`)."""
    ctx = ServerContext(project_dir)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await collector.start(app)
        try:
            yield
        finally:
            await collector.stop(app)

    app = FastAPI(
        title="Wegweiser",
        version=__version__,
        summary="Customer journeys: collector, query API and dashboard.",
        lifespan=lifespan,
        docs_url=None,  # served by .docs, from local files
        redoc_url=None,
        openapi_url="/api/openapi.json",
    )
    app.state.ctx = ctx
    errors.install(app)
    app.add_middleware(Sessions, ctx=ctx, cookie=SESSION_COOKIE)
    app.add_middleware(Guard, ctx=ctx)  # added last: runs first
    docs.install(app, openapi_url="/api/openapi.json")

    @app.get("/healthz", tags=["server"], summary="Liveness and collector backlog")
    def healthz() -> dict[str, Any]:
        return {"status": "ok", "version": __version__, **collector.status(app)}

    app.include_router(collector.router)
    app.include_router(feedback_hook.router)
    app.include_router(api.router)
    pages.install(app)
    return app
