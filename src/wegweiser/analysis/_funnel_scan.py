"""The funnel's unit rows by a per-unit ordered scan (internal; the embedded DuckDB engine).

:func:`scan_units` returns what :func:`wegweiser.analysis._funnel_tables.fetch_units` gets
from SQL — one row per entered unit: ``entry_date``, ``n_reached``, ``n_distinct``,
``seconds``, ``gap_<k>``, ``value`` — with the same definitions, computed differently:

1. One query (its SQL memoised, :mod:`wegweiser.analysis._compiled`) reads only the step and
   exclusion events: the unit's id (``person_id``, or ``session_id`` by session), ``seq``,
   the time in microseconds, a bit mask of the steps the row matches (property filters
   evaluated by the engine) and the breakdown value. No sort: the store keeps the journey
   in ``(person_n, seq)`` order, which is ``(person_id, seq)`` order
   (:meth:`wegweiser.project.Project.journey`), and a scan
   that keeps that order is checked, not trusted — rows not grouped by unit in ``seq``
   order are read again with ``ORDER BY`` (any other journey expression, e.g. a scope
   joined to a segment).
2. :func:`wegweiser.analysis._funnel_kernel.best_attempts` finds each unit's best attempt
   with NumPy; the output columns are computed from its rows and times.

The SQL path stays for other engines (Spark) and for ``dropped_off``; the tests compare the
two on random logs.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

import ibis
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from wegweiser.analysis._compiled import fetch
from wegweiser.analysis._funnel_kernel import EXCLUDED, Best, best_attempts
from wegweiser.analysis._funnel_units import check_traits, step_matches
from wegweiser.analysis._time import epoch_us
from wegweiser.analysis.filters import property_value
from wegweiser.errors import InvalidInput

if TYPE_CHECKING:
    import ibis.expr.types as ir
    import pandas as pd

    from wegweiser.analysis._funnel_spec import Spec

_DAY_US = 86_400_000_000
_US = 1e6
_MICRO = timedelta(microseconds=1)


def _rows(journey: ir.Table, spec: Spec) -> ir.Table:
    """The candidate rows: unit id, seq, time (us), step mask, breakdown value."""
    names = sorted({s.event for s in spec.steps} | set(spec.exclude))
    t = journey.filter(journey.event.isin(names))
    mask: Any = ibis.literal(0)
    for k, step in enumerate(spec.steps):
        mask = mask + ibis.ifelse(step_matches(t, step), 1 << k, 0)
    if spec.exclude:
        mask = mask + ibis.ifelse(t.event.isin(spec.exclude), 1 << EXCLUDED, 0)
    cols: dict[str, Any] = {"u_key": t.session_id if spec.by == "session" else t.person_id}
    b = spec.breakdown
    if b and b.startswith("trait:") and spec.by == "session":
        cols["u_person"] = t.person_id
    cols.update(u_seq=t.seq, u_t=epoch_us(t.timestamp), u_mask=mask.cast("int32"))
    if b and b.startswith("property:"):
        cols["u_value"] = property_value(t.properties, b[len("property:") :])
    elif b and not b.startswith("trait:"):
        cols["u_value"] = t[b].cast("string")
    rows = t.select(**cols)
    return rows.filter(rows.u_mask != 0)


def _rows_key(spec: Spec) -> tuple[object, ...]:
    return (repr(spec.steps), spec.exclude, spec.by, spec.breakdown)


def fetch_rows(journey: ir.Table, spec: Spec) -> tuple[pa.Table, np.ndarray]:
    """The candidate rows grouped by unit in ``seq`` order, and the flags of each unit's
    first row (read once more with ``ORDER BY`` when the journey's order is not that)."""
    backend = journey.get_backend()
    key = ("funnel-scan", _rows_key(spec), journey.op())
    table = fetch(key, lambda: _rows(journey, spec), backend)
    first = _unit_heads(table)
    if first is None:
        table = fetch(
            (*key, "ordered"), lambda: _rows(journey, spec).order_by("u_key", "u_seq"), backend
        )
        first = _unit_heads(table, ordered=True)
        assert first is not None
    return table, first


def _unit_heads(table: pa.Table, *, ordered: bool = False) -> np.ndarray | None:
    """Flags of each unit's first row, or None when the rows are not grouped by unit in
    ``seq`` order (``ordered``: they must be; equal ``seq`` in a unit is an error)."""
    n = table.num_rows
    unit = table.column("u_key").combine_chunks()
    if unit.null_count:
        raise InvalidInput(
            f"the journey has {unit.null_count} step events without a person_id (or "
            "session_id, by session); every journey row needs one (rebuild the journey or "
            "drop those rows)"
        )
    seq = table.column("u_seq").to_numpy()
    first = np.ones(n, dtype=bool)
    if n > 1:
        first[1:] = pc.not_equal(unit[1:], unit[:-1]).to_numpy(zero_copy_only=False)
        later = seq[1:] > seq[:-1]
        if not np.all(later | first[1:]):
            if ordered:
                i = int(np.flatnonzero(~(later | first[1:]))[0]) + 1
                raise InvalidInput(
                    f"the journey has two rows with seq {int(seq[i])} for "
                    f"{unit[i].as_py()!r}; seq must be unique per person"
                )
            return None
        sorted_ = not pc.any(pc.less(unit[1:], unit[:-1])).as_py()
        if not sorted_ and not ordered:
            heads = unit.filter(pa.array(first))
            if pc.count_distinct(heads).as_py() != len(heads):
                return None  # a unit in two runs
    return first


def scan_units(journey: ir.Table, spec: Spec, traits: ir.Table | None) -> pd.DataFrame:
    """One row per entered unit (the columns of the module docstring)."""
    table, first = fetch_rows(journey, spec)
    step_windows = [None if w is None else w // _MICRO for w in spec.step_windows]
    best = best_attempts(
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
    persons = table.column("u_person" if spec.by == "session" else "u_key")
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
