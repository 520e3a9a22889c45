"""Consent and the audit log over the API.

* ``POST /api/v1/persons/{id}/consent`` (``{"categories": {"Marketing": false}}``): record a
  person's consent categories as an event (``edit``: admins, analysts, write and admin
  tokens); the journeys engine honours it per channel (``docs/privacy.md``, "Consent").
* ``GET /api/v1/audit`` (``actor``, ``action``, ``target``, ``since``, ``until``,
  ``limit``): the audit log, newest last (``admin`` only).
* ``POST /api/v1/journeys/{name}/pause`` and ``.../resume``: journey changes (``admin``
  only), as ``wegweiser journeys pause|resume``; both are in the audit log.
* ``POST /api/v1/journeys/ledger/settle`` (``{"keys": [...], "as": "sent" | "failed" |
  "resend", "reason": "..."}``): settle ``unknown`` messages by hand (``admin`` only), as
  ``wegweiser journeys ledger settle``; each one in the audit log with who, when and why.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, Literal

from fastapi import APIRouter, Body, Path, Query, Request, Response
from pydantic import BaseModel, Field

from wegweiser import audit
from wegweiser.serve import access
from wegweiser.serve.api.routes import (
    ADMIN,
    ADMIN_WRITE,
    EDITOR,
    PREFIX,
    TAG,
    errors,
    json_response,
)
from wegweiser.serve.errors import ApiError

if TYPE_CHECKING:
    from wegweiser.orchestrate.settle import Settled

router = APIRouter()
PRIVACY_TAG = "privacy"


class ConsentBody(BaseModel):
    categories: dict[str, bool] = Field(
        min_length=1, max_length=50,
        description="Consent categories as Segment's context.consent.categoryPreferences: "
                    "category id -> true (granted) or false (withdrawn), "
                    'e.g. {"Marketing": false}.',
    )


class ConsentResponse(BaseModel):
    id: str
    categories: dict[str, bool]
    recorded: int


class AuditResponse(BaseModel):
    entries: list[dict[str, Any]]


@router.post(f"{PREFIX}/persons/{{id}}/consent", tags=[PRIVACY_TAG], dependencies=EDITOR,
             summary="Record a person's consent categories",
             responses={200: {"model": ConsentResponse},
                        **errors(400, 401, 403, 404, 422, 500, 503)})
def set_consent(
    request: Request, id: Annotated[str, Path(min_length=1, max_length=500)],
    body: Annotated[ConsentBody, Body()],
) -> Response:
    """Record the categories for the user or anonymous id ``id`` (one event; later
    statements win per category). 404 ``unknown_person`` when no event has that id."""
    with access.context(request).store() as project:
        summary = project.set_consent(id, body.categories, source="api")
    access.actor(request, "consent", target=id,
                 detail={k: v for k, v in sorted(body.categories.items())[:20]})
    return json_response({"id": id, "categories": body.categories,
                          "recorded": summary.imported})


@router.get(f"{PREFIX}/audit", tags=[PRIVACY_TAG], dependencies=ADMIN,
            summary="The audit log (admins)",
            responses={200: {"model": AuditResponse}, **errors(400, 401, 403, 422, 500)})
def audit_log(
    request: Request,
    actor: Annotated[str | None, Query(max_length=200)] = None,
    action: Annotated[str | None, Query(max_length=100)] = None,
    target: Annotated[str | None, Query(max_length=500)] = None,
    since: Annotated[str | None, Query(max_length=40)] = None,
    until: Annotated[str | None, Query(max_length=40)] = None,
    limit: Annotated[int, Query(ge=1, le=100_000)] = 1_000,
) -> Response:
    """Who did what when: logins, person views, exports, consent, config and journey
    changes, refusals. ``action`` may be a pattern (``journey_*``); ``since`` is inclusive,
    ``until`` exclusive (dates or ISO times, UTC); the newest ``limit`` entries."""
    entries = audit.read(access.context(request).project_dir, actor=actor, action=action,
                         target=target, since=since, until=until, limit=limit)
    return json_response({"entries": [e.to_dict() for e in entries]})


class JourneyChange(BaseModel):
    journey: str
    paused: bool


@router.post(f"{PREFIX}/journeys/{{name}}/pause", tags=[TAG],
             dependencies=ADMIN_WRITE, summary="Pause a journey (admins)",
             responses={200: {"model": JourneyChange}, **errors(400, 401, 403, 404, 422, 500)})
def pause_journey(request: Request, name: Annotated[str, Path(min_length=1, max_length=200)]
                  ) -> Response:
    """No entrants while paused; runs stay where they are (``wegweiser journeys pause``)."""
    set_paused(request, name, paused=True)
    return json_response({"journey": name, "paused": True})


@router.post(f"{PREFIX}/journeys/{{name}}/resume", tags=[TAG],
             dependencies=ADMIN_WRITE, summary="Resume a paused journey (admins)",
             responses={200: {"model": JourneyChange}, **errors(400, 401, 403, 404, 422, 500)})
def resume_journey(request: Request, name: Annotated[str, Path(min_length=1, max_length=200)]
                   ) -> Response:
    """Entrants again (``wegweiser journeys resume``)."""
    set_paused(request, name, paused=False)
    return json_response({"journey": name, "paused": False})


def set_paused(request: Request, name: str, *, paused: bool) -> None:
    """Pause or resume the journey ``name`` and record it in the audit log with the
    request's principal (the API routes above and the journeys page's buttons); 404
    ``unknown_journey`` when no journey file has that name. The caller checks ``admin``."""
    from wegweiser.orchestrate.assembly import state_target
    from wegweiser.orchestrate.loading import JOURNEYS_DIR, load_journeys
    from wegweiser.orchestrate.operations import set_paused as set_state
    from wegweiser.orchestrate.state import open_state

    ctx = access.context(request)
    journeys, _ = load_journeys(ctx.project_dir / JOURNEYS_DIR, phases=ctx.config.phase_names)
    names = [j.name for j in journeys]
    if name not in names:
        import difflib

        close = difflib.get_close_matches(name, names, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise ApiError(404, f"no journey {name!r}{hint} (journeys: {', '.join(names) or 'none'})",
                       code="unknown_journey")
    with open_state(state_target(ctx.project_dir), project_dir=ctx.project_dir) as store:
        set_state(store, name, paused)
    access.actor(request, "journey_pause" if paused else "journey_resume", target=name)


class SettleBody(BaseModel):
    keys: list[str] = Field(min_length=1, max_length=1_000,
                            description="Ledger keys (run|step|channel) of unknown messages.")
    decision: Literal["sent", "failed", "resend"] = Field(
        alias="as", description="sent: it arrived; failed: it did not, do not send again; "
        "resend: back to pending, the worker sends it again with the same key.")
    reason: str = Field(min_length=1, max_length=300,
                        description="Why (kept with the message and in the audit log).")


class SettleResponse(BaseModel):
    settled: list[dict[str, Any]]
    rejected: list[dict[str, Any]]


@router.post(f"{PREFIX}/journeys/ledger/settle", tags=[TAG], dependencies=ADMIN_WRITE,
             summary="Settle unknown messages by hand (admins)",
             responses={200: {"model": SettleResponse}, **errors(400, 401, 403, 422, 500)})
def settle_messages(request: Request, body: Annotated[SettleBody, Body()]) -> Response:
    """Each key is settled or rejected with its reason (a key that is not ``unknown``, a
    run that cannot go back for ``resend``); the others are settled regardless."""
    done = settle_keys(request, body.keys, decision=body.decision, reason=body.reason)
    return json_response({"settled": [d.to_dict() for d in done if d.error is None],
                          "rejected": [d.to_dict() for d in done if d.error is not None]})


def settle_keys(request: Request, keys: list[str], *, decision: str, reason: str
                ) -> list[Settled]:
    """Settle ``keys`` as the request's principal and record each settled one in the audit
    log (the API route above and the journeys page's buttons). The caller checks
    ``admin``."""
    import time

    from wegweiser.orchestrate.assembly import state_target
    from wegweiser.orchestrate.loading import JOURNEYS_DIR, load_journeys
    from wegweiser.orchestrate.settle import settle
    from wegweiser.orchestrate.state import open_state

    ctx = access.context(request)
    journeys = {}
    if decision == "resend":
        loaded, _ = load_journeys(ctx.project_dir / JOURNEYS_DIR,
                                  phases=ctx.config.phase_names)
        journeys = {j.name: j for j in loaded}
    who = access.principal(request)
    with open_state(state_target(ctx.project_dir), project_dir=ctx.project_dir) as store:
        done = settle(store, keys, decision=decision, reason=reason,
                      actor=who.name if who else "anonymous", now=time.time(),
                      journeys=journeys)
    for one in done:
        if one.error is None:
            access.actor(request, "journey_settle", target=one.key,
                         detail={"decision": decision, "reason": reason,
                                 "before": one.before})
    return done
