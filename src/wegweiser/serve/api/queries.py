"""Every route of the query API as data: the registry's analyses plus the store read-outs.

The query API (:mod:`wegweiser.serve.api`) and the dashboard call the same two functions,
in the query pool (:meth:`wegweiser.serve.context.ServerContext.query`)::

    payload = ctx.query(run_json, "funnel", {"steps": ["cart", "order_completed"]})
    # = to_json(run(project, "funnel", {...}), analysis="funnel") on the read snapshot

:func:`run` returns the analysis' :class:`~wegweiser.analysis.result.Result` with ``params``
set to the effective parameters. :func:`to_json` turns any result into
``{"analysis", "params", "tables": {name: [row objects]}, "notes": [...]}`` with NaN/inf as
null, timestamps as ISO-8601 text and durations as seconds. The analyses and their
parameter models: :mod:`wegweiser.analysis.registry`; options only the command line has
(a local file to read) are left out of the API's models.

>>> {"attribution", "conversion", "funnel", "retention"} <= set(ANALYSES)
True
"""

from __future__ import annotations

import dataclasses
import difflib
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ValidationError, create_model

from wegweiser.analysis import registry
from wegweiser.analysis.params import Params, cli_only
from wegweiser.analysis.result import Tables, jsonable, table_records
from wegweiser.errors import InvalidInput
from wegweiser.serve.api._params import (
    DropParams,
    IdentityParams,
    MergesParams,
    NoParams,
    PersonParams,
    PersonSearchParams,
    QuarantineParams,
    ReplayParams,
)
from wegweiser.serve.api._store import ANALYSES as STORE_QUERIES
from wegweiser.serve.api._store import Analysis, drop, replay

if TYPE_CHECKING:
    from collections.abc import Sequence

    from wegweiser.analysis.result import Result
    from wegweiser.project import Project

__all__ = [
    "ANALYSES",
    "Analysis",
    "DropParams",
    "IdentityParams",
    "MergesParams",
    "NoParams",
    "Params",
    "PersonParams",
    "PersonSearchParams",
    "QuarantineParams",
    "ReplayParams",
    "Tables",
    "api_model",
    "drop",
    "jsonable",
    "replay",
    "run",
    "run_json",
    "table_records",
    "to_json",
]


_API_MODELS: dict[type[BaseModel], type[BaseModel]] = {}


def api_model(model: type[BaseModel]) -> type[BaseModel]:
    """``model`` without its command-line-only fields (itself when it has none)."""
    if model in _API_MODELS:
        return _API_MODELS[model]
    keep = {n: f for n, f in model.model_fields.items() if not cli_only(f)}
    made = model
    if len(keep) < len(model.model_fields):
        fields: dict[str, Any] = {n: (f.annotation, f) for n, f in keep.items()}
        made = create_model(
            model.__name__, __base__=Params, __doc__=model.__doc__, __module__=model.__module__,
            **fields,
        )
    _API_MODELS[model] = made
    return made


def _from_registry(spec: registry.Analysis[Any]) -> Analysis:
    def compute(project: Project, params: BaseModel) -> Result:
        return spec.compute(project, spec.validate(params.model_dump()))

    return Analysis(spec.name, api_model(spec.params), compute, spec.path, spec.summary.en,
                    spec.method, spec.description)


ANALYSES: dict[str, Analysis] = dict(sorted({
    **STORE_QUERIES,
    **{name: _from_registry(spec) for name, spec in registry.analyses().items()},
}.items()))


def run(project: Project, name: str, params: BaseModel | Mapping[str, Any] | None = None,
        *, tables: Sequence[str] | None = None) -> Result:
    """Run ``name`` on ``project`` with ``params`` (its model, a mapping of the same fields,
    or None for the defaults); bad parameters raise :class:`~wegweiser.errors.InvalidInput`.
    ``tables``: the tables the caller shows (a ``selective`` analysis of the registry
    computes only those; :meth:`~wegweiser.analysis.registry.Analysis.run`)."""
    entry = ANALYSES.get(name)
    if entry is None:
        close = difflib.get_close_matches(name, list(ANALYSES), n=1)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise InvalidInput(f"unknown analysis {name!r}; use one of {', '.join(ANALYSES)}.{hint}")
    if params is None or isinstance(params, Mapping):
        try:
            params = entry.params.model_validate(dict(params or {}))
        except ValidationError as exc:
            raise InvalidInput(f"{name}: {registry.describe(exc)}") from None
    elif not isinstance(params, entry.params):
        raise InvalidInput(f"{name} takes {entry.params.__name__}, not {type(params).__name__}")
    spec = registry.analyses().get(name)
    with registry.asking(spec.wanted_tables(tables) if spec is not None else None):
        result = entry.compute(project, params)
    effective = {**params.model_dump(mode="json", by_alias=True), **jsonable(result.params)}
    return dataclasses.replace(result, params=effective)


def to_json(result: Result, *, analysis: str | None = None,
            tables: Sequence[str] | None = None) -> dict[str, Any]:
    """``{"analysis", "params", "tables", "notes"}`` of any result, JSON-ready; with
    ``tables`` only those (one the result lacks raises :class:`InvalidInput`)."""
    note = getattr(result, "note", None)
    frames = result.tables()
    if tables:
        missing = [t for t in dict.fromkeys(tables) if t not in frames]
        if missing:
            raise InvalidInput(
                f"{analysis or 'this analysis'} has no table {', '.join(map(repr, missing))} "
                f"with these options; its tables: {', '.join(frames)}"
            )
        frames = {t: f for t, f in frames.items() if t in tables}
    return {
        "analysis": analysis or type(result).__name__,
        "params": jsonable(result.params),
        "tables": {name: table_records(frame) for name, frame in frames.items()},
        "notes": [note] if isinstance(note, str) and note else [],
    }


def run_json(project: Project, name: str, params: Mapping[str, Any] | None = None,
             *, tables: Sequence[str] | None = None) -> dict[str, Any]:
    """:func:`to_json` of :func:`run`: what a query worker sends back for an API request
    (``tables``: only these, as ``?table=`` asks)."""
    return to_json(run(project, name, params, tables=tables), analysis=name, tables=tables)
