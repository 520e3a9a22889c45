"""What committed imports changed, read for the triggers (:mod:`.triggers`): the new events
journeys ask about, the phase moves they made, and a snapshot of each person they touched
(traits, current phase, counts of the events journeys ask about, country, consent, stored
scores and next-best offers), as Ibis expressions on the project's warehouse (DuckDB or
Spark) -- never a scan of every person."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import ibis
import orjson
import pandas as pd

from wegweiser.analysis.journeys import events_with_person
from wegweiser.analysis.result import to_frame
from wegweiser.events.consent import fold, preferences
from wegweiser.orchestrate._lists import as_lists as _columns
from wegweiser.orchestrate._phase_window import current_phases, phase_moves
from wegweiser.orchestrate.person import EventStats, Person

if TYPE_CHECKING:
    from collections.abc import Sequence

    import ibis.expr.types as ir

    from wegweiser.config import Config, Phase
    from wegweiser.project import Project

UNSUBSCRIBED = "unsubscribed"
SNAPSHOT_COLUMNS = ("message_id", "type", "event", "timestamp", "country", "properties",
                    "context", "traits", "import_id", "user_id", "anonymous_id")
"""The columns of the events the snapshots and triggers read (the touched persons' events
are kept in a temporary table: these 11 of the store's 26 columns)."""


@dataclass
class Batch:
    """What new imports changed, for the persons they touched."""

    import_ids: list[str]
    events: list[dict[str, Any]]
    """Events journeys ask about: ``person_id``, ``event``, ``ts`` (epoch), ``properties``."""
    transitions: list[tuple[str, float, str | None, str]]
    """``(person_id, ts, from_phase, to_phase)`` moves made by new events, in order."""
    persons: dict[str, Person]


def read_batch(
    project: Project, import_ids: Sequence[str], names: Sequence[str]
) -> Batch:
    """Everything the triggers need about the persons that ``import_ids`` touched."""
    config: Config = project.config
    phases = list(config.phases)
    events, identities = project.events(), project.identities()
    ids = list(import_ids)
    new = events.filter(events.import_id.isin(ids))
    touched_expr = events_with_person(new, identities).filter(ibis._.person_id.notnull()).select(
        "person_id").distinct()
    with touched_expr.cache() as touched:  # a temporary table: read once, used six times
        mine_expr = events_with_person(events.select(*SNAPSHOT_COLUMNS), identities)
        mine_expr = mine_expr.semi_join(touched, mine_expr.person_id == touched.person_id)
        with mine_expr.cache() as mine:
            batch = _read(mine, identities, touched, ids, names, phases,
                          consent_trait=config.privacy.consent_trait)
    return dataclasses.replace(batch, persons=with_scores(project, batch.persons))


def with_scores(project: Project, persons: dict[str, Person]) -> dict[str, Person]:
    """``persons`` with their stored scores and next-best offers (``wegweiser scores
    refit``; read from the store and kept for these persons only)."""
    if not persons:
        return persons
    wanted = list(persons)
    mine = project.scores(person_ids=wanted)  # filtered in the store, not in pandas
    by_person: dict[str, dict[str, float]] = {}
    for pid, model, score in zip(mine["person_id"], mine["model"], mine["score"], strict=True):
        by_person.setdefault(str(pid), {})[str(model)] = float(score)
    offers: dict[str, list[dict[str, Any]]] = {}
    recs = project.recommendations(wanted)
    for pid, rank, item, category, score in zip(
            recs["person_id"], recs["rank"], recs["item"], recs["category"], recs["score"],
            strict=True):
        offers.setdefault(str(pid), []).append({
            "item": str(item), "category": None if pd.isna(category) else str(category),
            "score": float(score), "rank": int(rank)})
    if not by_person and not offers:
        return persons
    return {pid: dataclasses.replace(p, scores=by_person.get(pid, {}),
                                     recommendations=offers.get(pid, []))
            for pid, p in persons.items()}


def _read(
    mine: ir.Table, identities: ir.Table, touched: ir.Table, ids: list[str],
    names: Sequence[str], phases: list[Phase], *, consent_trait: str = "consent",
) -> Batch:
    touch = mine.filter(mine.type.isin(("track", "page", "screen")))
    # events journeys ask about, as they arrived
    interesting = touch.filter(touch.import_id.isin(ids) & touch.event.isin(
        [*names, UNSUBSCRIBED]))
    ev = _columns(interesting.select(
        "person_id", "event", "timestamp", "message_id",
        properties=interesting.properties.cast("string")).order_by("timestamp", "message_id"))
    event_rows = [
        {"person_id": p, "event": e, "ts": t, "properties": _json(props)}
        for p, e, t, props in zip(ev["person_id"], ev["event"], ev["timestamp"],
                                  ev["properties"], strict=True)
    ]
    transitions, current = phase_moves(touch, phases, ids)
    persons = person_snapshots(mine, identities, touched, names, current,
                         consent_trait=consent_trait)
    return Batch(ids, event_rows, transitions, persons)


def _json(text: Any) -> dict[str, Any]:
    if not isinstance(text, str) or not text or text == "{}":  # most events: no properties
        return {}
    try:
        value = orjson.loads(text)
    except orjson.JSONDecodeError:
        return {}
    return value if isinstance(value, dict) else {}


def _consents(mine: ir.Table, trait: str) -> dict[str, dict[str, bool]]:
    """Each person's consent categories: the statements of their events, latest wins."""
    context = mine.context.cast("string")
    traits = mine.traits.cast("string")
    stating = mine.filter(context.contains("categoryPreferences")
                          | ((mine.type == "identify") & traits.contains(f'"{trait}"')))
    frame = to_frame(stating.select(
        "person_id", "timestamp", "message_id", context=stating.context.cast("string"),
        traits=stating.traits.cast("string")).order_by("person_id", "timestamp", "message_id"))
    found: dict[str, dict[str, bool]] = {}
    for pid, ctx, trs in zip(frame["person_id"].tolist(), frame["context"].tolist(),
                             frame["traits"].tolist(), strict=True):
        stated = preferences(_json(ctx), _json(trs), trait=trait)
        found[str(pid)] = fold([found.get(str(pid), {}), stated])
    return found


def person_snapshots(
    mine: ir.Table, identities: ir.Table, touched: ir.Table, names: Sequence[str],
    current: dict[str, str], *, consent_trait: str = "consent",
) -> dict[str, Person]:
    """Each of the ``touched`` persons as the conditions see them, from ``mine`` (their
    events with ``person_id``) and ``current`` (their current phase)."""
    consents = _consents(mine, consent_trait)
    traits: dict[str, dict[str, Any]] = {}
    ident = mine.filter(mine.type == "identify")
    tf = _columns(ident.select("person_id", "timestamp", "message_id",
                               traits=ident.traits.cast("string"))
                  .order_by("person_id", "timestamp", "message_id"))
    loads, decode_error = orjson.loads, orjson.JSONDecodeError
    for pid, text in zip(tf["person_id"], tf["traits"], strict=True):
        try:  # _json, inlined: 100k identify events a batch
            found = loads(text) if text else {}
        except (decode_error, TypeError):
            found = {}
        if type(found) is not dict:
            found = {}
        if pid in traits:
            traits[pid].update(found)
        else:
            traits[pid] = found
    stats: dict[str, dict[str, EventStats]] = {}
    if names:
        named = mine.filter(mine.event.isin(list(names)))
        sf = _columns(named.group_by("person_id", "event").agg(
            n=named.count(), last=named.timestamp.max()))
        for pid, event, n, last in zip(sf["person_id"], sf["event"], sf["n"], sf["last"],
                                       strict=True):
            stats.setdefault(pid, {})[event] = EventStats(n, last)
    with_country = mine.filter(mine.country.notnull())
    cf = _columns(with_country.group_by("person_id").agg(
        country=with_country.country.argmax(with_country.timestamp)))
    countries = dict(zip(cf["person_id"], cf["country"], strict=True))
    users = identities.filter((identities.id_kind == "user")
                              & (identities.id == identities.person_id))
    users = users.semi_join(touched, users.person_id == touched.person_id)
    with_user = set(_columns(users.select("person_id"))["person_id"])
    people = _columns(touched)["person_id"]
    if consents:
        return {
            pid: Person(pid, traits.get(pid) or {}, current.get(pid), stats.get(pid) or {},
                        countries.get(pid), pid if pid in with_user else None,
                        consent=consents.get(pid) or {})
            for pid in people
        }
    return {  # the same without consent statements (most batches): fewer look-ups
        pid: Person(pid, traits.get(pid) or {}, current.get(pid), stats.get(pid) or {},
                    countries.get(pid), pid if pid in with_user else None)
        for pid in people
    }


def read_persons(project: Project, person_ids: Sequence[str], names: Sequence[str]
                 ) -> dict[str, Person]:
    """Snapshots of ``person_ids`` (traits, current phase, event counts, country)."""
    events, identities = project.events(), project.identities()
    wanted = ibis.memtable({"w_person": sorted(person_ids)})
    known = identities.select("person_id").distinct()
    touched_expr = known.semi_join(wanted, known.person_id == wanted.w_person)
    with touched_expr.cache() as touched:
        mine_expr = events_with_person(events.select(*SNAPSHOT_COLUMNS), identities)
        mine_expr = mine_expr.semi_join(touched, mine_expr.person_id == touched.person_id)
        with mine_expr.cache() as mine:
            current = current_phases(mine, list(project.config.phases))
            snapshots = person_snapshots(mine, identities, touched, names, current,
                                   consent_trait=project.config.privacy.consent_trait)
    return with_scores(project, snapshots)
