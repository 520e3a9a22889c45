"""The suppression list: ids whose new events are dropped at collection and at import.

Segment's *suppress-with-delete*: when a person is erased, salted hashes of their ids and
e-mail addresses go on this list, so that a device still sending their anonymous id cannot
bring them back. The list lives in ``<project>/privacy/suppressed.json`` (mode 600): a
random per-project salt and ``sha256(salt + ":" + id)`` per id (e-mail addresses lower-cased
and trimmed first); it never holds an id itself, so the list is no personal data of its own
beyond what a hash allows to confirm.

Checked by the collector (:meth:`SuppressionList.matches` on each row before it reaches the
spool) and by every import (:func:`drop_suppressed` on the staged batch, in SQL), so rows of
suppressed ids never reach the store, its Parquet or the spool.

>>> s = SuppressionList.empty()
>>> s.add(["u1", "Ana@Example.org"]) and None
>>> s.matches({"user_id": "u1"}), s.matches({"traits": {"email": "ana@example.org "}})
(True, True)
>>> s.matches({"anonymous_id": "a2"})
False
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from wegweiser.errors import InvalidInput

if TYPE_CHECKING:
    from wegweiser.store.engine import Engine

PRIVACY_FOLDER = "privacy"
SUPPRESSION_FILE = "suppressed.json"
ID_FIELDS = ("anonymous_id", "user_id", "previous_id")


def normal(value: str) -> str:
    """An id as it is hashed: e-mail addresses lower-cased and trimmed, other ids as given."""
    return value.strip().lower() if "@" in value else value


@dataclass
class SuppressionList:
    """Salted hashes of suppressed ids, with when and why each was added."""

    salt: str
    entries: dict[str, dict[str, str]] = field(default_factory=dict)
    path: Path | None = None
    mtime_ns: int = -1

    @classmethod
    def empty(cls) -> SuppressionList:
        return cls(secrets.token_hex(16))

    @classmethod
    def load(cls, project_dir: Path) -> SuppressionList:
        """The project's list (an empty one with a new salt when there is no file yet)."""
        path = project_dir / PRIVACY_FOLDER / SUPPRESSION_FILE
        if not path.is_file():
            found = cls.empty()
            found.path = path
            return found
        try:
            stat = path.stat()
            data = json.loads(path.read_text(encoding="utf-8"))
            entries = {str(k): dict(v) for k, v in data["hashes"].items()}
            return cls(str(data["salt"]), entries, path, stat.st_mtime_ns)
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise InvalidInput(
                f"{path} is not a suppression list ({exc}); restore it from a backup: "
                "without it, erased persons' devices are collected again"
            ) from None

    def hash(self, value: str) -> str:
        return hashlib.sha256(f"{self.salt}:{normal(value)}".encode()).hexdigest()

    def __len__(self) -> int:
        return len(self.entries)

    def __contains__(self, value: object) -> bool:
        return isinstance(value, str) and self.hash(value) in self.entries

    def add(self, ids: Iterable[str], *, reason: str = "erased") -> list[str]:
        """Add ``ids``; returns the hashes that were new."""
        now = datetime.now(UTC).isoformat(timespec="seconds")
        new = []
        for value in ids:
            if not value or not value.strip():
                raise InvalidInput("an empty id cannot be suppressed")
            key = self.hash(value)
            if key not in self.entries:
                self.entries[key] = {"added_at": now, "reason": reason}
                new.append(key)
        return new

    def remove(self, ids_or_hashes: Iterable[str]) -> int:
        """Remove ids (or their hashes, as ``list`` shows them); returns how many went."""
        gone = 0
        for value in ids_or_hashes:
            for key in (value, self.hash(value)):
                if self.entries.pop(key, None) is not None:
                    gone += 1
                    break
        return gone

    def save(self, project_dir: Path | None = None) -> Path:
        """Write the list atomically (a reader sees the old or the new file)."""
        path = self.path or (Path(project_dir or ".") / PRIVACY_FOLDER / SUPPRESSION_FILE)
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        tmp = path.with_suffix(".json.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump({"salt": self.salt, "hashes": self.entries}, handle, indent=1,
                      sort_keys=True)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
        self.path = path
        return path

    def ids_of(self, row: Mapping[str, Any]) -> list[str]:
        """The ids and e-mail addresses a collected row carries."""
        found = [str(row[k]) for k in ID_FIELDS if row.get(k)]
        for holder in (row.get("traits"), (_json(row.get("context")) or {}).get("traits")):
            traits = _json(holder)
            if isinstance(traits, Mapping) and isinstance(traits.get("email"), str):
                found.append(traits["email"])
        return found

    def matches(self, row: Mapping[str, Any]) -> bool:
        """Whether a row (an :func:`~wegweiser.events.collect.messages.event_row`) carries a
        suppressed id or e-mail address."""
        return bool(self.entries) and any(
            self.hash(value) in self.entries for value in self.ids_of(row)
        )


def _json(value: Any) -> Any:
    if isinstance(value, str | bytes):
        try:
            return json.loads(value)
        except ValueError:
            return None
    return value


class SuppressionWatch:
    """The list as a long-running process sees it: read again when the file changed."""

    def __init__(self, project_dir: Path) -> None:
        self.project_dir = project_dir
        self.current = SuppressionList.load(project_dir)

    def get(self) -> SuppressionList:
        path = self.project_dir / PRIVACY_FOLDER / SUPPRESSION_FILE
        try:
            mtime = path.stat().st_mtime_ns
        except OSError:
            mtime = -1
        if mtime != self.current.mtime_ns:
            self.current = SuppressionList.load(self.project_dir)
        return self.current


def project_dir_of(engine: Engine) -> Path | None:
    """The project folder of a store file (None for an in-memory store)."""
    return None if engine.database == ":memory:" else Path(engine.database).parent


def any_suppressed(engine: Engine) -> bool:
    """True when the project of ``engine`` has a suppression list with entries."""
    folder = project_dir_of(engine)
    if folder is None or not (folder / PRIVACY_FOLDER / SUPPRESSION_FILE).is_file():
        return False
    return bool(SuppressionList.load(folder).entries)


def drop_suppressed(engine: Engine, relation: str) -> int:
    """Delete rows of suppressed ids from the staged batch ``relation`` (the columns of
    ``events``); returns how many went. Runs one SQL statement over the hashes."""
    folder = project_dir_of(engine)
    if folder is None or not (folder / PRIVACY_FOLDER / SUPPRESSION_FILE).is_file():
        return 0
    listing = SuppressionList.load(folder)
    if not listing.entries:
        return 0
    import pyarrow as pa

    name = "_suppressed_hashes"
    engine.register(name, pa.table({"h": list(listing.entries)}))
    try:
        salt = {"salt": listing.salt + ":"}
        values = [
            f"CASE WHEN contains({c}, '@') THEN lower(trim({c})) ELSE {c} END" for c in ID_FIELDS
        ] + [
            "lower(trim(json_extract_string(traits, '$.email')))",
            "lower(trim(json_extract_string(context, '$.traits.email')))",
        ]
        test = " OR ".join(f"sha256($salt || {v}) IN (SELECT h FROM {name})" for v in values)
        n = int(engine.scalar(f"SELECT count(*) FROM {relation} WHERE {test}", salt))
        if n:
            engine.run(f"DELETE FROM {relation} WHERE {test}", salt)
        return n
    finally:
        engine.unregister(name)
