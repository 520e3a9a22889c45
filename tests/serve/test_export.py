"""Downloads and the scope on the overview and journey map, on a real server: every CSV
link of a page gives the query API's table for the page's options and scope, the JSON link
is the API's answer, annotations show on the overview's trend (issue 20, items 4 and 6)."""

from __future__ import annotations

import csv
import html
import io
import json
import re
import shutil
from typing import TYPE_CHECKING, Any

import pytest

from tests.serve.conftest import auth_env, logged_in, start_server

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    import httpx

    from tests.serve.conftest import LiveServer

HTML = {"Accept": "text/html"}


@pytest.fixture(scope="module")
def served(demo_template: Path, tmp_path_factory: pytest.TempPathFactory
           ) -> Iterator[LiveServer]:
    folder = tmp_path_factory.mktemp("export")
    shutil.copytree(demo_template, folder / "project")
    server = start_server(folder / "project", folder / "server.log", **auth_env())
    yield server
    server.stop()


@pytest.fixture(scope="module")
def client(served: LiveServer) -> Iterator[httpx.Client]:
    with logged_in(served.url) as c:
        yield c


def as_text(value: Any) -> str:
    """A JSON value as the CSV should hold it."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).lower()
    return json.dumps(value) if isinstance(value, dict | list) else str(value)


def assert_same_json(got: Any, want: Any) -> None:
    """Equal JSON, floats within 1e-12 (two runs may sum in another order: the last digit)."""
    if isinstance(want, float):
        assert got == pytest.approx(want, rel=1e-12)
    elif isinstance(want, dict):
        assert isinstance(got, dict)
        assert got.keys() == want.keys()
        for key in want:
            assert_same_json(got[key], want[key])
    elif isinstance(want, list):
        assert isinstance(got, list)
        assert len(got) == len(want)
        for a, b in zip(got, want, strict=True):
            assert_same_json(a, b)
    else:
        assert got == want


def page_links(page: str) -> tuple[dict[str, str], list[dict[str, str]]]:
    """The CSV links by table and the JSON links (method, API URL, body) of a page."""
    tables = {m.group(2): html.unescape(m.group(1)) for m in re.finditer(
        r'href="(/export/[^"]+\.csv\?[^"]+)" download data-testid="csv-([a-z_]+)"', page)}
    calls = [{"href": html.unescape(m.group(1)), "method": m.group(2),
              "path": html.unescape(m.group(3)), "body": html.unescape(m.group(4))}
             for m in re.finditer(r'href="([^"]+)" download data-testid="json-download" '
                                  r'data-api-method="(\w+)" data-api-path="([^"]+)" '
                                  r'data-api-body="([^"]*)"', page)]
    return tables, calls


def api(client: httpx.Client, call: dict[str, str]) -> dict[str, Any]:
    if call["method"] == "POST":
        answer = client.post(call["path"], content=call["body"],
                             headers={"Content-Type": "application/json"})
    else:
        answer = client.get(call["path"])
    assert answer.status_code == 200, answer.text
    return answer.json()


def check_csv_equals_api(client: httpx.Client, link: str, table: str,
                         answer: dict[str, Any]) -> list[list[str]]:
    got = client.get(link)
    assert got.status_code == 200, got.text
    assert got.headers["content-type"].startswith("text/csv")
    assert "attachment" in got.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(got.text)))
    expected = answer["tables"][table]
    assert len(rows) == len(expected) + 1, table
    header = rows[0]
    for row, want in zip(rows[1:], expected, strict=True):
        assert header == list(want)
        for text, c in zip(row, header, strict=True):
            if isinstance(want[c], float):  # two runs may sum in another order: last digit
                assert float(text) == pytest.approx(want[c], rel=1e-12), (table, c)
            else:
                assert text == as_text(want[c]), (table, c)
    return rows


def test_the_csv_of_every_table_of_an_analysis_page_is_the_api_table(client):
    scope = {"period": "week", "since": "2026-09-10", "until": "2026-10-20",
             "where": "device=mobile", "by": "channel"}
    page = client.get("/analyses/trends", params=scope, headers=HTML)
    assert page.status_code == 200
    tables, calls = page_links(page.text)
    assert set(tables) == {"series", "active", "totals", "annotations", "breakdown"}
    (call,) = calls
    assert call["method"] == "POST"
    assert call["path"] == "/api/v1/trends"
    assert json.loads(call["body"]) == {"period": "week", "since": "2026-09-10",
                                        "until": "2026-10-20", "where": ["device=mobile"],
                                        "by": "channel"}
    answer = api(client, call)
    for table in ("series", "breakdown"):  # each file is one run of the analysis
        check_csv_equals_api(client, tables[table], table, answer)
    # the page shows the same rows (the first of them at least) as the file
    assert answer["tables"]["series"][0]["period_start"] in page.text
    # the JSON link without script gives the API's answer as a file
    download = client.get(call["href"])
    assert download.status_code == 200
    assert_same_json(download.json(), answer)


def test_overview_has_the_scope_a_trend_with_annotations_and_downloads(client):
    added = client.post("/api/v1/annotations", json={
        "date": "2026-10-01", "text": "Autumn campaign", "kind": "campaign"})
    assert added.status_code == 200, added.text
    listed = client.get("/api/v1/annotations").json()["annotations"]
    assert {"date": "2026-10-01", "text": "Autumn campaign", "kind": "campaign",
            "source": "file"} in listed
    scope = {"since": "2026-09-15", "until": "2026-10-15", "where": "channel=email"}
    page = client.get("/", params=scope, headers=HTML)
    assert page.status_code == 200
    assert 'data-testid="scope-bar"' in page.text
    assert 'data-testid="overview-trend"' in page.text
    assert "Autumn campaign" in page.text  # the mark's text in the chart's JSON
    tables, calls = page_links(page.text)
    assert set(tables) == {"series", "phases"}
    by_path = {c["path"]: c for c in calls}
    overview = api(client, by_path["/api/v1/overview"])
    trend = api(client, by_path["/api/v1/trends"])
    assert json.loads(by_path["/api/v1/overview"]["body"])["where"] == ["channel=email"]
    check_csv_equals_api(client, tables["phases"], "phases", overview)
    check_csv_equals_api(client, tables["series"], "series", trend)
    # the figures shown are those of the scope: fewer persons than in all data
    everyone = client.post("/api/v1/overview", json={}).json()["tables"]["figures"][0]
    scoped = overview["tables"]["figures"][0]
    assert 0 < scoped["persons"] < everyone["persons"]
    assert scoped["persons"] == trend["tables"]["totals"][0]["persons"]
    shown = re.search(r'data-kpi="persons">\s*<div class="kpi-label">[^<]*</div>\s*'
                      r'<div class="kpi-value">([^<]+)</div>', page.text)
    assert shown is not None
    assert int(shown.group(1).replace(",", "")) == scoped["persons"]
    gone = client.request("DELETE", "/api/v1/annotations",
                          params={"date": "2026-10-01", "text": "Autumn campaign"})
    assert gone.status_code == 200, gone.text
    assert "Autumn campaign" not in client.get("/", headers=HTML).text


def test_journey_map_and_hand_made_pages_download_what_they_show(client):
    page = client.get("/journey-map", params={"where": "device=mobile", "by": "channel"},
                      headers=HTML)
    assert 'data-testid="scope-bar"' in page.text
    tables, (call,) = page_links(page.text)
    answer = api(client, call)
    rows = check_csv_equals_api(client, tables["cells"], "cells", answer)
    everyone = client.post("/api/v1/journey-map", json={"by": "channel"}).json()
    persons = rows[0].index("persons")
    assert sum(int(r[persons]) for r in rows[1:]) < sum(
        r["persons"] for r in everyone["tables"]["cells"])
    for path, table in [("/retention?period=week", "churn"), ("/paths?start=product_view",
                                                              "paths")]:
        page = client.get(path, headers=HTML)
        links, (call,) = page_links(page.text)
        answer = api(client, call)
        check_csv_equals_api(client, links[table], table, answer)
