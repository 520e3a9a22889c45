"""The collector's state between requests (internal; see :mod:`wegweiser.serve.collector`):
write-key fingerprints and rate limits, the spool, the flusher that imports closed segments
in the import process and writes the read snapshot, the backlog and its alerts, and
starting, stopping and reporting it (``/healthz``)."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import hashlib
import logging
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fastapi import FastAPI

from wegweiser.events.collect.ids import FirstSeen
from wegweiser.events.collect.spool import SPOOL_FOLDER, Segment, Spool
from wegweiser.events.collect.validate import Validator
from wegweiser.events.suppression import SuppressionWatch
from wegweiser.serve._importer import ImportDied, ImportProcess
from wegweiser.serve.access import TokenBucket
from wegweiser.serve.context import ServerContext, SnapshotState

log = logging.getLogger("wegweiser.serve")

_FAILED_ATTEMPTS = 3
FIRST_SEEN_FILE = "first-seen.log"  # in the spool folder: requests seen (ids.FirstSeen)
SESSION_SECONDS = 5.0


class Collector:
    """Everything the collector keeps between requests (``app.state.collector``)."""

    def __init__(self, ctx: ServerContext) -> None:
        self.ctx = ctx
        config = ctx.config
        self.validator = Validator(config)
        self.spool = Spool(
            ctx.project_dir / SPOOL_FOLDER, max_lines=min(200_000, config.ingest.batch_rows)
        )
        self.buckets: dict[str, TokenBucket] = {}
        self.fingerprints: dict[str, str] = {}
        self.accepted = 0
        self.rejected = 0
        self.imported = 0
        self.flushes = 0
        self.last_flush: datetime | None = None
        self.last_error: str | None = None
        self.failures: dict[str, int] = {}
        self.stopping = asyncio.Event()
        self.task: asyncio.Task[None] | None = None
        self.importer = ImportProcess()
        self.first_seen = FirstSeen(config.server.retry_window_seconds)
        self.alerts: list[str] = []  # why the backlog counts as too large now
        # erased persons' ids: their new events never reach the spool (docs/privacy.md)
        self.suppression = SuppressionWatch(ctx.project_dir)
        self.suppressed = 0

    def fingerprint(self, key: str) -> str:
        """What the spool records instead of the write key itself."""
        found = self.fingerprints.get(key)
        if found is None:
            found = "wk:" + hashlib.sha256(key.encode()).hexdigest()[:12]
            self.fingerprints[key] = found
        return found

    def bucket(self, key: str) -> TokenBucket:
        found = self.buckets.get(key)
        if found is None:
            server = self.ctx.config.server
            found = TokenBucket(rate=server.rate_limit_events, burst=server.rate_limit_burst)
            self.buckets[key] = found
        return found

    # -- flushing ------------------------------------------------------------------------
    async def run(self) -> None:
        """The flusher: import closed segments every ``server.flush_seconds`` until stopped."""
        seconds = self.ctx.config.server.flush_seconds
        while not self.stopping.is_set():
            await self.flush()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.stopping.wait(), timeout=seconds)

    async def flush(self) -> None:
        """Close the current segment and import every closed one (in the import process);
        write a new read snapshot when one is due."""
        try:
            await self.spool.rotate()
            segments = self.spool.waiting()
            snapshot = self._snapshot_due(bool(segments))
            if segments or snapshot:
                await self._import(segments, snapshot)
        except ImportDied as exc:  # started again at the next flush, after its pause
            self.last_error = str(exc)
        except Exception as exc:  # the flusher must keep running; the spool keeps the events
            log.exception("collector flush failed")
            self.last_error = f"{type(exc).__name__}: {exc}"
        self._check_backlog()

    def _snapshot_due(self, importing: bool) -> bool:
        ctx = self.ctx
        if ctx.config.engine.kind == "spark" or not (importing or ctx.snapshot_stale()):
            return False
        current = ctx.snapshot
        return current is None or (
            time.time() - current.written_at >= ctx.config.server.snapshot_seconds
        )

    async def _import(self, segments: list[Segment], snapshot: bool) -> None:
        source = self.ctx.source_state()
        answer = await self.importer.run(
            {
                "project": str(self.ctx.project_dir),
                "jobs": [(str(s.path), s.source_name, s.lines) for s in segments],
                "wait": self.ctx.config.server.store_wait_seconds,
                "budget": SESSION_SECONDS,
                "snapshot": str(self.ctx.snapshots) if snapshot else None,
            }
        )
        if answer.snapshot is not None:
            path, _generation, mtime, size = answer.snapshot
            self.ctx.set_snapshot(
                SnapshotState(Path(path), time.time(), (mtime, size, source[2], False))
            )
        by_name = {s.source_name: s for s in segments}
        for name, imported, error in answer.done:
            segment = by_name[name]
            if error is None:
                self.failures.pop(segment.id, None)
                self.imported += imported
                self.spool.remove(segment)
                continue
            # a segment that cannot be imported must not hold up the ones after it
            count = self.failures.get(segment.id, 0) + 1
            self.failures[segment.id] = count
            self.last_error = f"{name}: {error}"
            if count >= _FAILED_ATTEMPTS:
                target = self.spool.set_aside(segment)
                self.failures.pop(segment.id, None)
                self.last_error += f" (moved to {target}; fix and import it with the CLI)"
        if answer.busy is not None:
            self.last_error = f"store busy, will retry: {answer.busy}"
            return
        self.flushes += 1
        self.last_flush = datetime.now(UTC)
        if not self.failures:
            self.last_error = None

    def backlog(self) -> dict[str, Any]:
        """Events and segments not yet in the store, and the age of the oldest."""
        events, segments = self.spool.pending()
        oldest = [s.id for s in self.spool.waiting()[:1]]
        current = self.spool.current
        if not oldest and current is not None:
            oldest = [current.id]
        age = 0.0
        if oldest:
            with contextlib.suppress(ValueError):
                born = datetime.strptime(oldest[0][:21], "%Y%m%dT%H%M%S%f").replace(tzinfo=UTC)
                age = max(0.0, (datetime.now(UTC) - born).total_seconds())
        return {"events": events, "segments": segments, "oldest_seconds": round(age, 1)}

    def _check_backlog(self) -> None:
        server = self.ctx.config.server
        backlog = self.backlog()
        alerts = []
        if backlog["events"] > server.backlog_alert_events:
            alerts.append(
                f"{backlog['events']} collected events wait for the store "
                f"(server.backlog_alert_events = {server.backlog_alert_events})"
            )
        if backlog["oldest_seconds"] > server.backlog_alert_seconds:
            alerts.append(
                f"the oldest waiting events arrived {backlog['oldest_seconds']:.0f} s ago "
                f"(server.backlog_alert_seconds = {server.backlog_alert_seconds:g})"
            )
        if alerts and not self.alerts:
            log.warning(
                "collector backlog: %s; last error: %s",
                "; ".join(alerts),
                self.last_error or "none",
            )
        elif not alerts and self.alerts:
            log.warning("collector backlog back to normal (%d events)", backlog["events"])
        self.alerts = alerts


async def start(app: FastAPI) -> None:
    """Open the spool (closing what a previous run left) and start the flusher, which
    imports those leftovers first."""
    ctx: ServerContext = app.state.ctx
    collector = Collector(ctx)
    await asyncio.to_thread(collector.spool.open)
    await asyncio.to_thread(collector.first_seen.open, collector.spool.folder / FIRST_SEEN_FILE)
    # what start-up loaded (DuckDB, pandas, Ibis, ...) is never garbage: keep it out of the
    # collector's way, so full collections stay short and do not show up as latency spikes
    gc.freeze()
    app.state.collector = collector
    collector.task = asyncio.create_task(collector.run(), name="wegweiser-flusher")


async def stop(app: FastAPI) -> None:
    """Stop the flusher, then import what was collected (left in the spool if the store is
    busy: the next start imports it)."""
    collector: Collector | None = getattr(app.state, "collector", None)
    if collector is None:
        return
    collector.stopping.set()
    if collector.task is not None:
        await collector.task
    await collector.flush()
    while waiting := len(collector.spool.waiting()):
        await collector.flush()  # one store session at a time, so the CLI gets its turns
        if len(collector.spool.waiting()) >= waiting:
            break  # the store is busy or a segment fails: the next start imports the rest
    await collector.spool.close()
    collector.first_seen.close()
    await collector.importer.close()
    gc.unfreeze()  # let interpreter shutdown clean up as usual


def status(app: FastAPI) -> dict[str, Any]:
    """The collector's backlog, import process and last flush, for ``/healthz``;
    ``problems`` lists what makes the server ``degraded``."""
    collector: Collector | None = getattr(app.state, "collector", None)
    if collector is None:
        return {"collector": {"running": False}, "problems": []}
    events, segments = collector.spool.pending()
    backlog = collector.backlog()
    last = collector.last_flush
    importer = collector.importer.status()
    collector._check_backlog()
    problems = list(collector.alerts)
    if importer["deaths_in_a_row"]:
        problems.append(
            f"the import process died {importer['deaths_in_a_row']} time(s) in a row "
            f"(exit code {importer['last_exit_code']})"
        )
    return {
        "collector": {
            "running": True,
            "pending_events": events,
            "pending_segments": segments,
            "oldest_pending_seconds": backlog["oldest_seconds"],
            "accepted": collector.accepted,
            "rejected": collector.rejected,
            "imported": collector.imported,
            "flushes": collector.flushes,
            "last_flush": last.isoformat() if last else None,
            "last_error": collector.last_error,
            "importer": importer,
        },
        "problems": problems,
    }
