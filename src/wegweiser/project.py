"""A Wegweiser project: a folder with ``wegweiser.toml`` and the embedded store."""

from __future__ import annotations

import hashlib
import json
import logging
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import pyarrow as pa

from wegweiser.analysis.journeys import journey_table
from wegweiser.analysis.overview import Overview, overview
from wegweiser.analysis.result import to_frame
from wegweiser.config import CONFIG_FILE, DEFAULT_TOML, Config, load_config
from wegweiser.errors import InvalidInput, ProjectError
from wegweiser.events import ingest, quarantine
from wegweiser.events.costs import CostSummary, import_costs
from wegweiser.store import tables
from wegweiser.store.engine import Engine, Warehouse, open_warehouse

if TYPE_CHECKING:
    import pandas as pd

    from wegweiser.events.ingest import ImportSummary, Progress

STORE_FILE = "wegweiser.duckdb"

log = logging.getLogger("wegweiser")


def _tell_waiting(holder: str, seconds: float) -> None:
    log.warning("The store is in use by %s; waiting up to %g s for it.", holder, seconds)


class Project:
    """Open with :func:`open_project` or create with :meth:`Project.init`."""

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        engine: Engine | None = None,
        wait_seconds: float | None = None,
    ) -> None:
        """Open the project at ``path``. While another process (``wegweiser serve``) holds the
        store, wait up to ``wait_seconds`` (default ``engine.lock_wait_seconds``) for it."""
        self.path = Path(path)
        if not (self.path / CONFIG_FILE).is_file():
            raise ProjectError(
                f"{self.path} is not a Wegweiser project (no {CONFIG_FILE}). "
                f"Create one with `wegweiser init {self.path}` or pass --project DIR."
            )
        self.config: Config = load_config(self.path)
        settings = self.config.engine
        self.engine = (
            engine
            if engine is not None
            else Engine(
                self.path / STORE_FILE,
                memory_limit=settings.memory_limit,
                threads=settings.threads,
                wait_seconds=settings.lock_wait_seconds if wait_seconds is None else wait_seconds,
                on_wait=_tell_waiting,
            )
        )
        tables.migrate(self.engine)
        self.warehouse: Warehouse = open_warehouse(settings, self.engine, self.path)
        """Where events live and analyses run (the store itself, or Spark)."""

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

        ``engine`` sets keys of ``[engine]``, e.g. ``{"kind": "spark"}`` (docs/spark.md).
        """
        folder = Path(path)
        folder.mkdir(parents=True, exist_ok=True)
        config = folder / CONFIG_FILE
        if not config.exists():
            text = DEFAULT_TOML
            if name:
                text = text.replace('name = "wegweiser"', f'name = "{_toml_escape(name)}"', 1)
            config.write_text(text, encoding="utf-8")
        if engine:
            from wegweiser.config_edit import set_engine

            set_engine(folder, engine)
        return cls(folder)

    def close(self) -> None:
        if self.warehouse is not self.engine:
            self.warehouse.close()
        self.engine.close()

    def __enter__(self) -> Project:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def reload_config(self) -> Config:
        self.config = load_config(self.path)
        return self.config

    # -- events in -----------------------------------------------------------------------
    def import_events(
        self,
        data: pd.DataFrame | pa.Table | str | os.PathLike[str] | Iterable[str | os.PathLike[str]],
        *,
        mapping: Mapping[str, str] | str | None = None,
        format: str | None = None,
        progress: Progress | None = None,
    ) -> ImportSummary:
        """Import events from files/folders/globs (CSV, JSON Lines, Parquet) or a DataFrame.

        ``mapping`` renames your columns to event fields (``{"user_id": "client_id"}`` or
        ``"user_id=client_id"``). Bad rows are quarantined with a reason; the rest go in.
        """
        columns = ingest.parse_mapping(mapping)
        if isinstance(data, pa.Table):
            return ingest.ingest_table(self.engine, self.config, data, mapping=columns)
        if _is_dataframe(data):
            table = pa.Table.from_pandas(data, preserve_index=False)
            return ingest.ingest_table(self.engine, self.config, table, mapping=columns)
        paths: list[str | os.PathLike[str]]
        if isinstance(data, str | os.PathLike):
            paths = [data]
        elif isinstance(data, Iterable):
            paths = list(cast("Iterable[str | os.PathLike[str]]", data))
        else:
            raise InvalidInput(f"cannot import a {type(data).__name__}; pass a path or a DataFrame")
        return ingest.ingest_paths(
            self.engine, self.config, paths, mapping=columns, fmt=format, progress=progress
        )

    def import_costs(
        self,
        files: str | os.PathLike[str] | Iterable[str | os.PathLike[str]],
        *,
        mapping: Mapping[str, str] | str | None = None,
        format: str | None = None,
    ) -> CostSummary:
        """Import spend (date, channel, campaign, cost, currency) from CSV or Parquet; bad rows
        are quarantined; a file replaces stored rows of the same date/channel/campaign."""
        return import_costs(
            self.engine, self.config, files, mapping=ingest.parse_mapping(mapping), fmt=format
        )

    def replace_costs(self, costs: pa.Table) -> int:
        """Load spend rows (date, channel, campaign, cost, currency); rows for the same
        date/channel/campaign replace the stored ones instead of adding to them."""
        name = "_costs_in"
        self.engine.register(name, costs)
        try:
            with self.engine.transaction():
                self.engine.run(
                    "DELETE FROM costs WHERE (date, channel, coalesce(campaign, '')) IN "
                    f"(SELECT (date, channel, coalesce(campaign, '')) FROM {name})"
                )
                self.engine.run(
                    "INSERT INTO costs SELECT CAST(date AS DATE), channel, campaign, "
                    f"CAST(cost AS DOUBLE), currency FROM {name}"
                )
        finally:
            self.engine.unregister(name)
        return int(costs.num_rows)

    # -- quarantine ----------------------------------------------------------------------
    def quarantine(self, *, limit: int | None = 100, reason: str | None = None) -> pd.DataFrame:
        return quarantine.list_quarantine(self.engine, limit=limit, reason=reason)

    def replay_quarantine(
        self, *, mapping: Mapping[str, str] | str | None = None, reason: str | None = None
    ) -> tuple[ImportSummary, int]:
        return quarantine.replay_quarantine(
            self.engine, self.config, mapping=ingest.parse_mapping(mapping), reason=reason
        )

    def drop_quarantine(self, *, reason: str | None = None, ids: list[int] | None = None) -> int:
        return quarantine.drop_quarantine(self.engine, reason=reason, ids=ids)

    # -- looking at the store ------------------------------------------------------------
    def stats(self) -> dict[str, Any]:
        """Counts of events, persons, ids, merges, quarantine, channels, types; date range."""
        e = self.engine
        ev = self.warehouse.table("events")
        row = list(to_frame(ev.aggregate(
            n=ev.count(), channels=ev.channel.nunique(), names=ev.event.nunique(),
            first=ev.timestamp.min().cast("string"), last=ev.timestamp.max().cast("string"),
        )).iloc[0])
        ids = e.execute(
            "SELECT count(*), count(DISTINCT person_id), count(*) FILTER (WHERE id_kind = 'user') "
            "FROM identities"
        ).rows[0]
        links = e.execute(
            "SELECT count(*) FILTER (WHERE status = 'merged'), "
            "count(*) FILTER (WHERE status = 'refused') "
            "FROM identity_links"
        ).rows[0]
        by_type = to_frame(ev.group_by("type").agg(n=ev.count()).order_by("type"))
        types = {str(t): int(n) for t, n in zip(by_type["type"], by_type["n"], strict=True)}
        return {
            "events": int(row[0]),
            "persons": ids[1],
            "identities": ids[0],
            "user_ids": ids[2],
            "merges": links[0],
            "refused_merges": links[1],
            "quarantined": e.scalar("SELECT count(*) FROM quarantine"),
            "channels": int(row[1]),
            "event_names": int(row[2]),
            "types": types,
            "first_event": _text(row[3]),
            "last_event": _text(row[4]),
        }

    def merges(self, *, limit: int | None = 100, status: str | None = None) -> pd.DataFrame:
        """Identity links with their verdict (``merged``/``refused``) and reason."""
        return self.engine.df(
            "SELECT l.a_id, l.b_id, i.person_id, l.status, l.reason, l.first_seen, l.message_id "
            "FROM identity_links l LEFT JOIN identities i ON i.id = l.a_id "
            "WHERE $status IS NULL OR l.status = $status "
            "ORDER BY l.status DESC, l.first_seen, l.a_id LIMIT $limit",
            {"status": status, "limit": limit if limit is not None else 2**62},
        )

    def overview(self) -> Overview:
        """Persons, events, channels, conversions, revenue and persons per current phase."""
        w = self.warehouse
        return overview(w.table("events"), w.table("identities"), self.config)

    def journey(self) -> Any:
        """The materialised ``journey`` table (see :mod:`wegweiser.analysis.journeys`) as an
        Ibis table; rebuilt when events, identities or the phase/session config changed."""
        w = self.warehouse
        stamp = self._journey_stamp()
        row = self.engine.execute("SELECT stamp FROM derived WHERE name = 'journey'").first()
        if row is None or row[0] != stamp:
            expr = journey_table(w.table("events"), w.table("identities"), self.config)
            journey = w.build("journey", expr)
            self.engine.run(
                "INSERT OR REPLACE INTO derived VALUES ('journey', $stamp, current_timestamp)",
                {"stamp": stamp},
            )
            return journey
        return w.table("journey")

    def costs(self) -> Any:
        """Spend per date/channel/campaign as an Ibis table, or None when none is imported."""
        if not self.engine.scalar("SELECT count(*) FROM costs"):
            return None
        return self.engine.ibis().table("costs")

    def traits(self, key: str) -> Any:
        """``person_id`` and a ``key`` column: each person's latest ``identify`` trait
        ``key``, on the engine the analyses run on (an Ibis table)."""
        from wegweiser.analysis._funnel_traits import identify_traits

        w = self.warehouse
        return identify_traits(w.table("events"), w.table("identities"), key)

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
        state = self.engine.execute(
            "SELECT count(*), CAST(max(finished_at) AS VARCHAR), sum(n_imported) FROM imports"
        ).rows[0]
        relevant = {
            "engine": self.warehouse.name,
            "phases": [p.model_dump() for p in self.config.phases],
            "conversion_events": self.config.conversion_events,
            "session_gap_minutes": self.config.windows.session_gap_minutes,
            "store": [str(x) for x in state],
        }
        return hashlib.sha256(json.dumps(relevant, sort_keys=True).encode()).hexdigest()

    def person_of(self, any_id: str) -> str | None:
        """The ``person_id`` of an anonymous or user id, or None if unknown."""
        row = self.engine.execute(
            "SELECT person_id FROM identities WHERE id = $id", {"id": any_id}
        ).first()
        return None if row is None else str(row[0])


def open_project(
    path: str | os.PathLike[str] = ".", *, wait_seconds: float | None = None
) -> Project:
    """Open an existing project folder (see :class:`Project` for ``wait_seconds``)."""
    return Project(path, wait_seconds=wait_seconds)


def _text(value: Any) -> str | None:
    return None if value is None or value != value else str(value)  # None or NaN: no events


def _is_dataframe(obj: object) -> bool:
    return type(obj).__name__ == "DataFrame" and hasattr(obj, "columns")


def _toml_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')
