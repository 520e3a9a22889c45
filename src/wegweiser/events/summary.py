"""What one import did: counts, the first rejections, warnings and a duplicate sample."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

#: Rows kept in :attr:`ImportSummary.errors` and :attr:`ImportSummary.duplicate_sample`.
MAX_ERRORS = 20
MAX_DUPLICATES = 5
#: Fewer events than this are not judged for an implausibly short time span.
MIN_EVENTS_FOR_SPAN = 20


@dataclass
class ImportSummary:
    """Counts of one import call (one or more sources).

    ``rows`` counts input rows (a CSV header is no row); ``imported + duplicates +
    quarantined == rows``. ``errors`` holds the first rejections, ``duplicate_sample`` the
    first rows treated as duplicates (``line``, ``first_line`` — the earlier line of the same
    file, or None when the store had the row already —, ``why`` and the row's fields), and
    ``warnings`` what looks wrong although no row was rejected (all events in 1970, within a
    few minutes, negative revenue). ``import_ids`` name the imports (``wegweiser imports``).
    """

    imported: int = 0
    duplicates: int = 0
    quarantined: int = 0
    rows: int = 0
    negative_revenue: int = 0
    sources: list[str] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    duplicate_sample: list[dict[str, Any]] = field(default_factory=list)
    import_ids: list[str] = field(default_factory=list)
    replaced: list[str] = field(default_factory=list)
    suppressed: int = 0
    """Rows dropped because they carry a suppressed id (:mod:`.suppression`); not in ``rows``."""

    @property
    def quarantine_share(self) -> float:
        """Quarantined rows / input rows (0 for an empty input)."""
        return self.quarantined / self.rows if self.rows else 0.0

    def add(self, other: ImportSummary) -> None:
        self.imported += other.imported
        self.duplicates += other.duplicates
        self.quarantined += other.quarantined
        self.rows += other.rows
        self.negative_revenue += other.negative_revenue
        self.sources += other.sources
        self.errors += other.errors[: max(0, MAX_ERRORS - len(self.errors))]
        room = max(0, MAX_DUPLICATES - len(self.duplicate_sample))
        self.duplicate_sample += other.duplicate_sample[:room]
        self.warnings += [w for w in other.warnings if w not in self.warnings]
        self.import_ids += other.import_ids
        self.replaced += other.replaced
        self.suppressed += other.suppressed

    def counts(self) -> dict[str, int]:
        return {
            "imported": self.imported,
            "duplicates": self.duplicates,
            "quarantined": self.quarantined,
        }

    def as_dict(self, *, full: bool = False) -> dict[str, Any]:
        """The counts (``imported``, ``duplicates``, ``quarantined``); with ``full``, everything
        as JSON-ready values (the CLI's ``import --json``, the report's data quality)."""
        if not full:
            return dict(self.counts())
        return {
            **self.counts(),
            "rows": self.rows,
            "quarantine_share": round(self.quarantine_share, 6),
            "negative_revenue": self.negative_revenue,
            "warnings": list(self.warnings),
            "duplicate_sample": [dict(d) for d in self.duplicate_sample],
            "errors": [dict(e) for e in self.errors],
            "import_ids": list(self.import_ids),
            "replaced": list(self.replaced),
        }


@dataclass
class Span:
    """Time range and oddities of the good rows of one import, gathered batch by batch."""

    n: int = 0
    first: datetime | None = None
    last: datetime | None = None
    n_1970: int = 0
    negative: int = 0

    def add(self, n: int, first: Any, last: Any, n_1970: int, negative: int) -> None:
        self.n += n
        self.n_1970 += n_1970
        self.negative += negative
        if first is not None:
            self.first = first if self.first is None else min(self.first, first)
        if last is not None:
            self.last = last if self.last is None else max(self.last, last)

    def warnings(self, source: str) -> list[str]:
        out: list[str] = []
        if self.n_1970:
            out.append(
                f"{source}: {self.n_1970:,} of {self.n:,} events fall in 1970 — numbers read "
                "as epoch seconds? Pass --timestamp-format (e.g. '%Y%m%d') or --epoch-unit"
            )
        if (
            self.n >= MIN_EVENTS_FOR_SPAN and self.first is not None and self.last is not None
            and self.last - self.first < timedelta(hours=1)
        ):
            minutes = (self.last - self.first).total_seconds() / 60
            out.append(
                f"{source}: all {self.n:,} events fall within {minutes:.0f} minutes "
                f"({self.first:%Y-%m-%d %H:%M:%S} .. {self.last:%H:%M:%S} UTC) — are the "
                "timestamps read right? See --timestamp-format and --epoch-unit"
            )
        if self.negative:
            out.append(
                f"{source}: {self.negative:,} events with negative revenue (refunds?); they "
                "reduce revenue totals"
            )
        return out
