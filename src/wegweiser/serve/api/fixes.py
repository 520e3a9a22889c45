"""Watched fixes over the API: list, show, save, delete.

* ``GET /api/v1/fixes`` and ``GET /api/v1/fixes/{name}``: readers;
* ``PUT /api/v1/fixes/{name}`` (the fix as the body: ``date``, ``time``, ``touchpoint``,
  ``where``, ``metric``, ``friction``, ``control``, ``note``) and ``DELETE``: dashboard
  users, as every write.

Whether a fix worked is the analysis ``fix_effects``: ``POST /api/v1/fix-effects`` with
``{"fix": NAME}`` (or ``{}`` for every fix), computed from the current data each time. The
fixes are the project's files ``fixes/<name>.toml`` (:mod:`wegweiser.analysis.fixes`).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Path, Request, Response

from wegweiser.analysis.fixes import Fix, FixSpec
from wegweiser.analysis.result import jsonable
from wegweiser.analysis.segments import NAME_PATTERN
from wegweiser.serve import access
from wegweiser.serve.api.routes import EDITOR, PREFIX, READER, TAG, errors, json_response
from wegweiser.serve.errors import ApiError

router = APIRouter()
NameParam = Annotated[str, Path(pattern=NAME_PATTERN, max_length=64)]


def _described(fix: Fix) -> dict[str, Any]:
    return {**fix.summary(), "definition": jsonable(fix.definition())}


def _existing(project: Any, name: str) -> Fix:
    found = project.fixes()
    if name not in found:
        raise ApiError(404, f"no fix {name!r}; saved: {', '.join(found) or 'none yet'}",
                       code="not_found")
    fix: Fix = found[name]
    return fix


@router.get(f"{PREFIX}/fixes", tags=[TAG], dependencies=READER,
            summary="List the watched fixes", responses=errors(401, 500, 503))
def list_fixes(request: Request) -> Response:
    """Every fix: name, date, time, touchpoint, conditions, metric, note and its definition;
    whether it worked: ``POST /api/v1/fix-effects``."""
    with access.context(request).store(refresh=False) as project:  # fixes are files
        items = [_described(f) for f in project.fixes().values()]
    return json_response({"fixes": items})


@router.get(f"{PREFIX}/fixes/{{name}}", tags=[TAG], dependencies=READER,
            summary="One watched fix", responses=errors(401, 404, 422, 500, 503))
def show_fix(request: Request, name: NameParam) -> Response:
    """The fix's definition."""
    with access.context(request).store(refresh=False) as project:  # fixes are files
        return json_response(_described(_existing(project, name)))


@router.put(f"{PREFIX}/fixes/{{name}}", tags=[TAG], dependencies=EDITOR,
            summary="Save a fix to watch (edit permission)",
            responses=errors(400, 401, 403, 422, 500, 503))
def save_fix(request: Request, name: NameParam,
             body: Annotated[FixSpec, Body()]) -> Response:
    """Create or replace the fix ``name``."""
    fix = Fix.model_validate({**body.model_dump(), "name": name})
    with access.context(request).store(refresh=False) as project:  # fixes are files
        project.save_fix(fix, replace=True)
    return json_response(_described(fix))


@router.delete(f"{PREFIX}/fixes/{{name}}", tags=[TAG], dependencies=EDITOR,
               summary="Delete a fix (edit permission)",
               responses=errors(401, 403, 404, 422, 500, 503))
def delete_fix(request: Request, name: NameParam) -> Response:
    """Remove the fix's file."""
    with access.context(request).store(refresh=False) as project:  # fixes are files
        _existing(project, name)
        project.delete_fix(name)
    return json_response({"deleted": name})
