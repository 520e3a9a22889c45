"""The person page: search a person by any id or email (``/persons?q=...``; one exact match
goes straight to them) and see one person's journey (``/persons/<id>``): stitched ids and
devices, phases over time, every touchpoint on a timeline by channel, conversions and
revenue, feedback, messages and the journeys' send ledger. Its privacy buttons (POST forms
with the session's CSRF token) export everything about the person (JSON or a zip of CSVs,
``/persons/export``) and erase or anonymise them (``/persons/erase``, confirmed by typing
the person id; docs/privacy.md). A person who withheld analytics consent in a project that
requires it (``[privacy] analytics_consent``) gets a note saying so and their ids instead of
a journey.

The numbers come from the query pool (``_data.person``), as the API's
``/api/v1/persons/{id}`` computes them. Access: roles that may see personal data
(``require("personal")``); each view of a person is in the audit log.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from wegweiser.errors import UnknownPerson
from wegweiser.present import charts as draw
from wegweiser.serve.access import actor, context, require
from wegweiser.serve.errors import ApiError
from wegweiser.serve.pages import _data
from wegweiser.serve.pages._charts import embed
from wegweiser.serve.pages._web import check_csrf, flash, language, page_user, render, text
from wegweiser.serve.pages.analyses import table_of

# a person's journey is personal data: only roles that may see it (``personal``)
router = APIRouter(include_in_schema=False,
                   dependencies=[Depends(page_user), Depends(require("personal"))])

MAX_ROWS = 50  # rows of a table shown (the API and CLI give all)
#: the tables of the page, in order, with their heading's message key
SECTIONS = (
    ("conversions", "person.conversions"),
    ("phases", "person.phases"),
    ("feedback", "person.feedback"),
    ("messages", "person.messages"),
    ("sends", "person.sends"),
    ("devices", "person.devices"),
    ("ids", "person.ids"),
    ("traits", "person.traits"),
    ("timeline", "person.timeline_table"),
)


def person_url(person_id: str) -> str:
    """The page of ``person_id`` (any character of an id is kept)."""
    return "/persons/" + quote(str(person_id), safe="")


@router.get("/persons", response_class=HTMLResponse)
def search_page(request: Request) -> Response:
    query = text(request, "q", limit=500)
    found: list[dict[str, Any]] = []
    if query:
        frame = context(request).query(_data.find_persons, query)
        found = [{**row, "url": person_url(row["person_id"])}
                 for row in frame.to_dict("records")]
        if len(found) == 1 and found[0]["kind"] != "prefix":
            return RedirectResponse(found[0]["url"], status_code=303)
    return render(request, "person.html.j2", title_key="nav.persons", query=query,
                  found=found, journey=None, charts={}, sections=[])


@router.get("/persons/{person_id:path}", response_class=HTMLResponse)
def person_page(request: Request, person_id: str) -> HTMLResponse:
    try:
        journey = context(request).query(_data.person, person_id)
    except UnknownPerson as exc:
        raise ApiError(404, str(exc), code="unknown_person") from None
    actor(request, "person_view", target=journey.person_id)
    lang = language(request)
    phases = context(request).config.phase_names
    charts = {"timeline": embed(draw.person_timeline(journey.timeline, lang, phases), lang,
                                restyle=False)}
    tables = journey.tables()
    shown = ("ids",) if journey.withheld else tuple(name for name, _ in SECTIONS)
    sections = [{"key": key, "table": table_of(name, tables[name], lang, limit=MAX_ROWS)}
                for name, key in SECTIONS if name in shown and len(tables[name])]
    summary = journey.summary.iloc[0].to_dict()
    return render(request, "person.html.j2", title_key="nav.persons", query=person_id,
                  found=[], journey=journey, summary=summary, charts=charts,
                  sections=sections, note=journey.note,
                  api_path="/api/v1/persons/" + quote(journey.person_id, safe=""))


def _actor(request: Request) -> str:
    from wegweiser.serve.access import current_user

    return "dashboard:" + (current_user(request) or "open-access")


@router.post("/persons/export")
def export_person_form(
    request: Request,
    csrf: Annotated[str, Form()],
    person: Annotated[str, Form(max_length=500)],
    format: Annotated[Literal["json", "csv"], Form()] = "json",
) -> Response:
    """Download everything about the person (an attachment; nothing is kept on the server
    but the erasure record of the export)."""
    from wegweiser.privacy import export_person

    check_csrf(request, csrf)
    with context(request).store(refresh=False) as project:
        result = export_person(project, person, actor=_actor(request))
    if format == "csv":
        return Response(result.to_zip(), media_type="application/zip", headers={
            "Content-Disposition": 'attachment; filename="person-export.zip"'})
    return Response(result.to_json(), media_type="application/json", headers={
        "Content-Disposition": 'attachment; filename="person-export.json"'})


@router.post("/persons/erase", dependencies=[Depends(require("admin"))])
def erase_person_form(
    request: Request,
    csrf: Annotated[str, Form()],
    person: Annotated[str, Form(max_length=500)],
    confirm: Annotated[str, Form(max_length=500)] = "",
    kind: Annotated[Literal["erase", "anonymise"], Form()] = "erase",
) -> Response:
    """Erase or anonymise the person once ``confirm`` repeats their person id."""
    from wegweiser.privacy import erase_batch

    check_csrf(request, csrf)
    if confirm.strip() != person:
        flash(request, "error", "privacy.confirm_mismatch")
        return RedirectResponse(person_url(person), status_code=303)
    with context(request).store() as project:
        done = erase_batch(project, [person], actor=_actor(request), kind=kind)
    rows = sum(v for k, v in done[0].counts.items() if k == "events")
    flash(request, "ok", f"privacy.{kind}d", n=rows, id=done[0].request_id)
    return RedirectResponse("/persons", status_code=303)
