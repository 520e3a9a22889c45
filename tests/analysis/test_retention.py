from __future__ import annotations

import json
import random
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta

import pandas as pd
import pytest

import wegweiser
from tests.analysis.reference import Ev, frame_of, load, random_rows
from wegweiser.analysis.retention import period_start, retention
from wegweiser.errors import InvalidInput

CONVERSIONS = {"order_completed"}
MONDAY = datetime(2026, 3, 2, tzinfo=UTC)  # a Monday, and the 2nd of a month


def index(ts: datetime, period: str) -> int:
    if period == "month":
        return ts.year * 12 + ts.month - 1
    days = (ts.date() - date(1970, 1, 1)).days
    return days if period == "day" else (days + 3) // 7


def boundary_rows(seed: int, n: int = 260) -> list[Ev]:
    """Random events over ~10 weeks, a third of them exactly on or just before a midnight,
    a Monday midnight or a month start (UTC)."""
    rng = random.Random(seed)
    rows = random_rows(seed, n=n, persons=20, minutes=60 * 24 * 70, ties=0.05)
    starts = [MONDAY + timedelta(days=d) for d in range(-7, 70)]
    for r in rows:
        if rng.random() < 0.35:
            edge = rng.choice(starts + [datetime(2026, m, 1, tzinfo=UTC) for m in (3, 4, 5)])
            r.timestamp = edge - (timedelta(microseconds=1) if rng.random() < 0.4 else timedelta())
    return rows


def reference(rows, *, cohort_by, period, kind, return_event, max_periods):
    names = None if return_event is None else set(return_event)
    last = max(index(r.timestamp, period) for r in rows)
    cohort: dict[str, int] = {}
    for r in rows:
        if cohort_by == "first_event" or r.event in CONVERSIONS:
            t = index(r.timestamp, period)
            cohort[r.person] = min(cohort.get(r.person, t), t)
    active = {p: {c} for p, c in cohort.items()}
    for r in rows:
        t = index(r.timestamp, period)
        if r.person in cohort and t >= cohort[r.person] and (names is None or r.event in names):
            active[r.person].add(t)
    cohorts = []
    for c in sorted(set(cohort.values())):
        members = [p for p, pc in cohort.items() if pc == c]
        for k in range(min(max_periods, last - c) + 1):
            if kind == "n_period":
                kept = sum(c + k in active[p] for p in members)
            else:
                kept = sum(max(active[p]) >= c + k for p in members)
            cohorts.append((period_start(c, period), len(members), k,
                            period_start(c + k, period), kept))
    lifecycle = []
    first = min(cohort.values(), default=0)
    for t in range(first, last + 1) if cohort else ():
        counts = dict.fromkeys(("new", "returning", "resurrecting", "dormant"), 0)
        for p, c in cohort.items():
            now, before = t in active[p], t - 1 in active[p]
            if c == t:
                counts["new"] += 1
            elif now and before:
                counts["returning"] += 1
            elif now and t > c:
                counts["resurrecting"] += 1
            elif before and not now:
                counts["dormant"] += 1
        lifecycle += [(period_start(t, period), s, n) for s, n in counts.items()]
    return cohorts, lifecycle


def check(result, rows, **options) -> None:
    cohorts, lifecycle = reference(rows, **options)
    got = result.cohorts
    assert list(zip(got["cohort"], got["size"], got["period"], got["period_start"],
                    got["retained"], strict=True)) == cohorts
    last = max(index(r.timestamp, options["period"]) for r in rows)
    start_of_last = period_start(last, options["period"])
    partial = got["period_start"] == start_of_last
    assert (got["complete"] == ~partial).all()
    assert (got["rate"] == got["retained"] / got["size"])[~partial].all()
    assert got.loc[partial, "rate"].isna().all()  # the last period is seen only in part
    life = result.lifecycle
    assert list(zip(life["period_start"], life["state"], life["persons"], strict=True)) == (
        lifecycle)
    assert (life["complete"] == (life["period_start"] != start_of_last)).all()
    by = {(p, s): n for p, s, n in lifecycle}
    periods = sorted({p for p, _, _ in lifecycle})
    churn = result.churn
    assert churn["period_start"].tolist() == periods
    for i, p in enumerate(periods):
        active = by[p, "new"] + by[p, "returning"] + by[p, "resurrecting"]
        previous = 0 if i == 0 else sum(by[periods[i - 1], s] for s in
                                         ("new", "returning", "resurrecting"))
        row = churn.iloc[i]
        assert (row["active"], row["active_previous"]) == (active, previous)
        assert (row["retained"], row["churned"]) == (by[p, "returning"], by[p, "dormant"])
        assert row["active_previous"] == row["retained"] + row["churned"]
        assert bool(row["complete"]) == (p != start_of_last)
        if p == start_of_last:
            assert pd.isna(row["churn_rate"])  # not a drop: the period is not over
        elif previous:
            assert row["churn_rate"] == pytest.approx(by[p, "dormant"] / previous)


@pytest.mark.parametrize(("seed", "return_event"), [(0, None), (1, ("b", "order_completed"))])
def test_retention_matches_reference(project, seed, return_event):
    rows = boundary_rows(seed)
    journey = load(project, rows)
    for cohort_by in ("first_event", "first_purchase"):
        for period in ("day", "week", "month"):
            for kind in ("n_period", "unbounded"):
                options = {"cohort_by": cohort_by, "period": period, "kind": kind,
                           "return_event": return_event, "max_periods": 5}
                check(retention(journey, **options), rows, **options)


def test_period_of_day_matches_the_calendar():
    import ibis

    from wegweiser.analysis.retention import period_of_day

    days = [*range(-800, 800, 7), *range(19_000, 21_000), 11_016, 11_017, 47_482]
    t = ibis.memtable({"day": days})
    for period in ("day", "week", "month"):
        span = (min(days), max(days))
        got = t.select(t.day, p=period_of_day(t.day, period, span=span)).to_pyarrow().to_pylist()
        for row in got:
            when = date(1970, 1, 1) + timedelta(days=row["day"])
            assert row["p"] == index(datetime(when.year, when.month, when.day, tzinfo=UTC),
                                     period), (period, when)
            assert period_start(row["p"], period) <= when


def test_period_boundaries(project):
    just_before = timedelta(microseconds=1)
    rows = [
        Ev("a", "x", MONDAY - just_before, "m1"), Ev("a", "x", MONDAY, "m2"),  # Sun, Mon
        Ev("b", "x", MONDAY, "m3"), Ev("b", "x", MONDAY + timedelta(days=7), "m4"),
        Ev("c", "x", datetime(2026, 4, 1, tzinfo=UTC) - just_before, "m5"),
        Ev("c", "x", datetime(2026, 4, 1, tzinfo=UTC), "m6"),
        Ev("d", "x", datetime(2026, 3, 1, tzinfo=UTC) - just_before, "m7"),
        Ev("d", "x", datetime(2026, 3, 1, tzinfo=UTC), "m8"),
    ]
    journey = load(project, rows)
    feb23, mar2, mar30 = date(2026, 2, 23), date(2026, 3, 2), date(2026, 3, 30)
    weekly = retention(journey, period="week").cohorts
    assert weekly[["cohort", "size", "period", "retained"]].values.tolist() == [
        [feb23, 2, 0, 2], [feb23, 2, 1, 1], [feb23, 2, 2, 0], [feb23, 2, 3, 0],
        [feb23, 2, 4, 0], [feb23, 2, 5, 0],
        [mar2, 1, 0, 1], [mar2, 1, 1, 1], [mar2, 1, 2, 0], [mar2, 1, 3, 0], [mar2, 1, 4, 0],
        [mar30, 1, 0, 1],
    ]
    feb, mar, apr = date(2026, 2, 1), date(2026, 3, 1), date(2026, 4, 1)
    monthly = retention(journey, period="month", kind="unbounded").cohorts
    assert monthly[["cohort", "size", "period", "retained"]].values.tolist() == [
        [feb, 1, 0, 1], [feb, 1, 1, 1], [feb, 1, 2, 0], [mar, 3, 0, 3], [mar, 3, 1, 1],
    ]
    life = retention(journey, period="month").lifecycle.drop(columns="complete")
    assert life[life["persons"] > 0].values.tolist() == [
        [feb, "new", 1], [mar, "new", 3], [mar, "returning", 1], [apr, "returning", 1],
        [apr, "dormant", 3],
    ]
    daily = retention(journey, period="day", max_periods=1).cohorts
    kept = daily.groupby("cohort")["retained"].apply(list).to_dict()
    assert kept == {date(2026, 2, 28): [1, 1], date(2026, 3, 1): [1, 1],
                    date(2026, 3, 2): [1, 0], date(2026, 3, 31): [1, 1]}


def test_empty_and_bad_arguments(project):
    result = retention(project.journey())
    assert result.cohorts.empty
    assert result.churn.empty
    assert result.lifecycle.empty
    result.figure()
    journey = load(project, random_rows(1, n=20))
    with pytest.raises(InvalidInput, match="period"):
        retention(journey, period="year")
    with pytest.raises(InvalidInput, match="cohort_by"):
        retention(journey, cohort_by="first_visit")
    with pytest.raises(InvalidInput, match="kind"):
        retention(journey, kind="rolling")
    with pytest.raises(InvalidInput, match="max_periods"):
        retention(journey, max_periods=-1)
    with pytest.raises(InvalidInput, match="retention return event"):  # not a table of zeros
        retention(journey, cohort_by="first_purchase", return_event="nothing")


def test_demo_buyers_and_stitched_persons(project):
    from wegweiser.events.demo import generate

    data = generate(300, seed=3, days=60)
    project.import_events(data.events)
    journey = project.journey()
    everyone = retention(journey, period="month")
    first = everyone.cohorts[everyone.cohorts["period"] == 0]
    assert first["size"].sum() == len(data.truth["persona_of"])  # every stitched person
    buyers = retention(journey, cohort_by="first_purchase", period="month").cohorts
    assert buyers[buyers["period"] == 0]["size"].sum() == data.truth["buyers_stitched"]
    everyone.figure()


@pytest.mark.slow
def test_cli_retention(tmp_path):
    rows = boundary_rows(4, n=80)
    with wegweiser.Project.init(tmp_path / "p") as proj:
        proj.import_events(frame_of(rows))
        expected = retention(proj.journey(), period="day", kind="unbounded").churn
    run = subprocess.run(
        [sys.executable, "-m", "wegweiser.cli", "retention", "-p", str(tmp_path / "p"),
         "--period", "day", "--kind", "unbounded", "--view", "churn", "--format", "json"],
        capture_output=True, text=True, check=False,
    )
    assert run.returncode == 0, run.stderr
    got = json.loads(run.stdout)
    assert [r["churned"] for r in got] == expected["churned"].tolist()
    assert [r["period_start"] for r in got] == [d.isoformat() for d in expected["period_start"]]


def test_the_last_partial_period_is_flagged_not_a_drop(project):
    """Weekly data whose last event falls on a Monday morning: that week has barely begun.
    Before, its retention read 0% and its churn 100%."""
    rows = [Ev(f"p{i}", "x", MONDAY + timedelta(days=7 * w, hours=i), f"m{i}-{w}")
            for i in range(4) for w in range(3)]
    rows.append(Ev("p0", "x", MONDAY + timedelta(days=21, minutes=5), "last"))
    journey = load(project, rows)
    result = retention(journey, period="week")
    churn = result.churn.set_index("period_start")
    last = MONDAY.date() + timedelta(days=21)
    assert not churn.loc[last, "complete"]
    assert pd.isna(churn.loc[last, "churn_rate"])
    assert churn.loc[last, "churned"] == 3  # seen so far
    assert churn.loc[last - timedelta(days=7), "churn_rate"] == 0.0
    cohort = result.cohorts.set_index("period")
    assert cohort.loc[2, "rate"] == 1.0
    assert pd.isna(cohort.loc[3, "rate"])
    assert not cohort.loc[3, "complete"]
    assert result.lifecycle.query("complete == False")["period_start"].unique().tolist() == [last]


@pytest.mark.parametrize("outlier", [datetime(2019, 5, 4, tzinfo=UTC),
                                     datetime(2031, 1, 1, tzinfo=UTC)])
def test_an_outlier_date_is_left_out_and_named(project, outlier):
    rows = boundary_rows(2, n=200)
    clean = retention(load(project, rows), period="week")
    rows.append(Ev(rows[0].person, "a", outlier, "outlier"))
    result = retention(load(project, [rows[-1]]), period="week")
    assert len(result.cohorts) == len(clean.cohorts)  # not one row per week since 2019
    assert len(result.lifecycle) == len(clean.lifecycle)
    assert result.cohorts.equals(clean.cohorts)
    assert f"Left out 1 event dated {outlier.date()}" in result.note
    assert clean.note == ""


def test_no_outliers_when_the_data_really_spans_the_time(project):
    from wegweiser.analysis._retention_span import main_span

    days = pd.DataFrame({"day": [0, 1, 500, 501], "n": [50, 50, 50, 50]})
    span = main_span(days)
    assert (span.first_day, span.last_day, span.excluded) == (0, 501, 0)
    assert main_span(pd.DataFrame({"day": [7], "n": [3]})).note == ""
