"""A journey's page and the journeys' dry run and flow in the query API (in process and over
HTTP, on the small demo project with the playbook)."""

from __future__ import annotations

import httpx
import pytest

import wegweiser
from tests.serve.conftest import start_server
from wegweiser.orchestrate.playbook import PHASES, write_playbook
from wegweiser.serve.api import queries
from wegweiser.serve.errors import ApiError


@pytest.mark.slow
def test_the_dry_run_the_flow_and_the_journey_page(demo_project, tmp_path):
    write_playbook(demo_project)
    with wegweiser.open_project(demo_project) as proj:
        tables = queries.run(proj, "journey_simulation", {
            "days": 30, "max_persons": 200, "assume_reachable": True, "limit": 5}).tables()
        flow = queries.run(proj, "journey_flow", {"journey": "purchase"}).tables()
        with pytest.raises(ApiError, match="Did you mean 'purchase'"):
            queries.run(proj, "journey_flow", {"journey": "purchas"})
    steps = tables["steps"]
    assert set(steps["journey"]) == set(PHASES) - {"awareness"}
    assert len(tables["messages"]) == 5
    assert dict(zip(tables["entrants"]["journey"], tables["entrants"]["entrants"],
                    strict=True)).keys() == set(PHASES)
    assert flow["nodes"]["id"].tolist() == [
        "<entry>", "thank_you", "shipped", "tracking", "settle", "next_order", "<end>",
        "<exited>"]
    assert flow["nodes"]["count"].sum() == 0  # never ran: no state
    server = start_server(demo_project, tmp_path / "server.log")
    try:
        with httpx.Client(base_url=server.url, timeout=600) as http:
            page = http.get("/journeys/purchase", params={"lang": "de"})
            listing = http.get("/journeys", params={"lang": "en"}).text
            missing = http.get("/api/v1/journeys/flow", params={"journey": "purchas"})
    finally:
        server.stop()
    assert page.status_code == 200, page.text
    html = page.text
    assert 'data-testid="simulated"' in html  # never ran: the counts of a dry run
    assert "Probelauf der letzten 30 Tage" in html
    assert '<svg xmlns="http://www.w3.org/2000/svg" class="journey-flow"' in html
    for step in ("thank_you", "shipped", "tracking", "next_order"):
        assert f'data-step="{step}"' in html
    assert "Eingetreten" in html
    assert 'href="/journeys/purchase"' in listing
    assert missing.status_code == 404
    assert "Did you mean 'purchase'" in missing.json()["error"]["message"]
