"""Delivery receipts: what an email or SMS provider says became of a message settles the
send ledger.

Providers (SES, Postmark, Mailgun, SendGrid; SMS gateways) post delivery and bounce
notifications. One receipt, the documented shape (``POST /v1/receipts``,
``wegweiser journeys receipts FILE``)::

    {"message_id": "<k.…@wegweiser.journeys>", "status": "delivered", "at": "2026-12-07T…Z"}
    {"key": "welcome:p1:1|mail|sms", "status": "bounced", "reason": "number unknown"}

* ``message_id``: the email's ``Message-ID`` (it carries the ledger key,
  :func:`~wegweiser.orchestrate.channels.email.message_id`), or ``key``: the ledger key, which
  the SMS/push adapter sends as ``Idempotency-Key`` (the provider-side reference). Exactly
  one of them.
* ``status``: ``delivered``, ``bounced`` or ``failed`` (the provider gave up);
  ``at`` (optional): ISO time with a zone, or epoch seconds; ``reason`` (optional).

What a receipt does (:func:`apply`), in the ledger:

* ``delivered``: ``unknown``, ``sending`` (a late one) and ``pending`` become ``sent`` --
  the message did arrive, and is not sent again; ``sent`` stays. A ``message_delivered``
  event goes into the outbox (and ``message_sent`` for a message the worker never recorded
  as sent).
* ``bounced`` / ``failed``: ``unknown``, ``sending`` and ``sent`` become ``failed`` with the
  reason; a ``message_bounced`` event goes into the outbox.
* Never a send: a receipt only changes the state of a row that exists; a row that is
  ``failed``, ``suppressed``, ``dropped`` or ``holdout`` and a receipt that contradicts it
  are refused with the reason (settle it by hand: ``wegweiser journeys ledger settle``).
* Idempotent: each (message, status) is applied once (``wj_receipts``); the same receipt
  again changes nothing and is answered as a repeat.
* Nothing lost: every receipt is answered -- applied (with the ledger state before and
  after) or refused with what is wrong and where (its index).
"""

from __future__ import annotations

import csv
import io
import json
import math
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from wegweiser.orchestrate._runs import event_id
from wegweiser.orchestrate.channels.email import key_of_message_id, legacy_message_id
from wegweiser.orchestrate.tracking import event_base

if TYPE_CHECKING:
    from collections.abc import Sequence
    from pathlib import Path

    from wegweiser.orchestrate.state import StateStore, Tx

STATUSES = ("delivered", "bounced", "failed")
FIELDS = ("message_id", "key", "status", "at", "reason")
MAX_ID = 1_000
MAX_REASON = 500

_SETTLES = {
    "delivered": ("unknown", "sending", "pending"),
    "bounced": ("unknown", "sending", "sent"),
    "failed": ("unknown", "sending", "sent"),
}
_KEEPS = {"delivered": "sent", "bounced": "failed", "failed": "failed"}


class Unreadable(str):
    """A line of a receipts file that is not JSON: refused with this text."""


@dataclass(frozen=True)
class Receipt:
    """One receipt as read (:func:`parse`): ``index`` is its place in the batch or file."""

    index: int
    status: str
    key: str | None = None
    message_id: str | None = None
    at: float | None = None
    reason: str | None = None

    @property
    def named(self) -> str:
        return f"key {self.key!r}" if self.key is not None else f"Message-ID {self.message_id!r}"


@dataclass(frozen=True)
class Applied:
    index: int
    key: str
    status: str
    before: str
    after: str
    repeat: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {"index": self.index, "key": self.key, "status": self.status,
                "before": self.before, "after": self.after, "repeat": self.repeat}


@dataclass(frozen=True)
class Refused:
    index: int
    error: str

    def to_dict(self) -> dict[str, Any]:
        return {"index": self.index, "error": self.error}


@dataclass(frozen=True)
class Outcome:
    """The answer to a batch: every receipt is in one of the two lists."""

    applied: list[Applied]
    refused: list[Refused]

    def to_dict(self) -> dict[str, Any]:
        return {"applied": [a.to_dict() for a in self.applied],
                "rejected": [r.to_dict() for r in self.refused],
                "n_applied": len(self.applied), "n_rejected": len(self.refused),
                "n_changed": sum(1 for a in self.applied if a.before != a.after)}


def _time(value: Any) -> float | str:
    """Epoch seconds of ``at``, or the error text."""
    if isinstance(value, bool):
        return f"at must be an ISO time with a zone or epoch seconds, not {value!r}"
    if isinstance(value, int | float):
        if not math.isfinite(value) or value < 0:
            return f"at must be epoch seconds >= 0, not {value!r}"
        return float(value)
    if isinstance(value, str):
        try:
            when = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            return f"at is not an ISO time: {value[:60]!r} (e.g. 2026-12-07T10:00:00Z)"
        if when.tzinfo is None:
            return f"at needs a time zone: {value[:60]!r} (e.g. {value[:40]}Z)"
        return when.timestamp()
    return f"at must be an ISO time with a zone or epoch seconds, not {type(value).__name__}"


def parse_one(index: int, item: Any) -> Receipt | Refused:
    """One receipt from a JSON object (or a CSV row), or why it is refused.

    >>> parse_one(0, {"key": "j:p1:1|s|sms", "status": "delivered", "at": 1.5})
    Receipt(index=0, status='delivered', key='j:p1:1|s|sms', message_id=None, at=1.5, reason=None)
    >>> parse_one(3, {"key": "k", "status": "opened"}).error
    "status must be one of delivered, bounced, failed, not 'opened'"
    """
    if isinstance(item, Unreadable):
        return Refused(index, str(item))
    if not isinstance(item, dict):
        return Refused(index, f"a receipt is a JSON object, not {type(item).__name__}")
    unknown = sorted(str(k) for k in item if k not in FIELDS)
    if unknown:
        return Refused(index, f"unknown field(s) {', '.join(map(repr, unknown))}; a receipt "
                              f"has {', '.join(FIELDS)}")
    given = {k: v for k, v in item.items() if v not in (None, "")}
    ids = [k for k in ("message_id", "key") if k in given]
    if len(ids) != 1:
        return Refused(index, "a receipt names its message by exactly one of message_id "
                              "(the email's Message-ID) or key (the ledger key), "
                              f"not {' and '.join(ids) or 'neither'}")
    ident = given[ids[0]]
    if not isinstance(ident, str) or len(ident) > MAX_ID:
        return Refused(index, f"{ids[0]} must be a text of at most {MAX_ID} characters")
    status = given.get("status")
    if status not in STATUSES:
        return Refused(index, f"status must be one of {', '.join(STATUSES)}, not {status!r}")
    at: float | None = None
    if "at" in given:
        when = _time(given["at"])
        if isinstance(when, str):
            return Refused(index, when)
        at = when
    reason = given.get("reason")
    if reason is not None and (not isinstance(reason, str) or len(reason) > MAX_REASON):
        return Refused(index, f"reason must be a text of at most {MAX_REASON} characters")
    return Receipt(index, status, key=ident if ids[0] == "key" else None,
                   message_id=ident if ids[0] == "message_id" else None, at=at,
                   reason=reason)


def parse(items: Sequence[Any]) -> tuple[list[Receipt], list[Refused]]:
    """The receipts of a batch and the ones refused, each with its index."""
    good: list[Receipt] = []
    bad: list[Refused] = []
    for index, item in enumerate(items):
        one = parse_one(index, item)
        (good if isinstance(one, Receipt) else bad).append(one)  # type: ignore[arg-type]
    return good, bad


def read_file(path: Path) -> list[Any]:
    """The receipts of a file: JSON lines (``.jsonl``, ``.ndjson``, ``.json`` with one object
    per line, or one JSON list), or CSV with a header row (``.csv``; columns of
    :data:`FIELDS`). A line that is not JSON is kept as a text, refused with its line."""
    from wegweiser.errors import InvalidInput

    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"cannot read receipts from {path}: {exc}") from exc
    if path.suffix.lower() == ".csv":
        reader = csv.DictReader(io.StringIO(text))
        missing = {"status"} - set(reader.fieldnames or [])
        if missing or not {"message_id", "key"} & set(reader.fieldnames or []):
            raise InvalidInput(f"{path}: the CSV header needs status and message_id or key "
                               f"(found: {', '.join(reader.fieldnames or []) or 'nothing'})")
        rows: list[Any] = []
        for row in reader:
            clean = {k: v for k, v in row.items() if k is not None}
            if clean.get("at", "").replace(".", "", 1).isdigit():
                clean["at"] = float(clean["at"])
            rows.append(clean)
        return rows
    stripped = text.strip()
    if stripped.startswith("["):
        try:
            data = json.loads(stripped)
        except ValueError as exc:
            raise InvalidInput(f"{path} is not valid JSON: {exc}") from exc
        return list(data)
    rows = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            rows.append(json.loads(line))
        except ValueError as exc:
            rows.append(Unreadable(f"line {number} is not JSON: {exc}"))
    return rows


def resolve(tx: Tx, receipt: Receipt) -> str | None:
    """The ledger key a receipt names (None: no such message)."""
    if receipt.key is not None:
        key: str | None = receipt.key
    else:
        assert receipt.message_id is not None
        key = key_of_message_id(receipt.message_id)
        if key is None:  # a Message-ID of before it carried the key: undecided rows only
            wanted = receipt.message_id.strip().strip("<>")
            for (candidate,) in tx.execute(
                    "SELECT key FROM wj_ledger WHERE state IN ('unknown', 'sending') "
                    "AND channel = 'email'"):
                if legacy_message_id(str(candidate)).strip("<>") == wanted:
                    return str(candidate)
            return None
    found = tx.one("SELECT 1 FROM wj_ledger WHERE key = :k", {"k": key})
    return key if found else None


def apply(store: StateStore, items: Sequence[Any], *, now: float) -> Outcome:
    """Parse and apply a batch of receipts in one transaction (see the module docstring)."""
    receipts, refused = parse(items)
    applied: list[Applied] = []
    with store.transaction() as tx:
        for receipt in receipts:
            one = _apply(tx, receipt, now)
            (applied if isinstance(one, Applied) else refused).append(one)  # type: ignore[arg-type]
    refused.sort(key=lambda r: r.index)
    return Outcome(applied, refused)


def _apply(tx: Tx, receipt: Receipt, now: float) -> Applied | Refused:
    key = resolve(tx, receipt)
    if key is None:
        return Refused(receipt.index, f"no message in the send ledger has the "
                                      f"{receipt.named}; nothing was changed")
    row = tx.one("SELECT state, run_id, journey, step, channel, person_id, variant, reason "
                 "FROM wj_ledger WHERE key = :k", {"k": key})
    assert row is not None
    state, run_id, journey, step, channel, person_id, variant, old_reason = row
    if tx.one("SELECT 1 FROM wj_receipts WHERE key = :k AND status = :s",
              {"k": key, "s": receipt.status}):
        return Applied(receipt.index, key, receipt.status, state, state, repeat=True)
    target = _KEEPS[receipt.status]
    if state != target and state not in _SETTLES[receipt.status]:
        why = f" ({old_reason})" if old_reason else ""
        return Refused(receipt.index, f"the ledger has {key!r} as {state}{why}; a "
                       f"{receipt.status} receipt does not fit it, so nothing was changed "
                       f"(settle it by hand: wegweiser journeys ledger settle '{key}' "
                       "--as sent|failed --reason ...)")
    at = receipt.at if receipt.at is not None else now
    tx.execute("INSERT INTO wj_receipts (key, status, at, received_at, reason) "
               "VALUES (:k, :s, :at, :now, :r)",
               {"k": key, "s": receipt.status, "at": at, "now": now, "r": receipt.reason})
    if state != target:
        note = (f"delivery receipt: {receipt.status}" if target == "sent" else
                f"{receipt.status} (provider receipt)"
                + (f": {receipt.reason}" if receipt.reason else ""))
        tx.execute("UPDATE wj_ledger SET state = :t, reason = :r, lease_until = NULL, "
                   "next_attempt_at = NULL, updated_at = :now WHERE key = :k AND state = :s",
                   {"t": target, "r": note, "now": now, "k": key, "s": state})
    tags = {"journey": journey, "step": step, "variant": variant, "channel": channel,
            "ledger_key": key}
    base = event_base(tx, run_id, person_id, channel, at=at)
    name = "message_delivered" if receipt.status == "delivered" else "message_bounced"
    events = [{**base, "message_id": event_id(run_id, "track", name, key), "event": name,
               "properties": {**tags, "status": receipt.status,
                              **({"reason": receipt.reason} if receipt.reason else {})}}]
    if target == "sent" and state != "sent":  # the worker never recorded it as sent
        events.append({**base, "message_id": event_id(run_id, "track", "message_sent", key),
                       "event": "message_sent", "properties": {**tags, "by": "receipt"}})
    outbox(tx, events, now)
    return Applied(receipt.index, key, receipt.status, state, target)


def outbox(tx: Tx, events: list[dict[str, Any]], now: float) -> None:
    """Put message events into the outbox (their fixed ``message_id`` drops a repeat)."""
    tx.executemany(
        "INSERT INTO wj_outbox (message_id, created_at, event) VALUES (:m, :now, :e) "
        "ON CONFLICT (message_id) DO NOTHING",
        [{"m": e["message_id"], "now": now, "e": json.dumps(e)} for e in events])
