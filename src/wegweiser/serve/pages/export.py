"""Downloads of what a dashboard page shows: each table as CSV and the page's analysis as
JSON, exactly as the query API answers it (``/export/<name>.csv``, ``/export/<name>.json``).

A page knows which API call gives its numbers: the analysis (or store read-out) ``name``
of :mod:`wegweiser.serve.api.queries` and its ``body``, the options of the page with the
scope in effect. :func:`links` turns that into the links of the page (``Export``): a CSV
link per table, a JSON link, and the API call itself (``POST /api/v1/<path>`` with that
body; ``static/app.js`` makes the JSON link that very request and saves its answer).

* ``GET /export/<name>.csv?table=<t>&body=<JSON>``: the table ``t`` of the API's answer to
  ``body``, all rows (the page may show fewer), one column per field, values as the API
  gives them: numbers as numbers, times in ISO 8601, NULL empty, flags ``true``/``false``.
* ``GET /export/<name>.json?body=<JSON>``: the API's answer, as a file.

Roles that may see personal data only (``require("personal")``: downloads hold rows);
each download is in the audit log. Charts download as PNG or SVG from their own toolbar
(``static/app.js``, Plotly's ``toImage``).
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any
from urllib.parse import urlencode

import orjson
from fastapi import APIRouter, Depends, Query, Request, Response

from wegweiser.serve.access import actor, context, require
from wegweiser.serve.errors import ApiError
from wegweiser.serve.pages import _data
from wegweiser.serve.pages._web import page_user

if TYPE_CHECKING:
    from collections.abc import Mapping

router = APIRouter(include_in_schema=False,
                   dependencies=[Depends(page_user), Depends(require("personal"))])

MAX_BODY = 20_000
_NAME = re.compile(r"^[a-z][a-z0-9_]{0,63}$")


@dataclass(frozen=True)
class Export:
    """The downloads of one page: the API call ``method path`` with ``body``."""

    name: str
    body: dict[str, Any]
    method: str
    path: str

    @property
    def body_json(self) -> str:
        return json.dumps(self.body, ensure_ascii=False, sort_keys=True, separators=(",", ":"))

    def csv(self, table: str) -> str:
        """The link to the CSV of ``table``."""
        return f"/export/{self.name}.csv?" + urlencode({"table": table, "body": self.body_json})

    @property
    def json(self) -> str:
        return f"/export/{self.name}.json?" + urlencode({"body": self.body_json})

    @property
    def api_url(self) -> str:
        """The API's URL: its path, and for a ``GET`` the body as query parameters."""
        if self.method == "POST" or not self.body:
            return self.path
        pairs = [(k, v if isinstance(v, str) else json.dumps(v)) for k, v in self.body.items()]
        return self.path + "?" + urlencode(pairs)


def links(name: str, body: Mapping[str, Any]) -> Export:
    """The downloads of a page whose numbers are the API's ``name`` with ``body`` (None
    values are left out: the API's defaults)."""
    from wegweiser.analysis.result import jsonable
    from wegweiser.serve.api.queries import ANALYSES

    entry = ANALYSES[name]
    clean = {k: jsonable(v) for k, v in body.items() if v is not None and v != [] and v != ""}
    return Export(name, clean, entry.method, "/api/v1" + entry.path)


def _body(name: str, body: str) -> dict[str, Any]:
    if not _NAME.match(name):
        raise ApiError(404, f"no analysis {name!r}", code="not_found")
    try:
        parsed = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise ApiError(400, f"body is not JSON ({exc}); it is the API's request body",
                       code="bad_request") from None
    if not isinstance(parsed, dict):
        raise ApiError(400, "body must be a JSON object (the API's request body)",
                       code="bad_request")
    return parsed


def cell(value: Any) -> str:
    """A JSON value of the API as CSV text (NULL empty, flags true/false).

    >>> [cell(v) for v in (None, True, 2, 0.5, "a,b")]
    ['', 'true', '2', '0.5', 'a,b']
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


BodyParam = Annotated[str, Query(max_length=MAX_BODY)]


@router.get("/export/{name}.csv")
def export_csv(request: Request, name: str, table: Annotated[str, Query(max_length=64)],
               body: BodyParam = "{}") -> Response:
    columns, rows = context(request).query(_data.export_table, name, _body(name, body), table)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([cell(row.get(c)) for c in columns])
    actor(request, "export", target=name, detail={"format": "csv", "table": table})
    filename = f"{name}-{table}.csv"
    return Response(out.getvalue(), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


@router.get("/export/{name}.json")
def export_json(request: Request, name: str, body: BodyParam = "{}") -> Response:
    from wegweiser.serve.api.queries import run_json

    payload = context(request).query(run_json, name, _body(name, body))
    actor(request, "export", target=name, detail={"format": "json"})
    return Response(orjson.dumps(payload), media_type="application/json",
                    headers={"Content-Disposition": f'attachment; filename="{name}.json"'})
