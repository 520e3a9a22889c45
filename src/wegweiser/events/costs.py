"""Import spend: ``date, channel, [campaign], cost, [currency]`` rows into the ``costs`` table.

Files are CSV (header row) or Parquet; column names match case-insensitively and ``mapping``
renames your columns (``{"cost": "spend"}``). A row is quarantined (table ``quarantine``,
``raw_format = 'cost'``, with source, line, reason and the row as CSV text) when its date
does not parse (``YYYY-MM-DD`` or a timestamp, read in UTC), the channel is empty, the cost
is missing, not a number or negative, or the currency is not a three-letter code. An empty
campaign is NULL; a missing currency is the project's ``currency``.

Good rows with the same date, channel, campaign and currency in one file add up. A file
**replaces** what the store holds for every (date, channel, campaign) it contains, so
importing a corrected or repeated file never doubles the spend. Everything of one file
commits together or not at all.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from wegweiser.errors import InvalidInput, UnreadableSource
from wegweiser.events import readers
from wegweiser.store.engine import quote_identifier

if TYPE_CHECKING:
    import os
    from collections.abc import Iterable, Mapping

    from wegweiser.config import Config
    from wegweiser.store.engine import Engine

COST_FIELDS = ("date", "channel", "campaign", "cost", "currency")
_REQUIRED = ("date", "channel", "cost")


@dataclass
class CostSummary:
    """Counts of one cost import; ``errors`` holds the first quarantined rows."""

    imported: int = 0
    replaced: int = 0
    quarantined: int = 0
    sources: list[str] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, int]:
        return {"imported": self.imported, "replaced": self.replaced,
                "quarantined": self.quarantined}


def _columns(source: readers.Source, mapping: Mapping[str, str]) -> dict[str, str | None]:
    """Cost field -> the source column holding it (None when absent)."""
    by_lower = {name.lower(): name for name in source.columns if name != "_line"}
    found: dict[str, str | None] = {}
    for fld in COST_FIELDS:
        wanted = mapping.get(fld, fld)
        found[fld] = by_lower.get(wanted.lower())
        if found[fld] is None and fld in mapping:
            raise InvalidInput(f"{source.name}: no column {wanted!r} for {fld} (columns: "
                               f"{', '.join(by_lower.values())}); fix --map")
    missing = [f for f in _REQUIRED if found[f] is None]
    if missing:
        raise InvalidInput(
            f"{source.name}: missing column(s) {', '.join(missing)}; a cost file needs date, "
            "channel and cost (optional campaign, currency); rename with --map cost=spend"
        )
    return found


def _stage_sql(source: readers.Source, cols: dict[str, str | None]) -> str:
    def text(fld: str) -> str:
        col = cols[fld]
        return "CAST(NULL AS VARCHAR)" if col is None else (
            f"nullif(trim(CAST({quote_identifier(col)} AS VARCHAR)), '')")

    return f"""
        SELECT _line, d_raw, channel, campaign, c_raw, currency,
            coalesce(TRY_CAST(d_raw AS DATE), CAST(TRY_CAST(d_raw AS TIMESTAMPTZ) AS DATE)) AS d,
            TRY_CAST(c_raw AS DOUBLE) AS c
        FROM (SELECT _line, {text('date')} AS d_raw, {text('channel')} AS channel,
                     {text('campaign')} AS campaign, {text('cost')} AS c_raw,
                     upper(coalesce({text('currency')}, $currency)) AS currency
              FROM {source.relation})"""


_ERROR_SQL = """CASE
    WHEN d_raw IS NULL THEN 'missing date'
    WHEN d IS NULL THEN 'unparseable date ' || d_raw
    WHEN channel IS NULL THEN 'missing channel'
    WHEN c_raw IS NULL THEN 'missing cost'
    WHEN c IS NULL OR NOT isfinite(c) THEN 'cost is not a number: ' || c_raw
    WHEN c < 0 THEN 'negative cost ' || c_raw
    WHEN NOT regexp_full_match(currency, '[A-Z]{3}') THEN 'currency is not a 3-letter code: '
        || currency
    END"""


def import_costs(
    engine: Engine,
    config: Config,
    files: str | os.PathLike[str] | Iterable[str | os.PathLike[str]],
    *,
    mapping: Mapping[str, str] | None = None,
    fmt: str | None = None,
) -> CostSummary:
    """Import cost files (see the module docstring); one transaction per file."""
    items = [files] if isinstance(files, str | Path) or hasattr(files, "__fspath__") else files
    summary = CostSummary()
    for path in readers.expand_paths(items):  # type: ignore[arg-type]
        kind = readers.detect_format(path, fmt)
        if kind == "jsonl":
            raise UnreadableSource(f"{path}: cost files are CSV or Parquet", source=str(path))
        source = readers.read_csv(engine, path) if kind == "csv" else readers.read_parquet(
            engine, path)
        try:
            one = _import_source(engine, config, source, dict(mapping or {}))
        finally:
            source.close()
        summary.imported += one.imported
        summary.replaced += one.replaced
        summary.quarantined += one.quarantined
        summary.sources.append(source.name)
        summary.errors += one.errors[: max(0, 20 - len(summary.errors))]
    return summary


def _import_source(
    engine: Engine, config: Config, source: readers.Source, mapping: dict[str, str]
) -> CostSummary:
    cols = _columns(source, mapping)
    import_id = uuid.uuid4().hex
    stage = f"_cost_stage_{import_id[:12]}"
    now = datetime.now(UTC)
    params = {"currency": config.currency.upper()}
    with engine.transaction():
        engine.run(f"CREATE TEMP TABLE {stage} AS SELECT *, {_ERROR_SQL} AS _error "
                   f"FROM ({_stage_sql(source, cols)})", params)
        try:
            if source.rejected:
                engine.run(
                    "INSERT INTO quarantine (import_id, source, line, reason, raw, raw_format, "
                    "quarantined_at) SELECT $id, $source, unnest($lines), unnest($reasons), "
                    "unnest($raws), 'cost', $now",
                    {"id": import_id, "source": source.name, "now": now,
                     "lines": [r.line for r in source.rejected],
                     "reasons": [r.reason for r in source.rejected],
                     "raws": [r.raw for r in source.rejected]},
                )
            engine.run(
                "INSERT INTO quarantine (import_id, source, line, reason, raw, raw_format, "
                "quarantined_at) SELECT $id, $source, s._line, s._error, "
                "concat_ws(',', coalesce(d_raw, ''), coalesce(channel, ''), "
                "coalesce(campaign, ''), coalesce(c_raw, ''), coalesce(currency, '')), "
                f"'cost', $now FROM {stage} s WHERE s._error IS NOT NULL "
                "AND NOT EXISTS (SELECT 1 FROM quarantine q WHERE q.source = $source "
                "AND q.line = s._line AND q.raw_format = 'cost') ORDER BY s._line",
                {"id": import_id, "source": source.name, "now": now},
            )
            n_bad = int(engine.scalar(f"SELECT count(*) FROM {stage} WHERE _error IS NOT NULL"))
            good = (f"SELECT d AS date, channel, campaign, sum(c) AS cost, currency FROM {stage} "
                    "WHERE _error IS NULL GROUP BY ALL")
            keys = (f"SELECT DISTINCT (d, channel, coalesce(campaign, '')) FROM {stage} "
                    "WHERE _error IS NULL")
            replaced = int(engine.scalar(
                f"SELECT count(*) FROM costs WHERE (date, channel, coalesce(campaign, '')) IN "
                f"({keys})"))
            engine.run(f"DELETE FROM costs WHERE (date, channel, coalesce(campaign, '')) IN "
                       f"({keys})")
            engine.run(f"INSERT INTO costs {good}")
            imported = int(engine.scalar(f"SELECT count(*) FROM ({good})"))
            errors = engine.execute(
                "SELECT source, line, reason FROM quarantine WHERE import_id = $id "
                "ORDER BY line LIMIT 20", {"id": import_id}).dicts()
        finally:
            engine.run(f"DROP TABLE IF EXISTS {stage}")
    return CostSummary(imported=imported, replaced=replaced,
                       quarantined=n_bad + len(source.rejected), sources=[source.name],
                       errors=errors)
