"""The FastAPI application: collector, query API, dashboard, one error shape."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI

from wegweiser import __version__
from wegweiser.serve import api, collector, docs, errors, feedback_hook, pages, receipts_hook
from wegweiser.serve.context import ServerContext
from wegweiser.serve.guard import Guard
from wegweiser.serve.sessions import Sessions

SESSION_COOKIE = "wegweiser_session"


def create_app(project_dir: str | os.PathLike[str]) -> FastAPI:
    """The app serving the project at ``project_dir`` (see :mod:`wegweiser.serve.context`)."""
    ctx = ServerContext(project_dir)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        ctx.pool.warm()
        await collector.start(app)
        try:
            yield
        finally:
            await collector.stop(app)
            ctx.pool.close()

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

    def health() -> dict[str, Any]:
        found = collector.status(app)
        return {
            "status": "degraded" if found["problems"] else "ok",
            "version": __version__,
            **found,
            "snapshot": ctx.snapshot_status(),
            "queries": ctx.pool.status(),
        }

    app.state.health = health  # the data-quality page shows it too

    @app.get("/healthz", tags=["server"], summary="Liveness, collector backlog, query pool")
    async def healthz() -> dict[str, Any]:
        """``status`` is ``ok``, or ``degraded`` with the ``problems`` (a large or old
        collector backlog, an import process that keeps dying). Always 200 while the server
        answers; it never opens the store."""
        return health()

    app.include_router(collector.router)
    app.include_router(feedback_hook.router)
    app.include_router(receipts_hook.router)
    app.include_router(api.router)
    pages.install(app)
    return app
