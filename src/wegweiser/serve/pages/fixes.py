"""The fixes page: every watched fix with its verdict (in words, with the interval, the method
that decided and why, a warning when the parallel-trends check failed) and a
chart of the daily rate at its touchpoint and of the comparison group, the fix date marked;
a form to add a fix and a button to delete one.

The numbers are the analysis ``fix_effects`` (:mod:`wegweiser.analysis.fixes`), recomputed
from the current data on every visit: the page shows the latest. Every change is a POST form
with the session's CSRF token; the fixes are the project's files ``fixes/<name>.toml``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import plotly.graph_objects as go
from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from wegweiser.analysis.fixes import VERDICTS, Fix, say, why
from wegweiser.analysis.registry import describe
from wegweiser.errors import InvalidInput
from wegweiser.present.i18n import Translator
from wegweiser.serve.access import context, require
from wegweiser.serve.pages import _data
from wegweiser.serve.pages._charts import embed
from wegweiser.serve.pages._web import check_csrf, flash, language, page_user, render

if TYPE_CHECKING:
    import pandas as pd

router = APIRouter(include_in_schema=False, dependencies=[Depends(page_user)])

Csrf = Annotated[str, Form()]
Text = Annotated[str, Form(max_length=10_000)]
GROUPS = {"treated": "fixes.group.treated", "control": "fixes.group.control"}
FIELDS = ("name", "date", "time", "touchpoint", "where", "metric", "friction", "control",
          "note")


def figure(daily: pd.DataFrame, fix: dict[str, Any], lang: str) -> go.Figure:
    """The daily rate of the touchpoint and of the comparison group, the fix date marked by
    a dashed line."""
    say = Translator(lang, prefix="dashboard.")
    fig = go.Figure()
    for group in ("treated", "control"):
        rows = daily[daily.group == group]
        if len(rows):
            fig.add_trace(go.Scatter(
                x=[d.isoformat() for d in rows.day], y=rows.rate, mode="lines+markers",
                name=say(GROUPS[group]), customdata=rows.n,
                hovertemplate="%{x}: %{y:.1%} (n=%{customdata})<extra></extra>"))
    fig.add_shape(type="line", xref="x", yref="paper", x0=fix["date"], x1=fix["date"], y0=0,
                  y1=1, line={"dash": "dash", "width": 2})
    fig.add_annotation(x=fix["date"], y=1, xref="x", yref="paper", showarrow=False,
                       yanchor="bottom", text=say("fixes.marker", date=fix["date"]))
    fig.update_layout(yaxis={"tickformat": ".0%", "rangemode": "tozero"})
    return fig


def _page(request: Request, *, form: dict[str, str] | None = None, error: str | None = None,
          status: int = 200) -> HTMLResponse:
    lang = language(request)
    items: list[dict[str, Any]] = []
    try:
        result, _ = context(request).query(_data.analysis, "fix_effects", {})
        for row in result.fixes.to_dict("records"):
            daily = result.daily[result.daily.fix == row["fix"]]
            items.append({**row, "sentence": say(row, lang), "why_text": why(row, lang),
                          "warning": row["why"] == "pretrend_failed",
                          "word": VERDICTS[row["verdict"]](lang),
                          "chart": embed(figure(daily, row, lang), lang, height=320)})
    except InvalidInput as exc:  # a broken file: say which
        error = error or str(exc)
    return render(request, "fixes.html.j2", title_key="nav.fixes", items=items,
                  form=form or {**dict.fromkeys(FIELDS, ""), "metric": "friction"},
                  error=error, status=status)


@router.get("/fixes", response_class=HTMLResponse)
def fixes_page(request: Request) -> HTMLResponse:
    return _page(request)


def _lines(text: str) -> list[str]:
    return [p.strip() for p in text.splitlines() if p.strip()]


@router.post("/fixes", dependencies=[Depends(require("edit"))])
def save(
    request: Request, csrf: Csrf, name: Text = "", date: Text = "", time: Text = "",
    touchpoint: Text = "", where: Text = "", metric: Text = "friction", friction: Text = "",
    control: Text = "", note: Text = "",
) -> Response:
    check_csrf(request, csrf)
    form = {"name": name, "date": date, "time": time, "touchpoint": touchpoint,
            "where": where, "metric": metric, "friction": friction, "control": control,
            "note": note}
    values: dict[str, Any] = {
        "name": name.strip(), "date": date.strip(), "time": time.strip() or None,
        "touchpoint": touchpoint.strip(), "where": _lines(where), "metric": metric.strip(),
        "control": _lines(control), "note": note.strip(),
    }
    if friction.strip():
        values["friction"] = _lines(friction)
    try:
        fix = Fix.model_validate(values)
        with context(request).store(refresh=False) as project:  # fixes are files
            project.save_fix(fix, replace=True)
    except ValidationError as exc:
        return _page(request, form=form, error=describe(exc), status=400)
    except InvalidInput as exc:
        return _page(request, form=form, error=str(exc), status=400)
    flash(request, "ok", "fixes.saved", name=fix.name)
    return RedirectResponse("/fixes", status_code=303)


@router.post("/fixes/{name}/delete", dependencies=[Depends(require("edit"))])
def delete(request: Request, name: str, csrf: Csrf) -> Response:
    check_csrf(request, csrf)
    try:
        with context(request).store(refresh=False) as project:  # fixes are files
            project.delete_fix(name)
    except InvalidInput as exc:
        return _page(request, error=str(exc), status=404)
    flash(request, "ok", "fixes.deleted", name=name)
    return RedirectResponse("/fixes", status_code=303)
