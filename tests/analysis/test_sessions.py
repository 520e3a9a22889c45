from __future__ import annotations

import json
import subprocess
import sys
from datetime import timedelta

import ibis
import numpy as np
import pandas as pd
import pytest

import wegweiser
from tests.analysis.reference import BASE, Ev, frame_of, load, random_rows, stitched_frame
from wegweiser.analysis.params import parse_duration
from wegweiser.analysis.result import to_frame
from wegweiser.analysis.sessions import DURATION_EDGES, sessionize, sessions, stored_sessions
from wegweiser.errors import InvalidInput

CONVERSIONS = {"order_completed"}




def reference_sessions(rows: list[Ev], gap: timedelta, keep=None) -> list[dict]:
    """Sessions of ``rows`` at ``gap``; ``keep``: only the events it accepts, in the sessions
    of all the rows (numbers kept; a session without such events goes)."""
    by_person: dict[str, list[Ev]] = {}
    for r in sorted(rows, key=lambda r: (r.timestamp, r.message_id)):
        by_person.setdefault(r.person, []).append(r)
    out = []
    for person, events in by_person.items():
        current: list[Ev] = []
        chunks = [current]
        for i, e in enumerate(events):
            if i and e.timestamp - events[i - 1].timestamp > gap:
                current = []
                chunks.append(current)
            current.append(e)
        for n, whole in enumerate(chunks):
            chunk = whole if keep is None else [e for e in whole if keep(e)]
            if not chunk:
                continue
            out.append({
                "person_id": person, "session": n, "session_id": f"{person}:{n}",
                "start": chunk[0].timestamp, "end": chunk[-1].timestamp,
                "duration_s": (chunk[-1].timestamp - chunk[0].timestamp).total_seconds(),
                "events": len(chunk), "channel": chunk[0].channel, "device": chunk[0].device,
                "conversions": sum(e.event in CONVERSIONS for e in chunk),
            })
    return out


def check_against_reference(result, ref: list[dict]) -> None:
    frame = pd.DataFrame(ref)
    summary = result.summary.iloc[0]
    durations = frame["duration_s"].to_numpy()
    per_person = frame.groupby("person_id").size().to_numpy()
    expected = {
        "sessions": len(frame), "persons": frame["person_id"].nunique(),
        "sessions_per_person_mean": per_person.mean(),
        "sessions_per_person_median": np.median(per_person),
        "duration_mean_s": durations.mean(), "duration_median_s": np.median(durations),
        "duration_p90_s": np.quantile(durations, 0.9),
        "events_per_session_mean": frame["events"].mean(),
        "events_per_session_median": np.median(frame["events"]),
        "bounce_rate": (frame["events"] == 1).mean(),
        "conversion_rate": (frame["conversions"] > 0).mean(),
    }
    for key, value in expected.items():
        assert summary[key] == pytest.approx(value), key
    for key, table in (("channel", result.by_channel), ("device", result.by_device)):
        got = table.set_index(key)
        for value, group in frame.groupby(key):
            row = got.loc[value]
            assert row["sessions"] == len(group)
            assert row["share"] == pytest.approx(len(group) / len(frame))
            assert row["persons"] == group["person_id"].nunique()
            assert row["events_per_session"] == pytest.approx(group["events"].mean())
            assert row["duration_mean_s"] == pytest.approx(group["duration_s"].mean())
            assert row["duration_median_s"] == pytest.approx(np.median(group["duration_s"]))
            assert row["bounce_rate"] == pytest.approx((group["events"] == 1).mean())
            assert row["conversion_rate"] == pytest.approx((group["conversions"] > 0).mean())
        assert len(got) == frame[key].nunique()
    bins = np.digitize(durations, DURATION_EDGES)
    assert result.durations["sessions"].tolist() == [
        int((bins == i).sum()) for i in range(len(DURATION_EDGES) + 1)
    ]
    got_rows = result.sessions.sort_values(["person_id", "session"]).to_dict("records")
    want_rows = sorted(ref, key=lambda r: (r["person_id"], r["session"]))
    assert len(got_rows) == len(want_rows)
    for got, want in zip(got_rows, want_rows, strict=True):
        for key, value in want.items():
            assert got[key] == (pytest.approx(value) if key == "duration_s" else value), key


@pytest.mark.parametrize("seed", range(3))
def test_sessions_match_reference_for_several_gaps(project, seed):
    rows = random_rows(seed, n=250, minutes=60 * 12, ties=0.15)
    journey = load(project, rows)
    for gap in (timedelta(minutes=1), timedelta(minutes=10), timedelta(hours=2)):
        result = sessions(journey, gap=gap, limit=None)
        check_against_reference(result, reference_sessions(rows, gap))
    default = sessions(journey, limit=None)  # the journey's own sessions: 30 minutes
    check_against_reference(default, reference_sessions(rows, timedelta(minutes=30)))


def test_exactly_the_gap_stays_in_the_session_and_ties_keep_message_order(project):
    gap = timedelta(minutes=10)
    at = [BASE, BASE + gap, BASE + 2 * gap + timedelta(seconds=1), BASE + 2 * gap + timedelta(
        seconds=1), BASE + 3 * gap + timedelta(seconds=1)]
    rows = [Ev("p", "a", ts, f"m{i}", channel=f"c{i}", device="mobile") for i, ts in enumerate(at)]
    rows[2].message_id, rows[3].message_id = "m9", "m3"  # tie: m3 comes first
    journey = load(project, rows[::-1])
    split = to_frame(sessionize(journey, gap=gap).order_by("seq"))
    assert split["session"].tolist() == [0, 0, 1, 1, 1]
    assert split["message_id"].tolist() == ["m0", "m1", "m3", "m9", "m4"]
    assert split["session_id"].tolist() == ["p:0", "p:0", "p:1", "p:1", "p:1"]
    result = sessions(journey, gap=gap, limit=None)
    assert result.sessions["channel"].tolist() == ["c0", "c3"]  # entry: first event by seq
    assert result.sessions["duration_s"].tolist() == [600.0, 600.0]
    assert sessionize(journey, gap=gap).columns == journey.columns


def test_sessions_span_devices_of_a_stitched_person(project):
    rows = random_rows(7, n=200, persons=6, minutes=60 * 8)
    summary = project.import_events(stitched_frame(rows))
    assert summary.quarantined == 0
    journey = project.journey()
    for gap in (timedelta(minutes=5), timedelta(minutes=45)):
        result = sessions(journey, gap=gap, limit=None)
        check_against_reference(result, reference_sessions(rows, gap))


def test_empty_journey(project):
    result = sessions(project.journey(), gap=timedelta(minutes=5), limit=None)
    assert result.summary.loc[0, "sessions"] == 0
    assert result.summary.loc[0, "persons"] == 0
    assert result.by_channel.empty
    assert result.by_device.empty
    assert result.sessions.empty
    assert result.durations["sessions"].sum() == 0
    result.figure()


def test_limit_and_bad_arguments(project):
    journey = load(project, random_rows(3, n=80))
    assert len(sessions(journey).sessions) == 0
    limited = sessions(journey, limit=5).sessions
    everything = sessions(journey, limit=None).sessions
    assert limited.to_dict("records") == everything.head(5).to_dict("records")
    assert everything["start"].is_monotonic_increasing
    with pytest.raises(InvalidInput, match="positive"):
        sessionize(journey, gap=timedelta(0))
    with pytest.raises(InvalidInput, match="limit"):
        sessions(journey, limit=-1)


def test_demo_persons_and_visits(project):
    from wegweiser.events.demo import generate

    data = generate(200, seed=3, days=30)
    project.import_events(data.events)
    result = sessions(project.journey())
    summary = result.summary.iloc[0]
    # one person per stitched key; every key has at least one session
    assert summary["persons"] == len(data.truth["persona_of"])
    assert summary["sessions"] >= summary["persons"]
    assert set(result.by_channel["channel"].dropna()) <= set(data.truth["channels"])
    result.figure()


@pytest.mark.slow
def test_cli_sessions(tmp_path):
    with wegweiser.Project.init(tmp_path / "p") as proj:
        proj.import_events(frame_of(random_rows(2, n=60)))
        expected = sessions(proj.journey(), gap=timedelta(minutes=15)).summary.loc[0, "sessions"]
    run = subprocess.run(
        [sys.executable, "-m", "wegweiser.cli", "sessions", "-p", str(tmp_path / "p"), "--gap",
         "15m", "--view", "channels", "--format", "json"],
        capture_output=True, text=True, check=False,
    )
    assert run.returncode == 0, run.stderr
    rows = json.loads(run.stdout)
    assert {r["channel"] for r in rows} <= {"email", "paid_search", "direct"}
    assert sum(r["sessions"] for r in rows) == expected


def test_parse_duration():
    assert parse_duration("90s") == timedelta(seconds=90)
    assert parse_duration("1h 30m") == timedelta(minutes=90)
    assert parse_duration("2d") == timedelta(days=2)
    assert parse_duration("1.5h") == timedelta(minutes=90)
    for bad in ("soon", "", "10x", "m", "-5m", "45"):  # a unit is required
        with pytest.raises(InvalidInput, match="30m") as info:
            parse_duration(bad, what="--gap")
        assert info.value.exit_code == 2


@pytest.mark.parametrize("gap", [None, timedelta(minutes=45)])
def test_durations_are_exact_to_the_microsecond(project, gap):
    """Plain SQL says 55.551256 s; subtracting epoch seconds held as doubles (~1.8e9 s,
    where a double steps by 2.4e-7 s) gave 55.55125594139099. The difference is now taken
    in integer microseconds."""
    start = BASE.replace(hour=9, minute=13, second=7, microsecond=123_457)
    spans = [timedelta(seconds=12, microseconds=999_999),
             timedelta(seconds=55, microseconds=551_256), timedelta(seconds=80, microseconds=1)]
    rows = []
    for i, span in enumerate(spans):
        rows += [Ev(f"p{i}", "a", start, f"m{i}a"), Ev(f"p{i}", "b", start + span, f"m{i}b")]
    journey = load(project, rows)
    result = sessions(journey) if gap is None else sessions(journey, gap=gap)
    assert result.summary["duration_median_s"].iloc[0] == 55.551256
    assert result.summary["duration_mean_s"].iloc[0] == pytest.approx(
        (12.999999 + 55.551256 + 80.000001) / 3, abs=1e-12)


def test_stored_sessions_are_the_split_at_the_project_gap(project):
    """The journey's ``session`` is :func:`sessionize` at the project's gap — boundaries (a
    pause of exactly the gap stays in), ties (message order), persons across devices — so a
    ``gap`` equal to ``stored_gap`` may read it instead of splitting again."""
    gap = timedelta(minutes=project.config.windows.session_gap_minutes)
    rows = random_rows(11, n=240, persons=8, minutes=60 * 10, ties=0.2)
    us = timedelta(microseconds=1)  # exactly the gap stays in, a microsecond more splits
    at = [BASE, BASE + gap, BASE + 2 * gap + us, BASE + 2 * gap + us, BASE + 3 * gap + 2 * us]
    rows += [Ev("edge", "a", ts, f"e{i}", channel=f"c{i % 2}", device=("mobile", "desktop")[i % 2])
             for i, ts in enumerate(at)]
    assert project.import_events(stitched_frame(rows)).quarantined == 0
    journey = project.journey()
    stored = to_frame(journey.select("message_id", "session", "session_id")
                      .order_by("message_id"))
    split = sessionize(journey, gap=gap).select("message_id", "session", "session_id")
    pd.testing.assert_frame_equal(stored, to_frame(split.order_by("message_id")))
    assert stored.loc[stored.message_id.str.startswith("e"), "session"].tolist() == [0, 0, 1, 1, 2]

    recomputed = sessions(journey, gap=gap, limit=None)
    check_against_reference(recomputed, reference_sessions(rows, gap))
    read = [sessions(journey, gap=gap, stored_gap=gap, limit=None), sessions(journey, limit=None),
            project.analyse("sessions", gap="30m", limit=100_000)]
    for result in read:
        for name, table in recomputed.tables().items():
            pd.testing.assert_frame_equal(result.tables()[name], table, check_exact=True)
    # another gap than the stored one splits again
    other = timedelta(minutes=7)
    check_against_reference(sessions(journey, gap=other, stored_gap=gap, limit=None),
                            reference_sessions(rows, other))


def test_means_are_exact_quotients_and_repeatable(project):
    """Means come from integer sums (microseconds): the correctly rounded quotient, the same
    bits on every run (a parallel ``avg`` of doubles changed its last bit between runs)."""
    from fractions import Fraction

    rows = random_rows(5, n=400, persons=12, minutes=60 * 20, ties=0.1)
    journey = load(project, rows)
    gap = timedelta(minutes=20)
    ref = pd.DataFrame(reference_sessions(rows, gap))
    micros = [round(d * 1_000_000) for d in ref["duration_s"]]
    first = sessions(journey, gap=gap)
    summary = first.summary.iloc[0]
    assert summary["duration_mean_s"] == float(Fraction(sum(micros), len(ref) * 1_000_000))
    assert summary["events_per_session_mean"] == float(Fraction(int(ref["events"].sum()),
                                                                len(ref)))
    by_channel = first.by_channel.set_index("channel")
    for channel, group in ref.assign(us=micros).groupby("channel"):
        assert by_channel.loc[channel, "duration_mean_s"] == float(
            Fraction(int(group["us"].sum()), len(group) * 1_000_000))
    again = sessions(journey, gap=gap)
    for name, table in first.tables().items():
        pd.testing.assert_frame_equal(again.tables()[name], table, check_exact=True)


@pytest.mark.parametrize("where", ["device=mobile", "event in a,b,order_completed"])
def test_a_filtered_journey_at_another_gap_is_split_on_the_events_in_scope(project, where):
    """Under a filter, a gap other than the project's splits the events in scope: no session
    is lost where the event that followed a session end was filtered out, and a session's
    events are the events in scope (not the positions between them in the whole journey)."""
    rows = random_rows(7, n=250, minutes=60 * 12, ties=0.15)
    load(project, rows)
    key, _, value = where.partition("=") if "=" in where else ("event", "", "")
    kept = (
        [r for r in rows if r.device == value]
        if key == "device"
        else [r for r in rows if r.event in {"a", "b", "order_completed"}]
    )
    result = project.analyse("sessions", {"gap": "10m", "where": [where], "limit": 100_000})
    check_against_reference(result, reference_sessions(kept, timedelta(minutes=10)))


def test_the_sessions_roll_up_gives_the_tables_of_the_events(tmp_path, monkeypatch):
    """At the project's gap on all the data, the registry aggregates the stored per-session
    rows (``rollup_sessions``: integer channel/device codes, first-session flags for the
    distinct persons) — exactly the tables of grouping the events, NULL channels and devices,
    ties and stitched devices included; under a filter it groups the events in scope (the
    roll-up holds all of them); a new import and another gap rebuild it."""
    rows = random_rows(3, n=300, persons=12, minutes=60 * 12, ties=0.2)
    for r in rows[::3]:  # some events without a device
        r.device = None
    read: list[str] = []
    with wegweiser.Project.init(tmp_path / "p") as project:
        assert project.import_events(stitched_frame(rows)).quarantined == 0
        real = project.rollup
        monkeypatch.setattr(project, "rollup", lambda name: read.append(name) or real(name))
        journey = project.journey()
        plain = sessions(journey, limit=None)
        rolled = sessions(journey, limit=None, rollup=project.rollup("sessions"))
        via = project.analyse("sessions", limit=100_000)
        assert read.count("sessions") == 2
        assert plain.by_device["device"].isna().any()
        for result in (rolled, via):
            for name, table in plain.tables().items():
                pd.testing.assert_frame_equal(result.tables()[name], table, check_exact=True)
        # the import names every channel: NULL channels on a journey made so, rolled up
        # unmaterialised (what a snapshot made before the roll-up reads)
        unnamed = journey.mutate(channel=ibis.ifelse(journey.seq % 3 == 0, None, journey.channel))
        plain = sessions(unnamed, limit=None)
        assert plain.by_channel["channel"].isna().any()
        rolled = sessions(unnamed, limit=None, rollup=stored_sessions(unnamed))
        for name, table in plain.tables().items():
            pd.testing.assert_frame_equal(rolled.tables()[name], table, check_exact=True)
        gap = timedelta(minutes=30)
        mobile = project.analyse("sessions", where=["device=mobile"], limit=100_000)
        assert read.count("sessions") == 2  # a filter: the events in scope
        check_against_reference(mobile, reference_sessions(
            rows, gap, keep=lambda e: e.device == "mobile"))
        later = random_rows(4, n=60, persons=20, minutes=60 * 12)
        for i, r in enumerate(later):
            r.message_id = f"later{i}"
        project.import_events(frame_of(later))
        again = project.analyse("sessions", limit=100_000)
        assert again.summary["sessions"].iloc[0] == len(reference_sessions(rows + later, gap))
    cfg = tmp_path / "p" / "wegweiser.toml"
    cfg.write_text(cfg.read_text().replace("session_gap_minutes = 30", "session_gap_minutes = 7"))
    with wegweiser.open_project(tmp_path / "p") as project:
        at_seven = project.analyse("sessions", limit=100_000)
        recomputed = sessions(project.journey(), gap=timedelta(minutes=7), limit=None)
    for name, table in recomputed.tables().items():
        pd.testing.assert_frame_equal(at_seven.tables()[name], table, check_exact=True)
