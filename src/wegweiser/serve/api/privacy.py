"""Privacy requests over the API (docs/privacy.md): an export needs the personal-data
permission, the rest admin.

* ``POST /api/v1/privacy/export`` (``id``, ``format`` json|csv): everything about a person,
  one JSON document or a zip of one CSV per kind;
* ``POST /api/v1/privacy/erase`` (``id`` or ``ids``, ``kind`` erase|anonymise): erase or
  anonymise, physically; a list of ids is a batch;
* ``GET /api/v1/privacy/records``: the erasure records (no personal data);
* ``GET|POST /api/v1/privacy/suppressions``, ``POST .../suppressions/remove``: the
  suppression list (hashes only);
* ``POST /api/v1/privacy/retention``: apply ``[retention] events_days`` now.

Ids travel in request bodies, never in URLs (which end up in access logs). The actor of
each request is ``server:<user or token name>`` (``server:local`` in open access).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Request, Response
from pydantic import BaseModel, Field, model_validator

from wegweiser.serve import access
from wegweiser.serve.api.routes import ADMIN, ADMIN_WRITE, PERSONAL, PREFIX, errors, json_response

router = APIRouter()
TAG = "privacy"
_ID = Annotated[str, Field(min_length=1, max_length=500)]


def actor_of(request: Request) -> str:
    """Who asks (the role check has passed): the user's or token's name."""
    return "server:" + access.check(request, "view").name


class ExportRequest(BaseModel):
    id: _ID = Field(description="A person id, any stitched anonymous or user id, or an "
                    "e-mail address.")
    format: Literal["json", "csv"] = Field("json", description="json: one document; "
                                           "csv: a zip of one CSV per kind.")


class EraseRequest(BaseModel):
    id: _ID | None = Field(None, description="One person's id or e-mail address.")
    ids: list[_ID] | None = Field(None, max_length=10_000,
                                  description="A batch: ids or e-mail addresses.")
    kind: Literal["erase", "anonymise"] = Field(
        "erase", description="erase: everything goes; anonymise: the events stay under a "
        "random pseudonym, the rest goes.")

    @model_validator(mode="after")
    def _one(self) -> EraseRequest:
        if (self.id is None) == (self.ids is None):
            raise ValueError("give `id` or `ids` (one of them)")
        return self


class SuppressRequest(BaseModel):
    ids: list[_ID] = Field(min_length=1, max_length=10_000,
                           description="Ids or e-mail addresses (or, to remove, hashes).")


@router.post(f"{PREFIX}/privacy/export", tags=[TAG], dependencies=PERSONAL,
             summary="Export everything about a person (dashboard users)",
             responses=errors(400, 401, 403, 404, 422, 500, 503))
def export(request: Request, body: Annotated[ExportRequest, Body()]) -> Response:
    """Events, ids and links, traits, quarantined rows, feedback, persona, journey state and
    messages of the person ``id`` names."""
    from wegweiser.privacy import export_person

    with access.context(request).store(refresh=False) as project:
        result = export_person(project, body.id, actor=actor_of(request))
    if body.format == "csv":
        return Response(result.to_zip(), media_type="application/zip", headers={
            "Content-Disposition": 'attachment; filename="person-export.zip"'})
    return Response(result.to_json(), media_type="application/json")


@router.post(f"{PREFIX}/privacy/erase", tags=[TAG], dependencies=ADMIN_WRITE,
             summary="Erase or anonymise persons (dashboard users)",
             responses=errors(400, 401, 403, 422, 500, 503))
def erase(request: Request, body: Annotated[EraseRequest, Body()]) -> Response:
    """Erase (or anonymise) each person everywhere; the store file is rewritten so that
    their bytes are gone, and their ids go on the suppression list."""
    from wegweiser.privacy import erase_batch

    ids = [body.id] if body.id is not None else list(body.ids or [])
    with access.context(request).store() as project:
        done = erase_batch(project, ids, actor=actor_of(request), kind=body.kind)
    return json_response({"requests": [s.as_dict() for s in done]})


@router.get(f"{PREFIX}/privacy/records", tags=[TAG], dependencies=ADMIN,
            summary="The erasure records (dashboard users)", responses=errors(401, 403, 500))
def records(request: Request) -> Response:
    """What was erased, anonymised or exported, when and by whom; subjects as hashes."""
    from wegweiser.privacy import erasure_records

    return json_response({"records": erasure_records(access.context(request).project_dir)})


def _listing(request: Request) -> Any:
    from wegweiser.events.suppression import SuppressionList

    return SuppressionList.load(access.context(request).project_dir)


@router.get(f"{PREFIX}/privacy/suppressions", tags=[TAG], dependencies=ADMIN,
            summary="The suppression list (dashboard users)", responses=errors(401, 403, 500))
def list_suppressions(request: Request) -> Response:
    """Salted hashes of the suppressed ids, with when and why each was added."""
    listing = _listing(request)
    return json_response({"suppressed": [{"hash": h, **v}
                                         for h, v in sorted(listing.entries.items())]})


@router.post(f"{PREFIX}/privacy/suppressions", tags=[TAG], dependencies=ADMIN_WRITE,
             summary="Suppress ids (dashboard users)",
             responses=errors(400, 401, 403, 422, 500))
def add_suppressions(request: Request, body: Annotated[SuppressRequest, Body()]) -> Response:
    """Drop new events of these ids at collection and import."""
    listing = _listing(request)
    new = listing.add(body.ids, reason=f"added by {actor_of(request)}")
    listing.save(access.context(request).project_dir)
    return json_response({"added": len(new), "suppressed": len(listing)})


@router.post(f"{PREFIX}/privacy/suppressions/remove", tags=[TAG], dependencies=ADMIN_WRITE,
               summary="Collect ids again (dashboard users)",
               responses=errors(400, 401, 403, 422, 500))
def remove_suppressions(request: Request, body: Annotated[SuppressRequest, Body()]
                        ) -> Response:
    """Remove ids (or their hashes) from the suppression list."""
    listing = _listing(request)
    gone = listing.remove(body.ids)
    listing.save(access.context(request).project_dir)
    return json_response({"removed": gone, "suppressed": len(listing)})


@router.post(f"{PREFIX}/privacy/retention", tags=[TAG], dependencies=ADMIN_WRITE,
             summary="Apply the retention policy now (dashboard users)",
             responses=errors(401, 403, 500, 503))
def retention(request: Request) -> Response:
    """Delete events older than ``[retention] events_days`` (nothing without a policy)."""
    from wegweiser.privacy import apply_retention

    with access.context(request).store() as project:
        summary = apply_retention(project, actor=actor_of(request))
    return json_response({
        "cutoff": None if summary.cutoff is None else summary.cutoff.isoformat(),
        "events_deleted": summary.events, "parquet_files": summary.files})
