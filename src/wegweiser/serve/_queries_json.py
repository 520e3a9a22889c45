"""Results as JSON: re-exported from :mod:`wegweiser.analysis.result` (the one serialiser)."""

from __future__ import annotations

from wegweiser.analysis.result import Tables, jsonable, table_records

__all__ = ["Tables", "jsonable", "table_records"]
