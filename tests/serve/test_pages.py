"""The dashboard over HTTP, against a real ``wegweiser serve``: log-in, every page in both
languages, the funnel builder's links, CSRF, data quality and the phase settings."""

from __future__ import annotations

import contextlib
import html
import json
import re
import shutil
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlsplit

import httpx
import pandas as pd
import pytest

from tests.serve.conftest import PASSWORD, USER, auth_env, start_server
from wegweiser import Project
from wegweiser.analysis.funnels import funnel
from wegweiser.present.theme import PALETTE

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from tests.serve.conftest import LiveServer

PAGES = ["/", "/journey-map", "/funnels", "/paths", "/attribution", "/retention",
         "/data-quality", "/settings"]
TITLES = {"en": ["Overview", "Journey map", "Funnels", "Paths", "Attribution", "Retention",
                 "Data quality", "Settings"],
          "de": ["Übersicht", "Journey-Map", "Funnels", "Pfade", "Attribution", "Bindung",
                 "Datenqualität", "Einstellungen"]}
HTML = {"accept": "text/html"}
FUNNEL = ["product_view", "add_to_cart", "order_completed"]


@pytest.fixture(scope="module")
def project(demo_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo project plus two rows in quarantine."""
    folder = tmp_path_factory.mktemp("pages") / "project"
    shutil.copytree(demo_template, folder)
    bad = pd.DataFrame({
        "type": ["track", "track"], "event": ["", "product_view"],
        "anonymous_id": ["a-1", None], "timestamp": ["2026-10-01T10:00:00Z", "not a time"],
    })
    with Project(folder) as p:
        assert p.import_events(bad).quarantined == 2
    return folder


@pytest.fixture(scope="module")
def server(project: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    live = start_server(project, tmp_path_factory.mktemp("logs") / "server.log", **auth_env())
    yield live
    live.stop()


def csrf_of(page: str) -> str:
    match = re.search(r'name="csrf" value="([^"]+)"', page)
    assert match, "no CSRF token in the page"
    return match.group(1)


@contextlib.contextmanager
def log_in(url: str, **headers: str) -> Iterator[httpx.Client]:
    """A client logged in as the test user."""
    with httpx.Client(base_url=url, timeout=60, headers=headers) as client:
        page = client.get("/login").text
        response = client.post("/login", data={"csrf": csrf_of(page), "username": USER,
                                               "password": PASSWORD, "next": "/"})
        assert response.status_code == 303, response.text
        yield client


@pytest.fixture(scope="module")
def client(server: LiveServer) -> Iterator[httpx.Client]:
    with log_in(server.url) as c:
        yield c


# -- log-in --------------------------------------------------------------------------------
def test_pages_need_a_login(server: LiveServer) -> None:
    with httpx.Client(base_url=server.url, timeout=60) as anonymous:
        for path in [*PAGES, "/funnels?step=a&step=b"]:
            response = anonymous.get(path)
            assert response.status_code == 303, path
            target = urlsplit(response.headers["location"])
            assert target.path == "/login"
            assert dict(parse_qsl(target.query))["next"] == path
        # an unknown page does not tell a stranger anything but "log in"
        missing = anonymous.get("/nowhere", headers=HTML)
        assert missing.status_code == 404
        assert "Settings" not in missing.text


def test_login_wrong_then_right_password(server: LiveServer) -> None:
    with httpx.Client(base_url=server.url, timeout=60) as c:
        token = csrf_of(c.get("/login").text)
        wrong = c.post("/login", data={"csrf": token, "username": USER, "password": "nope",
                                       "next": "/retention"})
        assert wrong.status_code == 401
        assert "User name or password is wrong." in wrong.text
        unknown = c.post("/login", data={"csrf": token, "username": "bob",
                                         "password": PASSWORD, "next": "/"})
        assert unknown.status_code == 401
        right = c.post("/login", data={"csrf": token, "username": USER, "password": PASSWORD,
                                       "next": "/retention"})
        assert right.status_code == 303
        assert right.headers["location"] == "/retention"
        page = c.get("/retention")
        assert page.status_code == 200
        assert '<span class="user"' in page.text
        assert USER in page.text
        # log-out needs the (new) token, then the pages are closed again
        assert c.post("/logout", data={"csrf": "forged"}, headers=HTML).status_code == 403
        out = c.post("/logout", data={"csrf": csrf_of(page.text)})
        assert out.status_code == 303
        assert c.get("/").status_code == 303


def test_login_refuses_forged_forms(server: LiveServer) -> None:
    with httpx.Client(base_url=server.url, timeout=60) as c:
        token = csrf_of(c.get("/login").text)
        no_token = c.post("/login", data={"username": USER, "password": PASSWORD},
                          headers=HTML)
        assert no_token.status_code == 403
        other_site = c.post("/login", data={"csrf": token, "username": USER,
                                            "password": PASSWORD},
                            headers={"origin": "https://evil.example"})
        assert other_site.status_code == 403
        assert other_site.json()["error"]["code"] == "cross_site"  # refused before the form
        # the next page is always a local one
        ok = c.post("/login", data={"csrf": token, "username": USER, "password": PASSWORD,
                                    "next": "//evil.example/x"})
        assert ok.headers["location"] == "/"


# -- pages and languages ----------------------------------------------------------------------
@pytest.mark.parametrize("lang", ["en", "de"])
def test_every_page_in_both_languages(client: httpx.Client, lang: str) -> None:
    charts: list[tuple[str, dict[str, Any]]] = []
    for path, title in zip(PAGES, TITLES[lang], strict=True):
        response = client.get(path, params={"lang": lang})
        assert response.status_code == 200, (path, response.text[:2000])
        page = response.text
        assert f'<html lang="{lang}">' in page
        assert f"<h1>{html.escape(title)}</h1>" in page, path
        assert "Content-Security-Policy" in response.headers
        assert response.headers["X-Frame-Options"] == "DENY"
        # nothing is loaded from other sites; plotly.js comes from this server
        assert not re.search(r'(src|href)="(https?:)?//', page), path
        charts += [(path, json.loads(payload)) for payload in re.findall(
            r'<script type="application/json" data-chart="[^"]+">(.*?)</script>', page)]
    client.get("/", params={"lang": "en"})
    # every chart draws something, in the language's number format (one look: present.theme)
    assert {path for path, _ in charts} >= {"/", "/journey-map", "/paths", "/attribution",
                                            "/retention"}
    for path, fig in charts:
        assert fig["data"], f"an empty chart on {path}"
        assert fig["layout"]["separators"] == (",." if lang == "de" else ".,"), path
        assert fig["layout"]["colorway"][0] == PALETTE[0], path


def test_language_from_cookie_and_header(server: LiveServer) -> None:
    with log_in(server.url, **{"accept-language": "de-DE,de;q=0.9,en;q=0.5"}) as c:
        assert "<h1>Übersicht</h1>" in c.get("/").text
        switched = c.get("/journey-map", params={"lang": "en"})
        assert "wegweiser_lang=en" in switched.headers["set-cookie"]
        assert "<h1>Overview</h1>" in c.get("/").text  # the cookie beats the header
    with log_in(server.url) as c:
        page = c.get("/").text
        assert "<h1>Overview</h1>" in page
        assert 'href="/?lang=de"' in page  # the switch on every page


def test_numbers_follow_the_language(client: httpx.Client, project: Path) -> None:
    with Project(project) as p:
        persons = p.overview().figures["persons"]
    assert persons >= 1000
    de = client.get("/", params={"lang": "de"}).text
    en = client.get("/", params={"lang": "en"}).text
    assert f"{persons:,}".replace(",", ".") in de
    assert f"{persons:,}" in en


# -- journey map, funnels ----------------------------------------------------------------------
def test_journey_map_has_every_phase(client: httpx.Client, project: Path) -> None:
    with Project(project) as p:
        phases = p.config.phase_names
    page = client.get("/journey-map", params={"metric": "conversion_rate"}).text
    grid = page[page.index('data-testid="journey-grid"'):]
    heads = re.findall(r'<th class="phase-head" scope="col">(.*?)</th>', grid)
    assert [h.replace("<wbr>", "") for h in heads] == phases
    assert "paid_search" in grid


def test_funnel_counts_equal_the_python_api(client: httpx.Client, project: Path) -> None:
    response = client.get("/funnels", params=[("step", s) for s in FUNNEL]
                          + [("window", "7d"), ("breakdown", "device")])
    assert response.status_code == 200
    units = [int(u) for u in re.findall(r'data-units="(\d+)"', response.text)]
    with Project(project) as p:
        from datetime import timedelta

        expected = funnel(p.journey(), FUNNEL, window=timedelta(days=7), breakdown="device")
    assert units == expected.steps["units"].tolist()
    assert 'data-testid="funnel-breakdown"' in response.text
    assert "mobile" in response.text


def test_funnel_lives_in_the_link(client: httpx.Client) -> None:
    edit = client.get("/funnels", params=[("step", "a"), ("step", "b"), ("mode", "strict"),
                                          ("op", "up:1")])
    assert edit.status_code == 303
    query = parse_qsl(urlsplit(edit.headers["location"]).query)
    assert query == [("step", "b"), ("step", "a"), ("mode", "strict")]
    added = client.get("/funnels", params=[("step", "a"), ("op", "add:end")])
    assert parse_qsl(urlsplit(added.headers["location"]).query, keep_blank_values=True) == [
        ("step", "a"), ("step", "")]
    page = client.get("/funnels", params=[("step", "a"), ("step", "")]).text
    assert "Choose at least two steps" in page
    bad = client.get("/funnels", params=[("step", "a"), ("step", "b"), ("window", "soon")])
    assert bad.status_code == 200
    assert "window: cannot read duration 'soon'" in html.unescape(bad.text)


def test_paths_attribution_retention_options(client: httpx.Client) -> None:
    paths = client.get("/paths", params={"start": "product_view", "end": "order_completed"})
    assert 'data-testid="top-paths"' in paths.text
    top = paths.text[paths.text.index('data-testid="top-paths"'):]
    assert '<span class="step">product_view</span>' in top
    attribution = client.get("/attribution", params={"metric": "roas"})
    assert "ROAS" in attribution.text
    assert "incrementality" in attribution.text
    retention = client.get("/retention", params={"period": "month", "lang": "de"})
    assert "Kohortentabelle" in retention.text


# -- forms --------------------------------------------------------------------------------------
def test_data_quality_replay_and_drop(client: httpx.Client) -> None:
    page = client.get("/data-quality", params={"lang": "en"}).text
    assert "track event without an event name" in page
    token = csrf_of(page)
    forged = client.post("/data-quality/drop", data={"csrf": token, "all": "true"},
                         headers={"origin": "http://evil.example", **HTML})
    assert forged.status_code == 403
    assert "Not allowed" in forged.text
    replay = client.post("/data-quality/replay", data={"csrf": token})
    assert replay.status_code == 303
    after = client.get("/data-quality").text
    assert "Replayed: 0 imported" in after
    assert "2 still quarantined" in after
    ids = re.findall(r'name="row" value="(\d+)"', after)
    assert len(ids) == 2
    drop = client.post("/data-quality/drop", data={"csrf": token, "row": ids[0]})
    assert drop.status_code == 303
    assert "Dropped 1 quarantined rows." in client.get("/data-quality").text


def test_settings_save_phases(client: httpx.Client, project: Path) -> None:
    page = client.get("/settings", params={"lang": "en"}).text
    token = csrf_of(page)
    assert 'data-setting="write_keys">1<' in page
    assert 'data-setting="users">1<' in page
    assert "/v1/batch" in page
    with Project(project) as p:
        original = list(p.config.phases)

    def form(*extra: tuple[str, str, str], rename: dict[str, str] | None = None) -> dict:
        rows = [((rename or {}).get(p.name, p.name), ", ".join(p.events), p.description)
                for p in original] + list(extra)
        return {"csrf": token, "name": [r[0] for r in rows], "events": [r[1] for r in rows],
                "description": [r[2] for r in rows]}

    refused = client.post("/settings/phases", data=form((original[0].name, "x_*", "")))
    assert refused.status_code == 400
    assert "This name is used twice." in refused.text
    empty = client.post("/settings/phases", data=form(("Lonely", "", "")))
    assert "List at least one event pattern." in empty.text
    saved = client.post("/settings/phases", data=form(rename={"Awareness": "Entdecken"}))
    assert saved.status_code == 303
    assert "Saved 6 phases." in client.get("/settings").text
    journey_map = client.get("/journey-map").text
    assert ">Entdecken</th>" in journey_map
    assert ">Awareness</th>" not in journey_map
    assert client.post("/settings/phases", data=form()).status_code == 303  # as before
    with Project(project) as p:
        assert p.config.phases == original


# -- errors and assets --------------------------------------------------------------------------
def test_errors_are_pages_and_api_stays_json(client: httpx.Client) -> None:
    page = client.get("/nowhere", headers=HTML, params={"lang": "de"})
    assert page.status_code == 404
    assert "Seite nicht gefunden" in page.text
    assert "<nav" in page.text
    api = client.get("/api/nowhere", headers=HTML)
    assert api.headers["content-type"].startswith("application/json")


def test_plotly_is_served_locally(client: httpx.Client) -> None:
    import plotly

    page = client.get("/").text
    src = re.search(r'<script src="(/assets/plotly-[^"]+)"', page)
    assert src
    assert plotly.__version__ in src.group(1)
    js = client.get(src.group(1), headers={"accept-encoding": "gzip"})
    assert js.status_code == 200
    assert "immutable" in js.headers["cache-control"]
    assert js.headers["content-encoding"] == "gzip"
    assert len(js.content) > 1_000_000
    assert client.get("/assets/plotly-0.0.0.min.js").status_code == 404
    assert client.get("/static/app.css").status_code == 200


def test_open_access_says_so(demo_project: Path, live_server) -> None:
    server = live_server(demo_project)  # no users
    with httpx.Client(base_url=server.url, timeout=60) as c:
        en = c.get("/", params={"lang": "en"})
        assert en.status_code == 200
        assert "No users configured — open access, listening on localhost only." in en.text
        de = c.get("/", params={"lang": "de"}).text
        assert "Keine Benutzer eingerichtet — offener Zugang" in de
        assert c.get("/login").status_code == 303
        assert 'data-testid="no-conversions"' not in en.text  # the demo has orders


def test_overview_says_why_no_one_converted(tmp_path: Path, live_server) -> None:
    """A shop whose orders are called 'purchase' has no default conversion event: the
    overview's 0 conversions, 0 revenue and empty attribution charts say why, in both
    languages, and point to the settings."""
    rows = [{"user_id": f"u{p}", "event": event, "timestamp": f"2026-10-{1 + p:02d}T10:0{i}:00Z"}
            for p in range(6) for i, event in enumerate(("product_view", "purchase"))]
    with Project.init(tmp_path / "shop") as p:
        assert p.import_events(pd.DataFrame(rows)).imported == 12
    server = live_server(tmp_path / "shop")
    with httpx.Client(base_url=server.url, timeout=180) as c:
        en = html.unescape(c.get("/", params={"lang": "en"}).text)
        de = html.unescape(c.get("/", params={"lang": "de"}).text)
    assert 'data-testid="no-conversions"' in en
    assert ("No person converted: none of the conversion events (order_completed, "
            "store_purchase) occurs in the data.") in en
    assert ("Niemand hat konvertiert: keines der Conversion-Ereignisse (order_completed, "
            "store_purchase) kommt in den Daten vor.") in de


# -- the registry's pages: one per analysis, nothing written for any of them ------------------
def _required(name: str) -> dict[str, str]:
    from wegweiser.analysis.registry import get

    fields = get(name).params.model_fields
    steps = fields.get("steps")
    if name == "trends":  # its breakdown chart needs a field to break down by
        return {"by": "channel"}
    if name == "experiment_geo":  # the demo's planted geo holdout (events/_demo_geo.py)
        return {"channel": "video", "holdout": "AT,CH", "start": "2026-10-01",
                "end": "2026-10-29"}
    return {"steps": ",".join(FUNNEL)} if steps is not None and steps.is_required() else {}


@pytest.mark.parametrize("lang", ["en", "de"])
def test_every_analysis_has_a_page_with_its_charts_and_tables(client, lang):
    from wegweiser.analysis.registry import analyses

    index = client.get("/analyses", params={"lang": lang}, headers=HTML)
    assert index.status_code == 200
    for name, spec in analyses().items():
        assert f'href="/analyses/{name}"' in index.text
        page = client.get(f"/analyses/{name}", params={"lang": lang, **_required(name)},
                          headers=HTML)
        assert page.status_code == 200, (name, page.text[:300])
        assert spec.title(lang) in page.text
        assert 'class="alert error"' not in page.text, name
        assert page.text.count('class="chart"') == len(spec.charts), name
        assert 'data-table="' in page.text, name


def test_an_analysis_page_reads_its_options_and_shows_errors(client):
    page = client.get("/analyses/funnel", params={"steps": "product_view,order_completed",
                                                  "breakdown": "device"}, headers=HTML)
    tables = re.findall(r'data-table="([a-z_]+)"', page.text)
    assert "breakdown" in tables
    breakdown = page.text.split('data-table="breakdown"')[1].split("</table>")[0]
    assert breakdown.count("<tr>") > 3  # a header and rows per device and step
    missing = client.get("/analyses/funnel", headers=HTML)
    assert "steps" in missing.text
    assert 'class="alert info"' in missing.text
    bad = client.get("/analyses/funnel", params={"steps": "product_view,order_complete"},
                     headers=HTML)
    assert "Did you mean 'order_completed'" in html.unescape(bad.text)
    assert client.get("/analyses/nothing", headers=HTML).status_code == 404
