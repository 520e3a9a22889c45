"""Export everything Wegweiser holds about one person (Art. 15/20): JSON or a zip of CSVs.

The person is found by any of their ids or their e-mail address (:mod:`._scope`); the
export holds, one table per kind:

* ``events`` — every event of any of their ids or carrying their address (all columns);
* ``feedback`` — those of the events that are feedback (``[feedback] events`` and
  ``review_events``), again apart;
* ``identities``, ``identity_links`` — their ids and how they were stitched;
* ``quarantine`` — rejected input whose payload names one of their ids;
* ``journey_*`` — what the person page shows: ``summary`` (with the remembered persona),
  ``traits``, ``phases``, ``devices``, ``conversions``, ``messages``, ``timeline``;
* ``wj_*`` — the journeys engine's state: runs, entries, the send ledger, opens and clicks,
  unsubscribes, segment/persona memberships, message events not yet imported.

There is no score table in Wegweiser (touchpoint scores are per touchpoint, not per
person), so there are no scores to export.
"""

from __future__ import annotations

import io
import json
import zipfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from wegweiser import audit
from wegweiser.errors import UnknownPerson
from wegweiser.orchestrate.privacy import export_state
from wegweiser.privacy import records
from wegweiser.privacy._scope import PersonScope, resolve

if TYPE_CHECKING:
    import pandas as pd

    from wegweiser.project import Project


@dataclass
class PersonExport:
    """One person's data, one table per kind (see the module docstring)."""

    scope: PersonScope
    tables: dict[str, pd.DataFrame]
    created_at: str = field(default_factory=lambda: datetime.now(UTC).isoformat(
        timespec="seconds"))

    def counts(self) -> dict[str, int]:
        return {name: len(frame) for name, frame in self.tables.items()}

    def to_dict(self) -> dict[str, Any]:
        from wegweiser.analysis.result import jsonable

        return {
            "query": self.scope.query,
            "ids": list(self.scope.ids),
            "emails": list(self.scope.emails),
            "person_ids": list(self.scope.person_ids),
            "created_at": self.created_at,
            "counts": self.counts(),
            "tables": {name: jsonable(frame) for name, frame in self.tables.items()},
        }

    def to_json(self) -> str:
        """One JSON document."""
        return json.dumps(self.to_dict(), ensure_ascii=False, default=str)

    def to_zip(self) -> bytes:
        """A zip of one CSV per kind (``events.csv`` ...) and ``person.json`` (the ids)."""
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            head = {k: v for k, v in self.to_dict().items() if k != "tables"}
            archive.writestr("person.json", json.dumps(head, ensure_ascii=False, indent=1))
            for name, frame in self.tables.items():
                archive.writestr(f"{name}.csv", frame.to_csv(index=False))
        return buffer.getvalue()


def export_person(
    project: Project, any_id: str, *, actor: str, journey: bool = True, record: bool = True
) -> PersonExport:
    """Everything the project holds about the person ``any_id`` names (see the module
    docstring); :class:`~wegweiser.errors.UnknownPerson` when nothing does. ``actor`` is
    who asked (recorded in ``privacy/erasures.jsonl`` unless ``record`` is False);
    ``journey`` adds the person page's tables (runs the engine's journey)."""
    import pandas as pd

    scope = resolve(project, any_id)
    tables = dict(project.person_rows(list(scope.ids), list(scope.emails)))
    feedback_events = {*project.config.feedback.events, *project.config.feedback.review_events}
    events = tables["events"]
    tables["feedback"] = events[events["event"].isin(sorted(feedback_events))].reset_index(
        drop=True)
    if journey and scope.person_ids:
        page = project.person(scope.person_ids[0]).tables()
        for name in ("summary", "traits", "phases", "devices", "conversions", "messages",
                     "timeline"):
            tables[f"journey_{name}"] = page[name]
    for name, rows in export_state(project.path, list(scope.ids), scope.needles).items():
        tables[name] = pd.DataFrame(rows)
    if not any(len(frame) for frame in tables.values()):
        raise UnknownPerson(
            f"nothing is stored about {any_id!r} (events, identities, quarantine, journey "
            "state were searched). Search with `wegweiser person --search TEXT`.",
            query=any_id)
    result = PersonExport(scope, tables)
    audit.record(project.path, actor=actor, action="export",
                 target=scope.person_ids[0] if scope.person_ids else None,
                 surface=audit.surface_of(actor), detail={"rows": sum(result.counts().values())})
    if record:
        records.append(project.path, {
            "request_id": records.new_request_id(), "kind": "export", "actor": actor,
            "status": "done", "counts": result.counts(),
            "subjects": _hashes(project, scope),
        })
    return result


def _hashes(project: Project, scope: PersonScope) -> list[str]:
    listing = project.suppression()
    if listing.path is None or not listing.path.is_file():
        listing.save(project.path)  # the salt must stay the same for later records
    return sorted({listing.hash(v) for v in scope.needles})
