"""The audit log page (``/audit``, admins only): who did what, when, to whom, filtered by
actor, action (or pattern such as ``journey_*``) and dates, newest first."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from wegweiser import audit as log
from wegweiser.errors import InvalidInput
from wegweiser.serve.access import context, require
from wegweiser.serve.pages._web import page_user, render, text

router = APIRouter(include_in_schema=False,
                   dependencies=[Depends(page_user), Depends(require("admin"))])

MAX_ROWS = 500
FILTERS = ("actor", "action", "target", "since", "until")


@router.get("/audit", response_class=HTMLResponse)
def audit_page(request: Request) -> HTMLResponse:
    values = {name: text(request, name, limit=200) for name in FILTERS}
    error = None
    entries: list[log.AuditEntry] = []
    try:
        entries = log.read(context(request).project_dir, limit=MAX_ROWS,
                           **{k: v or None for k, v in values.items()})
    except InvalidInput as exc:
        error = str(exc)
    rows = [e.to_dict() for e in reversed(entries)]
    return render(request, "audit.html.j2", title_key="nav.audit", rows=rows,
                  filters=values, error=error, actions=log.ACTIONS, limit=MAX_ROWS,
                  status=400 if error else 200)
