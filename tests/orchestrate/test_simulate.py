"""The dry run on history (orchestrate/simulate.py): exact on a hand-made log, respectful of
quiet hours and caps on random logs, and on the demo: messages in every phase, nothing sent,
nothing of the project's state touched."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import wegweiser
from tests.orchestrate.sinks import HookSink, SmtpSink
from wegweiser.errors import InvalidInput
from wegweiser.orchestrate.loading import load_journeys
from wegweiser.orchestrate.playbook import PHASES, write_playbook
from wegweiser.orchestrate.policy import in_quiet_hours
from wegweiser.orchestrate.settings import DELIVERY_FILE, QuietHours
from wegweiser.orchestrate.simulate import dry_run, simulate
from wegweiser.orchestrate.state import STATE_FILE, open_state

T0 = datetime(2026, 6, 1, tzinfo=UTC)  # a Monday


def _import(project, rows, path):
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    project.import_events(path)


def _identify(uid, at, **traits):
    return {"type": "identify", "messageId": f"i-{uid}-{at:%s}", "userId": uid,
            "timestamp": at.isoformat(), "traits": traits}


def _track(uid, event, at, **props):
    return {"type": "track", "messageId": f"t-{uid}-{event}-{at:%s}", "userId": uid,
            "event": event, "timestamp": at.isoformat(), "properties": props}


def test_a_hand_made_log_gives_the_exact_messages_and_times(tmp_path):
    with wegweiser.Project.init(tmp_path / "shop") as project:
        write_playbook(project.path)
        ok = {"email_opt_in": True, "timezone": "Europe/Berlin"}
        a_at = T0 + timedelta(hours=20, minutes=30)  # Mon 22:30 in Berlin
        _import(project, [
            _identify("a", T0, email="a@example.org", **ok),
            _track("a", "product_view", a_at),
            _identify("b", T0, email="b@example.org", **ok),
            _track("b", "product_view", a_at),
            _track("b", "order_completed", a_at + timedelta(days=1)),  # buys: leaves
            _identify("c", T0, email="c@example.org", timezone="Europe/Berlin"),  # no consent
            _track("c", "product_view", a_at),
            _track("z", "blog_view", T0 + timedelta(days=7)),  # the last event
        ], tmp_path / "e.jsonl")
        journeys, delivery = load_journeys(project.path / "journeys",
                                           phases=project.config.phase_names)
        delivery = delivery.model_copy(update={"control_group": delivery.control_group
                                               .model_copy(update={"share": 0.0})})
        consideration = [j.model_copy(update={"holdout": 0.0}) for j in journeys
                         if j.name == "consideration"]
        sim = simulate(project, consideration, delivery, days=7)
    assert (sim.start, sim.end) == (T0, T0 + timedelta(days=7))
    assert sim.entrants == {"consideration": 3}
    # a: 2 days' pause (Wed 22:30 local), then the next 10:00 local: Thu 08:00 UTC
    assert sim.messages[["person_id", "step", "at"]].to_dict("records") == [
        {"person_id": "a", "step": "reminder",
         "at": datetime(2026, 6, 4, 8, tzinfo=UTC)}]
    assert sim.messages["subject"].tolist() == ["Noch unentschlossen? 10 % bis Sonntag"]
    (row,) = sim.steps.to_dict("records")
    assert (row["messages"], row["suppressed"]) == (1, 1)  # c: no consent
    flow = sim.flows["consideration"]
    assert flow.node("pause").count == 3
    assert flow.node("reminder").count == 2
    assert flow.node("<exited>").count == 1  # b's order


def test_bad_arguments_are_clear_errors(project):
    with pytest.raises(InvalidInput, match="must be positive"):
        simulate(project, [], None, days=0)  # type: ignore[arg-type]
    with pytest.raises(InvalidInput, match="journeys init --playbook"):
        dry_run(project)


@st.composite
def _logs(draw):
    zones = ["Europe/Berlin", "America/New_York", "Australia/Sydney", "Asia/Kolkata", "UTC"]
    rows = []
    for i in range(draw(st.integers(1, 5))):
        uid = f"u{i}"
        zone = draw(st.sampled_from(zones))
        rows.append(_identify(uid, T0, email=f"{uid}@example.org", timezone=zone))
        for _ in range(draw(st.integers(1, 6))):
            event = draw(st.sampled_from(["product_view", "add_to_cart", "order_completed",
                                          "order_shipped", "delivery_confirmed"]))
            minute = draw(st.integers(0, 6 * 24 * 60))
            rows.append(_track(uid, event, T0 + timedelta(minutes=minute)))
    start, end = draw(st.sampled_from([("21:00", "08:00"), ("22:30", "06:15"),
                                       ("00:00", "09:00"), ("13:00", "15:00")]))
    cap = draw(st.sampled_from([("day", 1), ("day", 2), ("rolling", 1), ("rolling", 2)]))
    return rows, start, end, cap


@pytest.mark.slow
@settings(max_examples=6, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(case=_logs())
def test_no_simulated_send_in_quiet_hours_and_no_cap_exceeded(tmp_path_factory, case):
    rows, start, end, (per, cap) = case
    folder = tmp_path_factory.mktemp("random")
    with wegweiser.Project.init(folder / "shop") as project:
        write_playbook(project.path)
        window = '\nwindow = "1d"' if per == "rolling" else ""
        (project.path / "journeys" / DELIVERY_FILE).write_text(
            f'[quiet_hours]\nstart = "{start}"\nend = "{end}"\n\n'
            f'[[caps]]\nchannel = "email"\nmax = {cap}\nper = "{per}"{window}\n\n'
            '[webhooks.ad_audience]\nurl = "https://ads.example.org/a"\n', encoding="utf-8")
        _import(project, [*rows, _track("z", "blog_view", T0 + timedelta(days=8))],
                folder / "e.jsonl")
        sim = dry_run(project, days=8, assume_reachable=True)
    zones = {r["userId"]: ZoneInfo(r["traits"]["timezone"]) for r in rows
             if r["type"] == "identify"}
    quiet = QuietHours.model_validate({"start": start, "end": end})
    emails = sim.messages[sim.messages["channel"] == "email"]
    for person, at in zip(emails["person_id"], emails["at"], strict=True):
        assert not in_quiet_hours(at.to_pydatetime(), zones[person], quiet), (person, at)
    for person, group in emails.groupby("person_id"):
        times = sorted(group["at"])
        if per == "day":
            days = [t.tz_convert(zones[person]).date() for t in times]
            assert max(days.count(d) for d in days) <= cap
        else:
            for t in times:
                assert sum(t - timedelta(days=1) < u <= t for u in times) <= cap


@pytest.fixture(scope="module")
def demo_shop(tmp_path_factory):
    from wegweiser.events.demo import generate, write_demo

    folder = tmp_path_factory.mktemp("demo") / "shop"
    data = generate(300, seed=3, days=45)
    with SmtpSink() as smtp, HookSink() as hook, wegweiser.Project.init(folder) as project:
        project.import_events(write_demo(data, folder / "demo")["events"])
        write_playbook(folder)
        settings_file = folder / "journeys" / DELIVERY_FILE
        text = settings_file.read_text(encoding="utf-8")
        text = text.replace("port = 25", f"port = {smtp.port}")
        text = text.replace("https://ads.example.org/audiences/wegweiser", hook.url)
        settings_file.write_text(text, encoding="utf-8")
        yield project, smtp, hook


def _digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.slow
def test_the_playbook_on_the_demo_sends_in_every_phase_and_nothing_for_real(demo_shop):
    project, smtp, hook = demo_shop
    _, delivery = load_journeys(project.path / "journeys", phases=project.config.phase_names)
    assert delivery.email.port == smtp.port
    assert delivery.webhooks["ad_audience"].url == hook.url
    open_state(project.path / STATE_FILE).close()  # the project's real journey state
    state_before = _digest(project.path / STATE_FILE)
    events_before = project.imports(limit=None)["n_imported"].sum()
    sim = dry_run(project, days=30, assume_reachable=True)
    assert smtp.messages == []  # nothing sent ...
    assert hook.arrivals == []
    assert _digest(project.path / STATE_FILE) == state_before  # ... nothing touched
    assert project.imports(limit=None)["n_imported"].sum() == events_before
    assert sim.end - sim.start == timedelta(days=30)
    assert set(sim.entrants) == set(PHASES)
    assert all(sim.entrants[name] > 0 for name in PHASES), sim.entrants
    sent = sim.messages.groupby("journey").size().to_dict()
    assert set(sent) == set(PHASES) - {"awareness"}, sent  # Awareness only observes
    assert sim.messages["at"].between(sim.start, sim.end).all()
    assert (sim.messages.groupby(["journey", "step"]).size().sort_index().tolist()
            == sim.steps.set_index(["journey", "step"])["messages"].sort_index().tolist())
    for name, flow in sim.flows.items():
        assert flow.node("<entry>").count + flow.control == sim.entrants[name]
        for node in flow.nodes[1:-2]:  # the steps
            outgoing = sum(e.count for e in flow.edges if e.src == node.id)
            assert node.count == outgoing + node.waiting, (name, node)  # runs are conserved
    # without the assumption the demo's persons have no consent: every email suppressed
    honest = dry_run(project, days=30)
    assert set(honest.messages["channel"]) == {"webhook"}
    assert honest.steps["suppressed"].sum() > 0
