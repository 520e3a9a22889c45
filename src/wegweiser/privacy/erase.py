"""Erase or anonymise a person everywhere (Art. 17), physically; batches from a CSV.

:func:`erase_person` removes the scope of :func:`~wegweiser.privacy.export.export_person`
so that the bytes are gone, in an order that a crash cannot break:

1. an erasure record ``started`` (:mod:`.records`, no personal data);
2. the ids and addresses on the suppression list, so that nothing new of them is collected
   or imported meanwhile (:mod:`wegweiser.events.suppression`);
3. the journey state (runs, ledger, outbox...; :mod:`wegweiser.orchestrate.privacy`);
4. the spool segments, the cached readings of their feedback texts, the read snapshots
   (:mod:`.files`);
5. the store: rows deleted in one transaction, Parquet files holding any rewritten, the
   identities of everyone else rebuilt, derived tables dropped, then the store file
   rewritten (a copy renamed over it: the old or the new file, never a partial one);
6. the record ``done`` with the rows per kind.

Every step deletes what is still there, so running the same erasure again after a crash
completes it. :func:`anonymise_person` keeps the person's events for the aggregates under
a random pseudonym (unlinkable: drawn at random, kept nowhere), drops their traits, context
and feedback texts, and removes everything else as an erasure does.
"""

from __future__ import annotations

import csv
import io
import json
import secrets
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from wegweiser import audit
from wegweiser.errors import InvalidInput
from wegweiser.orchestrate.privacy import erase_state
from wegweiser.privacy import files, records
from wegweiser.privacy._scope import PersonScope, resolve

if TYPE_CHECKING:
    from collections.abc import Iterable
    from pathlib import Path

    from wegweiser.project import Project


@dataclass
class ErasureSummary:
    """What one request removed: rows per kind, the record's id; ``pseudonym`` for an
    anonymisation (not recorded anywhere)."""

    request_id: str
    kind: str
    counts: dict[str, int] = field(default_factory=dict)
    pseudonym: str | None = None

    @property
    def found(self) -> bool:
        return any(self.counts.values())

    def as_dict(self) -> dict[str, Any]:
        return {"request_id": self.request_id, "kind": self.kind, "counts": self.counts,
                "found": self.found}


def erase_person(project: Project, any_id: str, *, actor: str) -> ErasureSummary:
    """Erase the person ``any_id`` names (a person id, any stitched id, an e-mail
    address) everywhere; see the module docstring. ``actor`` is who asked."""
    return _run(project, resolve(project, any_id), actor=actor, kind="erase")


def anonymise_person(project: Project, any_id: str, *, actor: str) -> ErasureSummary:
    """Keep the person's events under a random pseudonym, drop what describes them and
    erase the rest (see the module docstring)."""
    return _run(project, resolve(project, any_id), actor=actor, kind="anonymise")


def _run(project: Project, scope: PersonScope, *, actor: str, kind: str) -> ErasureSummary:
    listing = project.suppression()
    subjects = sorted({listing.hash(v) for v in scope.needles})
    request_id = records.new_request_id()
    records.append(project.path, {"request_id": request_id, "kind": kind, "actor": actor,
                                  "status": "started", "subjects": subjects})
    if kind == "erase":  # an anonymised person's ids may come back as a new person
        listing.add(scope.needles, reason=f"erased {request_id}")
    listing.save(project.path)
    files.fence_snapshots(project.path)
    ids, emails = list(scope.ids), list(scope.emails)
    texts = _texts(project.person_rows(ids, emails)["events"])
    counts: dict[str, int] = {}
    counts.update({f"journey_state.{k}": v
                   for k, v in erase_state(project.path, ids, scope.needles).items()})
    spool = files.scrub_spool(project.path, ids, emails)
    counts["spool_lines"] = spool["lines"]
    if kind == "erase":
        counts.update(project.delete_person_rows(ids, emails))
    else:
        pseudonym = "anon-" + secrets.token_hex(12)
        counts.update(project.pseudonymise_person_rows(ids, emails, pseudonym))
    counts["text_readings"] = files.forget_texts(project.path, texts)
    counts["snapshots"] = files.drop_snapshots(project.path)
    # the audit log keeps who did what, but names the person by the erasure's hash only
    label = f"erased:{subjects[0] if subjects else request_id}"
    counts["audit_entries"] = audit.redact(project.path, scope.needles, label)
    audit.record(project.path, actor=actor, action=kind, target=label,
                 surface=audit.surface_of(actor), detail={"request_id": request_id})
    records.append(project.path, {"request_id": request_id, "kind": kind, "actor": actor,
                                  "status": "done", "subjects": subjects, "counts": counts,
                                  "spool_open_segment_left": spool["skipped"]})
    return ErasureSummary(request_id, kind, counts,
                          pseudonym=None if kind == "erase" else "(random, not kept)")


def _texts(events: Any) -> list[str]:
    """Every text value in the events' properties (feedback answers among them)."""
    found: set[str] = set()
    if "properties" not in events:
        return []
    for raw in events["properties"].dropna():
        try:
            value = json.loads(raw) if isinstance(raw, str) else raw
        except ValueError:
            continue
        if isinstance(value, dict):
            found.update(v for v in value.values() if isinstance(v, str) and v)
    return sorted(found)


def read_ids(path: str | Path) -> list[str]:
    """The ids of a batch request: a CSV whose first column (or its ``id``/``email``/
    ``user_id``/``anonymous_id`` column) holds one id or address per row; a header is
    recognised by those names."""
    from pathlib import Path as _Path

    source = _Path(path)
    try:
        text = source.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"cannot read the batch file {source}: {exc}") from None
    rows = [r for r in csv.reader(io.StringIO(text)) if r and any(c.strip() for c in r)]
    if not rows:
        raise InvalidInput(f"{source} holds no ids (one id or e-mail address per row)")
    names = [c.strip().lower() for c in rows[0]]
    column = 0
    known = ("id", "email", "user_id", "anonymous_id", "person_id")
    if any(n in known for n in names):
        column = next(i for i, n in enumerate(names) if n in known)
        rows = rows[1:]
    ids = [r[column].strip() for r in rows if len(r) > column and r[column].strip()]
    return list(dict.fromkeys(ids))


def erase_batch(
    project: Project, ids: Iterable[str], *, actor: str, kind: str = "erase"
) -> list[ErasureSummary]:
    """Erase (or ``kind="anonymise"``) each person of ``ids``, one request each; a person
    named twice (two of their ids) is done once."""
    if kind not in ("erase", "anonymise"):
        raise InvalidInput(f"kind must be 'erase' or 'anonymise', not {kind!r}")
    done: set[str] = set()
    out = []
    for any_id in ids:
        if any_id in done:
            continue
        scope = resolve(project, any_id)
        done.update(scope.needles)
        out.append(_run(project, scope, actor=actor, kind=kind))
    return out
