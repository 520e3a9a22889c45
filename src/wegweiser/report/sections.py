"""The report's sections, built from :class:`~wegweiser.report.gather.ReportData`: what
the template shows.

A section is a dict ``{id, title, intro, blocks}``; a block is a dict with a ``kind``:
``cards`` (KPI cards), ``figure`` (a Plotly figure as JSON), ``table`` (headers, rows and
alignment, cells already formatted), ``map`` (the journey-map grid), ``text``, ``note``,
``list``, ``subtitle`` or ``svg`` (a server-rendered diagram). Every word comes from
:mod:`wegweiser.present.i18n`, every chart from
:mod:`wegweiser.present.charts`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from wegweiser.present import charts
from wegweiser.present.i18n import (
    DASH,
    cell,
    day,
    heading,
    label,
    model_name,
    money,
    note_text,
    number,
    percent,
    t,
)
from wegweiser.report._grid import map_block

if TYPE_CHECKING:
    import plotly.graph_objects as go

    from wegweiser.analysis.registry import Analysis
    from wegweiser.analysis.result import Result
    from wegweiser.report.gather import ReportData

Block = dict[str, Any]
Section = dict[str, Any]


class _Figures:
    """Numbers figures in page order (``fig-1``, ``fig-2``...)."""

    def __init__(self) -> None:
        self.n = 0

    def block(self, fig: go.Figure) -> Block:
        self.n += 1
        text = fig.to_json(validate=False)
        return {"kind": "figure", "id": f"fig-{self.n}",
                "json": text.replace("</", "<\\/")}  # never closes the script element


def sections(data: ReportData, lang: str) -> list[Section]:
    """The report's sections, in order; a project without events shows only its data
    quality, and only when rows were quarantined (else nothing)."""
    figs = _Figures()
    if data.empty:
        return [_quality(data, lang, figs)] if data.quarantine is not None and len(
            data.quarantine) else []
    out = [
        _overview(data, lang, figs), _journey(data, lang, figs), _funnel(data, lang, figs),
        _paths(data, lang, figs), _attribution(data, lang, figs), _retention(data, lang, figs),
        *(_registered(spec, result, data, lang, figs) for spec, result in data.registered),
        *(_unavailable(spec, reason, lang) for spec, reason in data.unavailable),
        _journeys(data, lang), _quality(data, lang, figs),
    ]
    return [s for s in out if s is not None]


def _section(key: str, lang: str, blocks: list[Block], **fmt: Any) -> Section:
    return {"id": key, "title": t(f"{key}.title", lang),
            "intro": t(f"{key}.intro", lang, **fmt), "blocks": blocks}


def _skipped(key: str, reason: str, lang: str) -> Block:
    return {"kind": "note", "text": t("skipped", lang, reason=t(reason, lang))}


def _table(headers: list[str], rows: list[list[str]], align: str) -> Block:
    """``align``: one letter per column, ``l`` or ``r``."""
    return {"kind": "table", "headers": headers, "rows": rows, "align": list(align)}


# -- overview ----------------------------------------------------------------------------------
def _overview(data: ReportData, lang: str, figs: _Figures) -> Section:
    f, cur = data.overview.figures, data.currency
    cards = [
        {"label": t("kpi.persons", lang), "value": number(f["persons"], lang),
         "sub": t("kpi.persons.sub", lang, events=number(f["events"], lang),
                  channels=number(f["channels"], lang))},
        {"label": t("kpi.conversion_rate", lang), "value": percent(f["conversion_rate"], lang),
         "sub": t("kpi.conversion_rate.sub", lang, n=number(f["converting_persons"], lang))},
        {"label": t("kpi.revenue", lang), "value": money(f["revenue"], lang, cur, 0),
         "sub": t("kpi.revenue.sub", lang, n=number(f["conversions"], lang))},
        {"label": t("kpi.aov", lang), "value": money(f["average_order_value"], lang, cur),
         "sub": t("kpi.aov.sub", lang)},
    ]
    k = data.kpis
    if k is not None:
        if k.get("repeat_purchase_rate") is not None:
            cards.append({
                "label": t("kpi.repeat", lang), "value": percent(k.get("repeat_purchase_rate"),
                                                                 lang),
                "sub": t("kpi.repeat.sub", lang, n=number(k.get("repeat_purchasers"), lang),
                         total=number(k.get("purchasers"), lang))})
        nps, csat = k.get("nps"), k.get("csat")
        cards.append({
            "label": t("kpi.nps", lang),
            "value": number(nps, lang, 1, sign=True) if nps is not None else DASH,
            "sub": t("kpi.nps.sub", lang, n=number(k.get("nps_answers"), lang))
            if nps is not None else t("kpi.absent", lang)})
        cards.append({
            "label": t("kpi.csat", lang),
            "value": percent(csat / 100, lang) if csat is not None else DASH,
            "sub": t("kpi.csat.sub", lang, n=number(k.get("csat_answers"), lang),
                     mean=number(k.get("mean_csat"), lang, 2))
            if csat is not None else t("kpi.absent", lang)})
    blocks: list[Block] = [{"kind": "cards", "cards": cards}]
    highlights = _highlights(data, lang)
    if highlights:
        blocks += [{"kind": "subtitle", "text": t("overview.highlights", lang)},
                   {"kind": "list", "items": highlights}]
    if len(data.overview.phases):
        blocks += [{"kind": "subtitle", "text": t("overview.phases", lang)},
                   {"kind": "text", "text": t("overview.phases.intro", lang)},
                   figs.block(charts.current_phases(data.overview, lang))]
    return _section("overview", lang, blocks)


def _highlights(data: ReportData, lang: str) -> list[str]:
    out = []
    d = data.dropoffs
    if d is not None and len(d.by_phase):
        lost = d.by_phase[d.by_phase["reached"] > 0].sort_values(["lost", "phase"],
                                                                 ascending=[False, True])
        if len(lost) and lost["lost"].iloc[0] > 0:
            row = lost.iloc[0]
            out.append(t("highlight.dropoff", lang, phase=row["phase"],
                         rate=percent(row["loss_rate"], lang)))
    m = data.journey_map
    persons = int(data.overview.figures.get("persons") or 0)
    if persons and not data.overview.figures.get("conversions"):
        # no event is a conversion event: every conversion figure of the report is 0
        out.append(t("highlight.no_conversions", lang,
                     events=", ".join(data.conversion_events) or "-"))
    if m is not None and len(m.touchpoints):
        big = m.touchpoints[m.touchpoints["persons"] >= max(1, 0.02 * persons)]
        big = big[big["conversion_rate"] > 0]  # no "best" among touchpoints converting none
        if len(big):
            best = big.sort_values(["conversion_rate", "touchpoint"],
                                   ascending=[False, True]).iloc[0]
            out.append(t("highlight.best", lang, touchpoint=label(best["touchpoint"], lang),
                         rate=percent(best["conversion_rate"], lang),
                         persons=number(best["persons"], lang)))
        rated = m.touchpoints[m.touchpoints["answers"] >= 20]
        if len(rated):
            worst = rated.sort_values(["satisfaction", "touchpoint"]).iloc[0]
            out.append(t("highlight.worst_satisfaction", lang,
                         touchpoint=label(worst["touchpoint"], lang),
                         score=number(worst["satisfaction"], lang),
                         n=number(worst["answers"], lang)))
    p = data.paths
    if p is not None and len(p.paths):
        row = p.paths.iloc[0]
        out.append(t("highlight.paths", lang, path=row["path"].replace(" > ", " → "),
                     share=percent(row["share"], lang)))
    return out


# -- journey map, phase flow -------------------------------------------------------------------
def _journey(data: ReportData, lang: str, figs: _Figures) -> Section:
    if data.journey_map is None:
        return _section("map", lang, [_skipped("map", data.skipped["journey_map"], lang)])
    blocks: list[Block] = [map_block(data.journey_map, lang)]
    if data.phase_flow is not None and len(data.phase_flow.links):
        blocks += [{"kind": "subtitle", "text": t("flow.title", lang)},
                   {"kind": "text", "text": t("flow.intro", lang)},
                   figs.block(charts.phase_flow(data.phase_flow, lang, data.phases))]
    return _section("map", lang, blocks)


# -- funnel, drop-offs -------------------------------------------------------------------------
def _funnel(data: ReportData, lang: str, figs: _Figures) -> Section:
    days = number(data.conversion_days, lang)
    blocks: list[Block] = []
    f = data.funnel
    if f is None:
        blocks.append(_skipped("funnel", data.skipped.get("funnel", "funnel.none"), lang))
    else:
        s = f.steps
        blocks.append(figs.block(charts.funnel(f, lang)))
        rows = [[str(step), str(label), number(units, lang), percent(start, lang),
                 percent(previous, lang), number(dropped, lang) if step > 1 else DASH]
                for step, label, units, start, previous, dropped in zip(
                    s["step"].astype(int), s["label"], s["units"], s["conversion_from_start"],
                    s["conversion_from_previous"], s["dropped"], strict=True)]
        blocks.append(_table([t("funnel.step", lang), t("funnel.event", lang),
                              t("funnel.persons", lang), t("funnel.from_start", lang),
                              t("funnel.from_previous", lang), t("funnel.dropped", lang)],
                             rows, "llrrrr"))
    d = data.dropoffs
    if d is not None and len(d.by_phase):
        blocks += [{"kind": "subtitle", "text": t("dropoffs.title", lang)},
                   {"kind": "text", "text": t("dropoffs.intro", lang)},
                   figs.block(charts.dropoffs(d, lang))]
        instead = d.where_instead
        rows = []
        for r in d.by_phase.itertuples():
            top = instead[instead["phase"] == r.phase].head(1)
            where = DASH
            if len(top):
                nxt = top["next_event"].iloc[0]
                nxt = t("dropoffs.end", lang) if nxt == "(end)" else nxt
                share = percent(top["share"].iloc[0], lang)
                where = f"{top['last_event'].iloc[0]} → {nxt} ({share})"
            rows.append([str(r.phase), number(r.reached, lang), number(r.lost, lang),
                         percent(r.loss_rate, lang), where])
        blocks.append(_table([t("dropoffs.phase", lang), t("dropoffs.reached", lang),
                              t("dropoffs.lost", lang), t("dropoffs.loss_rate", lang),
                              t("dropoffs.instead", lang)], rows, "lrrrl"))
    return _section("funnel", lang, blocks, days=days)


# -- paths ---------------------------------------------------------------------------------------
def _paths_table(frame: Any, lang: str) -> Block:
    rows = [[str(i), str(r.path).replace(" > ", " → "), number(r.count, lang),
             percent(r.share, lang)] for i, r in enumerate(frame.itertuples(), 1)]
    return _table(["#", t("paths.path", lang), t("paths.persons", lang), t("paths.share", lang)],
                  rows, "rlrr")


def _paths(data: ReportData, lang: str, figs: _Figures) -> Section | None:
    p = data.paths
    if p is None or p.paths.empty:
        return None
    blocks: list[Block] = [figs.block(charts.paths(p, lang))]
    c = data.conversion_paths
    if c is not None and len(c.paths):
        blocks += [{"kind": "subtitle", "text": t("paths.to_conversion", lang)},
                   {"kind": "text", "text": t("paths.to_conversion.intro", lang,
                                              n=c.params.get("max_length"))},
                   _paths_table(c.paths, lang)]
    return _section("paths", lang, blocks, n=p.params.get("max_length"))


# -- attribution -------------------------------------------------------------------------------
def _attribution(data: ReportData, lang: str, figs: _Figures) -> Section:
    a = data.attribution
    conversions = number(data.overview.figures.get("conversions"), lang)
    if a is None:
        return _section("attribution", lang, [_skipped(
            "attribution", data.skipped.get("attribution", "attribution.none"), lang)],
            n=conversions)
    models = [m for m in a.params.get("models", []) if m in a.table.columns]
    names = [model_name(m, lang) for m in models]
    blocks: list[Block] = [{"kind": "note", "text": t("attribution.note", lang)},
                           {"kind": "subtitle", "text": t("attribution.conversions", lang)},
                           figs.block(charts.attribution(a, lang))]
    table = a.table
    has_cost = "cost" in table.columns
    rows = []
    for r in table.to_dict("records"):
        row = [label(r["touchpoint"], lang)]
        row += [number(r[m], lang, 1) for m in models]
        if has_cost:
            row.append(money(r["cost"], lang, data.currency, 0))
        rows.append(row)
    headers = [t("attribution.touchpoint", lang), *names]
    if has_cost:
        headers.append(t("attribution.cost", lang))
    blocks.append(_table(headers, rows, "l" + "r" * (len(headers) - 1)))
    if has_cost and "roas" in a.credits.columns:
        long = a.credits[a.credits["cost"].fillna(0) > 0]
        wide = long.pivot_table(index="touchpoint", columns="model", values="roas",
                                aggfunc="first", sort=False)
        cost = long.groupby("touchpoint")["cost"].first()
        order = cost.sort_values(ascending=False).index
        rows = [[str(tp), money(cost[tp], lang, data.currency, 0),
                 *[number(wide.at[tp, m], lang, 2) if m in wide.columns else DASH
                   for m in models]] for tp in order]
        blocks += [{"kind": "subtitle", "text": t("attribution.roas", lang)},
                   {"kind": "text", "text": t("attribution.roas.intro", lang)},
                   figs.block(charts.roas(a, lang)),
                   _table([t("attribution.touchpoint", lang), t("attribution.cost", lang),
                           *names], rows, "l" + "r" * (len(names) + 1))]
    else:
        blocks.append({"kind": "note", "text": t("attribution.no_costs", lang)})
    return _section("attribution", lang, blocks, n=conversions)


# -- retention ---------------------------------------------------------------------------------
def _retention(data: ReportData, lang: str, figs: _Figures) -> Section:
    r = data.retention
    period = str(r.params.get("period", "week")) if r is not None else "week"
    fmt = {"period": t(f"period.{period}", lang), "period_plural": t(f"period.{period}s", lang)}
    if r is None:
        return _section("retention", lang, [_skipped(
            "retention", data.skipped.get("retention", "retention.none"), lang)], **fmt)
    blocks: list[Block] = [figs.block(charts.retention(r, lang))]
    one = r.cohorts[r.cohorts["period"] == 1]
    if len(one) and one["size"].sum():
        rate = float(one["retained"].sum() / one["size"].sum())
        blocks.insert(0, {"kind": "text", "text": t(f"retention.summary.{period}", lang,
                                                    rate=percent(rate, lang))})
    if "complete" in r.cohorts.columns and not r.cohorts["complete"].all():
        blocks.append({"kind": "note", "text": t("retention.partial", lang)})
    if r.params.get("excluded_events"):
        blocks.append({"kind": "note", "text": t(
            "retention.outliers", lang, n=number(r.params["excluded_events"], lang))})
    return _section("retention", lang, blocks, **fmt)


# -- the registry's analyses that ask for a section -------------------------------------------
MAX_ROWS = 20  # rows of an analysis's main table in its section


def _unavailable(spec: Analysis[Any], reason: str, lang: str) -> Section:
    """A registered analysis the project lacks the data for: its title and why (the
    analysis's own words, in English)."""
    return {"id": f"analysis-{spec.name}", "title": spec.title(lang),
            "intro": spec.summary(lang),
            "blocks": [_skipped(spec.name, "analysis.unavailable", lang),
                       {"kind": "note", "text": reason}]}


def _registered(spec: Analysis[Any], result: Result, data: ReportData, lang: str,
                figs: _Figures) -> Section:
    """A section made from the analysis's declaration: its summary, its declared charts
    and its main table (the first view's), nothing written for the analysis itself. A chart
    of an empty table is left out, and so is an empty main table when the result has a note
    (which then says why: "no fixes yet")."""
    blocks: list[Block] = []
    tables = result.tables()
    note = note_text(result, lang)
    for chart in spec.charts:
        if chart.table in tables and len(tables[chart.table]):
            blocks.append(figs.block(charts.render(chart, result, lang, currency=data.currency)))
    main = spec.views.get(next(iter(spec.views), ""), "") or next(iter(tables))
    frame = tables[main].head(MAX_ROWS)
    if frame.empty and note:
        return {"id": f"analysis-{spec.name}", "title": spec.title(lang),
                "intro": spec.summary(lang), "blocks": [*blocks, {"kind": "note", "text": note}]}
    columns = [str(c) for c in frame.columns]
    rows = [[cell(v, c, lang) for v, c in zip(row, columns, strict=True)]
            for row in frame.itertuples(index=False, name=None)]
    align = "".join("r" if frame[c].dtype.kind in "iuf" else "l" for c in frame.columns)
    blocks.append(_table([heading(c, lang) for c in columns], rows, align))
    if note:
        blocks.append({"kind": "note", "text": note})
    return {"id": f"analysis-{spec.name}", "title": spec.title(lang),
            "intro": spec.summary(lang), "blocks": blocks}


# -- data quality ------------------------------------------------------------------------------
def _journeys(data: ReportData, lang: str) -> Section | None:
    """The journeys' flows, their dry run and readouts (only with a ``journeys/`` folder)."""
    if data.journeys is None:
        return None
    from wegweiser.report._journeys import DRY_RUN_DAYS, section_blocks

    return {"id": "journeys", "title": t("jreport.title", lang),
            "intro": t("jreport.intro", lang, days=DRY_RUN_DAYS,
                       persons=number(data.journeys.persons, lang)),
            "blocks": section_blocks(data.journeys, lang)}


def _quality(data: ReportData, lang: str, figs: _Figures) -> Section:
    s = data.stats
    rows = [
        [t("quality.events", lang), number(s.get("events"), lang)],
        [t("quality.persons", lang), number(s.get("persons"), lang)],
        [t("quality.identities", lang), number(s.get("identities"), lang)],
        [t("quality.merges", lang), number(s.get("merges"), lang)],
        [t("quality.refused", lang), number(s.get("refused_merges"), lang)],
        [t("quality.event_names", lang), number(s.get("event_names"), lang)],
        [t("quality.quarantined", lang), number(s.get("quarantined"), lang)],
    ]
    imports = data.imports
    if imports:
        rows += [[t("quality.imports", lang), number(imports["imports"], lang)],
                 [t("quality.duplicates", lang), number(imports["duplicates"], lang)],
                 [t("quality.negative", lang), number(imports["negative_revenue"], lang)]]
    if data.first_event is not None and data.last_event is not None:
        rows.append([t("quality.first_last", lang), t(
            "report.period", lang, start=day(data.first_event, lang),
            end=day(data.last_event, lang))])
    blocks: list[Block] = [_table([t("quality.figure", lang), t("quality.value", lang)],
                                  rows, "lr")]
    if imports.get("duplicate_sample"):
        blocks += [{"kind": "subtitle", "text": t("quality.duplicate_sample", lang)},
                   _table([t("quality.source", lang), t("quality.line", lang),
                           t("quality.why", lang)],
                          [[str(r["source"]), number(r.get("line"), lang), str(r.get("why", ""))]
                           for r in imports["duplicate_sample"]], "lrl")]
    if imports.get("warnings"):
        blocks += [{"kind": "subtitle", "text": t("quality.warnings", lang)},
                   {"kind": "list", "items": list(imports["warnings"])}]
    q = data.quarantine
    if q is None or q.empty:
        blocks.append({"kind": "text", "text": t("quality.clean", lang)})
    else:
        blocks += [{"kind": "subtitle", "text": t("quality.reasons", lang)},
                   figs.block(charts.quarantine(q, lang)),
                   _table([t("quality.reason", lang), t("quality.rows", lang)],
                          [[str(r.reason), number(r.rows, lang)] for r in q.itertuples()],
                          "lr"),
                   {"kind": "note", "text": t("quality.replay", lang)}]
    return _section("quality", lang, blocks)
