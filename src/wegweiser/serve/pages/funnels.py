"""The funnel builder: pick steps from the project's events, add, remove and reorder them,
choose the window, mode and breakdown, and see the counts.

The whole funnel lives in the query string (``?step=a&step=b&mode=ordered&window=30d...``),
so a funnel is a link that can be bookmarked and shared. Editing buttons (add, remove, move)
work with JavaScript in the page; without it they submit the form with an ``op`` and the
server answers with a redirect to the edited funnel.

>>> edit_steps(["a", "b", "c"], "up:2"), edit_steps(["a", "b"], "remove:0")
(['a', 'c', 'b'], ['b'])
>>> edit_steps(["a"], "add:end"), edit_steps(["a", "b"], "down:0")
(['a', ''], ['b', 'a'])
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from wegweiser.analysis.funnels import BREAKDOWN_COLUMNS, MAX_STEPS
from wegweiser.present import charts as draw
from wegweiser.serve.access import context
from wegweiser.serve.pages import _data, _scope
from wegweiser.serve.pages._charts import embed
from wegweiser.serve.pages._web import choice, language, page_user, render, text
from wegweiser.serve.pages.export import links

router = APIRouter(include_in_schema=False, dependencies=[Depends(page_user)])

MODES = ("ordered", "strict", "unordered")
UNITS = ("person", "session")
ATTRIBUTIONS = ("first_touch", "last_touch")
FIELDS = ("mode", "window", "by", "breakdown", "attribution", "exclude")
DEFAULTS = {"mode": "ordered", "by": "person", "attribution": "first_touch"}


def edit_steps(steps: list[str], op: str) -> list[str]:
    """Apply one editing operation (``add:end``, ``add:K``, ``remove:K``, ``up:K``,
    ``down:K``; K 0-based) to the list of steps."""
    kind, _, where = op.partition(":")
    out = list(steps)
    if kind == "add":
        if len(out) < MAX_STEPS:
            position = len(out) if where == "end" or not where.isdigit() else int(where) + 1
            out.insert(min(position, len(out)), "")
        return out
    if not where.isdigit() or not 0 <= int(where) < len(out):
        return out
    k = int(where)
    if kind == "remove":
        del out[k]
    elif kind == "up" and k > 0:
        out[k - 1], out[k] = out[k], out[k - 1]
    elif kind == "down" and k < len(out) - 1:
        out[k + 1], out[k] = out[k], out[k + 1]
    return out


def funnel_url(steps: list[str], form: dict[str, str],
               scope: dict[str, Any] | None = None) -> str:
    """The canonical link of a funnel (with its period, filters and segment)."""
    query: list[tuple[str, str]] = [("step", s) for s in steps]
    query += [(name, form[name]) for name in FIELDS
              if form.get(name) and form[name] != DEFAULTS.get(name)]
    query += _scope.query({**(scope or {}), "by_segment": "", "by_persona": False,
                           "compare_previous": False})
    return "/funnels?" + urlencode(query)


@router.get("/funnels", response_class=HTMLResponse)
def funnel_page(request: Request) -> Response:
    steps = [s.strip()[:200] for s in request.query_params.getlist("step")][:MAX_STEPS]
    form = {
        "mode": choice(request, "mode", MODES, "ordered"),
        "window": text(request, "window", limit=20),
        "by": choice(request, "by", UNITS, "person"),
        "breakdown": text(request, "breakdown", limit=100),
        "attribution": choice(request, "attribution", ATTRIBUTIONS, "first_touch"),
        "exclude": text(request, "exclude"),
    }
    scope = _scope.read(request)
    op = request.query_params.get("op")
    if op:
        return RedirectResponse(funnel_url(edit_steps(steps, op), form, scope), status_code=303)
    ready = len(steps) >= 2 and all(steps)
    options = None
    if ready:
        options = {**_options(steps, form),
                   **_scope.options(scope, comparable=False, by_segment=False)}
    segments = _scope.saved(context(request).project_dir)
    events, result, error, default_window = context(request).query(_data.funnel_page, options)
    lang = language(request)
    charts: dict[str, Any] = {}
    if result is not None:
        charts["funnel"] = embed(draw.funnel_steps(result.steps, lang), lang, restyle=False)
        if len(result.breakdown):
            charts["breakdown"] = embed(draw.funnel_breakdown(result.breakdown, lang), lang,
                                        restyle=False)
    rows = steps if len(steps) >= 2 else steps + [""] * (2 - len(steps))
    return render(
        request, "funnels.html.j2", title_key="nav.funnels", steps=rows, form=form,
        events=events, error=error, result=result, charts=charts, modes=MODES, units=UNITS,
        breakdowns=BREAKDOWN_COLUMNS, attributions=ATTRIBUTIONS, max_steps=MAX_STEPS,
        default_window=default_window, incomplete=not (len(steps) >= 2 and all(steps)),
        breakdown_table=_breakdown_table(result) if result is not None else None,
        share_url=funnel_url(steps, form, scope),
        scope=_scope.bar(scope, segments, comparable=False, by_segment=False,
                         personas=_scope.remembered(context(request).project_dir,
                                                    language(request))),
        export=links("funnel", options) if result is not None and options else None,
    )


def _options(steps: list[str], form: dict[str, str]) -> dict[str, Any]:
    """The form as fields of the funnel's parameter model (empty fields: the defaults)."""
    options: dict[str, Any] = {"steps": steps}
    options.update({name: value for name, value in form.items() if value})
    return options


def _breakdown_table(result: Any) -> list[dict[str, Any]]:
    """One row per breakdown value: units per step and the conversion to the last step."""
    frame = result.breakdown
    if not len(frame):
        return []
    last = int(frame["step"].max())
    rows = []
    for value, part in frame.groupby("value", dropna=False, sort=False):
        part = part.sort_values("step")
        units = part["units"].tolist()
        end = part[part.step == last]["conversion_from_start"]
        rows.append({"value": None if value != value else value, "units": units,
                     "conversion": float(end.iloc[0]) if len(end) else None})
    rows.sort(key=lambda r: -(r["units"][0] if r["units"] else 0))
    return rows
