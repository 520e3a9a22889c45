"""Who saw which variant of which experiment, and when first.

Sources, all giving rows ``(person_id, experiment, variant, assigned_at)``:

* **events** (:func:`from_events`): ``experiment_viewed`` and Segment's ``Experiment
  Viewed`` (the A/B-testing spec). The experiment is the first present of the properties
  ``experiment_id``, ``experiment_name``, ``experiment``; the variant the first of
  ``variation_id``, ``variant_id``, ``variation_name``, ``variant_name``, ``variant``,
  ``variation`` (Segment's spec names ``experiment_id``/``variation_id``; other tools send
  ``variant``). Events missing either are not assignments (:func:`from_events` leaves them
  out; :func:`incomplete_exposures` counts them).
* **a CSV file** (:func:`read_csv`): columns ``person_id, experiment, variant, assigned_at``
  (ISO date-times; a time without zone is UTC). A bad row is refused with its line number.

:func:`first_exposures` keeps, per person and experiment, the first assignment (earliest
time; its variant). A person seen in more than one variant of an experiment is a
**conflict**: the readout leaves them out (they saw both; neither arm's metric is clean)
and :func:`conflicts` counts them per experiment and variant pair.
"""

from __future__ import annotations

import csv
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import ibis
import pandas as pd

from wegweiser.errors import InvalidInput

if TYPE_CHECKING:
    import ibis.expr.types as ir

EXPOSURE_EVENTS = ("experiment_viewed", "Experiment Viewed")
EXPERIMENT_KEYS = ("experiment_id", "experiment_name", "experiment")
VARIANT_KEYS = (
    "variation_id",
    "variant_id",
    "variation_name",
    "variant_name",
    "variant",
    "variation",
)
CSV_COLUMNS = ("person_id", "experiment", "variant", "assigned_at")


def _first_of(props: ir.JSONValue, keys: tuple[str, ...]) -> ir.StringValue:
    """The text of the first of ``keys`` present (and not empty) in the JSON ``props``."""
    values = [props[k].str.coalesce(props[k].cast("string")).nullif("") for k in keys]
    return ibis.coalesce(*values)


def _parsed(journey: ir.Table, events: tuple[str, ...]) -> ir.Table:
    """The exposure events with their properties parsed once (a column of its own: parsing
    the text again for every key costs 3x on DuckDB)."""
    seen = journey.filter(journey.event.isin(list(events)))
    return seen.select("person_id", "timestamp", props=seen.properties.cast("json"))


def from_events(journey: ir.Table, *, events: tuple[str, ...] = EXPOSURE_EVENTS) -> ir.Table:
    """Exposure events of the journey as assignment rows (see the module docstring)."""
    seen = _parsed(journey, events)
    rows = seen.select(
        person_id=seen.person_id,
        experiment=_first_of(seen.props, EXPERIMENT_KEYS),
        variant=_first_of(seen.props, VARIANT_KEYS),
        assigned_at=seen.timestamp,
    )
    return rows.filter(rows.experiment.notnull() & rows.variant.notnull())


def incomplete_exposures(
    journey: ir.Table, *, events: tuple[str, ...] = EXPOSURE_EVENTS
) -> ir.IntegerScalar:
    """Exposure events without an experiment or a variant property."""
    seen = _parsed(journey, events)
    bad = (
        _first_of(seen.props, EXPERIMENT_KEYS).isnull()
        | _first_of(seen.props, VARIANT_KEYS).isnull()
    )
    return seen.filter(bad).count()


def _moment(text: str, line: int, path: Path) -> datetime:
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise InvalidInput(
            f"{path}, line {line}: assigned_at {text!r} is not an ISO date-time "
            "(write it like 2026-10-01T09:30:00Z)"
        ) from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def read_csv(path: str | Path) -> pd.DataFrame:
    """A CSV of assignments as a DataFrame of :data:`CSV_COLUMNS` (see the module
    docstring); a missing column, an empty field or a bad time raises :class:`InvalidInput`
    naming the file and line."""
    path = Path(path)
    try:
        fh = path.open(encoding="utf-8", newline="")
    except OSError as exc:
        raise InvalidInput(f"cannot read the assignments file {path}: {exc.strerror}") from None
    rows: list[tuple[str, str, str, datetime]] = []
    with fh:
        reader = csv.DictReader(fh)
        header = [h.strip() for h in reader.fieldnames or []]
        missing = [c for c in CSV_COLUMNS if c not in header]
        if missing:
            raise InvalidInput(
                f"{path}: the assignments file lacks the column(s) "
                f"{', '.join(missing)}; it needs {', '.join(CSV_COLUMNS)}"
            )
        for line, raw in enumerate(reader, start=2):
            row = {
                (k or "").strip(): (v or "").strip()
                for k, v in raw.items()
                if not isinstance(v, list)
            }
            empty = [c for c in CSV_COLUMNS if not row.get(c)]
            if empty:
                raise InvalidInput(
                    f"{path}, line {line}: empty {', '.join(empty)}; every row "
                    f"needs {', '.join(CSV_COLUMNS)}"
                )
            rows.append(
                (
                    row["person_id"],
                    row["experiment"],
                    row["variant"],
                    _moment(row["assigned_at"], line, path),
                )
            )
    frame = pd.DataFrame(rows, columns=list(CSV_COLUMNS))
    frame["assigned_at"] = pd.to_datetime(frame["assigned_at"], utc=True)
    return frame


def from_frame(frame: pd.DataFrame) -> ir.Table:
    """Assignment rows (e.g. from :func:`read_csv`) as an Ibis table (times in whole
    microseconds, UTC: what the engines store)."""
    rows = frame[list(CSV_COLUMNS)].copy()
    at = pd.to_datetime(rows["assigned_at"], utc=True)
    rows["assigned_at"] = at.dt.floor("us").astype("datetime64[us, UTC]")
    return ibis.memtable(rows)


def _per_person(assignments: ir.Table) -> ir.Table:
    return assignments.group_by("experiment", "person_id").agg(
        variant=assignments.variant.max(),
        exposed_at=assignments.assigned_at.min(),
        n_variants=assignments.variant.nunique(),
    )


def first_exposures(assignments: ir.Table) -> ir.Table:
    """``(experiment, person_id, variant, exposed_at)``: each person's first exposure,
    persons in more than one variant left out."""
    per = _per_person(assignments)
    return per.filter(per.n_variants == 1).drop("n_variants")


def conflicts(assignments: ir.Table) -> ir.Table:
    """``(experiment, persons)``: persons seen in more than one variant of the experiment."""
    per = _per_person(assignments)
    both = per.filter(per.n_variants > 1)
    return both.group_by("experiment").agg(persons=both.count())
