"""Segment/RudderStack-compatible collector (``/v1/*``) — being written."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, FastAPI

router = APIRouter()


async def start(app: FastAPI) -> None:
    """Start the spool flusher (replaying what a previous run left)."""


async def stop(app: FastAPI) -> None:
    """Flush what was collected and stop."""


def status(app: FastAPI) -> dict[str, Any]:
    return {}
