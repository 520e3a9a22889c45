"""Property tests of the delivery policy: random policies, time zones (DST changes
included) and overlapping journeys -- no send in quiet hours, no cap exceeded, the same
random branch for the same person every time."""

from __future__ import annotations

import tempfile
from collections import Counter
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tests.orchestrate.helpers import Clock, build, person
from tests.orchestrate.sinks import SmtpSink
from wegweiser.orchestrate import policy
from wegweiser.orchestrate.person import Person
from wegweiser.orchestrate.runtime import Entrant
from wegweiser.orchestrate.settings import Cap, Delivery, QuietHours

ZONES = ["Europe/Berlin", "America/New_York", "Australia/Sydney", "Asia/Kolkata", "UTC",
         "America/Sao_Paulo", "Pacific/Chatham", "Europe/London", "America/St_Johns"]
# around the DST changes of 2026 (Europe 29 March / 25 October, US 8 March / 1 November,
# Australia 5 April / 4 October)
STARTS = [datetime(2026, 3, 7, tzinfo=UTC), datetime(2026, 3, 28, tzinfo=UTC),
          datetime(2026, 4, 4, tzinfo=UTC), datetime(2026, 10, 3, tzinfo=UTC),
          datetime(2026, 10, 24, tzinfo=UTC), datetime(2026, 10, 31, tzinfo=UTC)]

clocks = st.builds(time, st.integers(0, 23), st.sampled_from([0, 15, 30, 45]))
quiet = st.builds(QuietHours, start=clocks, end=clocks, mode=st.just("defer"))
caps = st.lists(
    st.one_of(
        st.builds(Cap, channel=st.sampled_from(["*", "email"]), max=st.integers(1, 3),
                  per=st.just("day")),
        st.builds(Cap, channel=st.sampled_from(["*", "email"]), max=st.integers(1, 3),
                  per=st.just("rolling"),
                  window=st.sampled_from([timedelta(hours=2), timedelta(hours=9),
                                          timedelta(days=1), timedelta(days=2)])),
    ),
    max_size=2,
)


def local_minutes(at: float, zone: str) -> int:
    moment = datetime.fromtimestamp(at, ZoneInfo(zone))
    return moment.hour * 60 + moment.minute


def in_quiet(at: float, zone: str, q: QuietHours) -> bool:
    """Independent of the policy module: is the local wall time in [start, end)?"""
    m, s, e = local_minutes(at, zone), q.start.hour * 60 + q.start.minute, \
        q.end.hour * 60 + q.end.minute
    if s == e:
        return False
    return s <= m < e if s < e else (m >= s or m < e)


@settings(max_examples=300, deadline=None)
@given(quiet, st.sampled_from(ZONES), st.sampled_from(STARTS), st.integers(0, 4 * 86400))
# found by CI: the quiet hours end at 02:15, which does not exist the night Sydney's clock
# jumps from 02:00 to 03:00; the first allowed minute is 03:00, not 03:15
@example(QuietHours(start=time(4, 0), end=time(2, 15), mode="defer"), "Australia/Sydney",
         datetime(2026, 10, 3, tzinfo=UTC), 0)
def test_a_deferral_lands_on_the_first_allowed_minute(q, zone, start, offset):
    at = start + timedelta(seconds=offset)
    who = Person("p", traits={"timezone": zone, "email_opt_in": True})
    decision = policy.decide(who, "email", at, Delivery(quiet_hours=q), [])
    if in_quiet(at.timestamp(), zone, q):
        assert decision.verdict == "defer"
        assert decision.until is not None
        until = decision.until.timestamp()
        assert until > at.timestamp()
        assert not in_quiet(until, zone, q)
        # within a day, or two when a DST gap swallows the whole allowed window
        assert until - at.timestamp() <= 50 * 3600
        # nothing allowed in between: the minute before it is still quiet
        assert in_quiet(until - 60, zone, q) or until - 60 < at.timestamp()
    else:
        assert decision.verdict == "send"


@settings(max_examples=300, deadline=None)
@given(st.text(min_size=1, max_size=12), st.text(min_size=1, max_size=8),
       st.lists(st.text(min_size=1, max_size=10), min_size=1, max_size=30),
       st.lists(st.integers(1, 60), min_size=2, max_size=5))
def test_a_random_split_is_a_function_of_journey_step_and_person(journey, step, people, shares):
    first = {p: policy.random_branch(journey, step, p, shares) for p in people}
    again = {p: policy.random_branch(journey, step, p, shares) for p in reversed(people)}
    assert first == again
    assert all(0 <= b < len(shares) for b in first.values())


def test_random_split_shares_hold_over_many_persons():
    counts = Counter(policy.random_branch("j", "ab", f"p{i}", [20, 30, 50])
                     for i in range(20_000))
    assert abs(counts[0] / 20_000 - 0.2) < 0.015
    assert abs(counts[2] / 20_000 - 0.5) < 0.015


def test_time_zone_from_trait_then_country_then_default():
    d = Delivery(default_timezone="Europe/Vienna")
    assert str(policy.person_zone(Person("a", traits={"timezone": "Asia/Tokyo"}), d)) == \
        "Asia/Tokyo"
    assert str(policy.person_zone(Person("b", traits={"timezone": "Nowhere/X"},
                                         country="us"), d)) == "America/New_York"
    assert str(policy.person_zone(Person("c", traits={"country": "CH"}), d)) == "Europe/Zurich"
    assert str(policy.person_zone(Person("d"), d)) == "Europe/Vienna"


def _journey(n: int, waits: list[int], priority: int) -> str:
    steps = []
    for i, hours in enumerate(waits):
        steps.append(f'[[steps]]\nid = "m{i}"\ntype = "send"\nchannel = "email"\n'
                     'template = "t"\n')
        steps.append(f'[[steps]]\nid = "w{i}"\ntype = "wait"\nduration = "{hours * 60 + 1}m"\n')
    return (f'priority = {priority}\n[entry]\nkind = "event"\nevent = "e{n}"\n\n'
            + "\n".join(steps)
            + '\n[templates.t.de]\nsubject = "s"\ntext = "t"\n'
              '[templates.t.en]\nsubject = "s"\ntext = "t"\n')


@pytest.fixture(scope="module")
def smtp():
    with SmtpSink() as sink:
        yield sink


@pytest.mark.slow
@settings(max_examples=12, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(
    q=st.one_of(st.none(), quiet),
    caps_=caps,
    zones=st.lists(st.sampled_from(ZONES), min_size=3, max_size=3),
    start=st.sampled_from(STARTS),
    journeys=st.lists(st.tuples(st.lists(st.integers(0, 10), min_size=1, max_size=3),
                                st.integers(0, 5)), min_size=2, max_size=3),
)
def test_no_send_in_quiet_hours_and_no_cap_exceeded(smtp, q, caps_, zones, start, journeys):
    folder = Path(tempfile.mkdtemp(prefix="wj-prop-"))
    delivery = "[email]\ntimeout_seconds = 2\n" if q is None else (
        f'[quiet_hours]\nstart = "{q.start:%H:%M}"\nend = "{q.end:%H:%M}"\n'
        "[email]\ntimeout_seconds = 2\n")
    delivery = "".join(
        f'[[caps]]\nchannel = "{c.channel}"\nmax = {c.max}\nper = "{c.per}"\n'
        + (f'window = "{int(c.window.total_seconds())}s"\n' if c.window else "")
        for c in caps_) + delivery
    clock = Clock(start + timedelta(hours=7))
    rt = build(folder, str(folder / "state.sqlite"),
               {f"j{n}": _journey(n, waits, prio) for n, (waits, prio) in enumerate(journeys)},
               delivery, smtp=smtp, clock=clock)
    people = [person(f"p{i}", timezone=z) for i, z in enumerate(zones)]
    rt.enter([Entrant(f"j{n}", p) for n in range(len(journeys)) for p in people])
    end = clock() + 4 * 86400
    while clock() < end:
        while rt.run_once(limit=50):
            pass
        clock.advance(600)
    with rt.store.transaction() as tx:
        sends = tx.execute("SELECT person_id, started_at FROM wj_ledger WHERE state = 'sent'")
    zone_of = {p.person_id: p.traits["timezone"] for p in people}
    by_person: dict[str, list[float]] = {}
    for pid, at in sends:
        by_person.setdefault(pid, []).append(float(at))
        if q is not None:
            assert not in_quiet(float(at), zone_of[pid], q), (pid, at)
    for pid, times in by_person.items():
        times.sort()
        for cap in caps_:
            if cap.per == "rolling":
                assert cap.window is not None
                w = cap.window.total_seconds()
                for t in times:
                    assert sum(1 for u in times if t - w < u <= t) <= cap.max
            else:
                days = Counter(datetime.fromtimestamp(t, ZoneInfo(zone_of[pid])).date()
                               for t in times)
                assert max(days.values()) <= cap.max
    total = sum(len(w) for w, _ in journeys) * len(people)
    assert len(sends) > 0 or total == 0
