"""Events in: the import methods of :class:`~wegweiser.project.Project` (events, feedback,
costs, collector segments, the import history and the quarantine).

The import pipeline (:mod:`wegweiser.events.ingest`, its readers, quarantine, history,
costs) loads inside the methods: an analysis on the command line never imports it
(tests/commands/test_startup.py).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import pyarrow as pa

from wegweiser.errors import InvalidInput
from wegweiser.store import bookkeeping

if TYPE_CHECKING:
    import pandas as pd

    from wegweiser.config import Config
    from wegweiser.events.costs import CostSummary
    from wegweiser.events.history import UndoSummary
    from wegweiser.events.ingest import ImportSummary, Progress
    from wegweiser.store.engine import Engine, Warehouse


class ProjectImports:
    """Import events, feedback and costs; the import history and the quarantine (a mixin of
    :class:`~wegweiser.project.Project`)."""

    _engine: Engine
    _warehouse: Warehouse
    config: Config

    # -- events in -----------------------------------------------------------------------
    def import_events(
        self,
        data: pd.DataFrame | pa.Table | str | os.PathLike[str] | Iterable[str | os.PathLike[str]],
        *,
        mapping: Mapping[str, str] | str | None = None,
        format: str | None = None,
        progress: Progress | None = None,
        timestamp_format: str | None = None,
        epoch_unit: str | None = None,
        delimiter: str | None = None,
        decimal: str = ".",
        encoding: str | None = None,
        replace: bool = False,
    ) -> ImportSummary:
        """Import events from files/folders/globs (CSV, JSON Lines, Parquet) or a DataFrame.

        ``mapping`` renames your columns to event fields (``{"user_id": "client_id"}`` or
        ``"user_id=client_id"``); a quoted value is a constant (``"event='purchase'"``).
        Bad rows are quarantined with a reason; the rest go in. Each file is one import
        (``imports()``), in one transaction; ``replace`` undoes a file's earlier imports in
        the same transaction. The read options are described in
        :class:`wegweiser.events.options.ImportOptions`.
        """
        from wegweiser.events import ingest
        from wegweiser.events.options import ImportOptions

        columns = ingest.parse_mapping(mapping)
        options = ImportOptions(
            timestamp_format=timestamp_format, epoch_unit=epoch_unit, delimiter=delimiter,
            decimal=decimal, encoding=encoding,
        )
        table: pa.Table | None = None
        if isinstance(data, pa.Table):
            table = data
        elif _is_dataframe(data):
            try:
                table = pa.Table.from_pandas(data, preserve_index=False)
            except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
                # a column mixing types (1 and "a", a dict and a list) has no Arrow type
                why = "; ".join(str(a) for a in exc.args) if exc.args else str(exc)
                raise InvalidInput(
                    f"cannot read the DataFrame: {why}. Give the column one type, e.g. "
                    "df[col] = df[col].astype(str)"
                ) from None
        if table is not None:
            if replace:
                raise InvalidInput("replace works for files: a DataFrame has no earlier import")
            return ingest.ingest_table(
                self._engine, self.config, table, mapping=columns, options=options
            )
        paths: list[str | os.PathLike[str]]
        if isinstance(data, str | os.PathLike):
            paths = [data]
        elif isinstance(data, Iterable):
            paths = list(cast("Iterable[str | os.PathLike[str]]", data))
        else:
            raise InvalidInput(f"cannot import a {type(data).__name__}; pass a path or a DataFrame")
        return ingest.ingest_paths(
            self._engine, self.config, paths, mapping=columns, fmt=format, options=options,
            progress=progress, replace=replace,
        )

    def conversion_hint(self) -> str:
        """Why every conversion figure is 0 -- no event of the store is one of the
        ``conversion_events`` of wegweiser.toml --, with the look-alikes found (``"purchase"``,
        Segment's ``"Order Completed"``); ``""`` when one occurs or the store is empty."""
        from wegweiser.analysis._names import conversion_hint
        from wegweiser.analysis.result import to_frame

        ev = self._warehouse.table("events")
        names = to_frame(ev.select("event").distinct())["event"]
        return conversion_hint((str(n) for n in names if isinstance(n, str)),
                               self.config.conversion_events)

    def import_feedback(
        self,
        files: str | os.PathLike[str] | Iterable[str | os.PathLike[str]],
        *,
        mapping: Mapping[str, str] | str | None = None,
        format: str | None = None,
    ) -> ImportSummary:
        """Import survey answers and reviews from CSV or JSON Lines files as feedback events.

        ``mapping`` renames your columns to the feedback fields (``"user_id=respondent,
        text=comment,kind='nps'"``; the fields are in
        :mod:`wegweiser.events.feedback_import`). Bad rows are quarantined with a reason.
        """
        from wegweiser.events import ingest
        from wegweiser.events.feedback_import import import_feedback

        paths = [files] if isinstance(files, str | os.PathLike) else list(files)
        return import_feedback(
            self._engine, self.config, paths, mapping=ingest.parse_mapping(mapping), fmt=format
        )

    def imports(self, *, limit: int | None = 50, undone: bool = True) -> pd.DataFrame:
        """The import history, newest first (files, DataFrames, collector batches, replays)."""
        from wegweiser.events import history

        return history.list_imports(self._engine, limit=limit, undone=undone)

    def undo_import(self, import_id: str) -> UndoSummary:
        """Undo one import (id or a unique prefix of it): its events and quarantined rows go,
        identities are resolved again, derived tables are rebuilt on next use."""
        from wegweiser.events import history

        return history.undo_import(self._engine, self.config, import_id)

    def import_costs(
        self,
        files: str | os.PathLike[str] | Iterable[str | os.PathLike[str]],
        *,
        mapping: Mapping[str, str] | str | None = None,
        format: str | None = None,
    ) -> CostSummary:
        """Import spend (date, channel, campaign, cost, currency) from CSV or Parquet; bad rows
        are quarantined; a file replaces stored rows of the same date/channel/campaign."""
        from wegweiser.events import ingest
        from wegweiser.events.costs import import_costs

        return import_costs(
            self._engine, self.config, files, mapping=ingest.parse_mapping(mapping), fmt=format
        )

    def replace_costs(self, costs: pa.Table) -> int:
        """Load spend rows (date, channel, campaign, cost, currency); rows for the same
        date/channel/campaign replace the stored ones instead of adding to them."""
        return bookkeeping.replace_costs(self._engine, costs)

    # -- quarantine ----------------------------------------------------------------------
    def quarantine(
        self, *, limit: int | None = 100, reason: str | None = None, source: str | None = None
    ) -> pd.DataFrame:
        """Quarantined rows, oldest first (only those whose reason/source contain these)."""
        from wegweiser.events import quarantine

        return quarantine.list_quarantine(self._engine, limit=limit, reason=reason, source=source)

    def replay_quarantine(
        self,
        *,
        mapping: Mapping[str, str] | str | None = None,
        reason: str | None = None,
        timestamp_format: str | None = None,
        epoch_unit: str | None = None,
        decimal: str = ".",
    ) -> tuple[ImportSummary, int]:
        """Import the quarantined rows (those whose reason contains ``reason``) again with
        the current config, ``mapping`` and the options of how values read (as in
        :meth:`import_events`); returns the summary and the rows that cannot be replayed."""
        from wegweiser.events import ingest, quarantine
        from wegweiser.events.options import ImportOptions

        options = ImportOptions(timestamp_format=timestamp_format, epoch_unit=epoch_unit,
                                decimal=decimal)
        return quarantine.replay_quarantine(
            self._engine, self.config, mapping=ingest.parse_mapping(mapping), reason=reason,
            options=options,
        )

    def drop_quarantine(self, *, reason: str | None = None, ids: list[int] | None = None) -> int:
        from wegweiser.events import quarantine

        return quarantine.drop_quarantine(self._engine, reason=reason, ids=ids)

    def import_segment(self, path: str | os.PathLike[str], *, source_name: str) -> Any:
        """Import one collector spool segment (see :mod:`wegweiser.events.collect`); None
        when the store holds it already."""
        from wegweiser.events.collect.spool_reader import import_segment

        return import_segment(self._engine, self.config, Path(path), source_name=source_name)


def _is_dataframe(obj: object) -> bool:
    return type(obj).__name__ == "DataFrame" and hasattr(obj, "columns")
