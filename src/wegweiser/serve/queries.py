"""Every analysis as data: a registry of names, parameter models and the code that runs them.

The query API (:mod:`wegweiser.serve.api`) and the dashboard call the same two functions::

    with ctx.store() as project:
        result = run(project, "funnel", FunnelParams(steps=["cart", "order_completed"]))
    payload = to_json(result, analysis="funnel")

:func:`run` returns the analysis' :class:`~wegweiser.analysis.result.Result` with ``params``
set to the effective parameters (the request's, defaults filled in from ``wegweiser.toml``,
plus what the analysis reports about itself). :func:`to_json` turns any result into
``{"analysis", "params", "tables": {name: [row objects]}, "notes": [...]}`` with NaN/inf as
null, timestamps as ISO-8601 text and durations as seconds. Parameter models and their JSON
conventions: :mod:`wegweiser.serve._queries_params`.

>>> sorted(ANALYSES)[:4]
['attribution', 'conversion', 'dropoffs', 'funnel']
"""

from __future__ import annotations

import dataclasses
import difflib
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from wegweiser.errors import InvalidInput
from wegweiser.serve._queries_analyses import ANALYSES, Analysis, drop, replay
from wegweiser.serve._queries_json import Tables, jsonable, table_records
from wegweiser.serve._queries_params import (
    AttributionParams,
    ConversionParams,
    DropoffsParams,
    DropParams,
    FunnelParams,
    FunnelStepSpec,
    IdentityParams,
    JourneyMapParams,
    MergesParams,
    NoParams,
    Params,
    PathsParams,
    PhasesParams,
    QuarantineParams,
    ReplayParams,
    RetentionParams,
    SessionsParams,
)

if TYPE_CHECKING:
    from wegweiser.analysis.result import Result
    from wegweiser.project import Project

__all__ = [
    "ANALYSES",
    "Analysis",
    "AttributionParams",
    "ConversionParams",
    "DropParams",
    "DropoffsParams",
    "FunnelParams",
    "FunnelStepSpec",
    "IdentityParams",
    "JourneyMapParams",
    "MergesParams",
    "NoParams",
    "Params",
    "PathsParams",
    "PhasesParams",
    "QuarantineParams",
    "ReplayParams",
    "RetentionParams",
    "SessionsParams",
    "Tables",
    "drop",
    "jsonable",
    "replay",
    "run",
    "table_records",
    "to_json",
]


def run(project: Project, name: str, params: Params | Mapping[str, Any] | None = None) -> Result:
    """Run analysis ``name`` on ``project`` with ``params`` (its model, a mapping of the same
    fields, or None for the defaults); bad parameters raise
    :class:`~wegweiser.errors.InvalidInput`."""
    entry = ANALYSES.get(name)
    if entry is None:
        close = difflib.get_close_matches(name, list(ANALYSES), n=1)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise InvalidInput(f"unknown analysis {name!r}; use one of {', '.join(ANALYSES)}.{hint}")
    if params is None or isinstance(params, Mapping):
        try:
            params = entry.params.model_validate(dict(params or {}))
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in e['loc']) or name}: {e['msg']}" for e in exc.errors()
            )
            raise InvalidInput(f"{name}: {problems}") from None
    elif not isinstance(params, entry.params):
        raise InvalidInput(f"{name} takes {entry.params.__name__}, not {type(params).__name__}")
    result = entry.compute(project, params)
    effective = {**params.model_dump(mode="json", by_alias=True), **jsonable(result.params)}
    return dataclasses.replace(result, params=effective)


def to_json(result: Result, *, analysis: str | None = None) -> dict[str, Any]:
    """``{"analysis", "params", "tables", "notes"}`` of any result, JSON-ready."""
    note = getattr(result, "note", None)
    return {
        "analysis": analysis or type(result).__name__,
        "params": jsonable(result.params),
        "tables": {name: table_records(frame) for name, frame in result.tables().items()},
        "notes": [note] if isinstance(note, str) and note else [],
    }
