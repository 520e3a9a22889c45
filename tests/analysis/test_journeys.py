from __future__ import annotations

import pytest

from tests.analysis.reference import load, random_rows, reference_journeys
from wegweiser.analysis.result import to_frame, to_value


@pytest.mark.parametrize("seed", range(4))
def test_journey_order_sessions_and_next_event(project, seed):
    rows = random_rows(seed)
    journey = load(project, rows)
    got = to_frame(journey.order_by("person_id", "seq"))
    expected = reference_journeys(rows)
    for person, events in expected.items():
        mine = got[got.person_id == person]
        assert mine["message_id"].tolist() == [e.message_id for e in events]
        assert mine["seq"].tolist() == list(range(len(events)))
        assert mine["session"].tolist() == [e.session for e in events]
        assert mine["next_event"].tolist()[:-1] == [e.event for e in events[1:]]
        assert mine["session_id"].tolist() == [f"{person}:{e.session}" for e in events]
        assert mine["is_conversion"].tolist() == [e.event == "order_completed" for e in events]


def test_journey_rebuilds_after_import_and_config_change(project):
    rows = random_rows(1, n=50)
    first = to_value(load(project, rows).count())
    assert first == 50
    more = random_rows(2, n=30)
    for r in more:
        r.message_id = "x" + r.message_id
    assert to_value(load(project, more).count()) == 80
    cfg = project.path / "wegweiser.toml"
    cfg.write_text(cfg.read_text().replace("session_gap_minutes = 30", "session_gap_minutes = 1"))
    project.reload_config()
    j = project.journey()
    expected = reference_journeys(rows + more, gap_minutes=1)
    got = to_frame(j.group_by("person_id").agg(n=j.session.max() + 1))
    assert dict(zip(got.person_id, got.n, strict=True)) == {
        p: ev[-1].session + 1 for p, ev in expected.items()
    }


def test_empty_journey(project):
    assert to_value(project.journey().count()) == 0


@pytest.mark.parametrize("seed", range(2))
def test_journey_codes_name_persons_and_events(project, seed):
    rows = random_rows(seed)
    got = to_frame(load(project, rows))  # stored order
    keys = list(zip(got.person_n, got.seq, strict=True))
    assert keys == sorted(keys), "the journey is stored in (person_n, seq) order"
    persons = sorted(set(got.person_id))
    assert got.person_n.tolist() == [persons.index(p) for p in got.person_id]
    names = sorted(set(got.event))
    assert got.event_n.tolist() == [names.index(e) for e in got.event]
    ended = got.next_event.isna()
    assert ended.tolist() == got.next_event_n.isna().tolist()
    assert got.next_event_n[~ended].astype("int64").tolist() == [
        names.index(e) for e in got.next_event[~ended]
    ]
