"""The funnel's unit rows by a per-unit ordered scan (internal; the embedded DuckDB engine).

:func:`scan_units` returns what :func:`wegweiser.analysis._funnel_tables.fetch_units` gets
from SQL — one row per entered unit: ``entry_date``, ``n_reached``, ``n_distinct``,
``seconds``, ``gap_<k>``, ``value`` — with the same definitions, computed differently:

1. One query (its SQL memoised, :mod:`wegweiser.analysis._compiled`) reads only the step and
   exclusion events: the unit as an integer (the journey's ``person_n`` by person, else a
   64-bit hash of ``person_id`` or ``session_id``; the ids' text is not transferred), ``seq``,
   the time in microseconds, the event as an integer code (NumPy turns it into the bit mask of
   the steps the row matches; only steps with property filters get a term evaluated by the
   engine) and the breakdown value. On a journey with integer codes
   (:mod:`wegweiser.analysis._codes`) the rows are chosen and coded by ``event_n``, looked up
   first by a small query that stops at each name's first row (no string comparison per
   row); else by one ``CASE`` over the names. The codes found tell whether every step and
   exclusion event occurs (the journey's names are read only when one does not, for the "Did
   you mean …?" error). No sort: the store keeps the journey in ``(person_n, seq)`` order,
   which is ``(person_id, seq)`` order (:meth:`wegweiser.project.Project.journey`), and a
   scan that keeps that order is checked, not trusted — rows not grouped by unit in ``seq``
   order are read again with ``ORDER BY`` (any other journey expression, e.g. a scope joined
   to a segment).
2. :func:`wegweiser.analysis._funnel_kernel.best_attempts_split` finds each unit's best
   attempt with NumPy (two halves of the units on two threads); the output columns are
   computed from its rows and times.

The SQL path stays for other engines (Spark) and for ``dropped_off``; the tests compare the
two on random logs.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

import ibis
import ibis.expr.datatypes as dt
import numpy as np
import pyarrow as pa

from wegweiser.analysis._codes import has_codes
from wegweiser.analysis._compiled import fetch
from wegweiser.analysis._funnel_kernel import EXCLUDED, Best, best_attempts_split
from wegweiser.analysis._funnel_tables import check_names
from wegweiser.analysis._funnel_units import check_traits, step_matches
from wegweiser.analysis._time import epoch_us
from wegweiser.analysis.filters import property_value
from wegweiser.errors import InvalidInput

if TYPE_CHECKING:
    import ibis.expr.types as ir
    import pandas as pd

    from wegweiser.analysis._funnel_spec import Spec

#: the code of each step or exclusion event in the scan's ``u_code`` column
Codes = dict[str, int]

_DAY_US = 86_400_000_000
_US = 1e6
_MICRO = timedelta(microseconds=1)


def _names(spec: Spec) -> list[str]:
    """The step and exclusion events, sorted: row ``i`` has event code ``i + 1``."""
    return sorted({s.event for s in spec.steps} | set(spec.exclude))


def _rows(journey: ir.Table, spec: Spec, codes: Codes | None) -> ir.Table:
    """The candidate rows: unit id, seq, time (us), event code, the bits of the steps with
    filters the row matches (when there are such steps), breakdown value. ``codes``: the
    journey's ``event_n`` of the names that occur (:func:`_event_codes`), else None (a
    journey without codes: the names are compared as text)."""
    names = _names(spec)
    if codes is None:
        t = journey.filter(journey.event.isin(names))
        # the event as a small code (one CASE, cheaper than a comparison per step)
        code = t.event.cases(*[(name, i + 1) for i, name in enumerate(names)], else_=0)
    else:  # integers: no string comparison per row
        t = journey.filter(journey.event_n.isin(sorted(set(codes.values()))))
        code = t.event_n
    unit = t.session_id if spec.by == "session" else t.person_id
    # the unit as an integer to transfer and compare, not the id's text: the journey's
    # person code where it has one (exact), else a 64-bit hash of the id
    key = (
        t.person_n.cast(dt.int32)
        if spec.by != "session" and "person_n" in t.columns
        else ibis.ifelse(unit.isnull(), ibis.null(dt.uint64), _hash(unit))
    )
    cols: dict[str, Any] = {"u_key": key}
    b = spec.breakdown
    if b and b.startswith("trait:"):
        cols["u_person"] = t.person_id
    # the mask of plain steps follows from the code (_with_mask), steps with filters get
    # their bits here
    cols.update(u_seq=t.seq, u_t=epoch_us(t.timestamp), u_code=code.cast("int32"))
    tested: Any = None
    for k, step in enumerate(spec.steps):
        if step.tests:
            bit = ibis.ifelse(step_matches(t, step), 1 << k, 0)
            tested = bit if tested is None else tested + bit
    if tested is not None:
        cols["u_tested"] = tested.cast("int32")
    if b and b.startswith("property:"):
        cols["u_value"] = property_value(t.properties, b[len("property:") :])
    elif b and not b.startswith("trait:"):
        cols["u_value"] = t[b].cast("string")
    return t.select(**cols)


def _with_mask(table: pa.Table, spec: Spec, codes: Codes) -> pa.Table:
    """``table`` with ``u_mask`` (bit k: the row matches step k; bit :data:`EXCLUDED`: an
    exclusion event), without the rows that match nothing (a filtered step's event that
    fails its filter). ``codes``: the ``u_code`` of each name that occurs."""
    plain = np.zeros(max(codes.values(), default=0) + 1, dtype=np.int32)
    for k, step in enumerate(spec.steps):
        if not step.tests and step.event in codes:
            plain[codes[step.event]] |= 1 << k
    for name in spec.exclude:
        if name in codes:
            plain[codes[name]] |= 1 << EXCLUDED
    mask = plain[table.column("u_code").to_numpy()]
    if "u_tested" in table.column_names:
        mask |= table.column("u_tested").to_numpy()
        keep = mask != 0
        if not keep.all():
            table, mask = table.filter(pa.array(keep)), mask[keep]
    return table.append_column("u_mask", pa.array(mask))


def _hash_fn(value: Any) -> Any:
    """DuckDB's 64-bit hash of a value."""


_hash = ibis.udf.scalar.builtin(_hash_fn, name="hash", signature=((dt.string,), dt.uint64))


def _rows_key(spec: Spec) -> tuple[object, ...]:
    return (repr(spec.steps), spec.exclude, spec.by, spec.breakdown)


def _event_codes(journey: ir.Table, names: list[str]) -> Codes:
    """The journey's ``event_n`` of each of ``names`` that occurs, by one small query that
    stops at each name's first row (a name that does not occur is read to the end)."""

    def build() -> ir.Table:  # (built and compiled only when not remembered)
        parts = [
            journey.filter(journey.event == name)
            .select(i=ibis.literal(i, dt.int16), code=journey.event_n)
            .limit(1)
            for i, name in enumerate(names)
        ]
        return ibis.union(*parts)

    key = ("funnel-codes", tuple(names), journey.op())
    found = fetch(key, build, journey.get_backend()).to_pylist()
    return {names[r["i"]]: int(r["code"]) for r in found if r["code"] is not None}


def fetch_rows(journey: ir.Table, spec: Spec) -> tuple[pa.Table, np.ndarray]:
    """The candidate rows grouped by unit in ``seq`` order, and the flags of each unit's
    first row (read once more with ``ORDER BY`` when the journey's order is not that)."""
    backend = journey.get_backend()
    names = _names(spec)
    codes = _event_codes(journey, names) if has_codes(journey) else None
    coded = None if codes is None else tuple(sorted(codes.items()))
    key = ("funnel-scan", _rows_key(spec), coded, journey.op())
    table = fetch(key, lambda: _rows(journey, spec, codes), backend)
    present: Codes = codes if codes is not None else _seen(table, names)
    if len(present) < len(names):  # a step or exclusion event no row has: "Did you mean …?"
        check_names(journey, spec)  # (the names of the whole journey, in a scope)
    table = _with_mask(table, spec, present)
    first = _unit_heads(table)
    if first is None:
        ordered = fetch(
            (*key, "ordered"),
            lambda: _rows(journey, spec, codes).order_by("u_key", "u_seq"),
            backend,
        )
        table = _with_mask(ordered, spec, present)
        first = _unit_heads(table, ordered=True)
        if first is None:
            raise _twice(journey, spec)
    return table, first


def _seen(table: pa.Table, names: list[str]) -> Codes:
    """The code of each name that some row has (journeys without codes: name ``i`` has
    code ``i + 1``)."""
    seen = np.bincount(table.column("u_code").to_numpy(), minlength=len(names) + 1)
    return {name: i + 1 for i, name in enumerate(names) if seen[i + 1]}


def _unit_heads(table: pa.Table, *, ordered: bool = False) -> np.ndarray | None:
    """Flags of each unit's first row, or None when the rows are not grouped by unit in
    ``seq`` order (``ordered``: they are grouped, so None means two rows with equal
    ``seq`` in a unit).

    Units are told apart by the journey's person code (by person, on a journey that has
    codes) or else by the hash of their id: two different ids with equal hashes would be
    taken for one unit only where their rows meet (odds about 2**-64 a unit)."""
    import pandas as pd

    n = table.num_rows
    column = table.column("u_key")
    if column.null_count:
        raise InvalidInput(
            f"the journey has {column.null_count} step events without a person_id (or "
            "session_id, by session); every journey row needs one (rebuild the journey or "
            "drop those rows)"
        )
    unit = column.to_numpy()
    seq = table.column("u_seq").to_numpy()
    first = np.ones(n, dtype=bool)
    if n > 1:
        np.not_equal(unit[1:], unit[:-1], out=first[1:])
        if not np.all((seq[1:] > seq[:-1]) | first[1:]):
            return None
        heads = unit[first]
        # each unit in one run: units in increasing order (person codes of the stored
        # journey) are, else a hash-table test
        if not ordered and not (np.all(heads[1:] > heads[:-1]) or pd.Index(heads).is_unique):
            return None  # a unit in two runs
    return first


def _twice(journey: ir.Table, spec: Spec) -> InvalidInput:
    """The error for a unit with two candidate rows of equal ``seq``, naming one."""
    t = journey.filter(journey.event.isin(_names(spec)))
    unit = t.session_id if spec.by == "session" else t.person_id
    rows = t.group_by(u=unit, s=t.seq).aggregate(n=t.count())
    one = rows.filter(rows.n > 1).order_by("u", "s").limit(1).to_pyarrow().to_pylist()
    where = f" for {one[0]['u']!r}" if one else ""
    seq = f" {one[0]['s']}" if one else ""
    return InvalidInput(
        f"the journey has two rows with seq{seq}{where}; seq must be unique per person"
    )


def scan_units(journey: ir.Table, spec: Spec, traits: ir.Table | None) -> pd.DataFrame:
    """One row per entered unit (the columns of the module docstring)."""
    table, first = fetch_rows(journey, spec)
    step_windows = [None if w is None else w // _MICRO for w in spec.step_windows]
    best = best_attempts_split(
        first,
        table.column("u_t").to_numpy(),
        table.column("u_seq").to_numpy(),
        table.column("u_mask").to_numpy(),
        n=spec.n,
        mode=spec.mode,
        entry=spec.entry,
        window_us=spec.window // _MICRO,
        step_windows_us=step_windows,
    )
    frame = _frame(best, table, spec)
    if spec.breakdown and spec.breakdown.startswith("trait:"):
        frame = _trait_values(frame, best, table, traits, spec)
    return frame


def _frame(best: Best, table: pa.Table, spec: Spec) -> pd.DataFrame:
    n, nr = spec.n, best.n_reached
    entered = table.column("u_t").to_numpy()[best.entry]
    cols: dict[str, pa.Array] = {
        "entry_date": pa.array(
            np.floor_divide(entered, _DAY_US).astype(np.int32), type=pa.date32()
        ),
        "n_reached": pa.array(nr.astype(np.int32)),  # the SQL's types
        "n_distinct": pa.array(best.n_distinct.astype(np.int32)),
        "seconds": _seconds(best.done_us[n - 1] - entered, nr == n),
    }
    for k in range(1, n):
        cols[f"gap_{k}"] = _seconds(best.done_us[k] - best.done_us[k - 1], nr > k)
    if spec.breakdown is not None:
        cols["value"] = _values(best, table, spec)
    frame: pd.DataFrame = pa.table(cols).to_pandas()
    return frame


def _seconds(us: np.ndarray, valid: np.ndarray) -> pa.Array:
    return pa.array(us.astype(np.float64) / _US, mask=~valid)


def _values(best: Best, table: pa.Table, spec: Spec) -> pa.Array:
    """The breakdown value of each unit's best attempt under the attribution."""
    if spec.breakdown is not None and spec.breakdown.startswith("trait:"):
        return pa.nulls(len(best.entry), pa.string())
    if spec.attribution == "first_touch":
        rows = best.entry
    elif (k := spec.attributed_step) is not None:
        rows = np.where(best.reached[k], best.step_row[k], -1)
    else:  # last touch: the reached step whose event came last
        rows = (
            np.where(best.reached, best.step_row, -1).max(axis=0) if len(best.entry) else best.entry
        )
    values = table.column("u_value").combine_chunks()
    index = pa.array(rows, mask=rows < 0)
    return values.take(index).cast(pa.string())


def _trait_values(
    frame: pd.DataFrame, best: Best, table: pa.Table, traits: ir.Table | None, spec: Spec
) -> pd.DataFrame:
    """``value`` from ``traits`` by the person of each unit (a left join, as the SQL)."""
    import pandas as pd

    key = spec.breakdown[len("trait:") :] if spec.breakdown else ""
    traits = check_traits(traits, key)
    persons = table.column("u_person")
    frame = frame.drop(columns="value").assign(
        person_id=persons.take(pa.array(best.entry)).to_pandas()
    )
    side_frame = (
        traits.select(t_person=traits.person_id, value=traits[key].cast("string"))
        .to_pyarrow()
        .to_pandas()
    )
    out = frame.merge(side_frame, how="left", left_on="person_id", right_on="t_person")
    return pd.DataFrame(out.drop(columns=["person_id", "t_person"]))
