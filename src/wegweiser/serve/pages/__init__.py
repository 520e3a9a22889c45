"""Dashboard pages — being written."""

from __future__ import annotations

from fastapi import FastAPI


def install(app: FastAPI) -> None:
    """Add the dashboard routes, static files and the HTML error renderer to ``app``."""
