"""``wegweiser serve``: the collector (``/v1/*``), the query API (``/api/v1/*``) and the
dashboard, in one FastAPI app run by uvicorn. See :func:`wegweiser.serve.app.create_app`."""

from __future__ import annotations
