"""Journeys act on imports on every engine: the triggers read the batch through the project's
warehouse (Ibis on DuckDB or Spark), enter the persons it touched, and a worker sends.

Bounded: one small batch (3 persons), a loopback SMTP server, the package's Spark session.
"""

from __future__ import annotations

import json

import pandas as pd
import pytest

from tests.engines.conftest import ENGINES
from tests.orchestrate.sinks import SmtpSink
from wegweiser.analysis.result import to_frame

WELCOME = """\
[entry]
kind = "event"
event = "signup"
where = [{ property = "plan", op = "eq", value = "pro" }]

[[steps]]
id = "hello"
type = "send"
channel = "email"
template = "hello"

[templates.hello.de]
subject = "Willkommen {{ traits.first_name }}"
text = "Hallo {{ traits.first_name }}"
[templates.hello.en]
subject = "Welcome {{ traits.first_name }}"
text = "Hello {{ traits.first_name }}"
"""
REMIND = """\
[entry]
kind = "phase_entered"
phase = "Consideration"

[[steps]]
id = "later"
type = "wait"
duration = "1d"
"""


def _rows(i: int, name: str, plan: str, *, view: bool) -> list[dict[str, object]]:
    user = f"u{i}"
    rows: list[dict[str, object]] = [
        {"type": "identify", "message_id": f"i{i}", "user_id": user,
         "timestamp": "2026-06-01T09:00:00Z",
         "traits": json.dumps({"email": f"{user}@example.org", "email_opt_in": True,
                               "first_name": name, "language": "en"})},
        {"type": "track", "message_id": f"s{i}", "user_id": user, "event": "signup",
         "timestamp": "2026-06-01T09:01:00Z", "properties": json.dumps({"plan": plan})},
    ]
    if view:
        rows.append({"type": "track", "message_id": f"v{i}", "user_id": user,
                     "event": "product_view", "timestamp": "2026-06-01T09:02:00Z"})
    return rows


@pytest.mark.slow  # on Spark: 30-100 s on 2 cores (three batches read, one import)
@pytest.mark.parametrize("fresh", ENGINES, indirect=True)
def test_an_import_enters_persons_and_the_worker_sends(fresh):
    from wegweiser.orchestrate.assembly import open_runtime
    from wegweiser.orchestrate.operations import flush_outbox
    from wegweiser.orchestrate.triggers import process_imports

    project = fresh
    folder = project.path / "journeys"
    folder.mkdir()
    (folder / "welcome.toml").write_text(WELCOME, encoding="utf-8")
    (folder / "remind.toml").write_text(REMIND, encoding="utf-8")
    with SmtpSink() as smtp:
        (folder / "_delivery.toml").write_text(f"[email]\nport = {smtp.port}\n",
                                               encoding="utf-8")
        runtime = open_runtime(project.path, phases=project.config.phase_names)
        try:
            assert process_imports(project, runtime).entered == 0  # the baseline: nothing yet
            rows = (_rows(1, "Ada", "pro", view=True) + _rows(2, "Bo", "free", view=True)
                    + _rows(3, "Cy", "pro", view=False))
            summary = project.import_events(pd.DataFrame(rows))
            assert summary.quarantined == 0, summary.errors
            got = process_imports(project, runtime)
            assert (got.imports, got.persons, got.entered) == (1, 3, 4)
            assert got.by_journey == {"welcome": 2, "remind": 2}
            while runtime.run_once():
                pass
            assert sorted(str(m["Subject"]) for m in smtp.messages) == [
                "Welcome Ada", "Welcome Cy"]
            assert flush_outbox(project, runtime.store) == 2
            assert process_imports(project, runtime).entered == 0  # its own events: no entry
        finally:
            runtime.close()
    events = project.events()
    sent = to_frame(events.filter(events.event == "message_sent").select("user_id", "channel"))
    assert sorted(sent.itertuples(index=False, name=None)) == [
        ("u1", "email"), ("u3", "email")]
