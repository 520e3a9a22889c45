"""Filters, date ranges and segments through the query API and the dashboard, on a real
server: keys with dots, quotes and backslashes give the right numbers and never a 500
(issue 13, item 5); segments are listed, saved, exported and deleted; fixes are saved,
checked and shown (issue 17, item 6)."""

from __future__ import annotations

import json
import re
import shutil
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING
from urllib.parse import urlencode

import httpx
import pandas as pd
import pytest
from markupsafe import escape

from tests.serve.conftest import API_TOKEN, auth_env, logged_in, start_server
from wegweiser.project import open_project

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from tests.serve.conftest import LiveServer

TOKEN = {"Authorization": f"Bearer {API_TOKEN}"}
T0 = datetime(2020, 1, 6, 12, tzinfo=UTC)
KEYS = ["a.b", "it's", 'q"x', "back\\slash", "sl/ash", "t~x", "a b", "$.a", "[0]"]


def odd_events() -> pd.DataFrame:
    """Ten persons kw0..kw9 start (kw_start) with every odd key set to "x" (odd i) or "y";
    kw0..kw5 finish (kw_done) a minute later. ``a`` is an object with ``b`` inside, so that
    reading ``a.b`` as a path would find "nested" instead."""
    rows = []
    for i in range(10):
        props = {key: "x" if i % 2 else "y" for key in KEYS} | {"a": {"b": "nested"}}
        rows.append({"message_id": f"kw-s{i}", "type": "track", "event": "kw_start",
                     "user_id": f"kw{i}", "timestamp": (T0 + timedelta(days=i)).isoformat(),
                     "properties": json.dumps(props), "country": "DE" if i < 5 else "AT"})
        if i < 6:
            rows.append({"message_id": f"kw-d{i}", "type": "track", "event": "kw_done",
                         "user_id": f"kw{i}", "properties": "{}", "country": "DE",
                         "timestamp": (T0 + timedelta(days=i, minutes=1)).isoformat()})
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def served(demo_template: Path, tmp_path_factory: pytest.TempPathFactory
           ) -> Iterator[LiveServer]:
    folder = tmp_path_factory.mktemp("explore")
    project = folder / "project"
    shutil.copytree(demo_template, project)
    with open_project(project) as p:
        assert p.import_events(odd_events()).quarantined == 0
    server = start_server(project, folder / "server.log", **auth_env())
    yield server
    server.stop()


@pytest.fixture(scope="module")
def client(served: LiveServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=served.url, timeout=120, headers=TOKEN) as c:
        yield c


def units(response: httpx.Response) -> list[int]:
    assert response.status_code == 200, response.text
    return [row["units"] for row in response.json()["tables"]["steps"]]


def quoted(key: str) -> str:
    return '"' + key.replace("\\", "\\\\").replace('"', '\\"') + '"'


@pytest.mark.parametrize("key", KEYS)
def test_odd_keys_through_the_api(client: httpx.Client, key: str) -> None:
    steps = ["kw_start", "kw_done"]
    # on the whole journey: kw_done has no such property, so no one finishes
    odd = {"steps": steps, "where": [f"property:{quoted(key)}=x"]}
    assert units(client.post("/api/v1/funnel", json=odd)) == [5, 0]
    # on step 1 only: kw1, kw3, kw5 (odd, "x") finish
    on_step = {"steps": steps, "where": [f"step1:property:{quoted(key)}=x"]}
    assert units(client.post("/api/v1/funnel", json=on_step)) == [5, 3]
    as_object = {"steps": steps, "where": [{"field": "property", "key": key, "value": "y",
                                            "step": 1}]}
    assert units(client.post("/api/v1/funnel", json=as_object)) == [5, 3]  # kw0, 2, 4
    negated = {"steps": steps, "where": [f"step1:property:{quoted(key)} != x"]}
    assert units(client.post("/api/v1/funnel", json=negated)) == [5, 3]
    split = client.post("/api/v1/funnel", json={"steps": steps, "breakdown": f"property:{key}"})
    assert split.status_code == 200, split.text
    rows = {(r["value"], r["step"]): r["units"] for r in split.json()["tables"]["breakdown"]}
    assert rows == {("x", 1): 5, ("x", 2): 3, ("y", 1): 5, ("y", 2): 3}


def test_a_dotted_key_is_not_a_path(client: httpx.Client) -> None:
    nested = {"steps": ["kw_start", "kw_done"], "where": ["step1:property:a.b=nested"]}
    response = client.post("/api/v1/funnel", json=nested)
    assert response.status_code == 200, response.text
    assert units(response) == [0, 0]


BAD_VALUES = ['property:"', "property:\\", 'property:a"b=1', "x'); drop table events; --",
              "trait:'=1", 'trait:"a\\\\"b"=1', "country in ,", "revenue > ' or 1=1",
              "property:" + "k" * 300 + "=1", "\u0000=1", "country=\u0000", "step99:x=1",
              "property:$..*=1", "property:a[0]=1", "country =", ""]


@pytest.mark.parametrize("text", BAD_VALUES)
def test_no_filter_text_gives_a_500(client: httpx.Client, text: str) -> None:
    for route, body in (("/api/v1/funnel", {"steps": ["kw_start", "kw_done"]}),
                        ("/api/v1/kpis", {}), ("/api/v1/paths", {})):
        response = client.post(route, json={**body, "where": [text]})
        assert response.status_code in (200, 400, 422), (route, text, response.text)
        assert response.json().get("error", {}).get("status") != 500
    for breakdown in (text, f"property:{text}", f"trait:{text}"):
        response = client.post("/api/v1/funnel", json={"steps": ["kw_start", "kw_done"],
                                                       "breakdown": breakdown})
        assert response.status_code in (200, 400, 422), (breakdown, response.text)


def test_date_range_and_comparison_through_the_api(client: httpx.Client) -> None:
    body = {"steps": ["kw_start", "kw_done"], "since": "2020-01-06", "until": "2020-01-08"}
    assert units(client.post("/api/v1/funnel", json=body)) == [3, 3]  # days 0, 1, 2
    body = {**body, "compare_previous": True}
    response = client.post("/api/v1/funnel", json=body)
    assert response.status_code == 200, response.text
    comparison = response.json()["tables"]["comparison"]
    first = next(r for r in comparison if r["step"] == 1 and r["metric"] == "units")
    assert (first["current"], first["previous"], first["change"]) == (3, 0, 3)
    bad = client.post("/api/v1/kpis", json={"since": "2020-02-30"})
    assert bad.status_code in (400, 422)
    assert "since" in bad.text


def test_segments_through_the_api(served: LiveServer, client: httpx.Client) -> None:
    rule = {"did": ["kw_start"], "did_not": ["kw_done"], "description": "started, not done"}
    denied = client.put("/api/v1/segments/kw-open", json=rule)
    assert denied.status_code == 403, denied.text  # API tokens only read
    with logged_in(served.url) as session:
        saved = session.put("/api/v1/segments/kw-open", json=rule)
        assert saved.status_code == 200, saved.text
        assert saved.json()["members"] == 4  # kw6..kw9
        odd = {"where": [{"field": "property", "key": 'q"x', "value": "x"}]}
        assert session.put("/api/v1/segments/kw-odd", json=odd).json()["members"] == 5
        bad = session.put("/api/v1/segments/kw-bad", json={"did": []})
        assert bad.status_code in (400, 422), bad.text
    listed = client.get("/api/v1/segments").json()["segments"]
    assert [s["name"] for s in listed] == ["kw-odd", "kw-open"]
    members = client.get("/api/v1/segments/kw-open/members", params={"format": "csv"})
    assert members.text.split() == ["person_id", "kw6", "kw7", "kw8", "kw9"]
    split = client.post("/api/v1/funnel", json={"steps": ["kw_start", "kw_done"],
                                                "by_segment": ["kw-odd", "kw-open"]})
    steps = split.json()["tables"]["steps"]
    assert [(r["segment"], r["units"]) for r in steps] == [
        ("kw-odd", 5), ("kw-odd", 3), ("kw-open", 4), ("kw-open", 0)]
    only = client.post("/api/v1/funnel", json={"steps": ["kw_start", "kw_done"],
                                               "segment": "kw-odd"})
    assert units(only) == [5, 3]
    assert client.get("/api/v1/segments/nope").status_code == 404
    assert client.post("/api/v1/kpis", json={"segment": "nope"}).status_code == 400
    with logged_in(served.url) as session:
        assert session.delete("/api/v1/segments/kw-odd").status_code == 200
    assert [s["name"] for s in client.get("/api/v1/segments").json()["segments"]] == ["kw-open"]


def page_units(text: str) -> list[int]:
    return [int(u) for u in re.findall(r'data-units="(\d+)"', text)]


@pytest.mark.parametrize("key", KEYS)
def test_odd_keys_on_the_funnels_page(served: LiveServer, key: str) -> None:
    query = urlencode([("step", "kw_start"), ("step", "kw_done"),
                       ("where", f"step1:property:{quoted(key)}=x"),
                       ("breakdown", f"property:{key}")])
    with logged_in(served.url) as s:
        page = s.get("/funnels?" + query)
    assert page.status_code == 200, page.text
    assert page_units(page.text) == [5, 3]
    assert "alert error" not in page.text


@pytest.mark.parametrize("text", BAD_VALUES)
def test_no_filter_text_breaks_the_pages(served: LiveServer, text: str) -> None:
    with logged_in(served.url) as s:
        for path in ("/funnels?" + urlencode([("step", "kw_start"), ("step", "kw_done"),
                                              ("where", text), ("breakdown", text)]),
                     "/analyses/kpis?" + urlencode([("where", text), ("since", text)])):
            page = s.get(path)
            assert page.status_code == 200, (path, page.text[:500])
            # the filter stays in the form, as typed (escaped)
            assert str(escape(text.strip()[:20])) in page.text


@pytest.mark.parametrize("page", ["/paths", "/attribution", "/retention"])
def test_the_scope_bar_on_the_hand_made_pages(served: LiveServer, page: str) -> None:
    """Period, filter and segment reach the analysis behind each page; a bad filter is an
    error on the page, not a 500."""
    with logged_in(served.url) as s:
        plain = s.get(page)
        scoped = s.get(page + "?" + urlencode([("since", "2020-01-06"), ("until", "2020-01-20"),
                                               ("where", "event contains kw")]))
        broken = s.get(page + "?" + urlencode([("where", "plan=pro")]))
    assert plain.status_code == scoped.status_code == broken.status_code == 200
    assert 'data-testid="scope-bar"' in scoped.text
    assert 'value="2020-01-06"' in scoped.text
    assert scoped.text != plain.text
    assert "unknown field" in broken.text


FIX = {"date": "2026-10-16", "touchpoint": "mobile payment",
       "where": ["event=checkout_payment", "device=mobile"],
       "friction": ["event=payment_error"], "note": "new provider"}


def test_fixes_through_the_api_and_the_page(served: LiveServer, client: httpx.Client) -> None:
    """Watched fixes: saved by a dashboard user (API tokens only read), listed, checked
    (``POST /api/v1/fix-effects``), shown on the fixes page with the verdict and the fix date
    marked, deleted."""
    denied = client.put("/api/v1/fixes/mobile-payment", json=FIX)
    assert denied.status_code == 403, denied.text  # API tokens only read
    with logged_in(served.url) as session:
        saved = session.put("/api/v1/fixes/mobile-payment", json=FIX)
        assert saved.status_code == 200, saved.text
        assert saved.json()["definition"]["friction"] == ["event=payment_error"]
        bad = session.put("/api/v1/fixes/bad", json={**FIX, "where": ["devise=x"]})
        assert bad.status_code in (400, 422), bad.text
        assert "devise" in bad.text
        page = session.get("/fixes")
        assert page.status_code == 200, page.text
        assert "mobile payment" in page.text
        assert "2026-10-16" in page.text  # the fix date, marked on the chart
        assert 'data-why="' in page.text  # which method decided, and why
        assert "decided:" in page.text
        german = session.get("/fixes", params={"lang": "de"}).text
        assert "entschieden hat die" in german
        assert "Am Kontaktpunkt" in german
        assert "Korrektur 2026-10-16" in german
        token = re.search(r'name="csrf" value="([^"]+)"', page.text)
        assert token is not None
        form = {"csrf": token.group(1), "name": "form-fix", "date": "2026-10-10",
                "touchpoint": "cart", "where": "event=add_to_cart", "metric": "conversion"}
        added = session.post("/fixes", data=form, follow_redirects=False)
        assert added.status_code == 303, added.text[:500]
        wrong = session.post("/fixes", data={**form, "where": "devise=x"})
        assert wrong.status_code == 400
        assert "devise" in wrong.text
        gone = session.post("/fixes/form-fix/delete", data={"csrf": token.group(1)},
                            follow_redirects=False)
        assert gone.status_code == 303
    listed = client.get("/api/v1/fixes").json()["fixes"]
    assert [f["name"] for f in listed] == ["demo-pay", "mobile-payment"]  # demo-pay: conftest
    assert client.get("/api/v1/fixes/nope").status_code == 404
    checked = client.post("/api/v1/fix-effects", json={"fix": "mobile-payment"})
    assert checked.status_code == 200, checked.text
    (row,) = checked.json()["tables"]["fixes"]
    assert row["verdict"] in ("worked", "none", "worse")  # 45 days before, 15 after
    assert 0.2 < row["rate_before"] < 0.6  # the demo's mobile payment errors (40%)
    assert row["low"] <= row["effect"] <= row["high"]
    assert row["method"] in ("did", "its")
    assert any("mobile-payment: " in n and "decided" in n
               for n in checked.json()["notes"])
    with logged_in(served.url) as session:
        assert session.delete("/api/v1/fixes/mobile-payment").status_code == 200
    assert [f["name"] for f in client.get("/api/v1/fixes").json()["fixes"]] == ["demo-pay"]
