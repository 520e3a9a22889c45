"""Saved segments over the API: list, show, save, delete, members (CSV or JSON).

* ``GET /api/v1/segments`` and ``GET /api/v1/segments/{name}`` (with the member count) and
  ``GET /api/v1/segments/{name}/members`` (``?format=csv`` for a file): readers;
* ``PUT /api/v1/segments/{name}`` (the rule as the body: ``did``, ``did_not``, ``within``,
  ``where``, ``ids``, ``description``) and ``DELETE``: dashboard users, as every write.

The segments are the project's files ``segments/<name>.toml``
(:mod:`wegweiser.analysis.segments`); every analysis route takes ``segment`` and
``by_segment``.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Path, Query, Request, Response

from wegweiser.analysis.result import jsonable
from wegweiser.analysis.segments import NAME_PATTERN, Rule, Segment
from wegweiser.serve import access
from wegweiser.serve.api.routes import (
    EDITOR,
    PERSONAL,
    PREFIX,
    READER,
    TAG,
    errors,
    json_response,
)
from wegweiser.serve.errors import ApiError

router = APIRouter()
NameParam = Annotated[str, Path(pattern=NAME_PATTERN, max_length=64)]


def _described(project: Any, segment: Segment) -> dict[str, Any]:
    return {**segment.summary(), "definition": jsonable(segment.model_dump(mode="json"))}


def _existing(project: Any, name: str) -> Segment:
    found = project.segments()
    if name not in found:
        raise ApiError(404, f"no segment {name!r}; saved: {', '.join(found) or 'none yet'}",
                       code="not_found")
    segment: Segment = found[name]
    return segment


@router.get(f"{PREFIX}/segments", tags=[TAG], dependencies=READER,
            summary="List the saved segments", responses=errors(401, 500, 503))
def list_segments(request: Request) -> Response:
    """Every saved segment: name, kind, rule, description and its definition."""
    with access.context(request).store(refresh=False) as project:  # segments are files
        items = [_described(project, s) for s in project.segments().values()]
    return json_response({"segments": items})


@router.get(f"{PREFIX}/segments/{{name}}", tags=[TAG], dependencies=READER,
            summary="One saved segment and its member count",
            responses=errors(401, 404, 422, 500, 503))
def show_segment(request: Request, name: NameParam) -> Response:
    """The segment's definition and how many persons belong to it now."""
    with access.context(request).store(refresh=False) as project:  # segments are files
        segment = _existing(project, name)
        count = len(project.members(name))
    return json_response({**_described(project, segment), "members": count})


@router.get(f"{PREFIX}/segments/{{name}}/members", tags=[TAG], dependencies=PERSONAL,
            summary="The members' person ids (JSON or CSV)",
            responses=errors(401, 404, 422, 500, 503))
def segment_members(
    request: Request, name: NameParam,
    format: Annotated[Literal["json", "csv"], Query()] = "json",
) -> Response:
    """``person_id`` of every member, sorted; ``format=csv`` gives a file to download."""
    with access.context(request).store(refresh=False) as project:  # segments are files
        _existing(project, name)
        frame = project.members(name)
    if format == "csv":
        return Response(frame.to_csv(index=False), media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": f'attachment; filename="{name}.csv"'})
    return json_response({"segment": name, "person_ids": frame.person_id.tolist()})


@router.put(f"{PREFIX}/segments/{{name}}", tags=[TAG], dependencies=EDITOR,
            summary="Save a segment (edit permission)",
            responses=errors(400, 401, 403, 422, 500, 503))
def save_segment(request: Request, name: NameParam, rule: Annotated[Rule, Body()]) -> Response:
    """Create or replace the segment ``name`` with this rule."""
    segment = Segment.model_validate({**rule.model_dump(), "name": name})
    with access.context(request).store(refresh=False) as project:  # segments are files
        project.save_segment(segment, replace=True)
        count = len(project.members(name))
    return json_response({**_described(project, segment), "members": count})


@router.delete(f"{PREFIX}/segments/{{name}}", tags=[TAG], dependencies=EDITOR,
               summary="Delete a segment (edit permission)",
               responses=errors(401, 403, 404, 422, 500, 503))
def delete_segment(request: Request, name: NameParam) -> Response:
    """Remove the segment's file."""
    with access.context(request).store(refresh=False) as project:  # segments are files
        _existing(project, name)
        project.delete_segment(name)
    return json_response({"deleted": name})
