from __future__ import annotations

import json

import pytest

import wegweiser
from tests.orchestrate.helpers import Clock, build, runs
from wegweiser.orchestrate.state import RUN_PERSON
from wegweiser.orchestrate.triggers import process_imports, process_schedules

REMINDER = """\
[entry]
kind = "phase_entered"
phase = "Consideration"
[exit]
goal = ["order_completed"]
phase_regression = true
[[steps]]
id = "later"
type = "wait"
duration = "1d"
[[steps]]
id = "end"
type = "exit"
"""
WELCOME = """\
[entry]
kind = "event"
event = "signup"
where = [{ property = "plan", value = "pro" }]
[[steps]]
id = "w"
type = "wait"
until_event = "email_verified"
timeout = "2d"
[[steps]]
id = "end"
type = "exit"
"""
BACK = """\
[entry]
kind = "phase_entered"
phase = "Awareness"
direction = "backward"
reentry = "always"
[[steps]]
id = "w"
type = "wait"
duration = "1h"
"""

_n = iter(range(10**6))


def ev(user: str, event: str, ts: str, kind: str = "track", **props) -> dict:
    row = {"type": kind, "messageId": f"m{next(_n)}", "userId": user,
           "timestamp": f"2026-06-01T{ts}:00Z"}
    if kind == "identify":
        row["traits"] = props
    else:
        row["event"] = event
        row["properties"] = props
    return row


def load(project, tmp_path, rows) -> None:
    path = tmp_path / f"batch{next(_n)}.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    assert project.import_events(path).imported == len(rows)


@pytest.fixture
def project(tmp_path):
    with wegweiser.Project.init(tmp_path / "shop") as proj:
        yield proj


def test_imports_trigger_entries_exits_and_waits_once(tmp_path, project):
    load(project, tmp_path, [ev("old", "product_view", "08:00")])  # before the runtime
    clock = Clock()
    rt = build(tmp_path / "j", str(tmp_path / "j.sqlite"),
               {"reminder": REMINDER, "welcome": WELCOME, "back": BACK}, clock=clock)
    assert process_imports(project, rt).entered == 0  # the baseline: history is not acted on
    load(project, tmp_path, [
        ev("u1", "", "09:00", kind="identify", email="u1@example.org", first_name="Uli"),
        ev("u1", "ad_click", "09:01"),
        ev("u1", "product_view", "09:02", sku="A1"),
        ev("u2", "signup", "09:03", plan="pro"),
        ev("u3", "signup", "09:04", plan="free"),
        ev("u4", "product_view", "09:05"),
        ev("u4", "ad_click", "09:06"),  # Consideration -> Awareness: backward
    ])
    summary = process_imports(project, rt)
    assert summary.imports == 1
    assert summary.persons == 4
    # u4 went back to Awareness in the same batch: the reminder would end at once
    assert sorted(runs(rt)) == ["back:u4:1", "reminder:u1:1", "welcome:u2:1"]
    assert process_imports(project, rt).imports == 0  # the cursor moved on
    rt.run_once()
    with rt.store.transaction() as tx:
        person = json.loads(tx.one(f"{RUN_PERSON} WHERE r.person_id = 'u1'")[0])
    assert person["traits"] == {"email": "u1@example.org", "first_name": "Uli"}
    assert person["phase"] == "Consideration"
    assert person["user_id"] == "u1"

    load(project, tmp_path, [
        ev("u1", "order_completed", "10:00"),                  # goal: exits the reminder
        ev("u2", "email_verified", "10:01"),                   # wakes the welcome wait
        ev("u4", "product_view", "10:02"),                     # enters Consideration again
    ])
    summary = process_imports(project, rt)
    assert summary.woken == 1
    state = runs(rt)
    assert state["reminder:u1:1"] == ("exited", "later", "goal")
    assert state["reminder:u4:1"][0] == "active"  # Consideration again: now it enters
    rt.run_once()
    assert runs(rt)["welcome:u2:1"] == ("done", None, "completed")

    load(project, tmp_path, [ev("u4", "ad_click", "11:00")])  # regression again
    process_imports(project, rt)
    state = runs(rt)
    assert state["reminder:u4:1"] == ("exited", "later", "phase regression")
    assert "back:u4:2" not in state  # the first back run is still active: one at a time


def test_unsubscribed_events_end_runs_and_stop_sends(tmp_path, project):
    clock = Clock()
    rt = build(tmp_path / "j", str(tmp_path / "j.sqlite"), {"welcome": WELCOME}, clock=clock)
    process_imports(project, rt)
    load(project, tmp_path, [ev("u2", "signup", "09:03", plan="pro")])
    process_imports(project, rt)
    load(project, tmp_path, [ev("u2", "unsubscribed", "09:30", channel="email")])
    assert process_imports(project, rt).exited == 1
    assert runs(rt)["welcome:u2:1"][0::2] == ("exited", "unsubscribed")
    with rt.store.transaction() as tx:
        assert tx.execute("SELECT person_id, channel FROM wj_unsubscribed") == [("u2", "email")]


SCHEDULED = """\
[entry]
kind = "schedule"
every = "1d"
at = "09:00"
when = { phase = "Consideration" }
reentry = "always"
[[steps]]
id = "w"
type = "exit"
"""


def test_a_schedule_lets_the_matching_persons_enter_at_its_time(tmp_path, project):
    from datetime import UTC, datetime

    load(project, tmp_path, [ev("a", "product_view", "08:00"), ev("b", "ad_click", "08:00"),
                             ev("c", "product_view", "08:00"), ev("c", "order_completed",
                                                                  "08:30")])
    clock = Clock(datetime(2026, 6, 1, 6, 30, tzinfo=UTC))  # 08:30 in Berlin
    rt = build(tmp_path / "j", str(tmp_path / "j.sqlite"), {"daily": SCHEDULED}, clock=clock)
    assert process_schedules(project, rt).entered == 0  # 09:00 Berlin not yet
    clock.advance(1800)
    summary = process_schedules(project, rt)
    assert summary.entered == 1
    assert summary.persons == 3
    assert sorted(runs(rt)) == ["daily:a:1"]
    clock.advance(3600)
    assert process_schedules(project, rt).entered == 0  # once a day
    rt.run_once()
    clock.advance(86400)
    assert process_schedules(project, rt).entered == 1
    assert sorted(runs(rt)) == ["daily:a:1", "daily:a:2"]


def test_message_events_are_imported_once_even_when_a_flush_repeats(tmp_path, project):
    from wegweiser.orchestrate.operations import flush_outbox

    rt = build(tmp_path / "j", str(tmp_path / "j.sqlite"), {"welcome": WELCOME})
    event = {"message_id": "wj-abc", "type": "track", "event": "message_sent",
             "user_id": "u1", "timestamp": "2026-06-01T10:00:00+00:00", "channel": "email",
             "properties": {"journey": "welcome", "step": "hello", "variant": "A",
                            "channel": "email", "ledger_key": "welcome:u1:1|hello|email"}}
    for _ in range(2):  # the second time as after a crash between import and delete
        with rt.store.transaction() as tx:
            tx.execute("INSERT INTO wj_outbox (message_id, created_at, event) "
                       "VALUES ('wj-abc', 0, :e)", {"e": json.dumps(event)})
        assert flush_outbox(project, rt.store) == 1
    rows = project._engine.execute(
        "SELECT event, channel, properties FROM events WHERE message_id = 'wj-abc'").rows
    assert len(rows) == 1
    assert rows[0][:2] == ("message_sent", "email")
    assert json.loads(rows[0][2])["ledger_key"] == "welcome:u1:1|hello|email"
    with rt.store.transaction() as tx:
        assert tx.execute("SELECT count(*) FROM wj_outbox") == [(0,)]


def test_from_start_acts_on_the_history_too(tmp_path, project):
    load(project, tmp_path, [ev("old", "product_view", "08:00")])
    rt = build(tmp_path / "j", str(tmp_path / "j.sqlite"), {"reminder": REMINDER})
    assert process_imports(project, rt, from_start=True).entered == 1
    assert sorted(runs(rt)) == ["reminder:old:1"]


def test_an_entry_followed_by_its_goal_in_the_same_batch_does_not_enter(tmp_path, project):
    rt = build(tmp_path / "j", str(tmp_path / "j.sqlite"), {"reminder": REMINDER})
    process_imports(project, rt)
    load(project, tmp_path, [
        ev("quick", "product_view", "09:00"), ev("quick", "order_completed", "09:05"),
        ev("slow", "order_completed", "09:00"), ev("slow", "product_view", "09:05"),
    ])
    assert process_imports(project, rt).entered == 1
    assert sorted(runs(rt)) == ["reminder:slow:1"]


def test_phase_left_and_forward_moves(tmp_path, project):
    left = REMINDER.replace('kind = "phase_entered"', 'kind = "phase_left"').replace(
        "phase_regression = true", "phase_regression = false")
    forward = left.replace('phase = "Consideration"', 'phase = "Awareness"\ndirection = "forward"')
    rt = build(tmp_path / "j", str(tmp_path / "j.sqlite"), {"left": left, "onward": forward})
    process_imports(project, rt)
    load(project, tmp_path, [
        ev("a", "product_view", "09:00"), ev("a", "add_to_cart", "09:01"),  # C -> P
        ev("b", "ad_click", "09:00"), ev("b", "product_view", "09:01"),     # A -> C
        ev("c", "product_view", "09:00"), ev("c", "ad_click", "09:01"),     # C -> A (back)
    ])
    process_imports(project, rt)
    assert sorted(runs(rt)) == ["left:a:1", "left:c:1", "onward:b:1"]


AT_RISK = """\
[entry]
kind = "schedule"
every = "1d"
at = "09:00"
when = { score = "churn", op = "gt", value = 0.7 }
reentry = "always"
[[steps]]
id = "w"
type = "exit"
"""


def test_a_stored_score_is_a_journey_condition(tmp_path, project):
    import pandas as pd

    from wegweiser.errors import InvalidInput

    load(project, tmp_path, [ev("a", "product_view", "08:00"), ev("b", "product_view", "08:00"),
                             ev("c", "product_view", "08:00")])
    with pytest.raises(InvalidInput, match="between 0 and 1"):
        project.save_scores("churn", pd.DataFrame({"person_id": ["a"], "score": [1.5]}),
                            version="t")
    project.save_scores("churn", pd.DataFrame({"person_id": ["a", "b"], "score": [0.9, 0.2]}),
                        version="test-1")
    # the triggers read the scores of the batch's persons only, filtered in the store
    assert project.scores(person_ids=["b", "c"])["person_id"].tolist() == ["b"]
    assert project.scores("churn", person_ids=[])["person_id"].tolist() == []
    many = [f"x{i}" for i in range(2000)]  # bound only when the table has rows
    assert project.scores(person_ids=[*many, "b"])["person_id"].tolist() == ["b"]
    empty = project.recommendations([*many, "b"])  # none stored: the same empty frame
    assert empty.empty
    assert empty.dtypes.to_dict() == project.recommendations(["b"]).dtypes.to_dict()
    from datetime import UTC, datetime

    clock = Clock(datetime(2026, 6, 1, 7, 0, tzinfo=UTC))  # 09:00 in Berlin
    rt = build(tmp_path / "j", str(tmp_path / "j.sqlite"), {"risk": AT_RISK}, clock=clock)
    summary = process_schedules(project, rt)
    assert summary.persons == 3
    assert sorted(runs(rt)) == ["risk:a:1"]  # b scores low, c was never scored


def test_templates_and_conditions_read_the_scores():
    from wegweiser.orchestrate.conditions import Condition, evaluate
    from wegweiser.orchestrate.person import Person
    from wegweiser.orchestrate.templates import render

    person = Person("p", scores={"churn": 0.8})
    assert evaluate(Condition(score="churn", op="ge", value=0.8), person)
    assert not evaluate(Condition(score="propensity", op="exists"), person)
    assert Person.from_json(person.to_json()) == person
    out = render("Risk {{ scores.churn }}", "{{ (scores.churn * 100) | round | int }}%", None,
                 {"scores": person.scores})
    assert (out.subject, out.text) == ("Risk 0.8", "80%")


PHASE_EVENTS = {"ad_click": "Awareness", "product_view": "Consideration",
                "add_to_cart": "Preference", "order_completed": "Purchase"}


def test_phase_moves_and_current_phases_match_a_plain_replay(tmp_path):
    """``read_batch``'s moves and current phases (one pass of a window in the engine)
    against a replay in Python: each person's phase events ordered by (time, phase rank,
    message id), a move where the phase differs from the one before, made by the batch's
    own events; random batches with ties in time and events outside every phase."""
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    from wegweiser.orchestrate.triggers import committed_imports, read_batch

    event = st.tuples(st.sampled_from(["a", "b", "c"]),
                      st.sampled_from([*PHASE_EVENTS, "signup"]), st.integers(0, 5))
    stored: list[tuple[str, str, int, str, str]] = []  # (person, event, minute, id, batch)

    with wegweiser.Project.init(tmp_path / "shop") as project:
        rank = {p.name: i for i, p in enumerate(project.config.phases)}

        @settings(max_examples=4, deadline=None,
                  suppress_health_check=[HealthCheck.function_scoped_fixture])
        @given(st.lists(event, min_size=1, max_size=12))
        def check(batch):
            tag = f"b{len(stored)}"
            mine = [(p, e, m, f"m{len(stored) + i:05d}", tag) for i, (p, e, m) in enumerate(batch)]
            load(project, tmp_path, [
                {"type": "track", "messageId": mid, "userId": p, "event": e,
                 "timestamp": f"2026-06-01T10:{m:02d}:00Z"} for p, e, m, mid, _ in mine])
            stored.extend(mine)
            got = read_batch(project, committed_imports(project)[-1:], [])
            phased = sorted((m, rank[PHASE_EVENTS[e]], mid, p, PHASE_EVENTS[e], b)
                            for p, e, m, mid, b in stored if e in PHASE_EVENTS)
            before: dict[str, str] = {}
            moves = []
            for m, _, _, p, phase, b in phased:
                if b == tag and before.get(p) != phase:
                    moves.append((p, 1780308000.0 + 60 * m, before.get(p), phase))
                before[p] = phase
            assert got.transitions == moves
            assert {pid: s.phase for pid, s in got.persons.items()} == {
                p: before.get(p) for p, _, _, _, _ in mine}

        check()
