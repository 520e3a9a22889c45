"""One page per registered analysis: a form made from its parameter model, its declared
charts and its tables (``/analyses`` lists them, ``/analyses/<name>`` shows one).

Nothing here knows a particular analysis: a new analysis module appears here as it appears
in the CLI and the query API. The options live in the query string (bookmarkable, shared
like any other view): lists as comma-separated text, flags as ``on``.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from typing import Annotated, Any, Literal
from urllib.parse import quote

import pandas as pd
from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from wegweiser.analysis import registry
from wegweiser.analysis.params import cli_only
from wegweiser.analysis.scope import Scope
from wegweiser.errors import InvalidInput
from wegweiser.present import charts as draw
from wegweiser.present.i18n import cell, heading, note_text
from wegweiser.serve.access import context
from wegweiser.serve.errors import ApiError
from wegweiser.serve.pages import _data, _scope
from wegweiser.serve.pages._charts import embed
from wegweiser.serve.pages._web import language, page_user, render
from wegweiser.serve.pages.export import links

router = APIRouter(include_in_schema=False, dependencies=[Depends(page_user)])

MAX_ROWS = 200  # rows of a table shown on the page (the API and CLI give all)


@router.get("/analyses", response_class=HTMLResponse)
def analyses_index(request: Request) -> HTMLResponse:
    lang = language(request)
    items = [{"name": s.name, "title": s.title(lang), "summary": s.summary(lang)}
             for s in registry.analyses().values()]
    return render(request, "analyses.html.j2", title_key="nav.analyses", items=items)


@router.get("/analyses/{name}", response_class=HTMLResponse)
def analysis_page(request: Request, name: str) -> HTMLResponse:
    try:
        spec = registry.get(name)
    except InvalidInput as exc:
        raise ApiError(404, str(exc), code="not_found") from None
    lang = language(request)
    scoped = spec.scope and issubclass(spec.params, Scope)
    fields = [_field(n, info, request) for n, info in spec.params.model_fields.items()
              if not cli_only(info) and not (scoped and n in _scope.FIELDS)]
    given = {f["name"]: f["value"] for f in fields if f["value"] not in ("", None)}
    scope_form = _scope.read(request)
    if scoped:
        given.update(_scope.options(scope_form, comparable=spec.compare is not None))
    missing = [f["name"] for f in fields if f["required"] and f["name"] not in given]
    error, result, charts, tables = None, None, [], []
    ctx = context(request)
    segments = _scope.saved(ctx.project_dir) if scoped else []
    export = None
    if not missing:
        try:
            checked = spec.validate(given)  # a wrong value is said at once, without a worker
            export = links(spec.name, checked.model_dump(mode="json", by_alias=True,
                                                         exclude_unset=True))
            result, currency = ctx.query(_data.analysis, spec.name, given)
        except InvalidInput as exc:
            error = str(exc)
    if result is not None:
        for chart in spec.charts:
            if chart.table in result.tables():
                split = [c for c in ("segment", "persona")
                         if c in result.tables()[chart.table].columns and c != chart.x]
                if chart.color is None and split and chart.kind in ("bar", "hbar", "line"):
                    chart = dataclasses.replace(chart, color=split[0])
                figure = draw.render(chart, result, lang, currency=currency)
                title = chart.title(lang) if chart.title else chart.table.replace("_", " ")
                charts.append({"title": title, "html": embed(figure, lang, restyle=False)})
        tables = [table_of(t, frame, lang) for t, frame in result.tables().items()]
    return render(
        request, "analysis.html.j2", title_key="nav.analyses", page_title=spec.title(lang),
        heading=spec.title(lang),
        summary=spec.summary(lang), description=spec.description, name=spec.name,
        fields=fields, missing=missing, error=error, charts=charts, tables=tables,
        scope=_scope.bar(scope_form, segments, comparable=spec.compare is not None,
                         personas=_scope.remembered(ctx.project_dir, lang))
        if scoped else None,
        note=note_text(result, lang) if result is not None else "",
        api_path="/api/v1" + spec.path, export=export if result is not None else None,
    )


def _field(name: str, info: Any, request: Request) -> dict[str, Any]:
    """One form field: its kind (select, checkbox, number, text), choices and value."""
    kind, choices = _kind(info.annotation)
    raw = request.query_params.get(name)
    value: Any = raw.strip() if raw is not None else ""
    if kind == "checkbox":
        value = "on" if raw in ("on", "true", "1") else ""
    default = "" if info.is_required() or info.default_factory or info.default is None \
        else info.default
    return {"name": name, "label": name.replace("_", " "), "kind": kind, "choices": choices,
            "help": info.description or "", "required": info.is_required(),
            "value": (value == "on") if kind == "checkbox" else value,
            "placeholder": "" if isinstance(default, bool) else str(default)}


def _kind(annotation: Any) -> tuple[str, list[str]]:
    while True:
        origin = typing.get_origin(annotation)
        if origin is Annotated:
            annotation = typing.get_args(annotation)[0]
        elif origin in (typing.Union, types.UnionType):
            annotation = next(a for a in typing.get_args(annotation) if a is not type(None))
        elif origin is Literal:
            return "select", [str(a) for a in typing.get_args(annotation)]
        elif annotation is bool:
            return "checkbox", []
        elif annotation in (int, float):
            return "number", []
        else:
            return "text", []


def table_of(name: str, frame: pd.DataFrame, lang: str, *, limit: int = MAX_ROWS
             ) -> dict[str, Any]:
    """The first ``limit`` rows with cells as text (percentages, durations, numbers in the
    page's language); a ``person_id`` cell is ``(text, link to the person page)``."""
    columns = [str(c) for c in frame.columns]
    rows = [[_linked(cell(v, c, lang), c) for v, c in zip(row, columns, strict=True)]
            for row in frame.head(limit).itertuples(index=False, name=None)]
    numeric = [frame[c].dtype.kind in "iuf" for c in frame.columns]
    return {"name": name, "columns": columns, "headings": [heading(c, lang) for c in columns],
            "rows": rows, "numeric": numeric,
            "total": len(frame)}





def _linked(text: str, column: str) -> str | tuple[str, str]:
    """A person id links to the person's page (:mod:`.person`)."""
    if column != "person_id" or not text:
        return text
    return text, "/persons/" + quote(text, safe="")
