"""Read snapshots of the store (:mod:`wegweiser.store.snapshot`) through ``Project``."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from wegweiser import Project
from wegweiser.errors import ProjectError, StoreBusy
from wegweiser.events.demo import generate
from wegweiser.store.snapshot import latest, snapshots

if TYPE_CHECKING:
    from pathlib import Path


def test_snapshots_are_numbered_read_only_and_pruned(tmp_path: Path) -> None:
    folder, shots = tmp_path / "p", tmp_path / "p" / "snapshots"
    data = generate(60, seed=2, days=10)
    with Project.init(folder) as project:
        project.import_events(data.events)
        first = project.write_snapshot(shots)
        copy = project.copy_store(shots)  # the store is needed only for this part
    second = Project.publish_snapshot(folder, copy, shots)
    with Project(folder) as project:
        third = project.write_snapshot(shots)
        events = project.event_count()
    assert [first.generation, second.generation, third.generation] == [1, 2, 3]
    assert snapshots(shots) == [second.path, third.path]  # the one before stays
    assert latest(shots) == third.path
    assert not list(shots.glob("*.partial"))
    assert oct(third.path.stat().st_mode & 0o777) == "0o600"
    with Project(folder, snapshot=third.path) as reader:
        assert reader.read_only
        assert reader.event_count() == events
        assert len(reader.analyse("kpis").as_dict()) > 0  # the journey was built in it
        with pytest.raises(ProjectError, match="not from a snapshot"):
            reader.write_snapshot(shots)


def test_a_snapshot_made_with_other_settings_says_so(tmp_path: Path) -> None:
    folder = tmp_path / "p"
    with Project.init(folder) as project:
        project.import_events(generate(40, seed=3, days=5).events)
        made = project.write_snapshot(folder / "snapshots")
    config = folder / "wegweiser.toml"
    config.write_text(
        config.read_text().replace("session_gap_minutes = 30", "session_gap_minutes = 45")
    )
    with Project(folder, snapshot=made.path) as reader, pytest.raises(StoreBusy, match="retry"):
        reader.journey()
