"""Pages that change things: data quality (replay or drop quarantined rows) and settings
(the phase rules). Every change is a POST form with the session's CSRF token."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from wegweiser.config import Phase, load_config
from wegweiser.config_edit import set_phases
from wegweiser.errors import InvalidConfig
from wegweiser.serve.access import actor, context, require
from wegweiser.serve.pages import _data
from wegweiser.serve.pages._web import check_csrf, flash, page_user, render, text
from wegweiser.serve.pages.export import links

router = APIRouter(include_in_schema=False, dependencies=[Depends(page_user)])

Csrf = Annotated[str, Form()]


# -- data quality ------------------------------------------------------------------------------
@router.get("/data-quality", response_class=HTMLResponse,
            dependencies=[Depends(require("personal"))])
def quality_page(request: Request) -> HTMLResponse:
    reason = text(request, "reason", limit=500)
    data = context(request).query(_data.quarantine, reason=reason or None)
    health = getattr(request.app.state, "health", None)
    return render(request, "data_quality.html.j2", title_key="nav.data_quality", data=data,
                  reason=reason, health=health() if health is not None else None,
                  export=links("quarantine", {"reason": reason or None, "limit": 100}))


@router.post("/data-quality/replay", dependencies=[Depends(require("admin"))])
def replay(request: Request, csrf: Csrf, reason: Annotated[str, Form()] = "") -> Response:
    check_csrf(request, csrf)
    with context(request).store() as project:
        summary, skipped = project.replay_quarantine(reason=reason or None)
    actor(request, "quarantine_replay", detail={"imported": summary.imported})
    flash(request, "ok", "quality.replayed", imported=summary.imported,
          duplicates=summary.duplicates, still=summary.quarantined, skipped=skipped)
    return RedirectResponse("/data-quality", status_code=303)


@router.post("/data-quality/drop", dependencies=[Depends(require("admin"))])
def drop(
    request: Request,
    csrf: Csrf,
    reason: Annotated[str, Form()] = "",
    row: Annotated[int | None, Form()] = None,
    everything: Annotated[bool, Form(alias="all")] = False,
) -> Response:
    check_csrf(request, csrf)
    if not reason and row is None and not everything:
        flash(request, "error", "quality.drop_what")
        return RedirectResponse("/data-quality", status_code=303)
    with context(request).store() as project:
        n = project.drop_quarantine(reason=reason or None,
                                    ids=[row] if row is not None else None)
    actor(request, "quarantine_drop", detail={"dropped": n})
    flash(request, "ok", "quality.dropped", n=n)
    return RedirectResponse("/data-quality", status_code=303)


# -- settings --------------------------------------------------------------------------------
def _rows(phases: list[Phase]) -> list[dict[str, Any]]:
    return [{"name": p.name, "events": ", ".join(p.events), "description": p.description,
             "error": None} for p in phases]


def _settings(request: Request, rows: list[dict[str, Any]], *, error: str | None = None,
              status: int = 200) -> HTMLResponse:
    ctx = context(request)
    secrets = ctx.secrets
    base = str(request.base_url).rstrip("/")
    return render(
        request, "settings.html.j2", status=status, title_key="nav.settings", rows=rows,
        error=error, config=ctx.config, base=base, n_write_keys=len(secrets.write_keys),
        n_tokens=len(secrets.api_tokens), n_users=len(secrets.users),
    )


@router.get("/settings", response_class=HTMLResponse, dependencies=[Depends(require("admin"))])
def settings_page(request: Request) -> HTMLResponse:
    config = load_config(context(request).project_dir)
    return _settings(request, _rows(list(config.phases)))


@router.post("/settings/phases", dependencies=[Depends(require("admin"))])
def save_phases(
    request: Request,
    csrf: Csrf,
    name: Annotated[list[str] | None, Form()] = None,
    events: Annotated[list[str] | None, Form()] = None,
    description: Annotated[list[str] | None, Form()] = None,
) -> Response:
    """Replace the phase rules; problems are shown next to the rows, nothing is saved."""
    check_csrf(request, csrf)
    names, patterns, notes = name or [], events or [], description or []
    rows: list[dict[str, Any]] = []
    phases: list[Phase] = []
    for k, raw in enumerate(names):
        globs = [g.strip() for g in (patterns[k] if k < len(patterns) else "")
                 .replace("\n", ",").split(",") if g.strip()]
        note = (notes[k] if k < len(notes) else "").strip()
        row = {"name": raw.strip(), "events": ", ".join(globs), "description": note,
               "error": None}
        if not row["name"] and not globs and not note:
            continue  # an empty row: nothing to save
        rows.append(row)
        if not row["name"]:
            row["error"] = "settings.error.name"
        elif row["name"] in {p.name for p in phases}:
            row["error"] = "settings.error.duplicate"
        elif not globs:
            row["error"] = "settings.error.events"
        else:
            try:
                phases.append(Phase(name=row["name"], events=globs, description=note))
            except ValidationError as exc:
                row["error"] = str(exc.errors()[0]["msg"])
    if any(r["error"] for r in rows):
        return _settings(request, rows, error="settings.error.rows", status=400)
    if not phases:
        return _settings(request, rows, error="settings.error.none", status=400)
    ctx = context(request)
    try:
        set_phases(ctx.project_dir, phases)
    except InvalidConfig as exc:
        return _settings(request, rows, error=str(exc), status=400)
    ctx.reload_config()
    actor(request, "config_change", target="phases", detail={"phases": len(phases)})
    flash(request, "ok", "settings.saved", n=len(phases))
    return RedirectResponse("/settings", status_code=303)
