"""Every face on every engine: the query API answers the same on Spark as on DuckDB, and
every dashboard page renders the same figures.

The app is the real one (:func:`wegweiser.serve.app.create_app`) served by uvicorn on
loopback from a thread of this process, so that Spark's session is started once. Each
project: a small demo shop plus ``identify`` calls that give persons a ``plan`` trait (for
the ``trait:`` breakdown that once failed on Spark with "Multiple backends").
"""

from __future__ import annotations

import re
import threading
import time
from typing import TYPE_CHECKING, Any

import httpx
import pandas as pd
import pytest
import uvicorn

from tests.engines.conftest import ENGINES, settings
from tests.serve.conftest import free_port
from wegweiser.analysis import registry
from wegweiser.analysis.fixes import Fix
from wegweiser.analysis.segments import Segment
from wegweiser.events.demo import generate
from wegweiser.project import Project
from wegweiser.serve.app import create_app

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

STEPS = ["product_view", "add_to_cart", "order_completed"]
#: the options each analysis runs with through the API, besides its defaults
OPTIONS: dict[str, list[dict[str, Any]]] = {
    # the demo's planted geo holdout (events/_demo_geo.py; 40 days: Oct 11 .. Oct 31)
    "experiment_geo": [{"channel": "video", "holdout": "AT,CH", "start": "2026-10-11",
                        "end": "2026-11-01"}],
    "funnel": [
        {"steps": STEPS},
        {"steps": STEPS, "breakdown": "trait:plan"},
        {"steps": STEPS, "breakdown": "device", "dropped": 2},
        # the filter model compiled on each engine: columns, keys (not paths), traits
        {"steps": STEPS, "since": "2000-01-01", "breakdown": "property:a.b",
         "where": ["device != mobile", 'step2:property:"a.b" is not set',
                   "trait:plan in pro,team"]},
    ],
    "kpis": [{}, {"since": "2000-01-01", "until": "2100-01-01", "compare_previous": True,
                  "where": ["channel is set", "revenue >= 0"]}],
    "conversion": [{}, {"by_segment": ["pro", "buyers"]},
                   {"segment": "buyers", "where": ["property:it's is not set"]}],
    "retention": [{}, {"where": ["country is set", "event contains _"]}],
    "paths": [{}, {"view": "transitions", "collapse": True}, {"view": "sankey", "steps": 3}],
    "phases": [{}, {"view": "episodes", "limit": 20}],
    "attribution": [{}, {"compare": True, "models": ["first_touch", "linear", "markov"]}],
    "trends": [{}, {"period": "month", "by": "channel", "since": "2000-01-01",
                    "where": ["channel is set"]}],
    # the models on a 40-day shop: a 7-day time split, no permutation importance
    "propensity": [{"horizon_days": 7, "importance": False}],
    "churn": [{"horizon_days": 7, "importance": False}],
    # every query of the analysis, without the persona fit and with few resamples (Spark is
    # slow per query: the defaults took over server.query_seconds there)
    "touchpoints": [{"personas": False, "resamples": 20, "candidates": 1}],
}
STORE_ROUTES = [("GET", "/api/v1/stats"), ("POST", "/api/v1/overview"),
                ("GET", "/api/v1/quarantine"), ("GET", "/api/v1/identities/merges"),
                ("GET", "/api/v1/journeys"), ("GET", "/api/v1/journeys/ledger"),
                ("GET", "/api/v1/journeys/steps"),
                ("GET", "/api/v1/journeys/readout?control_group=true")]
WITHOUT_CHARTS = {"/data-quality", "/journeys", "/analyses"}
PAGES = ["/", "/journey-map", "/journeys", "/analyses", "/paths", "/attribution", "/retention",
         "/data-quality",
         "/funnels?step=product_view&step=add_to_cart&step=order_completed",
         "/funnels?step=product_view&step=order_completed&breakdown=trait:plan"]


def _cases() -> list[tuple[str, dict[str, Any]]]:
    cases = []
    for name, spec in registry.analyses().items():
        for options in OPTIONS.get(name, [{}]):
            if spec.params.model_fields.get("steps") and "steps" not in options:
                continue
            cases.append((name, options))
    return cases


CASES = _cases()


def _identify_plans(persons: list[str]) -> pd.DataFrame:
    plans = ["free", "pro", "team"]
    return pd.DataFrame({
        "message_id": [f"plan-{k}" for k in range(len(persons))],
        "type": "identify",
        "user_id": persons,
        "timestamp": "2026-09-01T00:00:00Z",
        "traits": [f'{{"plan": "{plans[k % 3]}"}}' for k in range(len(persons))],
    })


@pytest.fixture(scope="module", params=ENGINES)
def client(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
           ) -> Iterator[tuple[str, httpx.Client, Path]]:
    engine = request.param
    if engine == "spark":
        request.getfixturevalue("spark_ready")
    data = generate(150, seed=11, days=40)
    folder = tmp_path_factory.mktemp(f"faces-{engine}")
    with Project.init(folder, engine=settings(engine)) as project:
        project.import_events(data.events)
        users = sorted({u for u in data.events.column("user_id").to_pylist() if u})[:60]
        project.import_events(_identify_plans(users))
        project.replace_costs(data.costs)
        project.save_segment(Segment(name="pro", where=["trait:plan=pro"]))
        project.save_segment(Segment(name="buyers", did=["order_completed"]))
        project.save_fix(Fix(name="pay", date="2026-10-21", touchpoint="mobile payment",
                             where=["event=checkout_payment", "device=mobile"]))
        project.journey()  # built once, before the app opens the store per request
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(folder), host="127.0.0.1", port=port,
                                           log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    try:
        # the test keeps no store open: the server's import process needs it for snapshots
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=300) as http:
            yield engine, http, folder
    finally:
        server.should_exit = True
        thread.join(timeout=30)


_answers: dict[str, dict[str, Any]] = {}


def _assert_same(got: dict[str, Any], expected: dict[str, Any]) -> None:
    """Same parameters, notes and tables; rows in any order (engines order ties freely),
    floats within 1e-9 (the engines sum in different orders)."""
    assert got["params"] == expected["params"]
    assert got["notes"] == expected["notes"]
    assert got["tables"].keys() == expected["tables"].keys()
    for name, rows in got["tables"].items():
        a, b = pd.DataFrame(rows), pd.DataFrame(expected["tables"][name])
        assert list(a.columns) == list(b.columns), name
        keys = [c for c in a.columns if a[c].dtype.kind not in "f"] or list(a.columns)
        a = a.sort_values(keys, key=lambda c: c.astype(str)).reset_index(drop=True)
        b = b.sort_values(keys, key=lambda c: c.astype(str)).reset_index(drop=True)
        pd.testing.assert_frame_equal(a, b, check_exact=False, rtol=1e-9, atol=1e-9,
                                      check_dtype=False, obj=name)


@pytest.mark.parametrize(("name", "options"), CASES, ids=[f"{n}-{i}" for i, (n, _) in
                                                          enumerate(CASES)])
def test_every_analysis_answers_the_same_through_the_api(client, name, options):
    engine, http, _ = client
    spec = registry.get(name)
    response = http.request(spec.method, "/api/v1" + spec.path, json=options)
    assert response.status_code == 200, response.text
    payload = response.json()
    assert payload["analysis"] == name
    assert any(payload["tables"].values()), f"{name} answered only empty tables"
    key = f"{name}:{options}"
    if engine == "duckdb":
        _answers[key] = payload
    elif key in _answers:
        _assert_same(payload, _answers[key])


def test_trait_breakdown_works_on_every_engine(client):
    _, http, _ = client
    response = http.post("/api/v1/funnel", json={"steps": STEPS, "breakdown": "trait:plan"})
    assert response.status_code == 200, response.text
    values = {row["value"] for row in response.json()["tables"]["breakdown"]}
    assert {"free", "pro", "team"} <= values


@pytest.mark.parametrize(("method", "path"), STORE_ROUTES)
def test_store_routes_answer(client, method, path):
    _, http, _ = client
    response = http.request(method, path)
    assert response.status_code == 200, response.text


@pytest.mark.parametrize("page", PAGES)
def test_every_page_renders(client, page):
    _, http, _ = client
    response = http.get(page)
    assert response.status_code == 200, response.text[:500]
    assert 'class="chart"' in response.text or page in WITHOUT_CHARTS


def test_data_quality_counts_the_events_where_they_live(client):
    """On Spark the events live in the lake, not in the embedded store: the page once
    showed 0 stored events and a 100% quarantine share there."""
    _, http, folder = client
    with Project(folder) as project:
        stored = project.event_count()
    assert stored > 1000
    page = http.get("/data-quality?lang=en").text
    match = re.search(r'data-kpi="stored">.*?kpi-value">([^<]+)<', page, re.S)
    assert match is not None
    assert int(match.group(1).replace(",", "")) == stored
