"""Best send time: the circular smoothing, the shrinkage to the prior (against a plain
computation), the 24-hour window with quiet hours, the engine's engagement counts, and
the simulated people against Mautic's median rule."""

from __future__ import annotations

import math
from datetime import UTC, datetime, time, timedelta, timezone

import ibis
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.orchestrate.helpers import person
from wegweiser.orchestrate.policy import person_zone
from wegweiser.orchestrate.sendtime import (
    ANY_CHANNEL,
    HOURS,
    SendTimeModel,
    best_send_time,
    best_time,
    engagement_counts,
    fallback_time,
    hour_of_week,
    install,
    send_time_arm,
    smooth,
)
from wegweiser.orchestrate.sendtime_sim import evaluate, median_hour, simulate_people
from wegweiser.orchestrate.settings import Delivery, QuietHours

MONDAY = datetime(2026, 1, 5, tzinfo=UTC)
UTC_DELIVERY = Delivery(default_timezone="UTC")


def _plain_smooth(row, kappa, w):
    """The smoothing written out with loops over the circle."""
    def vm(size, k):
        ws = [math.exp(k * (math.cos(2 * math.pi * (d - size // 2) / size) - 1))
              for d in range(size)]
        return [x / sum(ws) for x in ws]
    kw, kd = vm(168, kappa * 49), vm(24, kappa)
    week = [sum(row[(i - d + 84) % 168] * kw[d] for d in range(168)) for i in range(168)]
    daily = [sum(row[day * 24 + h] for day in range(7)) for h in range(24)]
    day = [sum(daily[(h - d + 12) % 24] * kd[d] for d in range(24)) for h in range(24)]
    mixed = [(1 - w) * week[i] + w * day[i % 24] / 7 for i in range(168)]
    return [x / sum(mixed) for x in mixed]


@settings(max_examples=15, deadline=None)
@given(st.dictionaries(st.integers(0, 167), st.integers(1, 9), min_size=1, max_size=6),
       st.floats(0.5, 8), st.floats(0, 1), st.integers(0, 167))
def test_smoothing_is_circular_and_matches_a_plain_computation(bins, kappa, w, shift):
    row = np.zeros(HOURS)
    for k, v in bins.items():
        row[k] = v
    out = smooth(row, kappa=kappa, daily_weight=w)
    assert out.sum() == pytest.approx(1)
    assert out == pytest.approx(_plain_smooth(row.tolist(), kappa, w), abs=1e-9)
    # shifting the counts around the week shifts the profile: no edge at Sunday/Monday
    assert smooth(np.roll(row, shift), kappa=kappa, daily_weight=w) == pytest.approx(
        np.roll(out, shift), abs=1e-12)


def test_midnight_neighbours_midnight():
    row = np.zeros(HOURS)
    row[167] = 1.0  # Sunday 23:00
    p = smooth(row, daily_weight=0.0)
    assert p[0] == pytest.approx(p[166])  # Monday 00:00 as close as Sunday 22:00
    assert p[0] > p[12] * 10


def _counts(rows):
    return pd.DataFrame(rows, columns=["person_id", "channel", "hour_of_week", "n"])


def test_the_posterior_is_person_counts_plus_k_times_the_prior():
    rows = [("a", "email", 9, 3), ("a", ANY_CHANNEL, 33, 1), ("b", "email", 20, 5),
            ("c", "email", 100, 2)]
    model = SendTimeModel(prior_strength=3.0).fit(_counts(rows))
    population = np.zeros(HOURS)
    for _, ch, h, n in rows:
        population[h] += n if ch == "email" else 0
    any_row = np.zeros(HOURS)
    any_row[33] = 1
    prior = smooth(population) + smooth(any_row)
    prior /= prior.sum()
    own = np.zeros(HOURS)
    own[9], own[33] = 3, 1
    assert model.profile("a", "email") == pytest.approx(smooth(own + 3.0 * prior))
    # no history: the prior itself
    assert model.profile("nobody", "email") == pytest.approx(smooth(prior))
    assert not model.known("nobody", "email")
    assert model.known("a", "email")


def test_a_persona_prior_replaces_the_population_when_it_has_enough_counts():
    rows = [(f"n{i}", "email", 23, 10) for i in range(6)] + [
        (f"d{i}", "email", 10, 10) for i in range(30)] + [("new", "email", 50, 0)]
    groups = {**{f"n{i}": "owls" for i in range(6)}, "new": "owls"}
    model = SendTimeModel(min_group_counts=50).fit(_counts(rows), groups=groups)
    assert int(model.profile("new", "email").argmax()) % 24 == 23
    assert int(model.profile("other", "email").argmax()) % 24 == 10
    few = SendTimeModel(min_group_counts=1000).fit(_counts(rows), groups=groups)
    assert int(few.profile("new", "email").argmax()) % 24 == 10


def test_bad_counts_are_clear_errors():
    with pytest.raises(ValueError, match="hour_of_week"):
        SendTimeModel().fit(pd.DataFrame({"person_id": ["a"], "channel": ["email"], "n": [1]}))
    with pytest.raises(ValueError, match=r"0\.\.167"):
        SendTimeModel().fit(_counts([("a", "email", 168, 1)]))
    with pytest.raises(ValueError, match="not fitted"):
        SendTimeModel().profile("a", "email")
    with pytest.raises(ValueError, match="aware"):
        fallback_time(person("a"), datetime(2026, 1, 5), UTC_DELIVERY)


def test_best_time_is_within_24h_outside_quiet_hours_in_the_persons_zone():
    profile = np.zeros(HOURS)
    profile[[hour_of_week(MONDAY + timedelta(hours=h)) for h in (3, 30)]] = [1.0, 0.5]
    now = MONDAY + timedelta(hours=1, minutes=20)
    assert best_time(profile, now, person("p"), UTC_DELIVERY) == MONDAY + timedelta(hours=3)
    quiet = Delivery(default_timezone="UTC",
                     quiet_hours=QuietHours(start=time(22), end=time(7)))
    at = best_time(profile + 1e-3, now, person("p"), quiet)
    assert at is not None
    assert at.hour >= 7
    assert at - now < timedelta(hours=24)
    # Tokyo: the profile is local time; 03:00 local is 18:00 UTC the day before
    tokyo = best_time(profile, MONDAY - timedelta(hours=12), person("p", timezone="Asia/Tokyo"),
                      UTC_DELIVERY)
    assert tokyo == MONDAY + timedelta(hours=3) - timedelta(hours=9)
    assert best_time(np.zeros(HOURS), now, person("p"), UTC_DELIVERY) is None


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 7 * 24 * 60 - 1), st.integers(0, 2**32 - 1))
def test_best_send_time_is_always_in_the_next_24_hours_and_never_quiet(minute, seed):
    rng = np.random.default_rng(seed)
    counts = _counts([("p", "email", int(h), 1) for h in rng.integers(0, HOURS, 5)])
    quiet = Delivery(quiet_hours=QuietHours(start=time(21), end=time(8)))
    now = MONDAY + timedelta(minutes=minute)
    at = best_send_time(person("p"), "email", now, model=SendTimeModel().fit(counts),
                        delivery=quiet)
    assert at.tzinfo is not None
    assert now <= at < now + timedelta(hours=24)
    assert 8 <= at.astimezone(person_zone(person("p"), quiet)).hour < 21


def test_without_a_model_the_fallback_hour_in_the_persons_zone():
    install(None)
    now = datetime(2026, 1, 5, 12, tzinfo=timezone(timedelta(hours=1)))
    at = best_send_time(person("p", timezone="Europe/Berlin"), "email", now)  # 10:00 tomorrow
    assert at == datetime(2026, 1, 6, 9, tzinfo=UTC)
    model = SendTimeModel().fit(_counts([("q", "email", 19, 4)]))
    install(model, UTC_DELIVERY)
    try:
        assert best_send_time(person("p"), "email", MONDAY).hour == 19  # the prior's hour
    finally:
        install(None)


def test_the_send_time_arm_is_a_stable_share():
    arms = [send_time_arm("j", "s", f"p{i}", fallback_share=0.2) for i in range(4000)]
    assert arms.count("fallback") / 4000 == pytest.approx(0.2, abs=0.02)
    assert send_time_arm("j", "s", "p1", fallback_share=0.0) == "best_time"


def test_engagement_counts_on_the_engine_match_plain_python():
    ts = [MONDAY + timedelta(hours=h, minutes=5) for h in (1, 1, 30, 167, 2)]
    frame = pd.DataFrame({
        "person_id": ["a", "a", "a", "b", "b"],
        "event": ["message_opened", "message_clicked", "page", "message_opened", "page"],
        "channel": ["email", "email", "organic", "sms", None],
        "session_id": ["s1", "s1", "s2", "s3", "s4"],
        "timestamp": ts,
    })
    con = ibis.duckdb.connect()
    got = con.execute(engagement_counts(ibis.memtable(frame)))
    got = {(r.person_id, r.channel, int(r.hour_of_week)): int(r.n) for r in got.itertuples()}
    assert got == {("a", "email", 1): 2, ("a", ANY_CHANNEL, 30): 1, ("b", "sms", 167): 1,
                   ("b", ANY_CHANNEL, 2): 1}


def test_median_rule_reads_hours_as_numbers():
    assert median_hour(np.array([22, 23, 0, 1, 2])) == 2  # a night owl gets 02:00
    with pytest.raises(ValueError, match="at least one"):
        median_hour(np.array([]))


def test_simulated_people_the_model_hits_70_percent_and_beats_the_median_rule():
    """A bounded version of benchmarks/bench_sendtime.py (300 people, fixed seed)."""
    score = evaluate(simulate_people(300, seed=11), seed=11)
    assert score.model >= 0.70
    assert score.model > score.median + 0.05
    kinds = score.by_kind.set_index("kind")
    assert kinds.loc["night_owl", "model"] > kinds.loc["night_owl", "median"]
