"""Entries on membership: a person newly in (or newly out of) a saved segment or a persona.

A journey whose entry is ``segment_entered``/``segment_left`` names a saved segment
(``segments/<name>.toml``, :mod:`wegweiser.analysis.segments`); ``persona_entered``/
``persona_left`` names a remembered persona (``personas.json``, by id or name; a person's
persona is the nearest remembered centroid, as the last fit assigned it:
:func:`wegweiser.analysis.personas.remembered_members`).

The state store remembers each set's members (``wj_members``) and what the set was when it
was last evaluated in full (``wj_sets``: a digest of the segment's rule or the personas'
centroids, and the time). After each committed import batch the triggers evaluate the sets
**for the persons the batch touched** (a segment's or persona's membership is a function of
the person's own events and traits) and compare with the remembered members: newly in
enters ``*_entered`` journeys, newly out ``*_left`` ones, under the journey's re-entry
rules, in the transaction that marks the imports processed. A whole set is evaluated and
compared instead when it is new to the state store (then its members are only remembered:
journeys act on changes, as with phases), when its rule or the personas changed (an edited
segment file, a refit), and, for segments with a time window (``within``), at most every
:data:`RECHECK_SECONDS` in the worker's rounds (:func:`wegweiser.orchestrate.triggers.
process_memberships`), since time alone moves persons out of such a segment.
"""

from __future__ import annotations

import difflib
import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Literal

import orjson

from wegweiser.errors import InvalidInput
from wegweiser.orchestrate._runs import Entrant
from wegweiser.project import PERSONAS_FILE, read_persona_memory
from wegweiser.project_files import SEGMENTS_DIR, read_segment

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence
    from pathlib import Path

    from wegweiser.analysis.segments import Segment
    from wegweiser.orchestrate.definitions import Entry, Journey
    from wegweiser.orchestrate.person import Person
    from wegweiser.orchestrate.runtime import Runtime
    from wegweiser.orchestrate.state import Tx
    from wegweiser.project import Project

__all__ = ["RECHECK_SECONDS", "SetChange", "SetRef", "check_entry", "entrants",
           "evaluate", "moved", "refs", "write"]

RECHECK_SECONDS = 3600.0
"""How often a segment with a time window is evaluated in full."""


@dataclass(frozen=True)
class SetRef:
    """A set of persons a journey enters on: ``key`` is ``segment:<name>`` or
    ``persona:<id>``."""

    kind: Literal["segment", "persona"]
    name: str
    key: str
    digest: str
    segment: Segment | None = None
    persona: int | None = None
    memory: Mapping[str, Any] | None = None


@dataclass
class SetChange:
    """What one evaluation of a set found (``entered``/``left``: persons to act on)."""

    key: str
    entered: set[str] = field(default_factory=set)
    left: set[str] = field(default_factory=set)
    full: str | None = None
    """The digest, when the whole set was evaluated (then ``wj_sets`` is written)."""


# -- validation --------------------------------------------------------------------------
def _persona_label(row: Mapping[str, Any]) -> str:
    return f"{row['id']} ({row['name']} / {row['name_de']})"


def _find_persona(memory: Mapping[str, Any], wanted: int | str) -> Mapping[str, Any] | None:
    for row in memory.get("personas") or []:
        if isinstance(wanted, int) and not isinstance(wanted, bool) and row.get("id") == wanted:
            return dict(row)
        if isinstance(wanted, str) and wanted.strip().casefold() in (
            str(row.get("name", "")).casefold(), str(row.get("name_de", "")).casefold()
        ):
            return dict(row)
    return None


def check_entry(entry: Entry, project_dir: Path) -> list[tuple[str, str]]:
    """Problems ``(field, message)`` of a membership entry: the segment or persona must
    exist in the project (``project_dir``)."""
    if entry.kind in ("segment_entered", "segment_left") and entry.segment is not None:
        folder = project_dir / SEGMENTS_DIR
        known = sorted(p.stem for p in folder.glob("*.toml")) if folder.is_dir() else []
        if entry.segment not in known:
            close = difflib.get_close_matches(entry.segment, known, n=1)
            hint = f" Did you mean {close[0]!r}?" if close else ""
            return [("segment", f"no saved segment {entry.segment!r} (no file "
                     f"{SEGMENTS_DIR}/{entry.segment}.toml); saved: "
                     f"{', '.join(known) or 'none yet (wegweiser segments add ...)'}.{hint}")]
        try:
            read_segment(folder / f"{entry.segment}.toml")
        except InvalidInput as exc:
            return [("segment", f"the segment's file has a problem: {exc}")]
    if entry.kind in ("persona_entered", "persona_left") and entry.persona is not None:
        try:
            memory = read_persona_memory(project_dir / PERSONAS_FILE)
        except InvalidInput as exc:
            return [("persona", str(exc))]
        if not memory or not memory.get("personas"):
            return [("persona", f"no personas remembered yet ({PERSONAS_FILE} in the "
                     "project); fit them first: `wegweiser personas`")]
        if _find_persona(memory, entry.persona) is None:
            rows = memory["personas"]
            return [("persona", f"no persona {entry.persona!r} in {PERSONAS_FILE}; "
                     f"remembered (id, names): {', '.join(_persona_label(r) for r in rows)}")]
    return []


# -- evaluation --------------------------------------------------------------------------
def _digest(value: Any) -> str:
    text = orjson.dumps(value, option=orjson.OPT_SORT_KEYS, default=str)
    return hashlib.sha256(text).hexdigest()[:16]


def refs(project: Project, journeys: Sequence[Journey]) -> dict[str, SetRef]:
    """The set each journey with a membership entry enters on, by journey name (read from
    the project; journeys on one set share it)."""
    out: dict[str, SetRef] = {}
    by_key: dict[str, SetRef] = {}
    memory: Mapping[str, Any] | None = None
    for journey in journeys:
        entry = journey.entry
        ref: SetRef | None = None
        if entry.kind in ("segment_entered", "segment_left") and entry.segment:
            seg = project.segment(entry.segment)
            key = f"segment:{seg.name}"
            ref = by_key.get(key) or SetRef(
                "segment", seg.name, key, _digest(seg.model_dump(mode="json")), segment=seg)
        elif entry.kind in ("persona_entered", "persona_left") and entry.persona is not None:
            memory = memory if memory is not None else project.persona_memory() or {}
            row = _find_persona(memory, entry.persona)
            if row is None:
                raise InvalidInput(f"journey {journey.name!r}: entry.persona: no persona "
                                   f"{entry.persona!r} in {PERSONAS_FILE} any more; run "
                                   "`wegweiser journeys validate`")
            key = f"persona:{row['id']}"
            cents = [[r["id"], r["centroid"]] for r in memory.get("personas") or []]
            ref = by_key.get(key) or SetRef(
                "persona", str(row["name"]), key, _digest(cents), persona=int(row["id"]),
                memory=memory)
        if ref is not None:
            out[journey.name] = by_key[ref.key] = ref
    return out


def members(
    project: Project, ref: SetRef, persons: Sequence[str] | None, now: float
) -> set[str]:
    """The members of ``ref`` now: among ``persons``, or everyone (None)."""
    import ibis

    from wegweiser.analysis.result import to_frame

    journey = project.journey()
    if persons is not None:
        if not persons:
            return set()
        wanted = ibis.memtable({"m_person": sorted(persons)})
        journey = journey.semi_join(wanted, journey.person_id == wanted.m_person)
    if ref.segment is not None:
        from wegweiser.analysis.segments import members as segment_members

        who = segment_members(journey, ref.segment, as_of=datetime.fromtimestamp(now, UTC),
                              traits=project.traits)
        return {str(p) for p in to_frame(who)["person_id"].tolist()}
    from wegweiser.analysis.personas import after_purchase_phases, remembered_members

    assert ref.memory is not None
    frame = remembered_members(journey, ref.memory,
                               after_phases=after_purchase_phases(project.config))
    return {str(p) for p in frame.loc[frame["persona"] == ref.persona, "person_id"].tolist()}


def _stale(ref: SetRef, evaluated_at: float | None, now: float) -> bool:
    timed = ref.segment is not None and ref.segment.within is not None
    return timed and (evaluated_at is None or now - evaluated_at >= RECHECK_SECONDS)


def evaluate(
    project: Project, runtime: Runtime, keys: Mapping[str, SetRef], *,
    touched: Sequence[str] | None, now: float,
) -> list[SetChange]:
    """Changes of the sets ``keys`` (:func:`refs`): for the ``touched`` persons, or (None,
    the worker's rounds) only of the sets due for a whole evaluation (module docstring)."""
    from wegweiser.orchestrate.runtime import select_in

    wanted = list({r.key: r for r in keys.values()}.values())
    if not wanted:
        return []
    with runtime.store.transaction() as tx:
        state = {str(r[0]): (str(r[1]), r[2]) for r in tx.execute(
            "SELECT set_key, digest, evaluated_at FROM wj_sets")}
    out: list[SetChange] = []
    for ref in wanted:
        known = state.get(ref.key)
        if known is None:  # new: remember who is in, act on changes from now on
            change = SetChange(ref.key, full=ref.digest)
            change.entered = members(project, ref, None, now)
            change.left = set()
            out.append(_baseline(change))
            continue
        if known[0] != ref.digest or (touched is None and _stale(ref, known[1], now)):
            now_in = members(project, ref, None, now)
            with runtime.store.transaction() as tx:
                before = {str(r[0]) for r in tx.execute(
                    "SELECT person_id FROM wj_members WHERE set_key = :k", {"k": ref.key})}
            out.append(SetChange(ref.key, now_in - before, before - now_in, full=ref.digest))
        elif touched:
            now_in = members(project, ref, touched, now)
            with runtime.store.transaction() as tx:
                before = {str(r[0]) for r in select_in(
                    tx, "SELECT person_id FROM wj_members WHERE set_key = :k "
                    "AND person_id IN ({ids})", {"k": ref.key}, sorted(touched))}
            out.append(SetChange(ref.key, now_in - before, before - now_in))
    return out


@dataclass
class _Baseline(SetChange):
    """A set seen for the first time: its members are remembered, nobody enters."""


def _baseline(change: SetChange) -> SetChange:
    return _Baseline(change.key, change.entered, change.left, change.full)


def entrants(
    journeys: Sequence[Journey], keys: Mapping[str, SetRef], changes: Sequence[SetChange],
    persons: Mapping[str, Person],
) -> list[Entrant]:
    """The entries the changes make (``keys``: the set of each journey, :func:`refs`;
    ``persons``: snapshots of the persons who moved)."""
    by_key = {c.key: c for c in changes if not isinstance(c, _Baseline)}
    out: list[Entrant] = []
    for journey in journeys:
        ref = keys.get(journey.name)
        change = by_key.get(ref.key) if ref is not None else None
        if ref is None or change is None:
            continue
        entered = journey.entry.kind.endswith("_entered")
        for pid in sorted(change.entered if entered else change.left):
            person = persons.get(pid)
            if person is not None:
                out.append(Entrant(journey.name, person, {
                    ref.kind: ref.persona if ref.persona is not None else ref.name,
                    "change": "entered" if entered else "left"}))
    return out


def moved(changes: Sequence[SetChange]) -> set[str]:
    """Persons whose membership changed (whose snapshots the entries need)."""
    return {p for c in changes if not isinstance(c, _Baseline) for p in c.entered | c.left}


def write(tx: Tx, changes: Sequence[SetChange], now: float) -> None:
    """Remember the new members (in the transaction of the entries)."""
    for change in changes:
        tx.executemany(
            "INSERT INTO wj_members (set_key, person_id, since) VALUES (:k, :p, :now) "
            "ON CONFLICT (set_key, person_id) DO NOTHING",
            [{"k": change.key, "p": p, "now": now} for p in sorted(change.entered)])
        tx.executemany(
            "DELETE FROM wj_members WHERE set_key = :k AND person_id = :p",
            [{"k": change.key, "p": p} for p in sorted(change.left)])
        if change.full is not None:
            tx.execute(
                "INSERT INTO wj_sets (set_key, digest, evaluated_at) VALUES (:k, :d, :now) "
                "ON CONFLICT (set_key) DO UPDATE SET digest = :d, evaluated_at = :now",
                {"k": change.key, "d": change.full, "now": now})
