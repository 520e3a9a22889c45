"""A Wegweiser project: a folder with ``wegweiser.toml`` and the embedded store."""

from __future__ import annotations

import hashlib
import json
import logging
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import pyarrow as pa
from pydantic import BaseModel

from wegweiser.analysis import rollups
from wegweiser.analysis.result import to_frame, to_value
from wegweiser.config import CONFIG_FILE, DEFAULT_TOML, Config, load_config
from wegweiser.errors import InvalidInput, ProjectError, StoreBusy, UnknownPerson
from wegweiser.project_files import ProjectFiles
from wegweiser.project_imports import ProjectImports
from wegweiser.project_methods import AnalysisMethods
from wegweiser.project_privacy import PrivacyStore
from wegweiser.project_scores import ProjectScores
from wegweiser.store import bookkeeping, tables
from wegweiser.store.engine import Engine, Warehouse, open_warehouse

# The import pipeline (project_imports.py), the overview, the journey's build and the
# snapshots load in the methods that use them: an analysis on the command line opens the
# project and reads the journey, nothing more (tests/commands/test_startup.py).
if TYPE_CHECKING:
    from collections.abc import Mapping

    import pandas as pd

    from wegweiser.analysis.overview import Overview
    from wegweiser.analysis.person import PersonJourney
    from wegweiser.events.ingest import ImportSummary
    from wegweiser.store.snapshot import Snapshot

STORE_FILE = "wegweiser.duckdb"
PERSONAS_FILE = "personas.json"  # remembered persona ids and names (analysis/personas.py)
TEXT_CACHE_FILE = "wegweiser-texts.sqlite"
"""What the feedback texts say (language, sentiment, topics), cached per text and model."""

log = logging.getLogger("wegweiser")
_M = TypeVar("_M", bound=BaseModel)


def _tell_waiting(holder: str, seconds: float) -> None:
    log.warning("The store is in use by %s; waiting up to %g s for it.", holder, seconds)


#: the derived table of the persons left out for withheld analytics consent
WITHHELD = "consent_withheld"
#: how the stored journey is laid out; a change rebuilds every store's journey once
#: (2: rows in ``(person_id, seq)`` order on DuckDB; 3: with the integer codes
#: ``person_n``/``event_n``/``next_event_n``, in ``(person_n, seq)`` order)
JOURNEY_LAYOUT = 3

class Project(ProjectFiles, ProjectImports, PrivacyStore, ProjectScores, AnalysisMethods):
    """Open with :func:`open_project` or create with :meth:`Project.init`.

    Every analysis is a method too (``project.funnel([...])``, ``project.retention(
    period="week")``, :mod:`wegweiser.project_methods`), the same as :meth:`analyse`.

    A person's privacy requests are functions of :mod:`wegweiser.privacy` that take the
    project (they reach the journeys' state and the spool as well):
    ``wegweiser.privacy.export_person(project, id, actor=...)``, ``erase_person``,
    ``anonymise_person``, ``erase_batch``, ``apply_retention`` (docs/privacy.md).
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        engine: Engine | None = None,
        wait_seconds: float | None = None,
        snapshot: str | os.PathLike[str] | None = None,
    ) -> None:
        """Open the project at ``path``. While another process (``wegweiser serve``) holds the
        store, wait up to ``wait_seconds`` (default ``engine.lock_wait_seconds``) for it.

        ``snapshot``: read a snapshot of the store (:meth:`write_snapshot`) instead, opened
        read-only; it never waits and never blocks a writer. Nothing can be imported or
        changed through such a project, and its journey is the one built when the snapshot
        was written (:class:`~wegweiser.errors.StoreBusy` when the settings changed since).
        """
        self.path = Path(path)
        self._text_cache: Any = None
        if not (self.path / CONFIG_FILE).is_file():
            raise ProjectError(
                f"{self.path} is not a Wegweiser project (no {CONFIG_FILE}). "
                f"Create one with `wegweiser init {self.path}` or pass --project DIR."
            )
        self.config: Config = load_config(self.path)
        settings = self.config.engine
        self.read_only = snapshot is not None
        self._engine = (
            engine
            if engine is not None
            else Engine(
                Path(snapshot) if snapshot is not None else self.path / STORE_FILE,
                read_only=self.read_only,
                memory_limit=settings.memory_limit,
                threads=settings.threads,
                wait_seconds=settings.lock_wait_seconds if wait_seconds is None else wait_seconds,
                on_wait=_tell_waiting,
            )
        )
        if self.read_only:
            tables.check_version(self._engine)
        else:
            tables.migrate(self._engine)
        self._warehouse: Warehouse = open_warehouse(settings, self._engine, self.path)
        # Where events live and analyses run (the store itself, or Spark). Both stay private:
        # the faces use the named operations below, never the engine (lint-imports checks
        # that they do not import the store).

    # -- life cycle ----------------------------------------------------------------------
    @classmethod
    def init(
        cls,
        path: str | os.PathLike[str] = ".",
        *,
        name: str | None = None,
        engine: Mapping[str, Any] | None = None,
    ) -> Project:
        """Create the folder, ``wegweiser.toml`` (unless present) and the store.

        ``name`` is the project's name in ``wegweiser.toml`` (default: the folder's name).
        ``engine`` sets keys of ``[engine]``, e.g. ``{"kind": "spark"}`` (docs/spark.md).
        """
        folder = Path(path)
        folder.mkdir(parents=True, exist_ok=True)
        config = folder / CONFIG_FILE
        if not config.exists():
            name = name or folder.resolve().name or "wegweiser"
            text = DEFAULT_TOML.replace(
                'name = "wegweiser"', f'name = "{_toml_escape(name)}"', 1)
            config.write_text(text, encoding="utf-8")
        if engine:
            from wegweiser.config_edit import set_engine

            set_engine(folder, engine)
        return cls(folder)

    def text_cache(self) -> Any:
        """The project's cache of read feedback texts (a file beside the store), so a re-run
        of a feedback analysis in a new process reads no text twice."""
        if self._text_cache is None:
            from wegweiser.feedback import TextCache

            self._text_cache = TextCache(self.path / TEXT_CACHE_FILE)
        return self._text_cache

    def close(self) -> None:
        if self._text_cache is not None:
            self._text_cache.close()
            self._text_cache = None
        if self._warehouse is not self._engine:
            self._warehouse.close()
        self._engine.close()

    def __enter__(self) -> Project:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def reload_config(self) -> Config:
        self.config = load_config(self.path)
        return self.config

    # -- looking at the store ------------------------------------------------------------
    def stats(self) -> dict[str, Any]:
        """Counts of events, persons, ids, merges, quarantine, channels, types; date range.

        With ``[privacy] analytics_consent = "required"`` the events, persons and ids of
        the persons who withheld analytics consent are left out, as in every analysis;
        ``withheld_persons`` counts them (0 otherwise)."""
        from wegweiser.analysis.consent import consented_events, leave_out

        w = self._warehouse
        out = self.consent_withheld()
        ev = consented_events(w.table("events"), w.table("identities"), out)
        row = list(to_frame(ev.aggregate(
            n=ev.count(), channels=ev.channel.nunique(), names=ev.event.nunique(),
            first=ev.timestamp.min().cast("string"), last=ev.timestamp.max().cast("string"),
        )).iloc[0])
        ids = bookkeeping.identity_counts(self._engine)
        withheld = 0
        if out is not None:
            kept = leave_out(w.table("identities"), out)
            counts = to_frame(kept.aggregate(
                identities=kept.count(), persons=kept.person_id.nunique(),
                user_ids=(kept.id_kind == "user").sum())).iloc[0]
            withheld = ids["persons"] - int(counts["persons"])
            ids = {k: int(counts[k] or 0) for k in ("identities", "persons", "user_ids")}
        links = bookkeeping.link_counts(self._engine)
        by_type = to_frame(ev.group_by("type").agg(n=ev.count()).order_by("type"))
        types = {str(t): int(n) for t, n in zip(by_type["type"], by_type["n"], strict=True)}
        return {
            "events": int(row[0]),
            "persons": ids["persons"],
            "identities": ids["identities"],
            "user_ids": ids["user_ids"],
            "merges": links["merges"],
            "refused_merges": links["refused_merges"],
            "quarantined": bookkeeping.quarantine_count(self._engine),
            "channels": int(row[1]),
            "event_names": int(row[2]),
            "types": types,
            "first_event": _text(row[3]),
            "last_event": _text(row[4]),
            "withheld_persons": withheld,
        }

    def merges(self, *, limit: int | None = 100, status: str | None = None) -> pd.DataFrame:
        """Identity links with their verdict (``merged``/``refused``) and reason."""
        return bookkeeping.merges(self._engine, limit=limit, status=status)

    def event_count(self) -> int:
        """Events in the store (on the engine where they live)."""
        ev = self._warehouse.table("events")
        return int(to_value(ev.count()))

    def quarantine_summary(self, *, limit: int = 200) -> pd.DataFrame:
        """Quarantined rows per reason: ``reason``, ``n``, ``first``, ``last``."""
        return bookkeeping.quarantine_by_reason(self._engine, limit=limit)

    def quarantine_count(self) -> int:
        return bookkeeping.quarantine_count(self._engine)

    def has_costs(self) -> bool:
        """Whether spend was imported (``wegweiser import-costs``)."""
        return bookkeeping.has_costs(self._engine)

    def overview(self) -> Overview:
        """Persons, events, channels, conversions, revenue and persons per current phase."""
        from wegweiser.analysis.overview import overview

        w = self._warehouse
        return overview(w.table("events"), w.table("identities"), self.config,
                        withheld=self.consent_withheld())

    def consent_withheld(self) -> Any:
        """``person_id`` of every person left out of the analyses because they withheld
        analytics consent (:mod:`wegweiser.analysis.consent`), as an Ibis table
        materialised as ``consent_withheld`` with the journey's stamp (rebuilt with it);
        None when ``[privacy] analytics_consent`` is ``ignore``."""
        from wegweiser.analysis.consent import withheld_by

        w = self._warehouse
        expr = withheld_by(w.table("events"), w.table("identities"), self.config)
        if expr is None:
            return None
        stamp = self._journey_stamp()
        if bookkeeping.derived_stamp(self._engine, WITHHELD) == stamp:
            return w.table(WITHHELD)
        if self.read_only:
            return expr
        built = w.build(WITHHELD, expr)
        bookkeeping.set_derived_stamp(self._engine, WITHHELD, stamp)
        return built

    def journey(self) -> Any:
        """The materialised ``journey`` table (see :mod:`wegweiser.analysis.journeys`) as an
        Ibis table; rebuilt when events, identities or the phase/session config changed."""
        w = self._warehouse
        stamp = self._journey_stamp()
        if bookkeeping.derived_stamp(self._engine, "journey") != stamp:
            if self.read_only:
                raise StoreBusy(
                    "The data snapshot was made with other settings (phases, sessions, "
                    "conversion events) than wegweiser.toml has now; a new one is on its way, "
                    "retry in a few seconds."
                )
            from wegweiser.analysis.journeys import journey_table

            duck = w.name == "duckdb"  # integer codes, and kept in person order: the
            # funnel's scan needs no sort (person_n order is person_id order)
            expr = journey_table(w.table("events"), w.table("identities"), self.config,
                                 codes=duck)
            if duck:
                expr = expr.order_by("person_n", "seq")
            journey = w.build("journey", expr)
            bookkeeping.set_derived_stamp(self._engine, "journey", stamp)
            return journey
        return w.table("journey")

    def rollup(self, name: str) -> Any:
        """The materialised roll-up ``name`` of the journey (``person_days``, ``persons``,
        ``phase_episodes`` or ``sessions``, see :mod:`wegweiser.analysis.rollups`; the table
        ``rollup_<name>``) as an Ibis table; rebuilt with the journey.
        A read-only snapshot made before roll-ups existed gets the expression instead."""
        journey = self.journey()
        stamp, table = f"{self._journey_stamp()}:{rollups.VERSION}", f"rollup_{name}"
        if bookkeeping.derived_stamp(self._engine, table) == stamp:
            return self._warehouse.table(table)
        expr = rollups.build(name, journey, list(self.config.phases))
        if self.read_only:
            return expr
        built = self._warehouse.build(table, expr)
        bookkeeping.set_derived_stamp(self._engine, table, stamp)
        return built

    def events(self) -> Any:
        """The committed events as an Ibis table, on the engine the analyses run on."""
        return self._warehouse.table("events")

    def identities(self) -> Any:
        """``id``, ``id_kind``, ``person_id`` of every id seen, as an Ibis table on the engine
        the analyses run on."""
        return self._warehouse.table("identities")

    def costs(self) -> Any:
        """Spend per date/channel/campaign as an Ibis table, or None when none is imported."""
        return bookkeeping.costs_table(self._engine)

    def traits(self, key: str) -> Any:
        """``person_id`` and a ``key`` column: each person's latest ``identify`` trait
        ``key``, on the engine the analyses run on (an Ibis table)."""
        from wegweiser.analysis.traits import identify_traits

        w = self._warehouse
        return identify_traits(w.table("events"), w.table("identities"), key)

    def persona_memory(self) -> dict[str, Any] | None:
        """The personas remembered in ``personas.json`` (ids, names, centroids), or None.
        Edit the names there: the next fit keeps them (see ``wegweiser personas``)."""
        return read_persona_memory(self.path / PERSONAS_FILE)

    def remember_personas(self, memory: dict[str, Any]) -> None:
        """Write ``personas.json`` (atomically: a reader sees the old or the new file)."""
        path = self.path / PERSONAS_FILE
        tmp = path.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(memory, ensure_ascii=False, indent=1) + "\n",
                       encoding="utf-8")
        os.replace(tmp, path)

    def analyse(self, name: str, params: Any = None, /, **options: Any) -> Any:
        """Run the registered analysis ``name`` (see :mod:`wegweiser.analysis.registry`)
        with its parameter model, a mapping, or keyword options::

            project.analyse("funnel", steps=["add_to_cart", "order_completed"])
        """
        from wegweiser.analysis.registry import run

        if options:
            params = {**(dict(params) if params else {}), **options}
        return run(self, name, params)

    def _journey_stamp(self) -> str:
        relevant = {
            "engine": self._warehouse.name,
            "layout": JOURNEY_LAYOUT,
            "phases": [p.model_dump() for p in self.config.phases],
            "conversion_events": self.config.conversion_events,
            "session_gap_minutes": self.config.windows.session_gap_minutes,
            "privacy": self.config.privacy.model_dump(),
            "store": bookkeeping.import_state(self._engine),
        }
        return hashlib.sha256(json.dumps(relevant, sort_keys=True).encode()).hexdigest()

    # -- saved segments: members (the files: wegweiser.project_files) ----------------------
    def members(self, name: str, *, as_of: Any = None) -> pd.DataFrame:
        """``person_id`` of every member of the saved segment ``name``, sorted."""
        from wegweiser.analysis.scope import persona_side
        from wegweiser.analysis.segments import members

        journey = self.journey()
        who = members(journey, self.segment(name), as_of=as_of, traits=self.traits,
                      personas=persona_side(self, journey), scores=self.score_table)
        return to_frame(who.order_by("person_id"))

    def write_snapshot(self, folder: str | os.PathLike[str]) -> Snapshot:
        """Copy the store as the next read-only snapshot in ``folder`` and build its
        journey (see :mod:`wegweiser.store.snapshot`); :meth:`copy_store` and
        :meth:`publish_snapshot` in one, for a caller that may keep the store meanwhile."""
        return self.publish_snapshot(self.path, self.copy_store(folder), folder)

    def copy_store(self, folder: str | os.PathLike[str]) -> Snapshot:
        """The first half of a snapshot, the only one that needs the store: a checkpointed
        copy of the store file in ``folder`` (a file copy: well under a second per 100 MiB).
        Close this project, then finish it with :meth:`publish_snapshot`."""
        if self.read_only:
            raise ProjectError("a snapshot is made from the store, not from a snapshot")
        from wegweiser.store.snapshot import copy_store

        return copy_store(self._engine, Path(folder))

    @classmethod
    def publish_snapshot(
        cls, path: str | os.PathLike[str], copy: Snapshot, folder: str | os.PathLike[str]
    ) -> Snapshot:
        """Build the journey in ``copy`` (not in the store: nobody waits for it), then make
        it the newest snapshot in ``folder``."""
        try:
            with cls(path, engine=Engine(copy.path)) as project:
                project.journey()
                for name in rollups.NAMES:
                    project.rollup(name)
                project.consent_withheld()
                project._engine.checkpoint()
        except BaseException:
            copy.path.unlink(missing_ok=True)
            raise
        from wegweiser.store.snapshot import publish

        return publish(copy, Path(folder))

    def interrupt(self) -> None:
        """Stop the query running on the store now (from another thread); it raises."""
        self._engine.interrupt()

    def person_of(self, any_id: str) -> str | None:
        """The ``person_id`` of an anonymous or user id, or None if unknown."""
        return bookkeeping.person_of(self._engine, any_id)

    def set_consent(
        self, any_id: str, categories: Mapping[str, bool], *, source: str = "python",
        at: datetime | None = None,
    ) -> ImportSummary:
        """Record a person's consent categories (``{"Marketing": False}``) as a
        ``Segment Consent Preference Updated`` event with Segment's consent object, so it
        flows through the store like every other statement (latest wins per category;
        :mod:`wegweiser.events.consent`). ``any_id``: a user or anonymous id already in the
        store (:class:`~wegweiser.errors.UnknownPerson` otherwise)."""
        import uuid

        from wegweiser.events.consent import consent_event

        if not categories or not all(isinstance(k, str) and k and isinstance(v, bool)
                                     for k, v in categories.items()):
            raise InvalidInput("consent needs at least one category with true or false, "
                               'e.g. {"Marketing": false}')
        ids = self.identities()
        found = to_frame(ids.filter(ids.id == any_id).select("id_kind").limit(1))
        if found.empty:
            raise UnknownPerson(
                f"no user or anonymous id {any_id!r} in the store; consent is recorded for "
                "an id that sent events (`wegweiser person find` looks ids up)", query=any_id)
        user = found["id_kind"].iloc[0] == "user"
        moment = (at or datetime.now(UTC)).astimezone(UTC)
        event = consent_event(any_id if user else None, None if user else any_id, categories,
                              timestamp=moment.isoformat(), message_id=f"consent-{uuid.uuid4()}",
                              source=source)
        data = {"message_id": [event["messageId"]], "type": ["track"],
                "event": [event["event"]], "user_id": [event["userId"]],
                "anonymous_id": [event["anonymousId"]], "timestamp": [event["timestamp"]],
                "properties": [json.dumps(event["properties"])],
                "context": [json.dumps(event["context"])]}
        return self.import_events(pa.table({k: pa.array(v, type=pa.string())
                                            for k, v in data.items()}))

    # -- one person (see wegweiser.analysis.person) -------------------------------------------
    def find_persons(self, query: str, *, limit: int = 20) -> pd.DataFrame:
        """Persons whose person_id, stitched id or email trait is ``query`` (else whose ids
        start with it): ``person_id``, ``matched``, ``kind``."""
        from wegweiser.analysis.person import find

        return find(self.events(), self.identities(), query, limit=limit)

    def person(self, any_id: str, *, limit: int = 5_000) -> PersonJourney:
        """The journey of the person ``any_id`` names (their person_id, any stitched
        anonymous or user id, or an email trait): ids, devices, phases over time, the
        timeline (the latest ``limit`` touchpoints), conversions, feedback, messages.
        :class:`~wegweiser.errors.UnknownPerson` when no person has it."""
        from wegweiser.analysis.person import find, person_journey, resolve

        events, ids = self.events(), self.identities()
        # an id: one look-up in the store's identities (no query on the engine); else an email
        person_id = bookkeeping.person_of(self._engine, any_id)
        if person_id is None:
            found = find(events, ids, any_id)  # one search: the exact match, else the hints
            person_id = resolve(events, ids, any_id, found=found)
        if person_id is None:
            near = found.head(3)
            hint = (f" Ids that start so: {', '.join(near['matched'].astype(str))}."
                    if len(near) else "")
            raise UnknownPerson(
                f"no person has the id or email {any_id!r} (person ids, anonymous and user "
                f"ids, email traits were searched).{hint} Search with `wegweiser person "
                "--search TEXT`.", query=any_id)
        return person_journey(self.journey(), events, ids, person_id, config=self.config,
                              limit=limit, memory=self.persona_memory(),
                              withheld=self._withheld(person_id))

    def _withheld(self, person_id: str) -> bool:
        """Whether ``person_id`` withheld analytics consent and the project requires it."""
        out = self.consent_withheld()
        return out is not None and int(to_value(
            out.filter(out.person_id == person_id).count())) > 0


def read_persona_memory(path: Path) -> dict[str, Any] | None:
    """The remembered personas in ``path`` (``personas.json``), or None without the file."""
    if not path.is_file():
        return None
    try:
        memory = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"{path} is not valid JSON ({exc}); fix it or delete it to "
                           "start the personas afresh") from None
    if not isinstance(memory, dict):
        raise InvalidInput(f"{path} must hold a JSON object")
    return memory


def open_project(
    path: str | os.PathLike[str] = ".", *, wait_seconds: float | None = None
) -> Project:
    """Open an existing project folder (see :class:`Project` for ``wait_seconds``)."""
    return Project(path, wait_seconds=wait_seconds)


def _text(value: Any) -> str | None:
    return None if value is None or value != value else str(value)  # None or NaN: no events


def _toml_escape(text: str) -> str:
    """``text`` inside a TOML basic string: backslash, quote and control characters escaped
    (a folder name may hold any of them)."""
    out = text.replace("\\", "\\\\").replace('"', '\\"')
    return "".join(c if c >= " " and c != "\x7f" else f"\\u{ord(c):04x}" for c in out)
