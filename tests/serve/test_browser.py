"""The dashboard in a real browser (Playwright driving Debian's chromium) against a real
``wegweiser serve``: log-in, the journey map, building a funnel, switching the language and
every page, with a full-page screenshot of each (``test-artifacts/screenshots``).

One server and one browser for the whole module; the tests run in order and share the page.
"""

from __future__ import annotations

import os
import re
import shutil
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
import pytest

from tests.serve.conftest import ARTIFACTS, PASSWORD, USER, auth_env, start_server
from wegweiser import Project
from wegweiser.analysis.funnels import funnel

if TYPE_CHECKING:
    from collections.abc import Iterator

    from tests.serve.conftest import LiveServer

CHROMIUM = Path("/usr/bin/chromium")
pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists() and not os.environ.get("WEGWEISER_REQUIRE_BROWSER"),
    reason="Debian's chromium is not installed at /usr/bin/chromium (CI installs it)",
)

SHOTS = ARTIFACTS / "screenshots"
PAGES = {"overview": "/", "journey-map": "/journey-map", "funnels": "/funnels",
         "paths": "/paths?start=product_view", "attribution": "/attribution",
         "retention": "/retention", "data-quality": "/data-quality", "settings": "/settings"}
FUNNEL = ["product_view", "add_to_cart", "order_completed"]


@pytest.fixture(scope="module")
def project(demo_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo project with two rejected rows (so the data-quality page has content)."""
    folder = tmp_path_factory.mktemp("browser") / "project"
    shutil.copytree(demo_template, folder)
    bad = pd.DataFrame({"type": ["track", "track"], "event": ["", "product_view"],
                        "anonymous_id": ["a-1", "a-2"],
                        "timestamp": ["2026-10-01T10:00:00Z", "yesterday"]})
    with Project(folder) as p:
        p.import_events(bad)
    return folder


@pytest.fixture(scope="module")
def server(project: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    live = start_server(project, tmp_path_factory.mktemp("logs") / "server.log", **auth_env())
    yield live
    live.stop()


@pytest.fixture(scope="module")
def page(server: LiveServer) -> Iterator[Any]:
    """One chromium page (1280 px wide, English browser) for all tests of the module; it
    records console errors in ``page.errors``."""
    from playwright.sync_api import sync_playwright

    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
        )
        context = browser.new_context(viewport={"width": 1280, "height": 800},
                                      locale="en-US", base_url=server.url)
        context.set_default_timeout(30_000)
        tab = context.new_page()
        errors: list[str] = []
        tab.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        tab.on("pageerror", lambda e: errors.append(str(e)))
        tab.errors = errors
        yield tab
        context.close()
        browser.close()


TAKEN: set[str] = set()


def charts_drawn(page: Any) -> None:
    """Wait until every chart of the page is drawn by plotly.js."""
    page.wait_for_function(
        "() => [...document.querySelectorAll('.chart')].every(c => c.dataset.drawn === '1')"
    )


def shot(page: Any, name: str) -> None:
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)
    TAKEN.add(name)


def test_log_in(page: Any, server: LiveServer) -> None:
    page.goto("/journey-map")
    assert "/login" in page.url
    page.fill("input[name=username]", USER)
    page.fill("input[name=password]", "wrong-password")
    page.click("button[type=submit]")
    assert page.locator("[data-testid=login-error]").inner_text() == (
        "User name or password is wrong.")
    shot(page, "login-en")
    assert page.errors == ["Failed to load resource: the server responded with a status of "
                           "401 (Unauthorized)"]  # the refused log-in itself
    page.errors.clear()
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r".*/journey-map$"))
    page.goto("/")
    assert page.locator("h1").inner_text() == "Overview"
    assert page.locator(".user").inner_text() == USER
    assert page.locator("[data-kpi=persons] .kpi-value").inner_text().replace(",", "").isdigit()
    charts_drawn(page)
    shot(page, "overview-en")


def test_journey_map_shows_the_phases(page: Any, project: Path) -> None:
    with Project(project) as p:
        phases = p.config.phase_names
    page.goto("/journey-map")
    grid = page.locator("[data-testid=journey-grid]")
    assert grid.locator("th.phase-head").all_inner_texts() == phases
    assert grid.locator("tbody tr").count() >= 5
    assert grid.locator("td.cell:not(.empty)").count() >= 20
    charts_drawn(page)
    shot(page, "journey-map-en")


def test_build_a_funnel(page: Any, project: Path) -> None:
    page.goto("/funnels")
    steps = page.locator(".step-list input[name=step]")
    assert steps.count() == 2
    steps.nth(0).fill(FUNNEL[0])
    steps.nth(1).fill(FUNNEL[2])
    page.click("#add-step")  # a third step, moved up between the two
    steps.nth(2).fill(FUNNEL[1])
    page.locator(".step-row").nth(2).locator("button[data-op=up]").click()
    page.click("#add-step")  # and one too many, removed again
    assert steps.count() == 4
    page.locator(".step-row").nth(3).locator("button[data-op=remove]").click()
    assert [steps.nth(k).input_value() for k in range(steps.count())] == FUNNEL
    page.click("#run-funnel")
    page.wait_for_selector("[data-testid=funnel-steps]")
    assert "step=product_view&step=add_to_cart&step=order_completed" in page.url
    cells = page.locator("[data-testid=funnel-steps] td[data-units]")
    shown = [int(v) for v in (cells.nth(k).get_attribute("data-units")
                              for k in range(cells.count())) if v is not None]
    with Project(project) as p:
        window = timedelta(days=p.config.windows.conversion_days)
        expected = funnel(p.journey(), FUNNEL, window=window)
    assert shown == expected.steps["units"].tolist()
    assert page.locator("[data-kpi=entered] .kpi-value").inner_text() == f"{shown[0]:,}"
    charts_drawn(page)
    shot(page, "funnels-en")


def test_switch_language(page: Any) -> None:
    page.goto("/")
    page.click(".lang-switch a[data-lang=de]")
    page.wait_for_url(re.compile(r".*lang=de"))
    assert page.locator("h1").inner_text() == "Übersicht"
    assert "Einstellungen" in page.locator(".sidebar nav").inner_text()
    assert page.locator("[data-kpi=persons] .kpi-label").inner_text().upper() == "PERSONEN"
    page.goto("/funnels")  # the choice is remembered
    assert page.locator("h1").inner_text() == "Funnels"
    assert page.locator("#run-funnel").inner_text() == "Funnel berechnen"
    page.goto("/")
    charts_drawn(page)
    shot(page, "overview-de")
    page.click(".lang-switch a[data-lang=en]")
    page.wait_for_url(re.compile(r".*lang=en"))
    assert page.locator("h1").inner_text() == "Overview"


@pytest.mark.parametrize("lang", ["en", "de"])
def test_every_page(page: Any, lang: str) -> None:
    for name, path in PAGES.items():
        if f"{name}-{lang}" in TAKEN:
            continue  # shot by an earlier test of this module
        page.goto(path + ("&" if "?" in path else "?") + f"lang={lang}")
        assert page.locator("html").get_attribute("lang") == lang
        assert page.locator(".sidebar nav a.active").count() == 1, name
        charts_drawn(page)
        shot(page, f"{name}-{lang}")
    assert page.errors == []


def test_api_docs_work_offline(page: Any, server: LiveServer) -> None:
    """Issue 20 item 8: /api/docs loaded Swagger UI from a CDN, so it was blank offline.
    Here every request that leaves the server is refused, and the page still lists the
    operations of the spec."""
    import httpx

    outside: list[str] = []

    def only_local(route: Any) -> None:
        if route.request.url.startswith(server.url):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    page.context.route("**/*", only_local)
    try:
        page.goto("/api/docs")
        page.wait_for_selector(".opblock", timeout=30_000)
        spec = httpx.get(f"{server.url}/api/openapi.json", timeout=30).json()
        operations = sum(
            1 for item in spec["paths"].values() for method in item
            if method in ("get", "post", "put", "delete", "patch")
        )
        assert page.locator(".opblock").count() == operations
        assert page.locator(".opblock-summary-path", has_text="/api/v1/funnel").count() >= 1
        shot(page, "api-docs")
    finally:
        page.context.unroute("**/*", only_local)
    assert outside == []


def test_date_picker_and_a_segment_as_breakdown(page: Any, project: Path) -> None:
    """Pick a period with the date inputs, break KPIs down by two saved segments, compare
    with the previous period: the numbers are the Python API's, the choice stays in the URL."""
    from wegweiser.analysis.result import to_value
    from wegweiser.analysis.segments import Segment

    with Project(project) as p:
        p.save_segment(Segment(name="buyers", did=["order_completed"]), replace=True)
        p.save_segment(Segment(name="mobile", where=["device=mobile"]), replace=True)
        first = to_value(p.journey().timestamp.min())
        since = (first + timedelta(days=10)).date().isoformat()
        until = (first + timedelta(days=40)).date().isoformat()
        expected = p.analyse("kpis", since=since, until=until, by_segment=["buyers", "mobile"])
        compared = p.analyse("kpis", since=since, until=until, compare_previous=True)
    page.goto("/analyses/kpis")
    page.fill("[data-testid=since]", since)
    page.fill("[data-testid=until]", until)
    page.fill("[data-testid=by-segment]", "buyers,mobile")
    page.click("[data-testid=analysis-run]")
    page.wait_for_selector("table[data-table=kpis]")
    assert f"since={since}" in page.url
    assert f"until={until}" in page.url
    assert "by_segment=buyers%2Cmobile" in page.url
    assert page.locator("[data-testid=since]").input_value() == since  # kept after the run
    rows = page.locator("table[data-table=kpis] tbody tr")
    assert rows.count() == 2
    frame = expected.tables()["kpis"]
    for k in range(2):
        cells = rows.nth(k).locator("td").all_inner_texts()
        assert cells[0] == frame.segment.iloc[k]
        assert cells[1].replace(",", "") == str(int(frame.purchasers.iloc[k]))
    shot(page, "kpis-by-segment")
    page.check("[data-testid=compare]")
    page.fill("[data-testid=by-segment]", "")
    page.click("[data-testid=analysis-run]")
    page.wait_for_selector("table[data-table=comparison]")
    assert "compare_previous=on" in page.url
    table = page.locator("table[data-table=comparison] tbody tr").first.locator("td")
    got = table.all_inner_texts()
    row = compared.tables()["comparison"].iloc[0]
    assert got[0] == row.metric
    assert got[1].replace(",", "") == str(int(row.current))
    assert got[2].replace(",", "") == str(int(row.previous))
    shot(page, "kpis-compare")
    assert page.errors == []


def test_segments_page_creates_and_deletes(page: Any, project: Path) -> None:
    page.goto("/segments")
    form = page.locator("[data-testid=segment-form]")
    form.locator("input[name=name]").fill("mobile-buyers")
    form.locator("input[name=did]").fill("order_completed")
    form.locator("textarea[name=where]").fill("device=mobile\nproperty:\"a.b\" is not set")
    page.click("[data-testid=segment-save]")
    row = page.locator("tr[data-segment=mobile-buyers]")
    row.wait_for()
    with Project(project) as p:
        expected = len(p.members("mobile-buyers"))
    assert expected > 0
    assert row.locator("td[data-members]").get_attribute("data-members") == str(expected)
    shot(page, "segments")
    page.once("dialog", lambda dialog: dialog.accept())
    row.locator("button.danger").click()
    page.wait_for_selector("tr[data-segment=mobile-buyers]", state="detached")
    with Project(project) as p:
        assert "mobile-buyers" not in p.segments()
    assert page.errors == []


def test_downloads_csv_json_and_images(page: Any, project: Path) -> None:
    """Issue 20 item 6: a table's CSV link, the JSON link (the API call) and a chart's PNG
    and SVG buttons each save a file; the CSV and JSON hold the Python API's numbers for the
    page's options and scope."""
    import csv
    import io
    import json

    with Project(project) as p:
        expected = p.analyse("trends", period="week", where=["device=mobile"])
    # English: the modebar buttons are found by their English titles (an earlier test of the
    # module switches the session to German)
    page.goto("/analyses/trends?period=week&where=device%3Dmobile&lang=en")
    charts_drawn(page)
    with page.expect_download() as saved:
        page.click("[data-testid=csv-series]")
    assert saved.value.suggested_filename == "trends-series.csv"
    rows = list(csv.DictReader(io.StringIO(Path(saved.value.path()).read_text("utf-8"))))
    series = expected.series
    assert [r["period_start"] for r in rows] == [d.isoformat() for d in series.period_start]
    assert [int(r["events"]) for r in rows] == series.events.tolist()
    assert [int(r["persons"]) for r in rows] == series.persons.tolist()
    with page.expect_download() as saved:
        page.click("[data-testid=json-download]")
    answer = json.loads(Path(saved.value.path()).read_text("utf-8"))
    assert answer["analysis"] == "trends"
    assert answer["params"]["where"] == ["device=mobile"]
    assert [r["events"] for r in answer["tables"]["series"]] == series.events.tolist()
    chart = page.locator(".chart").first
    chart.hover()
    with page.expect_download() as saved:
        chart.locator(".modebar-btn[data-title='Download as SVG']").click()
    assert Path(saved.value.path()).read_bytes().lstrip().startswith(b"<svg")
    chart.hover()
    with page.expect_download() as saved:
        chart.locator(".modebar-btn[data-title='Download plot as a PNG']").click()
    assert Path(saved.value.path()).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert saved.value.suggested_filename.endswith(".png")
    page.goto("/?period=week")
    charts_drawn(page)
    shot(page, "overview-trend-en")
    assert page.errors == []


def test_a_journey_page_draws_its_flow(page: Any, project: Path) -> None:
    from wegweiser.orchestrate.playbook import write_playbook

    write_playbook(project)  # the server reads journeys/ at each request
    page.goto("/journeys?lang=en")
    page.click("a[data-testid=journey-link][href='/journeys/purchase']", timeout=120_000)
    page.wait_for_url(re.compile(r".*/journeys/purchase"), timeout=300_000)
    flow = page.locator("[data-testid=flow] svg.journey-flow")
    flow.wait_for(state="visible", timeout=300_000)
    box = flow.bounding_box()
    assert box is not None
    assert box["width"] > 300
    assert box["height"] > 300
    steps = page.locator("svg.journey-flow g.node").evaluate_all(
        "nodes => nodes.map(n => n.dataset.step)")
    assert steps == ["<entry>", "thank_you", "shipped", "tracking", "settle", "next_order",
                     "<end>", "<exited>"]
    assert page.locator("[data-testid=simulated]").is_visible()  # never ran: a dry run
    first = page.locator("svg.journey-flow g.edge text.count").first.text_content() or ""
    assert int(first.replace(",", "")) > 0  # the entrants of the dry run
    shot(page, "journey-purchase-en")
    assert page.errors == []


def test_pause_and_resume_a_journey_with_its_buttons(page: Any, project: Path) -> None:
    """The journeys page's buttons (an admin: the module's user has no role) pause and
    resume a journey; the query API, the page and the audit log agree."""
    from wegweiser import audit
    from wegweiser.orchestrate.playbook import write_playbook

    if not (project / "journeys" / "purchase.toml").exists():  # run without the test above
        write_playbook(project)

    def paused() -> bool:
        answer = page.request.get("/api/v1/journeys")
        assert answer.ok, answer.text()
        rows = answer.json()["tables"]["journeys"]
        return [bool(r["paused"]) for r in rows if r["journey"] == "purchase"] == [True]

    assert not paused()  # the playbook, never paused
    page.goto("/journeys?lang=en")
    for action, after in (("pause", True), ("resume", False)):
        button = page.locator(f"[data-testid=journey-{action}][data-journey=purchase]")
        with page.expect_navigation(timeout=120_000):
            button.click()
        assert page.url.endswith("/journeys")
        note = page.locator(".banner.ok").first.inner_text()
        assert ("paused" if after else "resumed") in note
        assert paused() is after
        # the other button now stands in the row of the journey
        other = "resume" if after else "pause"
        assert page.locator(f"[data-testid=journey-{other}][data-journey=purchase]").count() == 1
        if after:
            shot(page, "journeys-paused-en")
    changes = [e.action for e in audit.read(project, action="journey_*", target="purchase")]
    assert changes[-2:] == ["journey_pause", "journey_resume"]
    assert page.errors == []


def test_settle_an_unknown_message_with_its_button(page: Any, project: Path) -> None:
    """An ``unknown`` row of the journeys page: a reason typed in, *Arrived* clicked; the
    banner, the ledger and the audit log say so, and the row is gone from the list."""
    from wegweiser import audit
    from wegweiser.orchestrate import ledger
    from wegweiser.orchestrate.assembly import state_target
    from wegweiser.orchestrate.state import open_state

    key = "purchase:browser-person:1|thanks|email"
    with open_state(state_target(project), project_dir=project) as store, \
            store.transaction() as tx:
        ledger.start(tx, ledger.Intent(key=key, run_id="purchase:browser-person:1",
                                       journey="purchase", step="thanks", channel="email",
                                       person_id="browser-person"),
                     worker="dead", lease_until=5.0, now=1.0)
        ledger.recover(tx, key, idempotent=False, now=6.0)
    page.goto("/journeys?lang=en")
    form = page.locator("[data-testid=settle-form]", has=page.locator(f"input[value='{key}']"))
    assert form.count() == 1
    assert key in page.locator("[data-testid=settle-command]").inner_text()
    form.locator("input[name=reason]").fill("seen in the MTA log")
    with page.expect_navigation(timeout=120_000):
        form.locator("[data-testid=settle-sent]").click()
    assert page.url.endswith("/journeys")
    assert f"{key}: unknown → sent" in page.locator(".banner.ok").first.inner_text()
    assert page.locator(f"[data-testid=settle-form] input[value='{key}']").count() == 0
    answer = page.request.get("/api/v1/journeys/ledger", params={"state": "sent"})
    assert key in {r["key"] for r in answer.json()["tables"]["ledger"]}
    (entry,) = audit.read(project, action="journey_settle", target=key)
    assert entry.detail["reason"] == "seen in the MTA log"
    assert entry.surface == "dashboard"
    assert page.errors == []
