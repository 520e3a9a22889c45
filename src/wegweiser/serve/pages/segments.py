"""The segments page: the saved segments with their member counts, a form to save one
(behaviour, conditions, a list of ids) and a button to delete one; each links to the CSV
of its members (the API's ``/api/v1/segments/{name}/members?format=csv``).

Every change is a POST form with the session's CSRF token, as on the other pages that
change things; the segments are the project's files ``segments/<name>.toml``.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from wegweiser.analysis.registry import describe
from wegweiser.analysis.segments import Segment
from wegweiser.errors import InvalidInput
from wegweiser.serve.access import context, require
from wegweiser.serve.pages._web import check_csrf, flash, page_user, render

router = APIRouter(include_in_schema=False, dependencies=[Depends(page_user)])

Csrf = Annotated[str, Form()]
Text = Annotated[str, Form(max_length=100_000)]
FIELDS = ("name", "description", "did", "did_not", "within", "where", "ids")


def _page(request: Request, *, form: dict[str, str] | None = None, error: str | None = None,
          status: int = 200) -> HTMLResponse:
    rows: list[dict[str, Any]] = []
    with context(request).store(refresh=False) as project:  # segments are files
        try:
            for name in project.segments():
                rows.append({**project.segment(name).summary(),
                             "members": len(project.members(name))})
        except InvalidInput as exc:  # a broken file: say which
            error = error or str(exc)
    return render(request, "segments.html.j2", title_key="nav.segments", rows=rows,
                  form=form or dict.fromkeys(FIELDS, ""), error=error, status=status)


@router.get("/segments", response_class=HTMLResponse)
def segments_page(request: Request) -> HTMLResponse:
    return _page(request)


def _lines(text: str, *, commas: bool) -> list[str]:
    parts = text.replace(",", "\n").splitlines() if commas else text.splitlines()
    return [p.strip() for p in parts if p.strip()]


@router.post("/segments", dependencies=[Depends(require("edit"))])
def save(
    request: Request, csrf: Csrf, name: Text = "", description: Text = "", did: Text = "",
    did_not: Text = "", within: Text = "", where: Text = "", ids: Text = "",
    replace: Annotated[str, Form()] = "",
) -> Response:
    check_csrf(request, csrf)
    form = {"name": name, "description": description, "did": did, "did_not": did_not,
            "within": within, "where": where, "ids": ids}
    values: dict[str, Any] = {
        "name": name.strip(), "description": description.strip(),
        "did": _lines(did, commas=True), "did_not": _lines(did_not, commas=True),
        "within": within.strip() or None, "where": _lines(where, commas=False),
        "ids": _lines(ids, commas=True),
    }
    try:
        segment = Segment.model_validate(values)
        with context(request).store(refresh=False) as project:  # segments are files
            project.save_segment(segment, replace=replace == "on")
    except ValidationError as exc:
        return _page(request, form=form, error=describe(exc), status=400)
    except InvalidInput as exc:
        return _page(request, form=form, error=str(exc), status=400)
    flash(request, "ok", "segments.saved", name=segment.name)
    return RedirectResponse("/segments", status_code=303)


@router.post("/segments/{name}/delete", dependencies=[Depends(require("edit"))])
def delete(request: Request, name: str, csrf: Csrf) -> Response:
    check_csrf(request, csrf)
    try:
        with context(request).store(refresh=False) as project:  # segments are files
            project.delete_segment(name)
    except InvalidInput as exc:
        return _page(request, error=str(exc), status=404)
    flash(request, "ok", "segments.deleted", name=name)
    return RedirectResponse("/segments", status_code=303)
