"""Annotations over the API: the marked dates of the trend charts.

* ``GET /api/v1/annotations``: every annotation (readers);
* ``POST /api/v1/annotations`` (``date``, ``text``, ``kind``) and
  ``DELETE /api/v1/annotations?date=...&text=...``: dashboard users, as every write.

They are the project's file ``annotations.toml`` (:mod:`wegweiser.analysis.annotations`);
the ``trends`` analysis returns those within its periods.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Query, Request, Response

from wegweiser.analysis.annotations import Annotation
from wegweiser.serve import access
from wegweiser.serve.api.routes import EDITOR, PREFIX, READER, TAG, errors, json_response

router = APIRouter()


def _row(a: Annotation) -> dict[str, Any]:
    return {"date": a.date.isoformat(), "text": a.text, "kind": a.kind, "source": a.source}


@router.get(f"{PREFIX}/annotations", tags=[TAG], dependencies=READER,
            summary="List the annotations (marked dates)", responses=errors(401, 500, 503))
def list_annotations(request: Request) -> Response:
    """Every annotation, sorted by date: date, text, kind and source."""
    with access.context(request).store(refresh=False) as project:  # annotations are a file
        items = [_row(a) for a in project.annotations()]
    return json_response({"annotations": items})


@router.post(f"{PREFIX}/annotations", tags=[TAG], dependencies=EDITOR,
             summary="Add an annotation (edit permission)",
             responses=errors(400, 401, 403, 422, 500, 503))
def add_annotation(request: Request, annotation: Annotated[Annotation, Body()]) -> Response:
    """Mark a date (``date``, ``text``, ``kind``) in ``annotations.toml``."""
    with access.context(request).store(refresh=False) as project:
        project.add_annotation(annotation)
    return json_response({"added": _row(annotation)})


@router.delete(f"{PREFIX}/annotations", tags=[TAG], dependencies=EDITOR,
               summary="Delete annotations of a day (edit permission)",
               responses=errors(400, 401, 403, 422, 500, 503))
def delete_annotation(
    request: Request,
    date: Annotated[str, Query(max_length=10, pattern=r"^\d{4}-\d{2}-\d{2}$")],
    text: Annotated[str | None, Query(max_length=200)] = None,
) -> Response:
    """Remove the annotations of ``date`` (with ``text``: only that one)."""
    with access.context(request).store(refresh=False) as project:
        gone = project.delete_annotation(date, text)
    return json_response({"deleted": [_row(a) for a in gone]})
