"""No message without consent for its channel: random consent histories (Segment's consent
object on random events, the consent trait, the per-channel opt-in trait) go through the
real trigger snapshot (DuckDB store) and the real runtime (SQLite state store, aiosmtpd on
loopback); every e-mail the SMTP server receives must be allowed by an independent reading
of the rules, and every allowed person must get theirs."""

from __future__ import annotations

import itertools
import json
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import wegweiser
from tests.orchestrate.helpers import Clock, build
from tests.orchestrate.sinks import SmtpSink
from wegweiser.orchestrate.runtime import Entrant
from wegweiser.orchestrate.triggers import read_persons

_n = itertools.count()
JOURNEY = """
[entry]
kind = "event"
event = "signup"

[[steps]]
id = "mail"
type = "send"
channel = "email"
template = "hi"

[templates.hi.de]
subject = "Hallo"
text = "Hallo"

[templates.hi.en]
subject = "Hello"
text = "Hello"
"""

# one statement: (minute, how, value): how = context (any event), trait (identify), opt_in
statement = st.tuples(st.integers(0, 59), st.sampled_from(["context", "trait", "opt_in"]),
                      st.sampled_from([True, False, "yes", "no"]))
histories = st.lists(st.lists(statement, max_size=4), min_size=2, max_size=5)


def _rows(user: str, history: list[tuple[int, str, object]]) -> list[dict]:
    rows = [{"type": "track", "event": "page_view", "userId": user, "messageId": f"m{next(_n)}",
             "timestamp": "2026-06-01T08:00:00Z"}]
    for minute, how, value in history:
        row: dict = {"messageId": f"m{next(_n)}", "userId": user,
                     "timestamp": f"2026-06-01T09:{minute:02d}:00Z"}
        if how == "context":
            row |= {"type": "track", "event": "page_view",
                    "context": {"consent": {"categoryPreferences": {"Marketing": value}}}}
        elif how == "trait":
            row |= {"type": "identify", "traits": {"consent": {"Marketing": value}}}
        else:
            row |= {"type": "identify", "traits": {"email_opt_in": value}}
        rows.append(row)
    rows.append({"type": "identify", "userId": user, "messageId": f"m{next(_n)}",
                 "timestamp": "2026-06-01T07:00:00Z",
                 "traits": {"email": f"{user}@example.org", "timezone": "UTC"}})
    return rows


def _allowed(history: list[tuple[int, str, object]]) -> bool:
    """Independent: the latest Marketing statement and the latest opt-in trait (ties: the
    later row), then withdrawal wins, a grant is needed."""
    truth = {True: True, "yes": True, False: False, "no": False}
    latest: dict[str, tuple[int, int, bool]] = {}
    for order, (minute, how, value) in enumerate(history):
        key = "opt_in" if how == "opt_in" else "marketing"
        if key not in latest or (minute, order) >= latest[key][:2]:
            latest[key] = (minute, order, truth[value])
    said = {k: v for k, (_, _, v) in latest.items()}
    if False in said.values():
        return False
    return True in said.values()


@pytest.fixture(scope="module")
def smtp():
    with SmtpSink() as sink:
        yield sink


@pytest.mark.slow
@settings(max_examples=8, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(people=histories)
def test_no_email_without_consent(smtp, people):
    folder = Path(tempfile.mkdtemp(prefix="wj-consent-"))
    users = [f"c{next(_n)}" for _ in people]
    rows = [r for user, h in zip(users, people, strict=True) for r in _rows(user, h)]
    (folder / "events.jsonl").write_text("\n".join(json.dumps(r) for r in rows) + "\n",
                                         encoding="utf-8")
    with wegweiser.Project.init(folder / "shop") as project:
        project.import_events(folder / "events.jsonl")
        snapshots = read_persons(project, users, [])
    before = len(smtp.messages)
    rt = build(folder / "j", str(folder / "state.sqlite"), {"hello": JOURNEY},
               "[email]\ntimeout_seconds = 5\n", smtp=smtp, clock=Clock())
    rt.enter([Entrant("hello", snapshots[u]) for u in users])
    while rt.run_once(limit=50):
        pass
    received = {str(m["To"]).split("@")[0] for m in smtp.messages[before:]}
    expected = {u for u, h in zip(users, people, strict=True) if _allowed(h)}
    assert received == expected


def test_consent_recorded_through_the_project_reaches_the_snapshot(tmp_path):
    rows = _rows("ann", [(5, "opt_in", True), (6, "context", True)])
    (tmp_path / "e.jsonl").write_text("\n".join(json.dumps(r) for r in rows) + "\n",
                                      encoding="utf-8")
    with wegweiser.Project.init(tmp_path / "shop") as project:
        project.import_events(tmp_path / "e.jsonl")
        assert read_persons(project, ["ann"], [])["ann"].consent == {"Marketing": True}
        project.set_consent("ann", {"Marketing": False, "Analytics": True})
        assert read_persons(project, ["ann"], [])["ann"].consent == {
            "Marketing": False, "Analytics": True}
        with pytest.raises(wegweiser.errors.UnknownPerson, match="nobody"):
            project.set_consent("nobody", {"Marketing": True})
        with pytest.raises(wegweiser.errors.InvalidInput, match="at least one category"):
            project.set_consent("ann", {})
