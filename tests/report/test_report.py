"""The HTML report on a small demo shop: self-contained, bilingual, numbers that add up."""

from __future__ import annotations

import html
import json
import re
import subprocess
import sys
from collections import Counter

import pandas as pd
import pytest

import wegweiser
from wegweiser.config import default_config
from wegweiser.present.i18n import money, number, percent, t
from wegweiser.present.theme import PALETTE
from wegweiser.report import build_report
from wegweiser.report.gather import default_funnel, retention_period

TOUCH = ("track", "page", "screen")


def expected_kpis(data) -> dict[str, float]:
    """Persons, conversions, revenue... straight from the raw events (plain Python)."""
    rows = data.events.to_pylist()
    person_of = {r["anonymous_id"]: r["user_id"] for r in rows
                 if r["type"] == "identify" and r["anonymous_id"] and r["user_id"]}
    touches = [r for r in rows if r["type"] in TOUCH]

    def person(r):
        return r["user_id"] or person_of.get(r["anonymous_id"], r["anonymous_id"])

    persons = {person(r) for r in touches}
    conversions = set(default_config().conversion_events)  # online and store purchases
    orders = [r for r in touches if r["event"] in conversions]
    buyers = Counter(person(r) for r in orders)
    revenue = sum(r["revenue"] or 0.0 for r in orders)
    answers = [json.loads(r["properties"]) for r in touches if r["event"] == "survey_answered"]
    nps = [a["score"] for a in answers if a["survey"] == "nps"]
    csat = [a["score"] for a in answers if a["survey"] == "csat"]
    return {
        "persons": len(persons), "events": len(touches), "conversions": len(orders),
        "converting": len(buyers), "conversion_rate": len(buyers) / len(persons),
        "revenue": revenue, "aov": revenue / len(orders),
        "repeat": sum(n >= 2 for n in buyers.values()) / len(buyers),
        "nps": 100 * (sum(s >= 9 for s in nps) - sum(s <= 6 for s in nps)) / len(nps),
        "csat": sum(s >= 4 for s in csat) / len(csat),
    }


def cards(page: str) -> dict[str, str]:
    found = re.findall(r'<div class="label">(.*?)</div><div class="value">(.*?)</div>', page)
    return {html.unescape(k): html.unescape(v) for k, v in found}


@pytest.mark.parametrize("lang", ["de", "en"])
def test_kpi_cards_match_the_raw_events(shop, lang):
    exp = expected_kpis(shop["data"])
    got = cards(shop["pages"][lang])
    assert got[t("kpi.persons", lang)] == number(exp["persons"], lang)
    assert got[t("kpi.conversion_rate", lang)] == percent(exp["conversion_rate"], lang)
    assert got[t("kpi.revenue", lang)] == money(exp["revenue"], lang, "EUR", 0)
    assert got[t("kpi.aov", lang)] == money(exp["aov"], lang)
    assert got[t("kpi.repeat", lang)] == percent(exp["repeat"], lang)
    assert got[t("kpi.nps", lang)] == number(exp["nps"], lang, 1, sign=True)
    assert got[t("kpi.csat", lang)] == percent(exp["csat"], lang)
    truth = shop["data"].truth["feedback"]
    assert round(exp["nps"], 1) == truth["nps"]  # the reference agrees with the planted truth
    page = html.unescape(shop["pages"][lang])
    assert t("kpi.persons.sub", lang, events=number(exp["events"], lang),
             channels=number(len(shop["data"].truth["channels"]), lang)) in page


def test_report_file_and_languages(shop):
    en, de = shop["pages"]["en"], shop["pages"]["de"]
    assert en.startswith("<!DOCTYPE html>")
    assert '<html lang="en">' in en
    assert '<html lang="de">' in de
    for key in ("overview.title", "map.title", "funnel.title", "paths.title",
                "attribution.title", "retention.title", "quality.title", "attribution.note"):
        assert html.escape(t(key, "en"), quote=False) in en, key
        assert html.escape(t(key, "de"), quote=False) in de, key
    for german in ("Überblick", "Personen", "Kennzahlen", "Kontaktpunkt", "Konversionsrate"):
        assert german in de
        assert german not in en
    for english in ("Overview", "Conversion rate", "Touchpoint", "persons converted"):
        assert english in en
        assert english not in de
    assert "Demo &lt;Shop&gt; &amp; Co" in en  # the project name is escaped
    assert "Demo <Shop>" not in en


def test_nothing_is_loaded_from_the_network(shop):
    from plotly.offline import get_plotlyjs

    head = get_plotlyjs()[:300]
    for page in shop["pages"].values():
        tags = re.findall(r"<(?:script|link|img|iframe|source|video|audio)\b[^>]*>", page)
        for tag in tags:
            assert not re.search(r"\b(?:src|href)\s*=", tag), tag
        assert "<link" not in page
        assert not re.search(r"@import|url\(\s*['\"]?(?:https?:)?//", page)
        assert page.count(head) == 1  # plotly.js inlined exactly once
        assert page.count("Plotly.newPlot(") == 1  # one loop draws every figure
        n = page.count('<script type="application/json" data-figure=')
        assert n >= 8
        assert page.count('<div class="chart" id="fig-') == n
        for payload in re.findall(r'data-figure="[^"]+">(.*?)</script>', page):
            fig = json.loads(payload.replace("<\\/", "</"))
            assert fig["data"]  # no empty figure
            assert fig["layout"]["colorway"][0] == PALETTE[0]  # the one palette


def test_sections_and_contents(shop, registered_sections):
    page = shop["pages"]["en"]
    ids = re.findall(r'<section class="card" id="([^"]+)"', page)
    assert ids == ["overview", "map", "funnel", "paths", "attribution", "retention",
                   *registered_sections, "quality"]
    for section in ids:
        assert f'href="#{section}"' in page
    # the journey-map grid: one row per channel, one column per phase (+ totals)
    grid = re.search(r'<table class="map" id="map-map">(.*?)</table>', page, re.S).group(1)
    rows = re.findall(r'<th class="row"[^>]*>(.*?)</th>', grid)
    assert len(rows) == len(shop["report"].journey_map.touchpoints) + 1
    assert grid.count('data-satisfaction="') == len(shop["report"].journey_map.cells)
    assert "ROAS" in page
    assert t("attribution.no_costs", "en").split(" (")[0] not in page


@pytest.mark.parametrize("lang", ["de", "en"])
def test_chart_builders_are_pure_and_translated(shop, lang):
    from wegweiser.present import charts

    r = shop["report"]
    before = r.journey_map.cells.copy()
    figures = [
        charts.current_phases(r.overview, lang), charts.kpi_gauges(r.kpis, lang),
        *[charts.journey_map(r.journey_map, lang, metric=m)
          for m in ("persons", "events", "conversion_rate", "satisfaction")],
        charts.phase_flow(r.phase_flow, lang, r.phases), charts.funnel(r.funnel, lang),
        charts.dropoffs(r.dropoffs, lang), charts.paths(r.paths, lang),
        charts.attribution(r.attribution, lang), charts.roas(r.attribution, lang),
        charts.retention(r.retention, lang),
        charts.quarantine(pd.DataFrame({"reason": ["bad timestamp"], "rows": [3]}), lang),
    ]
    for fig in figures:
        assert fig.data
        assert fig.layout.separators == (",." if lang == "de" else ".,")
        assert fig.layout.title.text is None  # the page gives the title
    pd.testing.assert_frame_equal(r.journey_map.cells, before)
    axis = figures[0].layout.yaxis.title.text
    assert axis == ("Personen" if lang == "de" else "persons")


def test_without_costs_there_is_no_roas(shop):
    page = shop["no_costs"]
    assert html.escape(t("attribution.no_costs", "en"), quote=False) in page
    assert t("attribution.roas", "en") not in page


def test_report_data_choices(shop):
    report = shop["report"]
    assert report.funnel is not None
    assert report.funnel.steps["event"].tolist() == [
        "product_view", "add_to_cart", "checkout_started", "checkout_payment", "order_completed"]
    assert report.has_costs
    assert report.retention is not None
    assert report.retention.params["period"] == "week"  # 60 days of data
    assert set(report.timings) >= {"journey_map", "attribution", "funnel"}
    assert not report.skipped


def test_gathering_tells_its_progress(shop):
    """Each step before it runs, counting up to the total, then ``render``."""
    from wegweiser.report.gather import STEPS

    steps, report = shop["steps"], shop["report"]
    names = [name for _, _, name in steps]
    assert names[-1] == "render"
    assert names[:-1] == list(report.timings)  # every timed step, in order
    assert set(names[:-1]) <= {*STEPS, *(spec.name for spec, _ in report.registered)}
    done = [d for d, _, _ in steps]
    assert done == sorted(done)
    assert {total for _, total, _ in steps} == {len(STEPS) + len(report.registered)}
    assert steps[-1][0] == steps[-1][1]


def test_default_funnel_falls_back_to_the_phases(project):
    from tests.analysis.reference import BASE, Ev, stitched_frame

    rows = [Ev("a", e, BASE, f"m{i}") for i, e in enumerate(
        ("ad_click", "review_read", "wishlist_add", "order_completed"))]
    rows += [Ev("b", "ad_click", BASE, "n1"), Ev("b", "search", BASE, "n2")]
    project.import_events(stitched_frame(rows, share=0))
    journey = project.journey()
    assert default_funnel(journey, project.config) == [
        "ad_click", "review_read", "wishlist_add", "order_completed"]


def test_retention_period_follows_the_span():
    from datetime import UTC, datetime, timedelta

    start = datetime(2026, 1, 1, tzinfo=UTC)
    assert retention_period(start, start + timedelta(days=10)) == "day"
    assert retention_period(start, start + timedelta(days=90)) == "week"
    assert retention_period(start, start + timedelta(days=400)) == "month"
    assert retention_period(None, None) == "week"


@pytest.mark.parametrize("lang", ["de", "en"])
def test_empty_project_says_there_is_no_data(project, lang):
    page = build_report(project, lang=lang)
    assert f'<html lang="{lang}">' in page
    assert html.escape(t("report.no_data", lang), quote=False) in page
    assert '<script type="application/json" data-figure' not in page
    assert len(page) < 50_000  # no plotly.js without figures


def test_all_rows_quarantined_shows_the_data_quality(project):
    bad = pd.DataFrame({"message_id": ["m1", "m2"], "type": ["track", "track"],
                        "user_id": ["u1", "u2"], "event": ["a", "b"],
                        "timestamp": ["not a time", "2026-13-45"]})
    summary = project.import_events(bad)
    assert summary.quarantined == 2
    page = build_report(project, lang="en")
    assert html.escape(t("report.no_data", "en"), quote=False) in page
    assert 'id="quality"' in page
    assert t("quality.reasons", "en") in page
    assert page.count('<script type="application/json" data-figure=') == 1


def test_unknown_language(project):
    with pytest.raises(wegweiser.errors.InvalidInput):
        build_report(project, lang="fr")


def test_demo_writes_the_report(tmp_path):
    from wegweiser.demo_run import run_demo

    result = run_demo(tmp_path / "d", persons=60, seed=1, days=20)
    assert result.report == tmp_path / "d" / "report-en.html"
    assert 'lang="en"' in result.report.read_text(encoding="utf-8")


@pytest.mark.slow
def test_cli_writes_the_report(shop, tmp_path):
    out = tmp_path / "sub" / "bericht.html"
    res = subprocess.run(
        [sys.executable, "-m", "wegweiser.cli", "report", "--project", str(shop["folder"]),
         "--lang", "de", "--out", str(out)],
        capture_output=True, text=True, timeout=120,
    )
    assert res.returncode == 0, res.stderr
    assert "Report written" in res.stdout
    assert "Writing the report ..." in res.stderr  # no progress bar in a pipe, but a line
    assert str(out) in res.stdout.replace("\n", "")
    page = out.read_text(encoding="utf-8")
    assert '<html lang="de">' in page
    assert not list(out.parent.glob("*.part"))


def test_cli_rejects_an_unknown_language(shop):
    from typer.testing import CliRunner

    from wegweiser.cli import app

    res = CliRunner().invoke(app, ["report", "--project", str(shop["folder"]), "--lang", "fr"])
    assert res.exit_code == 2


def test_cli_journey_map_json(shop):
    from typer.testing import CliRunner

    from wegweiser.cli import app

    res = CliRunner().invoke(app, ["journey-map", "--project", str(shop["folder"]),
                                   "--view", "phases", "--format", "json"])
    assert res.exit_code == 0, res.output
    rows = json.loads(res.stdout)
    assert [r["phase"] for r in rows] == shop["report"].phases


def test_data_quality_shows_duplicates_and_import_warnings(tmp_path):
    """Issue 12: the report says how many rows were skipped as duplicates, shows a sample of
    them, and repeats the imports' warnings (negative revenue)."""
    from wegweiser import Project
    from wegweiser.report.gather import gather
    from wegweiser.report.sections import sections

    data = tmp_path / "orders.csv"
    data.write_text("user_id,event,timestamp,revenue\n"
                    "u1,order_completed,2026-10-01T10:00:00Z,10\n"
                    "u1,order_completed,2026-10-01T10:00:00Z,10\n"
                    "u1,order_completed,2026-10-01T10:00:00Z,12\n"  # another amount: kept
                    "u2,order_completed,2026-10-01T11:00:00Z,-5\n", encoding="utf-8")
    with Project.init(tmp_path / "p") as project:
        project.import_events(data)
        report = gather(project)
    assert report.imports["duplicates"] == 1
    assert report.imports["negative_revenue"] == 1
    [row] = report.imports["duplicate_sample"]
    assert (row["line"], row["first_line"]) == (3, 2)
    quality = next(s for s in sections(report, "en") if s["id"] == "quality")
    figures = {r[0]: r[1] for r in quality["blocks"][0]["rows"]}
    assert figures["Rows skipped as duplicates"] == "1"
    assert figures["Events with negative revenue (refunds?)"] == "1"
    tables = [b for b in quality["blocks"] if b["kind"] == "table"]
    [sample] = tables[1]["rows"]
    assert sample[0].endswith("orders.csv")
    assert sample[1:] == ["3", "same event as line 2 of this input"]
    warnings = [b for b in quality["blocks"] if b["kind"] == "list"]
    assert "negative revenue" in warnings[0]["items"][0]


def test_retention_says_which_dates_it_left_out(tmp_path):
    """Issue 12, item 10: an outlier date is left out of the cohorts and the report says so
    (in the report's language), as does the partial last period."""
    from datetime import UTC, datetime, timedelta

    from wegweiser import Project
    from wegweiser.report.gather import gather
    from wegweiser.report.sections import sections

    start = datetime(2026, 9, 7, 12, tzinfo=UTC)
    rows = [{"user_id": f"u{p}", "event": "visit",
             "timestamp": (start + timedelta(days=7 * w + p % 5)).isoformat()}
            for p in range(30) for w in range(6) if (p + w) % 3]
    rows.append({"user_id": "u0", "event": "visit", "timestamp": "2019-05-04T10:00:00+00:00"})
    with Project.init(tmp_path / "p") as project:
        project.import_events(pd.DataFrame(rows))
        report = gather(project)
    assert report.retention is not None
    assert report.retention.params["excluded_events"] == 1
    retention = next(s for s in sections(report, "de") if s["id"] == "retention")
    notes = [b["text"] for b in retention["blocks"] if b["kind"] == "note"]
    assert "1 Ereignisse weit abseits der übrigen Daten wurden weggelassen (falsches Datum?)." \
        in notes


@pytest.mark.parametrize("lang", ["de", "en"])
def test_fix_effects_section_shows_a_fix_or_says_there_is_none(lang):
    """With a fix its daily rates are charted; without one (no rows) the section is the note,
    never an empty chart or table."""
    import datetime as dt
    import types

    from wegweiser.analysis.fixes import ANALYSIS, DAILY_COLUMNS, FixResult, check_fixes
    from wegweiser.report.sections import _Figures, _registered

    data = types.SimpleNamespace(currency="EUR")
    none = _registered(ANALYSIS, check_fixes(None, []), data, lang, _Figures())
    assert [b["kind"] for b in none["blocks"]] == ["note"]
    assert none["blocks"][0]["text"].startswith("noch keine" if lang == "de" else "no fixes")
    days = [dt.date(2026, 1, 1) + dt.timedelta(days=i) for i in range(4)]
    daily = pd.DataFrame({"fix": "pay", "group": ["treated"] * 2 + ["control"] * 2,
                          "day": days[:2] * 2, "n": 10, "k": [4, 1, 2, 2],
                          "rate": [0.4, 0.1, 0.2, 0.2], "after": [False, True] * 2})
    row = check_fixes(None, []).fixes.reindex([0]).assign(fix="pay", verdict="worked")
    shown = _registered(ANALYSIS, FixResult(row, daily[DAILY_COLUMNS]), data, lang, _Figures())
    kinds = [b["kind"] for b in shown["blocks"]]
    assert kinds == ["figure", "table"]
    fig = json.loads(shown["blocks"][0]["json"].replace("<\\/", "</"))
    assert fig["data"]
    assert {trace["name"] for trace in fig["data"]} >= {"treated", "control"}


@pytest.mark.parametrize("lang", ["de", "en"])
def test_fix_effects_section_says_which_method_decided_and_why(lang):
    """A scoped fix is decided by difference-in-differences, one without scope by the time
    series; the section's note says so for each, in the report's language."""
    import types

    from tests.analysis.test_fixes import _fix, _journey, _planted
    from wegweiser.analysis.fixes import ANALYSIS, check_fixes
    from wegweiser.report.sections import _Figures, _registered

    result = check_fixes(_journey(_planted(0.4, 0.05)),
                         [_fix(), _fix(name="everyone", where=["event=pay"])])
    assert list(result.fixes.method) == ["did", "its"]
    shown = _registered(ANALYSIS, result, types.SimpleNamespace(currency="EUR"), lang,
                        _Figures())
    (note,) = [b["text"] for b in shown["blocks"] if b["kind"] == "note"]
    if lang == "de":
        assert "mobile-pay: entschieden hat die Differenz-von-Differenzen" in note
        assert "everyone: entschieden hat die unterbrochene Zeitreihe" in note
        assert "p = 0," in note  # a decimal comma
    else:
        assert "mobile-pay: difference-in-differences decided" in note
        assert "everyone: the interrupted time series decided: the fix has no scope" in note


def test_an_analysis_without_its_data_says_so_instead_of_failing_the_report(tmp_path):
    """A project without purchases has no lifetime value: the report keeps the section and
    says why, in the report's language, instead of stopping."""
    from wegweiser import Project
    from wegweiser.report.gather import gather
    from wegweiser.report.sections import sections

    rows = [{"user_id": f"u{p}", "event": "visit", "timestamp": f"2026-09-{p + 1:02d}T10:00:00Z"}
            for p in range(5)]
    with Project.init(tmp_path / "p") as project:
        project.import_events(pd.DataFrame(rows))
        report = gather(project)
    assert [spec.name for spec, _ in report.unavailable] == ["clv"]
    section = next(s for s in sections(report, "de") if s["id"] == "analysis-clv")
    texts = [b["text"] for b in section["blocks"]]
    assert texts[0] == "Ausgelassen: diesem Projekt fehlen die Daten dafür"
    assert "needs purchases" in texts[1]


@pytest.mark.parametrize("lang", ["de", "en"])
def test_without_a_conversion_event_the_overview_says_so_and_names_no_best_touchpoint(
        tmp_path, lang):
    """A shop whose purchases are called 'purchase' (CDNOW, retentioneering's ecom) has no
    event of the default conversion_events: the overview said "Best-converting touchpoint:
    direct (0.0 % of its 30 persons convert)"; it now says why every conversion is 0."""
    from datetime import UTC, datetime, timedelta

    from wegweiser import Project
    from wegweiser.report.gather import gather
    from wegweiser.report.sections import sections

    start = datetime(2026, 9, 7, 12, tzinfo=UTC)
    rows = [{"user_id": f"u{p}", "event": event, "channel": ("email", "direct")[p % 2],
             "timestamp": (start + timedelta(days=p, minutes=i)).isoformat()}
            for p in range(20) for i, event in enumerate(("product_view", "purchase"))]
    with Project.init(tmp_path / "p") as project:
        project.import_events(pd.DataFrame(rows))
        report = gather(project)
    assert report.journey_map is not None
    overview = next(s for s in sections(report, lang) if s["id"] == "overview")
    items = [i for b in overview["blocks"] if b["kind"] == "list" for i in b["items"]]
    said = t("highlight.no_conversions", lang, events="order_completed, store_purchase")
    assert said in items
    best = t("highlight.best", lang, touchpoint="@", rate="@", persons="@").split("@")[0]
    assert not [i for i in items if i.startswith(best)], items
