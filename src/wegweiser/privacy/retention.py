"""The retention policy: events older than ``[retention] events_days`` are deleted.

``wegweiser privacy retention apply`` (schedule it daily with cron, see docs/privacy.md) and the
server (once a day, in its import process) delete them with the guarantee of an erasure:
the store file rewritten, Parquet files holding them rewritten, identities rebuilt, derived
tables and read snapshots dropped; an erasure record of kind ``retention`` notes it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from wegweiser.events.suppression import PRIVACY_FOLDER
from wegweiser.privacy import files, records

if TYPE_CHECKING:
    from datetime import datetime

    from wegweiser.project import Project


@dataclass(frozen=True)
class RetentionSummary:
    """``cutoff`` (None: no policy), ``events`` deleted, Parquet ``files`` rewritten."""

    cutoff: datetime | None
    events: int
    files: int


def apply_retention(
    project: Project, *, actor: str, now: datetime | None = None
) -> RetentionSummary:
    """Delete the events the policy no longer keeps (nothing without a policy)."""
    cutoff = project.retention_cutoff(now=now)
    if cutoff is None:
        return RetentionSummary(None, 0, 0)
    files.fence_snapshots(project.path)
    counts = project.delete_events_before(cutoff)
    if counts["events"]:
        files.drop_snapshots(project.path)
        records.append(project.path, {
            "request_id": records.new_request_id(), "kind": "retention", "actor": actor,
            "status": "done", "cutoff": cutoff.isoformat(timespec="seconds"),
            "counts": counts,
        })
    return RetentionSummary(cutoff, counts["events"], counts["files"])


STAMP_FILE = "retention.stamp"


def apply_if_due(
    project: Project, *, actor: str, now: datetime | None = None
) -> RetentionSummary | None:
    """:func:`apply_retention` at most once per UTC day (the day of the last run is kept
    in ``privacy/retention.stamp``); None when it is not due or there is no policy."""
    from datetime import UTC
    from datetime import datetime as _datetime

    if project.config.retention.events_days is None:
        return None
    today = (now or _datetime.now(UTC)).date().isoformat()
    stamp = project.path / PRIVACY_FOLDER / STAMP_FILE
    if stamp.is_file() and stamp.read_text(encoding="utf-8").strip() == today:
        return None
    summary = apply_retention(project, actor=actor, now=now)
    stamp.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    stamp.write_text(today + "\n", encoding="utf-8")
    return summary
