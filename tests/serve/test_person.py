"""One person's journey on a real server: ``/api/v1/persons/{id}`` and the search route, the
dashboard's person page behind the log-in, links to it from the analysis pages, and a real
browser (Debian chromium) that searches a demo person and sees the timeline."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import httpx
import pandas as pd
import pytest

from tests.serve.conftest import (
    API_TOKEN,
    ARTIFACTS,
    PASSWORD,
    USER,
    auth_env,
    logged_in,
    start_server,
)
from wegweiser.project import open_project

if TYPE_CHECKING:
    from collections.abc import Iterator

    from tests.serve.conftest import LiveServer

TOKEN = {"Authorization": f"Bearer {API_TOKEN}"}
EMAIL = "Ana.Beispiel@Example.org"
CHROMIUM = Path("/usr/bin/chromium")
#: two remembered personas (a fit's memory, written by hand): social ads vs. the rest
MEMORY = {"version": 1, "min_events": 5, "personas": [
    {"id": 1, "name": "Social scrollers", "name_de": "Social-Scroller",
     "centroid": {"channel:paid_social": 0.8, "channel:direct": 0.2, "device:mobile": 0.9}},
    {"id": 4, "name": "Direct visitors", "name_de": "Direktbesucher",
     "centroid": {"channel:paid_social": 0.1, "channel:direct": 0.8, "device:mobile": 0.3}},
]}


@pytest.fixture(scope="module")
def served(demo_template: Path, tmp_path_factory: pytest.TempPathFactory
           ) -> Iterator[tuple[LiveServer, dict[str, Any]]]:
    """The demo with one person who also has an email trait, a message event and a survey
    comment; ``facts``: their user id, an anonymous id of theirs and the Python API's view."""
    folder = tmp_path_factory.mktemp("person")
    project = folder / "project"
    shutil.copytree(demo_template, project)
    with open_project(project) as p:
        ids = p.identities().to_pyarrow().to_pandas()
        counts = ids.groupby("person_id").size()
        user = str(counts[counts > 1].index[0])
        anon = str(ids[(ids.person_id == user) & (ids.id_kind == "anonymous")].id.iloc[0])
        at = "2026-12-01T10:00:00Z"
        extra = pd.DataFrame([
            {"message_id": "pp-1", "type": "identify", "user_id": user, "timestamp": at,
             "traits": json.dumps({"email": EMAIL})},
            {"message_id": "pp-2", "type": "track", "event": "message_sent", "user_id": user,
             "timestamp": at, "channel": "email",
             "properties": json.dumps({"journey": "welcome", "step": "mail"})},
            {"message_id": "pp-3", "type": "track", "event": "survey_answered",
             "user_id": user, "timestamp": "2026-12-01T10:05:00Z",
             "properties": json.dumps({"survey": "nps", "score": 3,
                                       "comment": "Die Lieferung kam viel zu spät"})},
        ])
        assert p.import_events(extra).quarantined == 0
        journey = p.person(user)
        p.remember_personas(MEMORY)  # as `wegweiser personas` keeps a fit
        by_persona = p.analyse("conversion", by_persona=True).main
        persona = p.person(user).summary["persona_name"].iloc[0]
    facts_personas = dict(zip(by_persona["persona"], by_persona["persons"], strict=True))
    facts = {"user": user, "anon": anon, "journey": journey, "personas": facts_personas,
             "persona": persona}
    server = start_server(project, folder / "server.log", **auth_env())
    yield server, facts
    server.stop()


def test_the_api_gives_one_person_by_any_id(served) -> None:
    server, facts = served
    with httpx.Client(base_url=server.url, timeout=60, headers=TOKEN) as api:
        for any_id in (facts["anon"], EMAIL.upper()):
            answer = api.get(f"/api/v1/persons/{quote(any_id, safe='')}")
            assert answer.status_code == 200, answer.text
            body = answer.json()
            tables = body["tables"]
            assert tables["summary"][0]["person_id"] == facts["user"]
            want = facts["journey"]
            assert [r["message_id"] for r in tables["timeline"]] == list(
                want.timeline["message_id"])
            assert {r["id"] for r in tables["ids"]} == set(want.ids["id"])
            assert [r["journey"] for r in tables["messages"]] == ["welcome"]
            assert [r["score"] for r in tables["feedback"]] == [3.0]
            assert tables["sends"] == []  # no journeys in this project
        missing = api.get("/api/v1/persons/nobody-at-all")
        assert missing.status_code == 404
        assert missing.json()["error"]["code"] == "unknown_person"
        assert "nobody-at-all" in missing.json()["error"]["message"]
        found = api.get("/api/v1/persons", params={"q": EMAIL}).json()["tables"]["persons"]
        assert found == [{"person_id": facts["user"], "matched": EMAIL.lower(),
                          "kind": "email"}]
    assert httpx.get(f"{server.url}/api/v1/persons/{facts['user']}").status_code == 401
    spec = httpx.get(f"{server.url}/api/openapi.json", headers=TOKEN).json()
    assert "/api/v1/persons/{id}" in spec["paths"]
    assert "/api/v1/persons" in spec["paths"]


def test_the_person_page_needs_a_login_and_search_leads_to_it(served) -> None:
    server, facts = served
    anonymous = httpx.get(f"{server.url}/persons/{facts['user']}")
    assert anonymous.status_code == 303
    assert anonymous.headers["location"].startswith("/login")
    with logged_in(server.url) as client:
        found = client.get("/persons", params={"q": facts["anon"]})
        assert found.status_code == 303
        assert found.headers["location"] == f"/persons/{facts['user']}"
        page = client.get(found.headers["location"], params={"lang": "de"})
        assert page.status_code == 200
        assert f'data-person="{facts["user"]}"' in page.text
        assert "Jeder Touchpoint nach Kanal" in page.text
        assert facts["persona"] in {"Social scrollers", "Direct visitors"}
        assert 'data-kpi="persona"' in page.text
        assert f'<div class="kpi-value">{facts["persona"]}</div>' in page.text
        assert 'data-table="feedback"' in page.text
        assert "Die Lieferung kam viel zu spät" in page.text
        chart = re.search(r'<script type="application/json" data-chart="[^"]+">(.*?)</script>',
                          page.text)
        assert chart is not None
        figure = json.loads(chart.group(1))
        drawn = sum(len(trace["x"]) for trace in figure["data"])
        assert drawn == len(facts["journey"].timeline)
        assert client.get("/persons/nobody-at-all").status_code == 404
        none = client.get("/persons", params={"q": "nobody-at-all"})
        assert none.status_code == 200
        assert 'data-testid="person-none"' in none.text
        # a person id in an analysis table links to the person's page
        verbatims = client.get("/analyses/verbatims", params={"contains": "Lieferung"}).text
        assert f'href="/persons/{facts["user"]}"' in verbatims


@pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed")
def test_a_browser_searches_a_person_and_sees_the_timeline(served) -> None:
    from playwright.sync_api import sync_playwright

    server, facts = served
    shots = ARTIFACTS / "screenshots"
    shots.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"])
        context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="en-US",
                                      base_url=server.url)
        context.set_default_timeout(30_000)
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto("/persons")
        page.fill("input[name=username]", USER)
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(re.compile(r".*/persons$"))
        page.fill("[data-testid=person-query]", EMAIL)
        page.click("[data-testid=person-find]")
        page.wait_for_url(re.compile(rf".*/persons/{re.escape(facts['user'])}$"))
        page.wait_for_function(
            "() => [...document.querySelectorAll('.chart')].every(c => c.dataset.drawn === '1')")
        timeline = page.locator("[data-testid=person-timeline] .chart")
        assert timeline.locator(".scatterlayer .point").count() == len(facts["journey"].timeline)
        assert page.locator("[data-kpi=person] .kpi-value").inner_text() == facts["user"]
        page.set_viewport_size({"width": 1280, "height": 1100})
        page.screenshot(path=str(shots / "person-en.png"))
        page.goto("/analyses/verbatims?contains=Lieferung")
        page.locator(f"a[data-person='{facts['user']}']").first.click()
        page.wait_for_url(re.compile(rf".*/persons/{re.escape(facts['user'])}$"))
        assert errors == []
        context.close()
        browser.close()


def test_the_scope_bar_offers_the_personas(served) -> None:
    server, facts = served
    split = facts["personas"]
    assert set(split) == {"Social scrollers", "Direct visitors"}
    with logged_in(server.url) as client:
        page = client.get("/analyses/conversion", params={"lang": "de"}).text
        assert '<select name="persona" data-testid="persona">' in page
        assert '<option value="4" >Direktbesucher</option>' in page
        broken = client.get("/analyses/conversion", params={"by_persona": "on"}).text
        rows = re.findall(r"<tr><td >([^<]+)</td><td class=\"num\">([\d,]+)</td>", broken)
        assert {name: int(n.replace(",", "")) for name, n in rows[:2]} == split
        one = client.get("/analyses/conversion", params={"persona": "4"}).text
        persons = re.search(r'<tr><td class="num">([\d,]+)</td>', one)
        assert persons is not None
        assert int(persons.group(1).replace(",", "")) == split["Direct visitors"]
        assert 'value="4" selected' in one
    with httpx.Client(base_url=server.url, timeout=60, headers=TOKEN) as api:
        answer = api.post("/api/v1/conversion", json={"where": ["persona = direktbesucher"]})
        assert answer.status_code == 200, answer.text
        main = next(iter(answer.json()["tables"].values()))
        assert main[0]["persons"] == split["Direct visitors"]
