"""The retention policy: events older than N days go, with the bytes; once a day from the
server's import process; nothing without a policy; a bad value is a config error."""

from __future__ import annotations

import pytest

import wegweiser
from tests.privacy.seed import BASE, OTHERS, ana_and_others, scan
from wegweiser.errors import InvalidConfig
from wegweiser.privacy import apply_retention, erasure_records
from wegweiser.privacy.retention import apply_if_due


def _policy(folder, days: object) -> None:
    with (folder / "wegweiser.toml").open("a", encoding="utf-8") as handle:
        handle.write(f"\n[retention]\nevents_days = {days}\n")


def test_old_events_go_and_leave_no_bytes(tmp_path):
    folder = tmp_path / "p"
    with wegweiser.Project.init(folder) as project:
        project.import_events(ana_and_others())
        assert apply_retention(project, actor="t").cutoff is None  # no policy: nothing
    _policy(folder, 10)
    # the seeded events are hourly from BASE: m000..m019; keep those of the last 10 days
    # before BASE + 10 days + 12 h, i.e. from BASE + 12 h: m012.. (the others' events)
    now = BASE.replace(hour=BASE.hour + 12).replace(day=BASE.day + 10)
    with wegweiser.open_project(folder) as project:
        first = apply_if_due(project, actor="server:retention", now=now)
        assert first is not None
        assert first.events == 12
        assert apply_if_due(project, actor="server:retention", now=now) is None  # same day
        assert project.event_count() == 8
        assert project.person_of(OTHERS[1]) is not None
    assert scan(folder, ("ana-dev-phone-1", "ana-dev-laptop-2")) == []
    assert erasure_records(folder)[-1]["kind"] == "retention"


def test_a_bad_policy_is_refused(tmp_path):
    folder = tmp_path / "p"
    wegweiser.Project.init(folder).close()
    _policy(folder, 0)
    with pytest.raises(InvalidConfig, match="events_days"):
        wegweiser.open_project(folder)
