"""Read-only pages: overview, journey map, paths, attribution, retention.

Every page reads its options from the query string (so a view can be bookmarked and
shared), computes its numbers in the query pool (``ctx.query``, :mod:`._data`) and renders.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from wegweiser.errors import InvalidInput
from wegweiser.present import charts as draw
from wegweiser.serve.access import context
from wegweiser.serve.pages import _data, _scope
from wegweiser.serve.pages._charts import embed
from wegweiser.serve.pages._web import choice, integer, language, page_user, render, text
from wegweiser.serve.pages.export import links

router = APIRouter(include_in_schema=False, dependencies=[Depends(page_user)])

MAP_METRICS = ("persons", "conversion_rate", "satisfaction", "events")
ATTRIBUTION_METRICS = ("conversions", "revenue", "share")
COST_METRICS = ("roas", "cpa", "roi")
SHOWN_MODELS = ("first_touch", "last_touch", "linear", "position_based", "markov", "shapley")


@router.get("/", response_class=HTMLResponse)
def overview_page(request: Request) -> HTMLResponse:
    from wegweiser.analysis import registry

    period = choice(request, "period", ("day", "week", "month"), "day")
    scope, scoped = _scope_of(request)
    ctx = context(request)
    try:
        data, error = ctx.query(_data.overview, scoped, period), None
    except InvalidInput as exc:  # a filter or range that does not fit: say so, show all
        data, error = ctx.query(_data.overview, None, period), str(exc)
    currency = data["currency"]
    lang = language(request)
    trend = data["trend"]
    spec = registry.get("trends")
    charts = {"phases": embed(draw.phase_bars(data["phases"], lang), lang, restyle=False),
              "trend": embed(draw.render(spec.charts[0], trend, lang, currency=currency), lang,
                             restyle=False)}
    return render(request, "overview.html.j2", title_key="nav.overview", data=data,
                  charts=charts, currency=currency, scope=scope, error=error, period=period,
                  totals=trend.totals.iloc[0].to_dict(), marks=len(trend.annotations),
                  export=links("overview", {} if error else scoped),
                  trend_export=links("trends", {**({} if error else scoped), "period": period}))


def _heat(value: Any, metric: str, top: float) -> float:
    if value is None or value != value:
        return 0.0
    scale = {"conversion_rate": 1.0, "satisfaction": 100.0}.get(metric, top or 1.0)
    return round(max(0.0, min(1.0, float(value) / scale)), 3)


@router.get("/journey-map", response_class=HTMLResponse)
def journey_map_page(request: Request) -> HTMLResponse:
    metric = choice(request, "metric", MAP_METRICS, "persons")
    by = choice(request, "by", ("channel", "event"), "channel")
    scope, scoped = _scope_of(request)
    ctx = context(request)
    try:
        data, error = ctx.query(_data.journey_map, by=by, options=scoped), None
    except InvalidInput as exc:  # a filter or range that does not fit: say so, show all
        data, error = ctx.query(_data.journey_map, by=by), str(exc)
    lang = language(request)
    result = data.result
    cells = {(r["phase"], r["touchpoint"]): r for r in result.cells.to_dict("records")}
    top = float(result.cells[metric].max()) if len(result.cells) else 1.0
    rows = []
    for tp in result.touchpoints.to_dict("records"):
        row = []
        for phase in data.phases:
            cell = cells.get((phase, tp["touchpoint"]))
            if cell is not None:
                cell = {**cell, "heat": _heat(cell[metric], metric, top),
                        "tips": data.tips.get((phase, tp["touchpoint"]), [])}
            row.append(cell)
        rows.append({"touchpoint": tp["touchpoint"], "total": tp, "cells": row})
    totals = {r["phase"]: r for r in result.phases.to_dict("records")}
    charts = {"flow": embed(draw.phase_flow(data.flow, lang, data.phases), lang,
                            restyle=False)} if len(data.flow.links) else {}
    return render(request, "journey_map.html.j2", title_key="nav.journey_map", rows=rows,
                  phases=data.phases, totals=totals, metric=metric, by=by, metrics=MAP_METRICS,
                  charts=charts, scope=scope, error=error,
                  export=links("journey_map", {**({} if error else scoped), "by": by}))


def _scope_of(request: Request) -> tuple[dict[str, Any], dict[str, Any]]:
    """The scope bar's values and the options they give (no breakdown by segments or
    comparison: these pages draw one result)."""
    form = _scope.read(request)
    folder = context(request).project_dir
    bar = _scope.bar(form, _scope.saved(folder), comparable=False, by_segment=False,
                     personas=_scope.remembered(folder, language(request)))
    return bar, _scope.options(form, comparable=False, by_segment=False)


@router.get("/paths", response_class=HTMLResponse)
def paths_page(request: Request) -> HTMLResponse:
    start, end = text(request, "start") or None, text(request, "end") or None
    by = choice(request, "by", ("person", "session"), "person")
    top = integer(request, "top", 15, 1, 100)
    max_length = integer(request, "max_length", 8, 2, 20)
    steps = integer(request, "steps", 5, 2, 10)
    collapse = request.query_params.get("collapse") == "1"
    scope, scoped = _scope_of(request)
    options = {"start": start, "end": end, "by": by, "top": top, "max_length": max_length,
               "collapse": collapse, **scoped}
    events, found, error = context(request).query(_data.with_events, "paths", options,
                                                  steps=steps)
    tops, flows = found if found is not None else (None, None)
    lang = language(request)
    charts = {}
    if flows is not None and len(flows.links):
        charts["flows"] = embed(draw.flows(flows.links, flows.nodes, lang), lang, restyle=False)
    return render(request, "paths.html.j2", title_key="nav.paths", events=events, error=error,
                  paths=tops.paths if tops is not None else None, charts=charts,
                  export=links("paths", {**options, "view": "top"}) if tops is not None else None,
                  form={"start": start or "", "end": end or "", "by": by, "top": top,
                        "max_length": max_length, "steps": steps, "collapse": collapse},
                  scope=scope)


@router.get("/attribution", response_class=HTMLResponse)
def attribution_page(request: Request) -> HTMLResponse:
    from wegweiser.analysis.attribution import DEFAULT_MODELS

    by = choice(request, "by", ("channel", "campaign"), "channel")
    asked = [m for m in request.query_params.getlist("model") if m in DEFAULT_MODELS]
    models = asked or list(SHOWN_MODELS)
    scope, scoped = _scope_of(request)
    ctx = context(request)
    lookback = integer(request, "lookback", ctx.config.windows.attribution_lookback_days, 1, 365)
    options = {"by": by, "lookback_days": lookback, "models": models}
    try:
        result, has_costs, currency = ctx.query(_data.attribution, {**options, **scoped})
        error = None
    except InvalidInput as exc:  # a filter or period the analysis refuses: say so
        error = str(exc)
        result, has_costs, currency = ctx.query(_data.attribution, options)
    metrics = ATTRIBUTION_METRICS + (COST_METRICS if has_costs else ())
    metric = choice(request, "metric", metrics, "conversions")
    lang = language(request)
    credits = result.credits
    table = pd.DataFrame()
    if len(credits):
        table = credits.pivot_table(index="touchpoint", columns="model", values=metric,
                                    aggfunc="sum", sort=False, dropna=False)
        table = table.reindex(columns=[m for m in models if m in table.columns])
        table = table.loc[table.mean(axis=1).fillna(0).sort_values(ascending=False).index]
        if has_costs:
            cost = credits.drop_duplicates("touchpoint").set_index("touchpoint")["cost"]
            table["cost"] = cost.reindex(table.index)
    charts = {"credits": embed(draw.attribution(result, lang, metric=metric,
                                                order=list(table.index)), lang, restyle=False)
              } if len(credits) else {}
    return render(request, "attribution.html.j2", title_key="nav.attribution", table=table,
                  models=models, all_models=DEFAULT_MODELS, metric=metric, metrics=metrics,
                  by=by, lookback=lookback, has_costs=has_costs, charts=charts,
                  params=result.params, currency=currency, scope=scope, error=error,
                  export=links("attribution", {**options, **({} if error else scoped),
                                               "compare": True}))


@router.get("/retention", response_class=HTMLResponse)
def retention_page(request: Request) -> HTMLResponse:
    period = choice(request, "period", ("day", "week", "month"), "week")
    cohort = choice(request, "cohort", ("first_event", "first_purchase"), "first_event")
    kind = choice(request, "kind", ("n_period", "unbounded"), "n_period")
    max_periods = integer(request, "periods", 8 if period != "day" else 14, 1, 52)
    returning = text(request, "return_event")
    scope, scoped = _scope_of(request)
    # an error: e.g. a return event that is not in the data
    options = {"period": period, "cohort": cohort, "kind": kind, "max_periods": max_periods,
               "return_event": returning or None, **scoped}
    events, result, error = context(request).query(_data.with_events, "retention", options)
    lang = language(request)
    cohorts = result.cohorts if result is not None else pd.DataFrame()
    grid = cohorts.pivot(index="cohort", columns="period", values="rate").sort_index() \
        if len(cohorts) else pd.DataFrame()
    sizes = cohorts.drop_duplicates("cohort").set_index("cohort")["size"] if len(cohorts) \
        else pd.Series(dtype="int64")
    charts = {"cohorts": embed(draw.retention(result, lang), lang, restyle=False)} \
        if result is not None and len(cohorts) else {}
    return render(request, "retention.html.j2", title_key="nav.retention", grid=grid,
                  sizes=sizes, churn=result.churn if result is not None else pd.DataFrame(),
                  charts=charts, events=events, error=error,
                  excluded=(result.params.get("excluded_events") or 0) if result else 0,
                  form={"period": period, "cohort": cohort, "kind": kind,
                        "periods": max_periods, "return_event": returning}, scope=scope,
                  export=links("retention", options) if result is not None else None)
