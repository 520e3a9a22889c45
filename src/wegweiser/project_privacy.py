"""The store's side of privacy requests, as named operations of :class:`~wegweiser.Project`.

The whole request — the store plus the spool, the journey state, the caches, the erasure
record and the suppression list — is :mod:`wegweiser.privacy` (``export_person``,
``erase_person``, ``anonymise_person``, ``apply_retention``); these are its steps on the
project's DuckDB file and, on Spark, its event Parquet files (see
:mod:`wegweiser.store.erase`).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from wegweiser.errors import InvalidConfig, ProjectError
from wegweiser.events.persons import rebuild_identities
from wegweiser.events.suppression import SuppressionList
from wegweiser.store import erase as store_erase

if TYPE_CHECKING:
    from pathlib import Path

    import pandas as pd

    from wegweiser.config import Config
    from wegweiser.store.engine import Engine


class PrivacyStore:
    """Mixed into :class:`~wegweiser.project.Project` (which sets these attributes)."""

    _engine: Engine
    path: Path
    config: Config
    read_only: bool

    def _writable(self) -> None:
        if self.read_only:
            raise ProjectError("a snapshot is read-only: open the project itself to erase")

    def person_ids(self, ids: list[str], emails: list[str]) -> tuple[list[str], list[str]]:
        """Every id and e-mail address of the persons ``ids``/``emails`` name: ids stitched
        to them, ids whose events carry the addresses, addresses their events carry."""
        ids, emails = sorted(set(ids)), sorted({e.strip().lower() for e in emails})
        for _ in range(3):  # a fixed point: ids -> addresses -> ids
            more_ids = store_erase.linked_ids(
                self._engine, sorted({*ids, *store_erase.ids_of_emails(self._engine, emails)}))
            more_emails = sorted({*emails, *store_erase.emails_of(self._engine, more_ids)})
            if more_ids == ids and more_emails == emails:
                break
            ids, emails = more_ids, more_emails
        return ids, emails

    def person_of_ids(self, ids: list[str]) -> list[str]:
        """The ``person_id`` values of ``ids`` (from the identities), sorted."""
        rows = self._engine.execute(
            "SELECT DISTINCT person_id FROM identities WHERE list_contains($ids, id)",
            {"ids": list(ids)},
        ).rows
        return sorted(str(r[0]) for r in rows)

    def person_rows(self, ids: list[str], emails: list[str]) -> dict[str, pd.DataFrame]:
        """The rows of the store holding ``ids``/``emails``: ``events`` (with feedback),
        ``identities``, ``identity_links``, ``quarantine``."""
        return store_erase.person_frames(self._engine, ids, emails)

    def delete_person_rows(self, ids: list[str], emails: list[str]) -> dict[str, int]:
        """Delete those rows (Parquet files holding any rewritten), rebuild the identities
        of the others and rewrite the store file; returns the rows per kind."""
        self._writable()
        counts = store_erase.delete_person(self._engine, ids, emails)
        files, rows = store_erase.erase_event_files(self._engine, ids, emails)
        if self._engine.event_sink is not None:
            counts["events"], counts["parquet_files"] = rows, files
        self._after_change()
        return counts

    def pseudonymise_person_rows(
        self, ids: list[str], emails: list[str], pseudonym: str
    ) -> dict[str, int]:
        """Give the person's events the id ``pseudonym`` and drop traits, context and
        feedback text; other rows as :meth:`delete_person_rows`."""
        self._writable()
        counts = store_erase.pseudonymise(self._engine, ids, emails, pseudonym)
        self._after_change()
        return counts

    def delete_events_before(self, cutoff: datetime) -> dict[str, int]:
        """Delete events older than ``cutoff`` with the same physical guarantee."""
        self._writable()
        counts = store_erase.delete_events_before(self._engine, cutoff)
        if counts["events"]:
            self._after_change()
        return counts

    def retention_cutoff(self, *, now: datetime | None = None) -> datetime | None:
        """The oldest time ``[retention] events_days`` keeps (None: keep everything)."""
        days = self.config.retention.events_days
        if days is None:
            return None
        if days < 1:
            raise InvalidConfig("retention.events_days must be at least 1")
        return (now or datetime.now(UTC)) - timedelta(days=days)

    def rewrite_store(self) -> None:
        """Rewrite the store file: deleted rows leave no bytes behind (see
        :meth:`~wegweiser.store.engine.Engine.rewrite`)."""
        self._writable()
        self._engine.rewrite()

    def suppression(self) -> SuppressionList:
        """The project's suppression list (``privacy/suppressed.json``)."""
        return SuppressionList.load(self.path)

    def _after_change(self) -> None:
        with self._engine.transaction():
            rebuild_identities(self._engine, self.config)
            self._engine.run("DELETE FROM derived")
        self._engine.rewrite()
