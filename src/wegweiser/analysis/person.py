"""One person's journey: who they are and everything they did, on one timeline.

Definitions:

* **Finding a person** (:func:`find`): a query matches a person when it equals their
  ``person_id``, one of their stitched ids (an anonymous or user id in ``identities``), or
  an ``email`` trait of any of their ``identify`` events (trimmed, case-insensitive).
  Without such a match, ids that *start with* the query (at least 3 characters) are offered.
* **ids**: every id stitched into the person, with its kind (``user``/``anonymous``).
* **timeline**: the person's touchpoints in the journey (events under any of their ids, in
  the journey's order: ``timestamp``, then ``message_id``), at most ``limit`` of them, the
  latest ones; ``summary.events`` counts them all.
* **devices**: per ``device`` and ``platform`` of all their touchpoints: events, first
  and last.
* **phases**: the phases over time -- consecutive touchpoints of the same phase make one
  episode (touchpoints without a phase continue the episode they fall in): ``phase``,
  ``since``, ``until`` (first and last touchpoint) and ``events``, over the timeline shown.
* **conversions**: the conversion events of the timeline, with their revenue.
* **feedback**: the person's survey answers and reviews
  (:mod:`wegweiser.analysis._feedback_rows`: kind, score, text, the touchpoint it is about).
* **messages**: the journeys' message events (``message_*``: sent, failed, opened, clicked)
  with the journey, step, channel and variant they carry; the faces add the send ledger's
  rows for the person (``sends``) when the project has journeys.
* **traits**: per trait key the latest value the person's ``identify`` events set, and when.
* **summary** (one row): ``person_id``, ``first_seen``, ``last_seen``, ``events``,
  ``sessions``, ``conversions``, ``revenue``, ``ids``, ``phase`` (of the latest touchpoint
  that has one), ``persona`` and ``persona_name`` (from the remembered persona fit, as the
  persona filter assigns it; empty without a fit or with too few events) and ``shown``
  (rows of the timeline).
* **withheld**: with ``[privacy] analytics_consent = "required"``, true for a person whose
  latest statement withdrew analytics consent (:mod:`wegweiser.analysis.consent`). Their
  journey is left out of every analysis, and so of this one: only their ``ids`` are
  given, and ``note`` says why (an export, ``wegweiser.privacy.export_person``, still has
  everything).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import ibis
import pandas as pd

from wegweiser.analysis._feedback_rows import feedback_rows
from wegweiser.analysis._persona_assign import after_purchase_phases, assign
from wegweiser.analysis.filters import property_value, trimmed
from wegweiser.analysis.result import Result, to_frame
from wegweiser.errors import InvalidInput

if TYPE_CHECKING:
    from collections.abc import Mapping

    import ibis.expr.types as ir

    from wegweiser.config import Config

__all__ = [
    "MESSAGE_PREFIX",
    "PersonJourney",
    "find",
    "person_journey",
    "resolve",
]

MESSAGE_PREFIX = "message_"
MIN_PREFIX = 3
TIMELINE_COLUMNS = (
    "seq", "timestamp", "event", "channel", "device", "platform", "campaign", "source",
    "medium", "country", "phase", "session", "is_conversion", "revenue", "message_id",
)
MESSAGE_FIELDS = ("journey", "step", "channel", "variant")


@dataclass(frozen=True)
class PersonJourney(Result):
    """One person's journey (see :mod:`wegweiser.analysis.person`); ``sends`` holds the
    journeys' send ledger rows for the person (empty without journeys)."""

    summary: pd.DataFrame
    timeline: pd.DataFrame
    ids: pd.DataFrame
    devices: pd.DataFrame
    phases: pd.DataFrame
    conversions: pd.DataFrame
    feedback: pd.DataFrame
    messages: pd.DataFrame
    traits: pd.DataFrame
    sends: pd.DataFrame = field(default_factory=pd.DataFrame)
    note: str = field(default="", kw_only=True)
    #: the person withheld analytics consent and the project requires it: no analysis
    withheld: bool = field(default=False, kw_only=True)

    @property
    def person_id(self) -> str:
        return str(self.summary["person_id"].iloc[0])

    def with_sends(self, sends: pd.DataFrame) -> PersonJourney:
        """This journey with the send ledger's rows for the person."""
        return replace(self, sends=sends)


# -- finding ----------------------------------------------------------------------------------
def _emails(events: ir.Table, identities: ir.Table) -> ir.Table:
    """``person_id``, ``email`` (trimmed, lower case) of every identify event with one."""
    idents = events.filter(events.type == "identify")
    idents = idents.select(
        _key=idents.user_id.coalesce(idents.anonymous_id),
        email=trimmed(property_value(idents.traits, "email")).lower(),
    )
    idents = idents.filter(idents.email.notnull() & (idents.email != ""))
    ids = identities.select(_id=identities.id, person_id=identities.person_id)
    return idents.join(ids, idents._key == ids._id).select("person_id", "email").distinct()


def find(events: ir.Table, identities: ir.Table, query: str, *, limit: int = 20
         ) -> pd.DataFrame:
    """Persons matching ``query``: ``person_id``, ``matched`` (the id or email that
    matched) and ``kind`` (``person_id``, ``user``, ``anonymous``, ``email``, or
    ``prefix`` for an id that starts with the query), exact matches first."""
    q = query.strip()
    columns = ["person_id", "matched", "kind"]
    if not q:
        return pd.DataFrame(columns=columns)
    ids = identities
    exact = ids.filter((ids.id == q) | (ids.person_id == q))
    exact = exact.select(
        "person_id",
        matched=ibis.ifelse(exact.id == q, exact.id, exact.person_id),
        kind=ibis.ifelse(
            exact.id == q,
            ibis.ifelse(exact.person_id == q, "person_id", exact.id_kind),
            "person_id",
        ),
    )
    mails = _emails(events, identities)
    mails = mails.filter(mails.email == q.lower())
    mails = mails.select("person_id", matched=mails.email, kind=ibis.literal("email"))
    found = to_frame(exact.union(mails).distinct())
    if found.empty and len(q) >= MIN_PREFIX:
        near = ids.filter(ids.id.startswith(q))
        near = near.select("person_id", matched=near.id, kind=ibis.literal("prefix"))
        found = to_frame(near.order_by("matched").limit(limit))
    order = {"person_id": 0, "user": 1, "anonymous": 2, "email": 3, "prefix": 4}
    found = found.assign(_o=found["kind"].map(order).fillna(9))
    found = found.sort_values(["_o", "person_id", "matched"], kind="stable")
    found = found.drop_duplicates("person_id").drop(columns="_o").head(limit)
    return found[columns].reset_index(drop=True)


def resolve(events: ir.Table, identities: ir.Table, query: str,
            *, found: pd.DataFrame | None = None) -> str | None:
    """The one person ``query`` names exactly (None when none does); two persons sharing an
    email raise :class:`InvalidInput` naming them. ``found``: what :func:`find` already
    returned for ``query`` (saves the search)."""
    found = find(events, identities, query) if found is None else found
    found = found[found["kind"] != "prefix"]
    persons = list(dict.fromkeys(str(p) for p in found["person_id"]))
    if len(persons) > 1:
        raise InvalidInput(
            f"{query!r} names {len(persons)} persons ({', '.join(persons[:5])}); "
            "look one up by its person_id"
        )
    return persons[0] if persons else None


# -- the journey ------------------------------------------------------------------------------
def _phases(timeline: pd.DataFrame) -> pd.DataFrame:
    """Episodes of consecutive touchpoints in the same phase (module docstring)."""
    columns = ["phase", "since", "until", "events"]
    phase = timeline["phase"].ffill()
    kept = timeline.assign(_phase=phase)[phase.notna()]
    if kept.empty:
        return pd.DataFrame(columns=columns)
    episode = (kept["_phase"] != kept["_phase"].shift()).cumsum()
    out = kept.groupby(episode, sort=True).agg(
        phase=("_phase", "first"), since=("timestamp", "min"), until=("timestamp", "max"),
        events=("seq", "size"),
    )
    return out[columns].reset_index(drop=True)


def _devices(mine: ir.Table) -> pd.DataFrame:
    """Per device and platform of all the person's touchpoints (on the engine)."""
    per = mine.group_by(["device", "platform"]).agg(
        events=mine.count(), first=mine.timestamp.min(), last=mine.timestamp.max())
    out = to_frame(per).sort_values(["events", "first"], ascending=[False, True])
    return out.reset_index(drop=True)


def _messages(timeline: pd.DataFrame, props: pd.Series) -> pd.DataFrame:
    """The ``message_*`` events with the fields they carry in their properties."""
    is_message = timeline["event"].astype(str).str.startswith(MESSAGE_PREFIX)
    rows = timeline.loc[is_message, ["timestamp", "event"]].copy()
    parsed = [_object(p) for p in props[is_message]]
    for name in MESSAGE_FIELDS:
        rows[name] = [p.get(name) for p in parsed]
    if "channel" in timeline:
        rows["channel"] = rows["channel"].where(rows["channel"].notna(),
                                                timeline.loc[is_message, "channel"])
    return rows.reset_index(drop=True)


def _object(text: Any) -> dict[str, Any]:
    if not isinstance(text, str):
        return {}
    try:
        value = json.loads(text)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _traits(events: ir.Table, id_list: list[str]) -> pd.DataFrame:
    """Per trait key the latest value set by the person's identify events."""
    idents = events.filter(
        (events.type == "identify")
        & (events.user_id.isin(id_list) | events.anonymous_id.isin(id_list))
    )
    frame = to_frame(idents.select(
        "timestamp", "message_id", traits=idents.traits.cast("string")))
    frame = frame.sort_values(["timestamp", "message_id"], kind="stable")
    latest: dict[str, tuple[Any, Any]] = {}
    for at, text in zip(frame["timestamp"], frame["traits"], strict=True):
        for key, value in _object(text).items():
            if value is not None:
                latest[str(key)] = (value, at)
    rows = [{"key": k, "value": v if isinstance(v, str) else json.dumps(v, ensure_ascii=False),
             "at": at} for k, (v, at) in sorted(latest.items())]
    return pd.DataFrame(rows, columns=["key", "value", "at"])


def _persona(mine: ir.Table, memory: Mapping[str, Any] | None, config: Config
             ) -> tuple[int | None, str | None]:
    """The person's remembered persona (id, name): their channel mix, pace and device mix
    decide it, so their own rows suffice."""
    if not memory or not memory.get("personas"):
        return None, None
    found = to_frame(assign(mine, memory, after_phases=after_purchase_phases(config)))
    if found.empty:
        return None, None
    pid = int(found["persona"].iloc[0])
    names = {int(r["id"]): str(r["name"]) for r in memory["personas"]}
    return pid, names.get(pid)


def person_journey(
    journey: ir.Table,
    events: ir.Table,
    identities: ir.Table,
    person_id: str,
    *,
    config: Config,
    limit: int = 5_000,
    memory: Mapping[str, Any] | None = None,
    withheld: bool = False,
) -> PersonJourney:
    """The journey of ``person_id`` (module docstring); ``limit`` caps the timeline.
    ``withheld``: the person withheld analytics consent (the project requires it): only
    their ids are given."""
    if limit < 1:
        raise InvalidInput(f"limit must be at least 1, got {limit}")
    mine = journey.filter(journey.person_id == person_id)
    if withheld:  # the journey leaves them out already; make sure nothing else shows them
        mine = mine.filter(ibis.literal(False))
    head = to_frame(mine.aggregate(
        first_seen=mine.timestamp.min(), last_seen=mine.timestamp.max(), events=mine.count(),
        sessions=mine.session.nunique(),
        conversions=mine.is_conversion.cast("int64").sum(),
        revenue=ibis.ifelse(mine.is_conversion, mine.revenue, None).sum(),
    ))
    latest = mine.order_by(ibis.desc("seq")).limit(limit)
    frame = to_frame(latest.select(*TIMELINE_COLUMNS, "properties"))
    frame = frame.sort_values("seq", kind="stable").reset_index(drop=True)
    props = frame.pop("properties")
    ids = identities.filter(identities.person_id == person_id)
    id_frame = to_frame(ids.select("id", kind=ids.id_kind).order_by(["kind", "id"]))
    fb = feedback_rows(mine, config)
    feedback = to_frame(fb.select(
        "timestamp", "kind", "score", "valid", "text", "question", "source", "touchpoint",
        "touchpoint_channel", "phase",
    ).order_by("timestamp"))
    conversions = frame.loc[frame["is_conversion"].astype(bool),
                            ["timestamp", "event", "channel", "revenue", "phase"]]
    with_phase = frame[frame["phase"].notna()]
    summary = head.assign(
        person_id=person_id,
        ids=len(id_frame),
        phase=with_phase["phase"].iloc[-1] if len(with_phase) else None,
        shown=len(frame),
    )
    summary["revenue"] = summary["revenue"].fillna(0.0)
    summary["persona"], summary["persona_name"] = _persona(mine, memory, config)
    summary = summary[["person_id", "first_seen", "last_seen", "events", "sessions",
                       "conversions", "revenue", "ids", "phase", "persona", "persona_name",
                       "shown"]]
    total = int(summary["events"].iloc[0])
    note = (f"the timeline shows the latest {len(frame):,} of {total:,} touchpoints"
            if total > len(frame) else "")
    if withheld:
        note = ("this person withheld analytics consent and the project requires it "
                "([privacy] analytics_consent): their journey is left out of every analysis "
                "and not shown; an export still has everything")
    return PersonJourney(
        summary=summary,
        timeline=frame,
        ids=id_frame,
        devices=_devices(mine),
        phases=_phases(frame),
        conversions=conversions.reset_index(drop=True),
        feedback=feedback,
        messages=_messages(frame, props),
        traits=(pd.DataFrame(columns=["key", "value", "at"]) if withheld
                else _traits(events, [str(i) for i in id_frame["id"]])),
        note=note,
        withheld=withheld,
        params={"person_id": person_id, "limit": limit},
    )
