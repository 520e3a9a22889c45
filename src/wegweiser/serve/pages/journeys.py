"""The journeys page: each journey's state, entrants, runs and messages, and the ledger's
``unknown`` rows (sends a crash left undecided, which are never resent automatically and
wait for the operator). The numbers come from the query API's read-outs.

Roles (:mod:`wegweiser.serve.access`): a role that may change journeys (``admin``) gets a
*Pause*/*Resume* button per journey (POST forms with the session's CSRF token, as
``POST /api/v1/journeys/{name}/pause|resume``; both in the audit log) and, per ``unknown``
message, buttons that settle it by hand (arrived, did not arrive, send again; with a reason;
as ``POST /api/v1/journeys/ledger/settle``), with the command line to copy beside them
(roles with ``personal``: the ledger key names the person). The ledger's person
ids are shown only to roles with the ``personal`` permission; the others see a pseudonym
per page (``Person 1``, ``Person 2``, ...: the same person keeps their number on the page,
and the numbers say nothing about who it is) and no ledger download.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from wegweiser.errors import WegweiserError
from wegweiser.present.i18n import Translator
from wegweiser.serve.access import allowed, context, require
from wegweiser.serve.pages import _data
from wegweiser.serve.pages._i18n import words
from wegweiser.serve.pages._web import check_csrf, flash, language, page_user, render
from wegweiser.serve.pages.export import links

router = APIRouter(include_in_schema=False, dependencies=[Depends(page_user)])

#: the status columns shown, in order
SHOWN = ("journey", "paused", "entrants", "active", "done", "exited", "parked", "deferred",
         "msg_sent", "msg_unknown", "msg_failed", "msg_suppressed")
#: the per-step columns after journey, step, channel and variant
STEP_SHOWN = ("sent", "opened", "clicked", "clicks", "open_rate", "click_rate")


@router.get("/journeys", response_class=HTMLResponse)
def journeys_page(request: Request) -> HTMLResponse:
    error = None
    status, unknown, steps, readout = [], [], [], []
    try:
        status, unknown, steps = context(request).query(_data.journeys)
        readout = readout_block(request)
    except WegweiserError as exc:  # a broken journey file: say which and where
        error = str(exc)
    rows = [{c: r.get(c) for c in SHOWN} for r in status]
    personal = allowed(request, "personal")
    if not personal:
        unknown = pseudonymised(unknown, words(language(request)))
    return render(request, "journeys.html.j2", title_key="nav.journeys", rows=rows,
                  columns=SHOWN, unknown=unknown, error=error, steps=steps,
                  step_columns=STEP_SHOWN, export=links("journeys", {}),
                  steps_export=links("journey_steps", {}),
                  unknown_export=links("journey_ledger", {"state": "unknown"})
                  if personal else None,
                  readout=readout, can_pause=allowed(request, "admin"),
                  personal=personal)


def pseudonymised(rows: list[dict[Any, Any]], say: Translator) -> list[dict[Any, Any]]:
    """``rows`` with each ``person_id`` replaced by ``Person <n>`` (German ``Person <n>``),
    numbered by first appearance: the same person keeps their number within the rows."""
    numbers: dict[Any, int] = {}
    out = []
    for row in rows:
        n = numbers.setdefault(row.get("person_id"), len(numbers) + 1)
        out.append({**row, "person_id": say("journeys.pseudonym", n=n)})
    return out


def _change(request: Request, name: str, csrf: str, *, paused: bool) -> Response:
    from wegweiser.serve.api.consent_audit import set_paused

    check_csrf(request, csrf)
    set_paused(request, name, paused=paused)
    flash(request, "ok", "journeys.paused_done" if paused else "journeys.resumed_done",
          name=name)
    return RedirectResponse("/journeys", status_code=303)


@router.post("/journeys/{name}/pause", dependencies=[Depends(require("admin"))])
def pause_form(request: Request, name: Annotated[str, Path(min_length=1, max_length=200)],
               csrf: Annotated[str, Form()]) -> Response:
    """The journeys page's *Pause* button: no entrants while paused."""
    return _change(request, name, csrf, paused=True)


@router.post("/journeys/{name}/resume", dependencies=[Depends(require("admin"))])
def resume_form(request: Request, name: Annotated[str, Path(min_length=1, max_length=200)],
                csrf: Annotated[str, Form()]) -> Response:
    """The journeys page's *Resume* button: entrants again."""
    return _change(request, name, csrf, paused=False)


def readout_block(request: Request) -> list[dict[str, object]]:
    """The rows of the readout partial (``_journey_readout.html.j2``): per journey and the
    global control group, the uplift against the holdout with its always-valid interval."""
    return [{str(k): v for k, v in r.items()}
            for r in context(request).query(_data.journey_readouts)]


@router.post("/journeys/ledger/settle", dependencies=[Depends(require("admin"))])
def settle_form(request: Request, key: Annotated[str, Form(min_length=1, max_length=1000)],
                decision: Annotated[str, Form(pattern="^(sent|failed|resend)$")],
                reason: Annotated[str, Form(min_length=1, max_length=300)],
                csrf: Annotated[str, Form()]) -> Response:
    """The buttons of an ``unknown`` row: settle it by hand (as ``POST
    /api/v1/journeys/ledger/settle``; in the audit log with who, when and why)."""
    from wegweiser.serve.api.consent_audit import settle_keys

    check_csrf(request, csrf)
    for one in settle_keys(request, [key], decision=decision, reason=reason):
        if one.error is None:
            flash(request, "ok", "journeys.settled_done", message=one.key, before=one.before,
                  after=one.after)
        else:
            flash(request, "error", "journeys.settle_refused", message=one.key, error=one.error)
    return RedirectResponse("/journeys", status_code=303)


@router.get("/journeys/{name}", response_class=HTMLResponse)
def journey_page(request: Request, name: str) -> HTMLResponse:
    """One journey: its flow (runs per step and edge; a dry run when it never ran), its
    readout and the latest rows of its ledger."""
    data = context(request).query(_data.journey_page, name, language(request))
    personal = allowed(request, "personal")
    if not personal:
        data["ledger"] = pseudonymised(data["ledger"], words(language(request)))
    return render(request, "journey.html.j2", title_key="nav.journeys", **data,
                  ledger_export=links("journey_ledger", {"journey": name}) if personal
                  else None,
                  flow_export=links("journey_flow", {"journey": name}))
