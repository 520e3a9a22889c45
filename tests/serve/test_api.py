"""The query API against a real server: every analysis gives the numbers of the Python API,
tokens and sessions, the write actions, and the one error shape."""

from __future__ import annotations

import json
import math
import shutil
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

import httpx
import numpy as np
import pandas as pd
import pytest

from tests.serve.conftest import (
    API_TOKEN,
    WRITE_KEY,
    LiveServer,
    auth_env,
    logged_in,
    start_server,
)
from wegweiser import open_project
from wegweiser.analysis.result import to_frame
from wegweiser.errors import InvalidInput
from wegweiser.serve.api import queries

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from pathlib import Path

    from wegweiser.project import Project

TOKEN = {"Authorization": f"Bearer {API_TOKEN}"}
STEPS = ["checkout_started", "checkout_payment", "order_completed"]


@pytest.fixture(scope="module")
def served(demo_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """One server with users and tokens over a copy of the demo project, with two rows in
    the quarantine (a broken line and an event without timestamp)."""
    folder = tmp_path_factory.mktemp("api")
    project = folder / "project"
    shutil.copytree(demo_template, project)
    bad = folder / "bad.jsonl"
    bad.write_text('{"event": "x", "anonymous_id": "a1"}\n{not json\n', encoding="utf-8")
    with open_project(project) as p:
        assert p.import_events(bad).quarantined == 2
    server = start_server(project, folder / "server.log", **auth_env())
    yield server
    server.stop()


@pytest.fixture(scope="module")
def client(served: LiveServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=served.url, timeout=120) as c:
        yield c


def call(
    client: httpx.Client,
    method: str,
    path: str,
    body: Any = None,
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    if method == "GET":
        return client.get(path, params=body, headers=headers)
    return client.post(path, json=body, headers=headers)


def assert_error(response: httpx.Response, status: int, code: str | None = None) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    error = response.json()["error"]
    assert set(error) <= {"status", "code", "message", "details"}
    assert error["status"] == status
    assert error["message"]
    if code is not None:
        assert error["code"] == code
    return error


def same(actual: Any, expected: Any, where: str = "") -> None:
    """Equal, floats up to rounding (DuckDB may add up in another order)."""
    if isinstance(expected, float) and isinstance(actual, int | float):
        assert actual == pytest.approx(expected, rel=1e-9, abs=1e-9), where
    elif isinstance(expected, dict):
        assert isinstance(actual, dict), where
        assert list(actual) == list(expected), where
        for key in expected:
            same(actual[key], expected[key], f"{where}.{key}")
    elif isinstance(expected, list):
        assert isinstance(actual, list), where
        assert len(actual) == len(expected), where
        for i, (a, e) in enumerate(zip(actual, expected, strict=True)):
            same(a, e, f"{where}[{i}]")
    else:
        assert actual == expected, where


# -- every analysis: the API's numbers are the Python API's ---------------------------------
Case = tuple[str, str, Any, "Callable[[Project], dict[str, pd.DataFrame]]"]


def _tables(result: Any) -> dict[str, pd.DataFrame]:
    return dict(result.tables())


def _costs(p: Project) -> Any:
    return p._engine.ibis().table("costs")


def _phases(p: Project) -> list[Any]:
    return list(p.config.phases)


def _two_persons(p: Project) -> list[str]:
    j = p.journey()
    ids = to_frame(j.select("person_id").distinct().order_by("person_id").limit(2))
    return [str(x) for x in ids["person_id"]]


def _overview(p: Project) -> dict[str, pd.DataFrame]:
    o = p.overview()
    return {"figures": pd.DataFrame([o.figures]), "phases": o.phases}


def _stats(p: Project) -> dict[str, pd.DataFrame]:
    stats = p.stats()
    types = stats.pop("types")
    return {
        "stats": pd.DataFrame([stats]),
        "types": pd.DataFrame({"type": list(types), "events": list(types.values())}),
    }


def _funnel(p: Project) -> dict[str, pd.DataFrame]:
    from wegweiser.analysis.funnels import FunnelStep, dropped_off, funnel

    steps = [
        FunnelStep("checkout_started"),
        FunnelStep("checkout_payment", where={"step": "3"}),
        FunnelStep("order_completed"),
    ]
    options: dict[str, Any] = {"window": timedelta(days=7), "exclude": ["payment_error"]}
    tables = _tables(funnel(p.journey(), steps, breakdown="device", **options))
    tables["dropped"] = dropped_off(p.journey(), steps, step=3, limit=20, **options)
    return tables


def _funnel_objects(p: Project) -> dict[str, pd.DataFrame]:
    from wegweiser.analysis.funnels import FunnelStep, funnel

    steps = [
        FunnelStep("add_to_cart"),
        FunnelStep("checkout_started", within=timedelta(hours=2)),
        FunnelStep("order_completed"),
    ]
    return _tables(
        funnel(
            p.journey(),
            steps,
            mode="strict",
            by="session",
            window=timedelta(days=30),
            step_windows=[None, None, timedelta(minutes=90)],
        )
    )


def _phases_as_of(p: Project) -> dict[str, pd.DataFrame]:
    from wegweiser.analysis.phases import phase_analysis

    moment = pd.Timestamp("2026-10-15T23:59:59.999999Z")
    journey = p.journey()
    journey = journey.filter(journey.timestamp <= moment)
    return _tables(phase_analysis(journey, _phases(p), stuck_days=10, period="month", as_of=moment))


def _dropoffs(p: Project) -> dict[str, pd.DataFrame]:
    from wegweiser.analysis.dropoffs import dropoffs

    tables = _tables(dropoffs(p.journey(), _phases(p), by="device", top=3))
    return {**tables, "loops": tables["loops"].head(3)}


def _attribution(model: str, **kwargs: Any) -> Callable[[Project], dict[str, pd.DataFrame]]:
    def compute(p: Project) -> dict[str, pd.DataFrame]:
        from wegweiser.analysis.attribution import attribution, make_model

        options = {k: kwargs.pop(k) for k in ("weights", "order") if k in kwargs}
        est = make_model(model, random_state=0, **options)
        return _tables(attribution(p.journey(), model=est, costs=_costs(p), **kwargs))

    return compute


def _compare(p: Project) -> dict[str, pd.DataFrame]:
    from wegweiser.analysis.attribution import compare, make_model

    models: list[Any] = [
        make_model("markov", order=2),
        "linear",
        make_model("time_decay", half_life=3.0),
    ]
    return _tables(
        compare(p.journey(), models=models, costs=_costs(p), metric="roas", lookback_days=30)
    )


def _call(module: str, name: str, *args: Any, **kwargs: Any) -> Callable[[Project], Any]:
    """``module.name(journey, *args, **kwargs)``; callables among the arguments are called
    with the project first (phases, feedback, ...)."""

    def compute(p: Project) -> dict[str, pd.DataFrame]:
        import importlib

        fn = getattr(importlib.import_module(f"wegweiser.analysis.{module}"), name)
        given = [a(p) if callable(a) else a for a in args]
        named = {k: v(p) if callable(v) else v for k, v in kwargs.items()}
        return _tables(fn(p.journey(), *given, **named))

    return compute


def _feedback(p: Project) -> Any:
    return p.config.feedback


MATCH = "checkout_started -> * -> order_completed"
CASES: dict[str, Case] = {
    "overview": ("POST", "/overview", None, _overview),
    "kpis": ("POST", "/kpis", {}, _call("kpis", "kpis", feedback=_feedback)),
    "journey_map": (
        "POST",
        "/journey-map",
        {"by": "event", "top_events": 2},
        _call(
            "journey_map",
            "journey_map",
            by="event",
            config=lambda p: p.config,
            phases=lambda p: [x.name for x in _phases(p)],
            top_events=2,
        ),
    ),
    "stats": ("GET", "/stats", None, _stats),
    "sessions": (
        "POST",
        "/sessions",
        {"gap": "1h", "limit": 5},
        _call("sessions", "sessions", gap=timedelta(hours=1), limit=5),
    ),
    "phases": (
        "POST",
        "/phases",
        {"period": "month", "stuck_days": 10, "limit": 0, "as_of": "2026-10-15"},
        _phases_as_of,
    ),
    "episodes": (
        "POST",
        "/phases",
        lambda p: {"view": "episodes", "person": ",".join(_two_persons(p)), "limit": 7},
        _call("phases", "phase_timeline", _phases, persons=_two_persons, limit=7),
    ),
    "transitions": (
        "POST",
        "/paths",
        {"view": "transitions", "by": "session", "collapse": True},
        _call("paths", "transitions", by="session", collapse=True),
    ),
    "top_paths": (
        "POST",
        "/paths",
        {"start": "add_to_cart", "end": "order_completed", "max_length": 8, "top": 5},
        _call("paths", "top_paths", start="add_to_cart", end="order_completed", max_length=8, n=5),
    ),
    "sankey": (
        "POST",
        "/paths",
        {"view": "sankey", "steps": 4, "group": "checkout_*=checkout"},
        _call("paths", "sankey", steps=4, groups={"checkout_*": "checkout"}),
    ),
    "step_matrix": (
        "POST",
        "/paths",
        {"view": "steps", "steps": 6, "exclude": ["landing_page_view"]},
        _call("paths", "step_matrix", max_steps=6, exclude=["landing_page_view"]),
    ),
    "match": ("POST", "/paths", {"pattern": MATCH}, _call("paths", "match_pattern", MATCH)),
    "funnel": (
        "POST",
        "/funnel",
        {
            "steps": STEPS,
            "where": ["step2:step=3"],
            "window": "7d",
            "exclude": "payment_error",
            "breakdown": "device",
            "dropped": 3,
            "limit": 20,
        },
        _funnel,
    ),
    "funnel_objects": (
        "POST",
        "/funnel",
        {
            "steps": [
                "add_to_cart",
                {"event": "checkout_started", "within": "2h"},
                "order_completed",
            ],
            "mode": "strict",
            "by": "session",
            "step_window": "3:90m",
        },
        _funnel_objects,
    ),
    "conversion": (
        "POST",
        "/conversion",
        {"events": ["order_completed"], "lookback": "30d"},
        _call("conversion", "conversion", events=["order_completed"], lookback=timedelta(days=30)),
    ),
    "retention": (
        "POST",
        "/retention",
        {"cohort": "first_purchase", "period": "month", "kind": "unbounded", "max_periods": 3},
        _call(
            "retention",
            "retention",
            cohort_by="first_purchase",
            period="month",
            kind="unbounded",
            max_periods=3,
        ),
    ),
    "dropoffs": ("POST", "/dropoffs", {"by": "device", "top": 3}, _dropoffs),
    "markov": ("POST", "/attribution", {}, _attribution("markov", lookback_days=30)),
    "shapley": (
        "POST",
        "/attribution",
        {"model": "shapley", "by": "campaign", "lookback_days": 14},
        _attribution("shapley", by="campaign", lookback_days=14),
    ),
    "custom": (
        "POST",
        "/attribution",
        {"model": "custom", "weights": [0.6, 0.3, 0.1]},
        _attribution("custom", weights=(0.6, 0.3, 0.1), lookback_days=30),
    ),
    "compare": (
        "POST",
        "/attribution",
        {
            "compare": True,
            "order": 2,
            "half_life": 3,
            "models": ["markov", "linear", "time_decay"],
            "metric": "roas",
        },
        _compare,
    ),
    # the demo's planted geo holdout (events/_demo_geo.py), with the project's costs
    "experiment_geo": (
        "POST",
        "/experiment-geo",
        {"channel": "video", "holdout": "AT,CH", "start": "2026-10-01", "end": "2026-10-29"},
        _call(
            "experiments.geo",
            "geo_readout",
            channel="video",
            holdout=["AT", "CH"],
            start=date(2026, 10, 1),
            end=date(2026, 10, 29),
            costs=lambda p: p.costs(),
            traits=lambda p: p.traits,
        ),
    ),
    "quarantine": (
        "GET",
        "/quarantine",
        {"limit": 5},
        lambda p: {"quarantine": p.quarantine(limit=5)},
    ),
    "merges": (
        "GET",
        "/identities/merges",
        {"status": "merged", "limit": 10},
        lambda p: {"merges": p.merges(limit=10, status="merged")},
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_analysis_matches_python_api(case: str, served: LiveServer, client: httpx.Client) -> None:
    method, path, body, direct = CASES[case]
    if callable(body):
        with open_project(served.project) as project:
            body = body(project)
    response = call(client, method, "/api/v1" + path, body, TOKEN)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    got = response.json()
    assert set(got) == {"analysis", "params", "tables", "notes"}
    # the library works on the same store while the server runs
    with open_project(served.project) as project:
        expected = {name: queries.table_records(frame) for name, frame in direct(project).items()}
    same(got["tables"], json.loads(json.dumps(expected)))
    if path == "/attribution":
        assert "incrementality" in got["notes"][0]


def test_effective_params_and_identity(served: LiveServer, client: httpx.Client) -> None:
    got = client.post("/api/v1/funnel", json={"steps": "checkout_started,order_completed"},
                      headers=TOKEN).json()
    assert got["analysis"] == "funnel"
    assert got["params"]["steps"] == ["checkout_started", "order_completed"]
    assert got["params"]["window_seconds"] == 30 * 86400  # windows.conversion_days
    with open_project(served.project) as project:
        any_id = str(project.merges(limit=1)["a_id"].iloc[0])
        person = project.person_of(any_id)
    got = client.get(f"/api/v1/identities/{any_id}", headers=TOKEN).json()
    assert got["tables"]["identity"] == [{"id": any_id, "person_id": person}]
    assert_error(client.get("/api/v1/identities/nobody", headers=TOKEN), 404, "unknown_id")


def test_table_query_answers_with_those_tables(client: httpx.Client) -> None:
    """``?table=`` answers with the tables asked for (phases computes only those), equal to
    the same tables of the whole answer; a table the result lacks is a 400."""
    whole = client.post("/api/v1/phases", json={}, headers=TOKEN).json()
    assert len(whole["tables"]) == 6
    got = client.post("/api/v1/phases?table=transitions&table=current", json={},
                      headers=TOKEN).json()
    assert got["tables"] == {t: whole["tables"][t] for t in ("current", "transitions")}
    assert got["params"] == whole["params"]
    steps = client.post("/api/v1/funnel?table=steps", json={"steps": "product_view,add_to_cart"},
                        headers=TOKEN).json()
    assert list(steps["tables"]) == ["steps"]
    error = assert_error(client.post("/api/v1/phases?table=paths", json={}, headers=TOKEN), 400)
    assert "no table 'paths'" in error["message"]


def test_analyses_are_listed(client: httpx.Client) -> None:
    got = client.get("/api/v1/analyses", headers=TOKEN).json()["analyses"]
    assert [a["name"] for a in got] == list(queries.ANALYSES)
    funnel = next(a for a in got if a["name"] == "funnel")
    assert funnel["method"] == "POST"
    assert funnel["path"] == "/api/v1/funnel"
    assert "steps" in funnel["parameters"]["required"]
    spec = client.get("/api/openapi.json").json()
    for info in got:
        path = info["path"]
        operation = spec["paths"][path][info["method"].lower()]
        assert operation["security"] == [{"api_token": []}]
        for status in ("401", "422", "500"):
            error = operation["responses"][status]["content"]["application/json"]["schema"]
            assert error["required"] == ["error"]


# -- who may read and write -----------------------------------------------------------------
def test_tokens(client: httpx.Client) -> None:
    error = assert_error(client.post("/api/v1/kpis"), 401, "unauthorized")
    assert "Bearer" in error["message"]
    response = client.post("/api/v1/kpis", headers={"Authorization": f"Bearer {WRITE_KEY}"})
    assert_error(response, 401)
    assert response.headers["www-authenticate"] == "Bearer"
    assert_error(client.get("/api/v1/stats", headers={"Authorization": "Bearer nope"}), 401)
    basic = httpx.BasicAuth(WRITE_KEY, "")
    assert_error(client.get("/api/v1/stats", auth=basic), 401)
    assert client.get("/api/v1/stats", headers=TOKEN).status_code == 200


def test_logged_in_session_reads_and_writes(served: LiveServer, client: httpx.Client) -> None:
    with logged_in(served.url) as session:
        assert session.post("/api/v1/kpis").status_code == 200
        replayed = session.post("/api/v1/quarantine/replay", json={})
        assert replayed.status_code == 200, replayed.text
        assert replayed.json() == {
            "imported": 0,
            "duplicates": 0,
            "quarantined": 1,
            "not_replayable": 1,
        }
        assert_error(session.post("/api/v1/quarantine/drop", json={}), 400)
        assert_error(session.post("/api/v1/quarantine/drop", json={"ids": []}), 422)
        other_site = {"Origin": "http://127.0.0.1:1"}
        assert_error(
            session.post("/api/v1/quarantine/drop", json={"all": True}, headers=other_site),
            403,
            "cross_site",
        )
        # an API token never writes, not even next to a session
        assert_error(
            session.post("/api/v1/quarantine/drop", json={"all": True}, headers=TOKEN),
            403,
            "read_only_token",
        )
        rows = client.get("/api/v1/quarantine", headers=TOKEN).json()["tables"]["quarantine"]
        assert len(rows) == 2
        dropped = session.post("/api/v1/quarantine/drop", json={"ids": [rows[0]["quarantine_id"]]})
        assert dropped.json() == {"dropped": 1}
    assert_error(client.post("/api/v1/quarantine/replay", json={}), 401)


def test_open_access(demo_project: Path, live_server: Callable[..., LiveServer]) -> None:
    server = live_server(demo_project, WEGWEISER_API_TOKENS=API_TOKEN)
    with httpx.Client(base_url=server.url, timeout=60) as c:
        assert c.get("/api/v1/stats").status_code == 200
        assert c.get("/api/v1/stats", headers=TOKEN).status_code == 200
        assert_error(c.get("/api/v1/stats", headers={"Authorization": "Bearer nope"}), 401)
        assert c.post("/api/v1/quarantine/replay").status_code == 200
        assert_error(
            c.post("/api/v1/quarantine/replay", headers={"Origin": "https://evil.example"}),
            403,
            "cross_site",
        )


# -- the one error shape --------------------------------------------------------------------
def test_error_shapes(client: httpx.Client) -> None:
    error = assert_error(
        client.post("/api/v1/funnel", json={"steps": ["a"]}, headers=TOKEN), 422, "invalid_request"
    )
    assert error["details"][0]["location"] == "body.steps"
    error = assert_error(
        client.post("/api/v1/funnel", json={"steps": "a,b", "stepz": 1}, headers=TOKEN), 422
    )
    assert "stepz" in error["message"]
    error = assert_error(client.post("/api/v1/sessions", json={"gap": "90"}, headers=TOKEN), 422)
    assert "write it like 30m" in error["message"]
    # each value matches the schema, together they do not go: the input is refused (400)
    error = assert_error(
        client.post("/api/v1/personas", json={"min_personas": 5, "max_personas": 3},
                    headers=TOKEN),
        400,
        "bad_request",
    )
    assert "min_personas (5) is above max_personas (3)" in error["message"]
    assert error["details"][0]["location"] == "body"
    assert_error(
        client.post(
            "/api/v1/sessions", content=b"{", headers={**TOKEN, "Content-Type": "application/json"}
        ),
        422,
    )
    error = assert_error(
        client.post("/api/v1/funnel", json={"steps": STEPS, "breakdown": "colour"}, headers=TOKEN),
        400,
        "bad_request",
    )
    assert "Did you mean 'country'?" in error["message"]
    error = assert_error(
        client.post("/api/v1/paths", json={"view": "transitions", "start": "x"}, headers=TOKEN), 400
    )
    assert "start does not apply to view transitions" in error["message"]
    assert_error(client.post("/api/v1/attribution", json={"model": "custom"}, headers=TOKEN), 400)
    assert_error(client.get("/api/v1/nothing", headers=TOKEN), 404, "not_found")
    assert_error(client.get("/api/v1/funnel", headers=TOKEN), 405)


# -- the converter and the registry, without a server ---------------------------------------
def test_jsonable() -> None:
    when = pd.Timestamp("2026-01-02T03:04:05", tz="UTC")
    values = [
        np.float64("nan"),
        math.inf,
        pd.NaT,
        pd.NA,
        None,
        np.int64(7),
        np.bool_(True),
        when,
        np.datetime64("2026-01-02T00:00:00"),
        pd.Timedelta(minutes=2),
        np.array(["a", "b"], dtype=object),
        (1, 2),
        {"k": np.float32(0.5)},
    ]
    assert queries.jsonable(values) == [
        None,
        None,
        None,
        None,
        None,
        7,
        True,
        "2026-01-02T03:04:05+00:00",
        "2026-01-02T00:00:00",
        120.0,
        ["a", "b"],
        [1, 2],
        {"k": 0.5},
    ]
    frame = pd.DataFrame({"a": [1.5, float("nan")], "b": [when, pd.NaT]})
    assert queries.table_records(frame) == [
        {"a": 1.5, "b": "2026-01-02T03:04:05+00:00"},
        {"a": None, "b": None},
    ]


def test_run_checks_its_arguments(demo_project: Path) -> None:
    with open_project(demo_project) as project:
        with pytest.raises(InvalidInput, match="Did you mean 'funnel'"):
            queries.run(project, "funel", {})
        with pytest.raises(InvalidInput, match="steps"):
            queries.run(project, "funnel", {"steps": ["a"]})
        with pytest.raises(InvalidInput, match="takes SessionsParams"):
            queries.run(project, "sessions", queries.NoParams())
        result = queries.run(project, "stats")
    payload = queries.to_json(result, analysis="stats")
    assert payload["tables"]["stats"][0]["events"] > 0
    assert payload["notes"] == []
