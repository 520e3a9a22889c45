"""Plain-Python reference helpers for analysis tests (independent of Ibis/DuckDB).

``random_rows`` makes a small random event log; ``load`` imports it into a project and returns
the materialised journey table; ``reference_journeys`` orders each person's events exactly as
the docs define (timestamp, then message_id) and numbers sessions (gap in minutes, > gap
starts a new session).
"""

from __future__ import annotations

import fnmatch
import random
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pandas as pd

from wegweiser.config import default_config

BASE = datetime(2026, 3, 1, tzinfo=UTC)


@dataclass
class Ev:
    person: str
    event: str
    timestamp: datetime
    message_id: str
    channel: str | None = None
    device: str | None = None
    revenue: float | None = None
    properties: dict[str, Any] | None = None
    session: int = -1
    seq: int = -1


def random_rows(
    seed: int,
    *,
    n: int = 200,
    persons: int = 15,
    events: tuple[str, ...] = ("a", "b", "c", "d", "order_completed"),
    minutes: int = 60 * 24 * 3,
    channels: tuple[str, ...] = ("email", "paid_search", "direct"),
    devices: tuple[str, ...] = ("mobile", "desktop"),
    ties: float = 0.1,
) -> list[Ev]:
    """Random events; ``ties`` is the share of events that reuse an earlier timestamp."""
    rng = random.Random(seed)
    rows: list[Ev] = []
    for i in range(n):
        if rows and rng.random() < ties:
            ts = rng.choice(rows).timestamp
        else:
            ts = BASE + timedelta(minutes=rng.randint(0, minutes), seconds=rng.randint(0, 59))
        rows.append(Ev(
            person=f"p{rng.randint(0, persons - 1):02d}", event=rng.choice(events),
            timestamp=ts, message_id=f"m{i:05d}", channel=rng.choice(channels),
            device=rng.choice(devices),
            revenue=round(rng.uniform(5, 100), 2) if rng.random() < 0.3 else None,
            properties={"plan": rng.choice(["basic", "pro"])},
        ))
    rng.shuffle(rows)  # out-of-order arrival
    return rows


def frame_of(rows: list[Ev]) -> pd.DataFrame:
    import json

    return pd.DataFrame({
        "message_id": [r.message_id for r in rows],
        "user_id": [r.person for r in rows],
        "event": [r.event for r in rows],
        "timestamp": [r.timestamp.isoformat() for r in rows],
        "channel": [r.channel for r in rows],
        "device": [r.device for r in rows],
        "revenue": [r.revenue for r in rows],
        "properties": [json.dumps(r.properties) if r.properties else None for r in rows],
    })


def load(project: Any, rows: list[Ev]) -> Any:
    """Import ``rows`` into ``project`` and return its journey table (Ibis)."""
    if rows:
        summary = project.import_events(frame_of(rows))
        assert summary.quarantined == 0, summary.errors
    return project.journey()


def reference_journeys(rows: list[Ev], *, gap_minutes: int = 30) -> dict[str, list[Ev]]:
    """person -> events ordered by (timestamp, message_id), with ``seq`` and ``session``."""
    by_person: dict[str, list[Ev]] = {}
    for r in sorted(rows, key=lambda r: (r.timestamp, r.message_id)):
        by_person.setdefault(r.person, []).append(r)
    gap = timedelta(minutes=gap_minutes)
    for events in by_person.values():
        session = 0
        for i, e in enumerate(events):
            if i and e.timestamp - events[i - 1].timestamp > gap:
                session += 1
            e.seq, e.session = i, session
    return by_person


def stitched_frame(
    rows: list[Ev],
    *,
    share: float = 0.5,
    identify_at: datetime = BASE + timedelta(days=30),
    identify_first: bool = True,
) -> pd.DataFrame:
    """``rows`` as events where about ``share`` of them come from anonymous devices
    (``person-device``) that an identify event at ``identify_at`` links to the person's user
    id; the identify events arrive before the rest or, with ``identify_first=False``, after."""
    frame = frame_of(rows)
    anon = [zlib.crc32(r.message_id.encode()) % 100 < share * 100 for r in rows]
    devices = {f"{r.person}-{r.device}": r.person for r, a in zip(rows, anon, strict=True) if a}
    frame["anonymous_id"] = [
        f"{r.person}-{r.device}" if a else None for r, a in zip(rows, anon, strict=True)
    ]
    frame["user_id"] = [None if a else r.person for r, a in zip(rows, anon, strict=True)]
    frame["type"] = "track"
    identify = pd.DataFrame({
        "message_id": [f"id-{device}" for device in devices],
        "type": "identify", "anonymous_id": list(devices), "user_id": list(devices.values()),
        "timestamp": identify_at.isoformat(),
    })
    parts = [identify, frame] if identify_first else [frame, identify]
    return pd.concat(parts, ignore_index=True)


# -- phases (default rules) -----------------------------------------------------------------
PHASES = list(default_config().phases)
PHASE_NAMES = [p.name for p in PHASES]
PHASE_RANK = {n: i for i, n in enumerate(PHASE_NAMES)}


def reference_phase(event: str) -> str | None:
    """The first default phase with a glob matching ``event`` (fnmatch, not the engine)."""
    for phase in PHASES:
        if any(fnmatch.fnmatchcase(event, pattern) for pattern in phase.events):
            return phase.name
    return None


def load_log(project, rows: list[Ev], seed: int = 0):
    """Import ``rows``: some persons send part of their events from anonymous devices that an
    ``identify`` links later. Returns the journey and journey person_id -> person label."""
    rng = random.Random(seed)
    records = []
    for r in rows:
        device = rng.random() < 0.4 and zlib.crc32(r.person.encode()) % 3 != 0
        records.append({
            "message_id": r.message_id, "type": "track", "event": r.event,
            "timestamp": r.timestamp.isoformat(), "device": r.device,
            "anonymous_id": f"{r.person}-d{rng.randint(1, 2)}" if device else None,
            "user_id": None if device else r.person,
        })
    linked = sorted({rec["anonymous_id"] for rec in records if rec["anonymous_id"]})
    for i, anon in enumerate(linked):
        records.append({
            "message_id": f"id{i}", "type": "identify", "event": None,
            "timestamp": (BASE + timedelta(minutes=rng.randint(0, 10_000))).isoformat(),
            "device": None, "anonymous_id": anon, "user_id": anon.split("-")[0],
        })
    rng.shuffle(records)  # out-of-order arrival
    if records:
        summary = project.import_events(pd.DataFrame(records))
        assert summary.quarantined == 0, summary.errors
    labels = {project.person_of(person): person for person in {r.person for r in rows}}
    return project.journey(), labels
