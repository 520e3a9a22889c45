"""Fixes: the fix model, the daily rate against pandas, and a planted fix found again."""

from __future__ import annotations

import datetime as dt

import ibis
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wegweiser.analysis import filters
from wegweiser.analysis._fix_metric import _with_traits, daily_rate, daily_rates
from wegweiser.analysis.fixes import (
    Fix,
    check_fixes,
    control_of,
    fix_annotations,
    say,
    why,
    why_fields,
)
from wegweiser.errors import InvalidInput
from wegweiser.present.i18n import note_text

T0 = dt.datetime(2026, 3, 2, tzinfo=dt.UTC)
EVENTS = ("pay", "error", "view", "order")
DEVICES = ("mobile", "desktop")
SCHEMA = ibis.schema({"person_id": "string", "event": "string", "device": "string",
                      "timestamp": "timestamp('UTC')", "is_conversion": "boolean"})


def _journey(rows: list[tuple[str, str, str, int, int]]) -> ibis.Table:
    """rows: (person, event, device, day, minute)."""
    return ibis.memtable(pd.DataFrame({
        "person_id": [r[0] for r in rows], "event": [r[1] for r in rows],
        "device": [r[2] for r in rows],
        "timestamp": pd.to_datetime([T0 + dt.timedelta(days=r[3], minutes=r[4]) for r in rows],
                                    utc=True),
        "is_conversion": [r[1] == "order" for r in rows],
    }), schema=SCHEMA)


def _reference(rows, touch, outcome):
    """Per day: persons with a touchpoint event, and those of them with an outcome event."""
    frame = pd.DataFrame(rows, columns=["p", "e", "d", "day", "m"])
    rows_of = frame.itertuples
    at = frame.loc[np.array([touch(r) for r in rows_of()], dtype=bool)]
    at = at[["p", "day"]].drop_duplicates()
    hit = frame.loc[np.array([outcome(r) for r in rows_of()], dtype=bool)]
    hit = hit[["p", "day"]].drop_duplicates()
    hit = hit.assign(h=1)
    both = at.merge(hit, on=["p", "day"], how="left").fillna({"h": 0})
    out = both.groupby("day").agg(n=("p", "size"), k=("h", "sum")).reset_index()
    return [(T0.date() + dt.timedelta(days=int(r.day)), int(r.n), int(r.k))
            for r in out.itertuples()]


rows_st = st.lists(st.tuples(st.sampled_from("abcdef"), st.sampled_from(EVENTS),
                             st.sampled_from(DEVICES), st.integers(0, 4),
                             st.integers(0, 24 * 60 - 1)), max_size=40)


@settings(max_examples=20, deadline=None)
@given(rows=rows_st)
def test_daily_rate_matches_pandas(rows):
    journey = _journey(rows)
    touch = [filters.parse("event=pay"), filters.parse("device=mobile")]
    got = daily_rate(journey, touch, [filters.parse("event=error")])
    want = _reference(rows, lambda r: r.e == "pay" and r.d == "mobile", lambda r: r.e == "error")
    assert list(zip(got.day, got.n, got.k, strict=True)) == want
    assert np.allclose(got.rate, got.k / got.n)
    other = [filters.parse("event=pay"), filters.parse("device!=mobile")]
    both = daily_rates(journey, {"m": touch, "o": other}, [filters.parse("event=error")])
    pd.testing.assert_frame_equal(both["m"], got)  # one query for several groups
    joined = _with_traits(journey, {"m": touch, "o": other}, [filters.parse("event=error")],
                          None)  # the path for trait conditions counts alike
    pd.testing.assert_frame_equal(joined["m"], both["m"])
    pd.testing.assert_frame_equal(joined["o"], both["o"])
    pd.testing.assert_frame_equal(both["o"], daily_rate(journey, other,
                                                        [filters.parse("event=error")]))
    conv = daily_rate(journey, touch, None)
    want = _reference(rows, lambda r: r.e == "pay" and r.d == "mobile", lambda r: r.e == "order")
    assert list(zip(conv.day, conv.n, conv.k, strict=True)) == want


def _planted(before_rate: float, after_rate: float, *, seed: int = 0, days: int = 60,
             fix_day: int = 40, per_day: int = 40) -> list[tuple[str, str, str, int, int]]:
    """Each day ``per_day`` persons per device pay; mobile ones hit an error with
    ``before_rate``, from ``fix_day`` on with ``after_rate``; desktop ones with 5%."""
    rng = np.random.default_rng(seed)
    rows = []
    for day in range(days):
        for device in DEVICES:
            rate = 0.05 if device == "desktop" else before_rate if day < fix_day else after_rate
            for i in range(per_day):
                who = f"{device}-{day}-{i}"
                rows.append((who, "pay", device, day, 600 + i))
                if rng.random() < rate:
                    rows.append((who, "error", device, day, 601 + i))
    return rows


def _fix(**extra) -> Fix:
    return Fix.model_validate({"name": "mobile-pay", "date": (T0 + dt.timedelta(days=40)).date(),
                               "touchpoint": "mobile payment",
                               "where": ["event=pay", "device=mobile"],
                               "friction": ["event=error"], **extra})


def test_a_planted_fix_is_found_with_both_estimates():
    result = check_fixes(_journey(_planted(0.4, 0.05)), [_fix(note="new provider")])
    row = result.fixes.iloc[0]
    assert row.verdict == "worked"
    assert row.did_verdict == "worked"
    assert row.low <= -0.35 <= row.high
    assert row.did_low <= -0.35 <= row.did_high
    assert row.rate_before == pytest.approx(0.4, abs=0.05)
    assert row.rate_after == pytest.approx(0.05, abs=0.05)
    assert set(result.daily.group) == {"treated", "control"}
    assert result.daily.after.sum() == 2 * 20
    assert "worked" in say(row, "en")
    assert "hat gewirkt" in say(row, "de")


def test_no_change_is_no_detectable_effect_and_worse_is_worse():
    same = check_fixes(_journey(_planted(0.2, 0.2, seed=2)), [_fix()]).fixes.iloc[0]
    assert same.verdict == "none"
    assert same.did_verdict == "none"
    worse = check_fixes(_journey(_planted(0.1, 0.4, seed=3)), [_fix()]).fixes.iloc[0]
    assert worse.verdict == "worse"


def test_too_early_when_the_fix_is_recent():
    rows = _planted(0.4, 0.05, days=43)
    row = check_fixes(_journey(rows), [_fix()]).fixes.iloc[0]
    assert row.verdict == "too_early"
    assert row.days_after == 3


def test_the_control_group_defaults_to_the_other_devices():
    assert [filters.describe(c) for c in control_of(_fix())] == ["event=pay", "device!=mobile"]
    only_events = _fix(where=["event=pay"])
    assert control_of(only_events) == []
    given_control = _fix(control=["event=pay", "device=tablet"])
    assert [filters.describe(c) for c in control_of(given_control)][1] == "device=tablet"
    row = check_fixes(_journey(_planted(0.4, 0.05)), [only_events]).fixes.iloc[0]
    assert row.did_verdict == ""
    assert np.isnan(row.did_effect)


def test_a_fix_without_conditions_takes_the_catalogues_touchpoint():
    from wegweiser.analysis.fixes import with_conditions
    from wegweiser.config import Config

    config = Config.model_validate({"touchpoints": [
        {"name": "mobile payment", "rule": ["event = pay", "device = mobile"]}]})
    bare = _fix(where=[])
    resolved = with_conditions(bare, config)
    assert [filters.describe(c) for c in resolved.where] == ["event=pay", "device=mobile"]
    journey = _journey(_planted(0.4, 0.05))
    assert check_fixes(journey, [resolved]).fixes.iloc[0].verdict == "worked"
    with pytest.raises(InvalidInput, match="looked up in the catalogue: unknown touchpoint"):
        with_conditions(bare.model_copy(update={"touchpoint": "mobile paymnt"}), config)


def test_bad_fixes_say_what_is_wrong():
    with pytest.raises(ValueError, match=r"unknown field .devise"):
        _fix(where=["devise=mobile"])
    with pytest.raises(ValueError, match="step"):
        _fix(where=["step2:event=pay"])
    with pytest.raises(ValueError, match="name"):
        Fix.model_validate({"name": "no/slash", "date": "2026-01-01", "touchpoint": "x",
                            "where": ["event=x"]})


def test_fix_annotations_list_the_fix_dates_in_order():
    late = _fix(name="b", date="2026-05-01", note="later")
    early = _fix(name="a", date="2026-04-01")
    assert fix_annotations([late, early]) == [
        {"date": "2026-04-01", "label": "mobile payment (a)", "note": ""},
        {"date": "2026-05-01", "label": "mobile payment (b)", "note": "later"},
    ]


def test_a_projects_annotations_hold_its_fix_dates(tmp_path):
    from wegweiser.analysis.annotations import Annotation
    from wegweiser.project_files import ProjectFiles

    files = ProjectFiles()
    files.path = tmp_path
    files.save_fix(_fix(name="pay", date="2026-04-01"))
    files.add_annotation(Annotation(date="2026-03-01", text="Launch", kind="campaign"))
    marks = [(a.date.isoformat(), a.kind, a.text) for a in files.annotations()]
    assert marks == [("2026-03-01", "campaign", "Launch"),
                     ("2026-04-01", "fix", "Fix: mobile payment (pay)")]
    files.delete_fix("pay")
    assert [a.kind for a in files.annotations()] == ["campaign"]


def test_a_comparison_group_that_can_overlap_the_scope_is_refused():
    with pytest.raises(ValueError, match=r"can overlap the fix's scope \(device=mobile\).*"
                       r"'device!=mobile'"):
        _fix(control=["event=pay", "channel=email"])  # mobile email users would be in both
    with pytest.raises(ValueError, match="can overlap"):
        _fix(control=["event=pay", "device!=desktop"])  # admits mobile
    with pytest.raises(ValueError, match="has no scope"):
        _fix(where=["event=pay"], control=["event=pay", "device=desktop"])
    for fine in (["event=pay", "device in tablet,desktop"], ["event=view", "device=desktop"],
                 ["device not in mobile,tv"]):
        assert _fix(control=fine).control


def test_a_catalogue_fix_whose_comparison_group_overlaps_is_refused_at_the_check():
    bare = _fix(where=[], control=["event=pay", "channel=email"])  # scope not known yet
    resolved = bare.model_copy(update={"where": filters.parse_many(["event=pay",
                                                                    "device=mobile"])})
    with pytest.raises(InvalidInput, match="fix 'mobile-pay': the comparison group"):
        check_fixes(_journey(_planted(0.4, 0.05)), [resolved])


def test_a_scoped_fix_is_decided_by_difference_in_differences_and_says_so():
    row = check_fixes(_journey(_planted(0.4, 0.05)), [_fix()]).fixes.iloc[0]
    assert (row.method, row.why) == ("did", "scoped")
    assert (row.effect, row.low, row.high) == (row.did_effect, row.did_low, row.did_high)
    assert row.its_verdict == "worked"  # the other estimate beside it
    assert row.pretrend_p > 0.05
    assert (row.scope, row.control) == ("device=mobile", "event=pay; device!=mobile")
    assert "by difference-in-differences" in say(row, "en")
    assert "interrupted time series: worked" in say(row, "en")
    assert why(row, "en").startswith("mobile-pay: difference-in-differences decided: the fix "
                                     "is limited to device=mobile")
    assert "nach Differenz-von-Differenzen" in say(row, "de")
    assert "unterbrochene Zeitreihe: hat gewirkt" in say(row, "de")
    assert "Vortrend" in why(row, "de")


def test_a_fix_without_scope_is_decided_by_the_time_series_and_says_why():
    result = check_fixes(_journey(_planted(0.4, 0.05)), [_fix(where=["event=pay"])])
    row = result.fixes.iloc[0]
    assert (row.method, row.why, row.did_verdict) == ("its", "no_scope", "")
    assert row.effect == row.its_effect
    assert "has no scope" in why(row, "en")
    assert "keine Vergleichsgruppe blieb unberührt" in why(row, "de")
    assert result.notes == (("fix.no_scope", why_fields(row)),)
    assert note_text(result, "de") == why(row, "de")  # the report's and dashboard's words
    assert result.note == why(row, "en")  # the API's and the command line's


def _drifting(rows, *, per_day=40, days=60):
    """``rows`` plus desktop errors rising from 2% to ~60% over the days: the comparison
    group drifts away from mobile before the fix."""
    extra = []
    for day in range(days):
        for i in range(per_day):
            if (i * 7919 + day * 104729) % 1000 < 20 + 10 * day:
                extra.append((f"desktop-{day}-{i}", "error", "desktop", day, 602 + i))
    return rows + extra


def test_comparison_groups_that_drift_before_the_fix_fall_back_to_the_time_series():
    rows = _drifting(_planted(0.4, 0.05, seed=4))
    row = check_fixes(_journey(rows), [_fix()]).fixes.iloc[0]
    assert (row.method, row.why) == ("its", "pretrend_failed")
    assert row.pretrend_p < 0.05
    assert row.pretrend_slope < 0  # mobile - desktop falls: desktop errors rise
    assert row.effect == row.its_effect
    assert row.verdict == row.its_verdict == "worked"
    assert why(row, "en").startswith("WARNING mobile-pay: the interrupted time series decided")
    assert why(row, "de").startswith("WARNUNG mobile-pay")


def test_a_comparison_group_without_enough_days_leaves_the_time_series_deciding():
    rows = [r for r in _planted(0.4, 0.05, seed=5) if r[2] == "mobile" or r[3] < 10]
    row = check_fixes(_journey(rows), [_fix()]).fixes.iloc[0]
    assert (row.method, row.why, row.did_verdict) == ("its", "no_comparison_days", "too_early")
    assert (row.did_days_before, row.did_days_after) == (10, 0)
    assert "(10 before, 0 after the fix; at least 14 and 7)" in why(row, "en")
