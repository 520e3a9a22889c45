"""Query API (``/api/v1/*``): every analysis as JSON, described by the OpenAPI spec.

* ``POST /api/v1/<analysis>`` with a JSON body of the analysis' options (its parameter
  model in the registry, :mod:`wegweiser.analysis.registry`; an empty body means the
  defaults) for every registered analysis, and ``POST /api/v1/overview``.
* ``GET`` with query parameters for the read-outs of the store: ``/stats``,
  ``/quarantine``, ``/identities/merges``, ``/identities/{id}``; ``GET /analyses`` lists
  everything with its parameters.
* Every answer: ``{"analysis", "params", "tables": {name: [rows]}, "notes"}``
  (:func:`wegweiser.serve.api.queries.to_json`); every error the one shape of
  :mod:`wegweiser.serve.errors` (422 for a body that does not fit the schema, 400 for
  options the analysis refuses, 503 + Retry-After while busy, 504 when an analysis hits the
  time limit ``server.query_seconds``).
* Who may do what: :mod:`wegweiser.serve.access` (``view``, ``personal``, ``edit``,
  ``admin`` by user role and token scope). Aggregate answers: everyone logged in or with a
  token; one person, identities, quarantine, the send ledger: ``personal``; segments,
  annotations, fixes, consent: ``edit``; ``POST /api/v1/quarantine/replay`` and
  ``.../drop``, the audit log: ``admin`` (in open access: same-origin requests).
"""

from __future__ import annotations

import inspect
from typing import Annotated, Any
from urllib.parse import urlsplit

import orjson
from fastapi import APIRouter, Body, Depends, Path, Query, Request, Response, Security
from fastapi.security import HTTPBearer
from pydantic import BaseModel, Field

from wegweiser.analysis import registry
from wegweiser.serve import access
from wegweiser.serve.api import queries
from wegweiser.serve.errors import ERROR_SCHEMA, ApiError

PREFIX = "/api/v1"
TAG = "query API"

router = APIRouter()

_bearer = HTTPBearer(
    auto_error=False,
    scheme_name="api_token",
    description="An API token from server.api_tokens / WEGWEISER_API_TOKENS with scope read, "
    "write or admin (`wegweiser keys add --kind api --scope read`). A logged-in dashboard "
    "session works too (with the user's role).",
)
READER = [Depends(access.require_reader), Security(_bearer)]
#: routes with personal data: roles and scopes that may see it (``access.require``)
PERSONAL = [Depends(access.require("personal")), Security(_bearer)]
PERSONAL_ROUTES = frozenset({"quarantine", "merges", "persons", "person", "identity",
                             "journey_ledger"})
ADMIN = [Depends(access.require("admin")), Security(_bearer)]

_WHY = {
    400: "Options the analysis cannot use (the message says which and what to do)",
    401: "No or unknown API token, not logged in",
    403: "Not allowed: the user's role or the token's scope may not do this "
    "(`forbidden_role`, `forbidden_scope`, `read_only_token`), or a cross-site request",
    404: "Nothing there",
    422: "The request does not fit the schema (details list each problem)",
    500: "Unexpected error (the server log has details)",
    503: "Busy: every query worker is taken (`server_busy`) or another process holds the "
    "store (`store_busy`); retry after Retry-After seconds",
    504: "The analysis ran longer than server.query_seconds and was stopped "
    "(`query_timeout`); ask for less or raise the limit",
}


def errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses=`` entries for these status codes, all in the one error shape."""
    return {
        code: {"description": _WHY[code], "content": {"application/json": {"schema": ERROR_SCHEMA}}}
        for code in codes
    }


class AnalysisResponse(BaseModel):
    """An analysis result: the effective parameters, the tables as row objects, notes."""

    analysis: str = Field(examples=["funnel"])
    params: dict[str, Any]
    tables: dict[str, list[dict[str, Any]]]
    notes: list[str]


class AnalysisInfo(BaseModel):
    name: str
    method: str
    path: str
    summary: str
    description: str
    parameters: dict[str, Any] = Field(description="JSON schema of the options.")


class AnalysesResponse(BaseModel):
    analyses: list[AnalysisInfo]


class ReplayResponse(BaseModel):
    imported: int
    duplicates: int
    quarantined: int
    not_replayable: int


class DropResponse(BaseModel):
    dropped: int


def json_response(payload: Any) -> Response:
    return Response(orjson.dumps(payload), media_type="application/json")


def _run(request: Request, name: str, params: queries.Params,
         tables: list[str] | None = None) -> Response:
    """Run the analysis in the query pool, on the read snapshot of the store (``tables``:
    only these in the answer, and computed only these when the analysis can)."""
    values = params.model_dump(by_alias=True, exclude_unset=True)
    extra = {"tables": tables} if tables else {}
    return json_response(access.context(request).query(queries.run_json, name, values, **extra))


#: ``?table=`` of an analysis route: the tables to answer with
TableQuery = Annotated[list[Annotated[str, Field(max_length=100)]] | None, Query(
    alias="table", max_length=20,
    description="Answer with these tables only (repeat for several; default: all). An "
    "analysis that can (phases) then computes only these.",
)]


@router.get(
    f"{PREFIX}/analyses",
    tags=[TAG],
    dependencies=READER,
    summary="List the analyses",
    responses={200: {"model": AnalysesResponse}, **errors(401, 500)},
)
def list_analyses() -> Response:
    """Every analysis of the API with its method, path and the JSON schema of its options."""
    return json_response(
        {
            "analyses": [
                {
                    "name": a.name,
                    "method": a.method,
                    "path": PREFIX + a.path,
                    "summary": a.summary,
                    "description": a.description,
                    "parameters": a.params.model_json_schema(),
                }
                for a in queries.ANALYSES.values()
            ]
        }
    )


def _add_route(entry: queries.Analysis) -> None:
    """``POST`` (JSON body) or ``GET`` (query parameters) route of one analysis."""

    def endpoint(request: Request, params: queries.Params, table: TableQuery = None
                 ) -> Response:
        return _run(request, entry.name, params, table)

    if entry.method == "GET":
        annotation: Any = Annotated[entry.params, Query()]
        default: Any = inspect.Parameter.empty
    else:
        annotation = Annotated[entry.params, Body()]
        required = any(f.is_required() for f in entry.params.model_fields.values())
        default = inspect.Parameter.empty if required else entry.params()
    kind = inspect.Parameter.POSITIONAL_OR_KEYWORD
    tables = ([inspect.Parameter("table", kind, annotation=TableQuery, default=None)]
              if entry.name in registry.analyses() and entry.method == "POST" else [])
    signature = inspect.Signature(
        [
            inspect.Parameter("request", kind, annotation=Request),
            inspect.Parameter("params", kind, annotation=annotation, default=default),
            *tables,
        ]
    )
    endpoint.__signature__ = signature  # type: ignore[attr-defined]
    router.add_api_route(
        PREFIX + entry.path,
        endpoint,
        methods=[entry.method],
        name=entry.name,
        tags=[TAG],
        summary=entry.summary,
        description=entry.description,
        dependencies=PERSONAL if entry.name in PERSONAL_ROUTES else READER,
        response_model=None,
        responses={
            200: {"model": AnalysisResponse, **LINKS.get(entry.path, {})},
            **errors(*((400, 401, 403, 422, 500, 503, 504) if entry.name in PERSONAL_ROUTES
                       else (400, 401, 422, 500, 503, 504)),
                     *((404,) if entry.name in NAMED_ROUTES else ())),
        },
    )


#: routes that look up a thing by the name given (404 when there is none)
NAMED_ROUTES = frozenset({"journey_flow"})


# OpenAPI links: where an answer's values lead (clients and schemathesis' stateful phase)
LINKS: dict[str, dict[str, Any]] = {
    "/identities/merges": {
        "links": {
            f"PersonOf{side.upper()}": {
                "operationId": "identity",
                "parameters": {"id": f"$response.body#/tables/merges/0/{side}_id"},
                "description": f"The person the first link's {side}_id belongs to.",
            }
            for side in ("a", "b")
        }
    }
}


for _entry in queries.ANALYSES.values():
    if "{" not in _entry.path:  # path parameters get their own route below
        _add_route(_entry)


@router.get(
    f"{PREFIX}/identities/{{id}}",
    tags=[TAG],
    dependencies=PERSONAL,
    name="identity",
    operation_id="identity",
    summary=queries.ANALYSES["identity"].summary,
    responses={200: {"model": AnalysisResponse}, **errors(401, 403, 404, 422, 500, 503, 504)},
)
def identity(request: Request, id: Annotated[str, Path(min_length=1, max_length=500)]) -> Response:
    """The ``person_id`` of an anonymous id or user id (404 when the id is unknown)."""
    return _run(request, "identity", queries.IdentityParams(id=id))


@router.get(
    f"{PREFIX}/persons/{{id}}",
    tags=[TAG],
    dependencies=PERSONAL,
    name="person",
    operation_id="person",
    summary=queries.ANALYSES["person"].summary,
    description=queries.ANALYSES["person"].description,
    responses={200: {"model": AnalysisResponse}, **errors(401, 403, 404, 422, 500, 503, 504)},
)
def person(
    request: Request,
    id: Annotated[str, Path(min_length=1, max_length=500)],
    limit: Annotated[int, Query(ge=1, le=100_000)] = 5_000,
) -> Response:
    answer = _run(request, "person", queries.PersonParams(id=id, limit=limit))
    access.actor(request, "person_view", target=id)
    return answer


# -- write actions ------------------------------------------------------------------------------
def _same_site(request: Request) -> None:
    origin = request.headers.get("origin")
    hosts = {request.headers.get("host"), request.headers.get("x-forwarded-host")} - {None}
    if origin is not None and urlsplit(origin).netloc not in hosts:
        raise ApiError(403, f"Requests from {origin} may not change data here.", code="cross_site")


def require_editor(request: Request) -> None:
    """Segments, annotations, fixes, consent: users with the ``edit`` permission (admin,
    analyst), tokens with scope write or admin; never a request from another site."""
    access.check(request, "edit")
    _same_site(request)


def require_admin(request: Request) -> None:
    """Quarantine replay and drop, journeys, the audit log: admins and admin tokens."""
    access.check(request, "admin")
    _same_site(request)


# no declared security scheme: a session cookie works as well as a token here, and the
# schema must not claim a token is required (the API fuzzing holds it to that)
EDITOR = [Depends(require_editor)]
ADMIN_WRITE = [Depends(require_admin)]
_REPLAY_ALL = queries.ReplayParams.model_validate({})


@router.post(
    f"{PREFIX}/quarantine/replay",
    tags=[TAG],
    dependencies=ADMIN_WRITE,
    summary="Replay quarantined rows (admins)",
    responses={200: {"model": ReplayResponse}, **errors(400, 401, 403, 422, 500, 503)},
)
def replay_quarantine(
    request: Request, params: Annotated[queries.ReplayParams, Body()] = _REPLAY_ALL
) -> Response:
    """Import quarantined rows again with the current ``wegweiser.toml`` and ``map``; rows
    that still fail stay with their new reason (``wegweiser quarantine replay``)."""
    with access.context(request).store() as project:
        return json_response(queries.replay(project, params))


@router.post(
    f"{PREFIX}/quarantine/drop",
    tags=[TAG],
    dependencies=ADMIN_WRITE,
    summary="Drop quarantined rows (admins)",
    responses={200: {"model": DropResponse}, **errors(400, 401, 403, 422, 500, 503)},
)
def drop_quarantine(request: Request, params: Annotated[queries.DropParams, Body()]) -> Response:
    """Delete quarantined rows for good: by ``reason``, by ``ids``, or ``all``
    (``wegweiser quarantine drop``)."""
    with access.context(request).store() as project:
        return json_response(queries.drop(project, params))
